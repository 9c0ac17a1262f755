/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Who is at the other end of a TLS connection: the device identity from a
 * client certificate that chains to the device CA.  The identity comes from
 * the certificate alone, never from anything the client sends in a request.
 */
#ifndef POSTURED_COLLECTOR_PEER_H
#define POSTURED_COLLECTOR_PEER_H

#include <gnutls/gnutls.h>
#include <stddef.h>

#include "record.h"

/* The certificate's serial as lowercase hex without leading zeros (20 bytes at most, RFC 5280). */
#define PEER_SERIAL_HEX_MAX 40

struct peer {
	char device_id[DEVICE_ID_LEN + 1];
	char serial[PEER_SERIAL_HEX_MAX + 1];
};

/*
 * Verifies the peer certificate of session against the trust list of the
 * session's credentials (the device CA the server was started with): chain,
 * signatures, validity period, and the TLS client authentication purpose.
 * Then takes the device id from the certificate's Subject CN, which must be
 * exactly one CN of 32 lowercase hex digits.
 *
 * Returns 0 and the id and serial in *ret; -ENOKEY when the client sent no
 * certificate; -EKEYREJECTED when it is not acceptable, with a short reason
 * (not secret, fit for the client and the log) in reason[reason_size].
 * Whether the collector revoked the certificate is the store's to say.
 */
int peer_identify(gnutls_session_t session, struct peer *ret, char *reason, size_t reason_size);

/*
 * The person at the other end of a fleet view connection: their client
 * certificate, verified as above against the people's CA, names them (the
 * only Subject CN, into name) and their role (the only Subject OU, into
 * role; the caller says which roles there are).  Same returns as
 * peer_identify().
 */
int peer_identify_person(gnutls_session_t session, char *name, size_t name_size, char *role,
			 size_t role_size, char *reason, size_t reason_size);

#endif
