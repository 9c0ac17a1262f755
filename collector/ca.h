/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The collector's issuing CA for device certificates (OpenSSL): its
 * certificate and key loaded once, certificates issued from checked
 * requests, the PKCS#7 certs-only messages EST answers with, and the CRL of
 * revoked device certificates.
 */
#ifndef POSTURED_COLLECTOR_CA_H
#define POSTURED_COLLECTOR_CA_H

#include <openssl/x509.h>
#include <stdbool.h>
#include <stdint.h>

#include "basic/cleanup.h"
#include "store.h"

#define CA_SERIAL_HEX_MAX 40

struct ca;

/*
 * Loads the CA certificate (PEM, the first one) and its private key (PEM,
 * mode 0600 or stricter; key_path NULL: an external CA signs, est_hook.h).
 * -EPERM for a key others may read; -EKEYREJECTED when the key is not the
 * certificate's, or the certificate is not a CA that may sign certificates
 * and CRLs; else the read's -errno.
 */
int ca_load(const char *cert_path, const char *key_path, struct ca **ret);

/* Whether cert is signed by the CA (an external CA's answer). */
bool ca_issued(const struct ca *ca, X509 *cert);

/* Whether the collector holds the CA's key (it issues and signs the CRL itself). */
bool ca_can_sign(const struct ca *ca);
struct ca *ca_free(struct ca *ca);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct ca *, ca_free);

/* The CA certificate as PEM text (the collector's TLS trust for device certificates). */
int ca_cert_pem(const struct ca *ca, char **ret);

/* The CA certificate in a DER PKCS#7 certs-only message (EST cacerts). */
int ca_cacerts(const struct ca *ca, uint8_t **ret, size_t *ret_size);

/*
 * Issues a client certificate for device_id with req's public key: Subject
 * CN=device_id only, a random serial, valid from now_ms (back-dated a tenth
 * of the lifetime, at most five minutes, for clocks that lag) for lifetime_sec
 * but not past the CA's own end, EKU clientAuth.  Returns 0, the
 * certificate's DER in a PKCS#7 certs-only message, its serial (lowercase hex)
 * and validity in ms; or -errno.
 */
int ca_issue(const struct ca *ca, X509_REQ *req, const char *device_id, int64_t now_ms,
	     uint64_t lifetime_sec, uint8_t **ret_p7, size_t *ret_p7_size,
	     char ret_serial[CA_SERIAL_HEX_MAX + 1], int64_t *ret_not_before,
	     int64_t *ret_not_after);

/* certs[n] in a DER PKCS#7 certs-only message (OPENSSL_malloc()ed). */
int ca_certs_only(X509 *const *certs, size_t n, uint8_t **ret, size_t *ret_size);

/* cert's serial, lowercase hex of whole bytes (as peer.h writes it). */
int ca_serial_hex(X509 *cert, char ret[CA_SERIAL_HEX_MAX + 1]);

/* An ASN.1 time in ms since the epoch; 0 when it cannot be read. */
int64_t ca_time_ms(const ASN1_TIME *t);

/*
 * The CRL of every revoked certificate in store not yet expired, signed
 * now_ms, next update a day later, numbered above the last one, as DER.
 * Returns 0 or -errno.
 */
int ca_crl(struct ca *ca, struct store *store, int64_t now_ms, uint8_t **ret, size_t *ret_size);

#endif
