// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <string.h>

#include "basic/cleanup.h"
#include "ingest.h"
#include "peer.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(gnutls_x509_crt_t, gnutls_x509_crt_deinit);

static int peer_reject(char *reason, size_t reason_size, const char *what)
{
	snprintf(reason, reason_size, "%s", what);
	return -EKEYREJECTED;
}

int peer_identify(gnutls_session_t session, struct peer *ret, char *reason, size_t reason_size)
{
	_cleanup_(gnutls_x509_crt_deinitp) gnutls_x509_crt_t crt = NULL;
	/* A device certificate must be good for TLS client authentication. */
	gnutls_typed_vdata_st purpose = {
		.type = GNUTLS_DT_KEY_PURPOSE_OID,
		.data = (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT,
	};
	const gnutls_datum_t *chain;
	unsigned status = 0, n_chain = 0;
	char cn[DEVICE_ID_LEN + 2];
	size_t cn_size = sizeof(cn);
	int r;

	if (!session)
		return peer_reject(reason, reason_size, "not a TLS connection");
	if (gnutls_certificate_type_get(session) != GNUTLS_CRT_X509)
		return peer_reject(reason, reason_size, "not an X.509 certificate");

	r = gnutls_certificate_verify_peers(session, &purpose, 1, &status);
	if (r == GNUTLS_E_NO_CERTIFICATE_FOUND) {
		snprintf(reason, reason_size, "no client certificate");
		return -ENOKEY;
	}
	if (r < 0)
		return peer_reject(reason, reason_size, gnutls_strerror(r));
	if (status != 0) {
		gnutls_datum_t text = {};

		if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text,
								 0) >= 0) {
			size_t n;

			snprintf(reason, reason_size, "client certificate rejected: %s",
				 (const char *)text.data);
			gnutls_free(text.data);
			n = strlen(reason);
			while (n > 0 && reason[n - 1] == ' ')
				reason[--n] = '\0';
		} else {
			snprintf(reason, reason_size, "client certificate rejected");
		}
		return -EKEYREJECTED;
	}

	chain = gnutls_certificate_get_peers(session, &n_chain);
	if (!chain || n_chain == 0) {
		snprintf(reason, reason_size, "no client certificate");
		return -ENOKEY;
	}
	if (gnutls_x509_crt_init(&crt) < 0)
		return -ENOMEM;
	if (gnutls_x509_crt_import(crt, &chain[0], GNUTLS_X509_FMT_DER) < 0)
		return peer_reject(reason, reason_size, "client certificate cannot be parsed");

	r = gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn, &cn_size);
	if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		return peer_reject(reason, reason_size, "client certificate has no Subject CN");
	if (r < 0 || !ingest_is_id128(cn, strnlen(cn, sizeof(cn))))
		return peer_reject(reason, reason_size,
				   "client certificate Subject CN is not a device id "
				   "(32 lowercase hex digits)");
	/* Two CNs would make the identity a matter of which one a reader takes. */
	{
		char other[8];
		size_t other_size = sizeof(other);

		r = gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 1, 0, other,
						  &other_size);
		if (r != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return peer_reject(reason, reason_size,
					   "client certificate has more than one Subject CN");
	}

	{
		unsigned char serial[64];
		size_t serial_size = sizeof(serial), i = 0;

		if (gnutls_x509_crt_get_serial(crt, serial, &serial_size) < 0 || serial_size == 0 ||
		    serial_size > PEER_SERIAL_HEX_MAX / 2 + 1)
			return peer_reject(reason, reason_size,
					   "client certificate serial cannot be read");
		/* The DER INTEGER's leading zero bytes are not part of the number. */
		while (i + 1 < serial_size && serial[i] == 0)
			i++;
		if (serial_size - i > PEER_SERIAL_HEX_MAX / 2)
			return peer_reject(reason, reason_size,
					   "client certificate serial is longer than 20 bytes");
		for (size_t o = 0; i < serial_size; i++, o += 2)
			snprintf(ret->serial + o, 3, "%02x", serial[i]);
	}
	memcpy(ret->device_id, cn, DEVICE_ID_LEN + 1);
	return 0;
}
