/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Signed policies from the collector: the checks the privileged daemon makes
 * on the bytes the unprivileged sender handed over (DESIGN.md).  Pure: no
 * logging, no globals; the daemon decides what a refusal means.
 */
#ifndef POSTURED_POLICY_SIG_H
#define POSTURED_POLICY_SIG_H

#include <stddef.h>

/* Hard limits on what the daemon reads from the sender's directory. */
#define POLICY_SIG_MAX_POLICY	 (1024 * 1024)
#define POLICY_SIG_MAX_SIGNATURE 256
#define POLICY_SIG_ED25519_SIZE	 64

/*
 * Verifies sig (base64 text of a 64-byte Ed25519 signature, surrounding
 * whitespace ignored) over exactly data[0..size) with the Ed25519 public key
 * in the PEM file public_key_path.  Returns 0 when it verifies; -EBADMSG when
 * the signature is malformed or does not verify; -errno when the key cannot
 * be read, -EKEYREJECTED when it is not an Ed25519 public key.
 */
int policy_sig_verify(const void *data, size_t size, const char *sig, size_t sig_len,
		      const char *public_key_path);

#endif
