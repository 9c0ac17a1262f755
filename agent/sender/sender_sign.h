/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sender's TLS client key when the device key is in the TPM: the
 * sender never opens the TPM; the privileged daemon holds the key and makes
 * each handshake's signature (agent_identity.c), as OpenSSH's monitor does
 * for its unprivileged child.  This is the key libssl is given: the public
 * half of the certificate, whose ECDSA signing is handed to the daemon over
 * the channel on sign_fd.
 *
 * Why the deprecated EC_KEY_METHOD: libcurl 7.88 builds its SSL_CTX in
 * OpenSSL's default library context, whose providers cannot sign with a key
 * held elsewhere; a key with a method of its own is one OpenSSL 3.0 signs
 * through that method.  A provider of our own would do the same in far more
 * code.
 */
#ifndef POSTURED_SENDER_SIGN_H
#define POSTURED_SENDER_SIGN_H

#include <openssl/evp.h>
#include <openssl/x509.h>

/*
 * A key for cert's public key (EC) that signs over sign_fd.  Returns 0 and
 * the key in *ret; -EKEYREJECTED when the certificate's key is not EC.
 */
int sender_sign_key(X509 *cert, int sign_fd, EVP_PKEY **ret);

#endif
