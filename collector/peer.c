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

/*
 * Verifies the peer's chain against the trust list the server was started
 * with, for TLS client authentication, and parses its certificate into *ret.
 */
static int peer_verify(gnutls_session_t session, gnutls_x509_crt_t *ret, char *reason,
		       size_t reason_size)
{
	_cleanup_(gnutls_x509_crt_deinitp) gnutls_x509_crt_t crt = NULL;
	/* A client certificate must be good for TLS client authentication. */
	gnutls_typed_vdata_st purpose = {
		.type = GNUTLS_DT_KEY_PURPOSE_OID,
		.data = (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT,
	};
	const gnutls_datum_t *chain;
	unsigned status = 0, n_chain = 0;
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
	*ret = TAKE_PTR(crt);
	return 0;
}

/* The Subject's only attribute oid: 0, -ENOENT when it has none, -EEXIST when two. */
static int peer_subject_one(gnutls_x509_crt_t crt, const char *oid, char *buf, size_t size)
{
	char other[8];
	size_t n = size, other_size = sizeof(other);
	int r;

	r = gnutls_x509_crt_get_dn_by_oid(crt, oid, 0, 0, buf, &n);
	if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		return -ENOENT;
	if (r < 0)
		return -EINVAL;
	/* Two would make the identity a matter of which one a reader takes. */
	r = gnutls_x509_crt_get_dn_by_oid(crt, oid, 1, 0, other, &other_size);
	if (r != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		return -EEXIST;
	return 0;
}

int peer_identify_person(gnutls_session_t session, char *name, size_t name_size, char *role,
			 size_t role_size, char *reason, size_t reason_size)
{
	_cleanup_(gnutls_x509_crt_deinitp) gnutls_x509_crt_t crt = NULL;
	int r;

	r = peer_verify(session, &crt, reason, reason_size);
	if (r < 0)
		return r;
	r = peer_subject_one(crt, GNUTLS_OID_X520_COMMON_NAME, name, name_size);
	if (r < 0)
		return peer_reject(
			reason, reason_size,
			r == -ENOENT ? "client certificate has no Subject CN" :
			r == -EEXIST ? "client certificate has more than one Subject CN" :
				       "client certificate Subject CN cannot be read");
	r = peer_subject_one(crt, GNUTLS_OID_X520_ORGANIZATIONAL_UNIT_NAME, role, role_size);
	if (r < 0)
		return peer_reject(
			reason, reason_size,
			r == -ENOENT ? "client certificate has no Subject OU (the role)" :
			r == -EEXIST ? "client certificate has more than one Subject OU" :
				       "client certificate Subject OU cannot be read");
	return 0;
}

int peer_identify(gnutls_session_t session, struct peer *ret, char *reason, size_t reason_size)
{
	_cleanup_(gnutls_x509_crt_deinitp) gnutls_x509_crt_t crt = NULL;
	char cn[DEVICE_ID_LEN + 2];
	int r;

	r = peer_verify(session, &crt, reason, reason_size);
	if (r < 0)
		return r;

	r = peer_subject_one(crt, GNUTLS_OID_X520_COMMON_NAME, cn, sizeof(cn));
	if (r == -ENOENT)
		return peer_reject(reason, reason_size, "client certificate has no Subject CN");
	if (r == -EEXIST)
		return peer_reject(reason, reason_size,
				   "client certificate has more than one Subject CN");
	if (r < 0 || !ingest_is_id128(cn, strnlen(cn, sizeof(cn))))
		return peer_reject(reason, reason_size,
				   "client certificate Subject CN is not a device id "
				   "(32 lowercase hex digits)");

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
