/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The agent's configuration file (JSON, /etc/postured/postured.conf by
 * default; docs/configuration.md lists every key).
 */
#ifndef POSTURED_CONFIG_H
#define POSTURED_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe_process.h"

#define CONFIG_DEFAULT_PATH	     "/etc/postured/postured.conf"
#define CONFIG_DEFAULT_POLICY	     "/etc/postured/policy.json"
#define CONFIG_DEFAULT_INCOMING_DIR  "/var/lib/postured/incoming"
#define CONFIG_DEFAULT_SIGNED_POLICY "/var/lib/postured/policy.signed.json"
#define CONFIG_DEFAULT_IDENTITY	     "/var/lib/postured/identity.pem"
#define CONFIG_DEFAULT_ENROLL_TOKEN  "/etc/postured/enroll-token"
#define CONFIG_MAX_BYTES	     (64 * 1024)

struct config {
	/* process.args_size: bytes of arguments captured whatever the policy (capture_args_bytes). */
	struct probe_process_config process;
	/* Whether a policy that collects arguments (collect_arguments) gets them captured. */
	bool allow_argument_capture;
	uint32_t wakeup_latency_ms; /* how long a record may wait for a batch */
	uint32_t process_table_max;
	/* The policy file; when it is the default and missing, the built-in baseline. */
	char policy_file[4096];
	/* Where the system's resolvers are read ("system_resolvers" in network rules). */
	char resolv_conf[4096];
	/* The status socket (docs/status-socket.md). */
	char status_socket[108];

	/* Reports to the collector; empty collector_url: nothing is sent. */
	char collector_url[512];
	char collector_ca[4096];
	char client_cert[4096];
	char client_key[4096];
	char spool_path[4096];
	uint32_t spool_max_mib;
	char sender_user[64];
	uint32_t snapshot_interval_seconds;

	/*
	 * Enrollment (docs/enrollment.md); empty enroll_url: the certificate
	 * and key are made by hand (client_cert, client_key).  With it, the
	 * agent keeps its own key and certificate in identity_path, gets them
	 * from the EST server at enroll_url with the token in enroll_token_file,
	 * and renews them; a certificate must chain to device_ca (empty: the
	 * collector_ca).  Failed attempts are retried from enroll_retry_seconds,
	 * doubling up to an hour.
	 */
	char enroll_url[512];
	char enroll_token_file[4096];
	char device_ca[4096];
	char identity_path[4096];
	uint32_t enroll_retry_seconds;
	/* Where an enrolled key is made: the TPM when there is one (auto), or as said. */
	enum config_key_storage {
		CONFIG_KEY_STORAGE_AUTO,
		CONFIG_KEY_STORAGE_TPM,
		CONFIG_KEY_STORAGE_FILE,
	} key_storage;
	char tpm_tcti[256]; /* the TSS's TCTI; "": /dev/tpmrm0 */

	/*
	 * Signed policies from the collector (docs/policy.md); empty
	 * policy_public_key: no fetching.  The sender writes what it fetched
	 * into policy_incoming_dir; the daemon verifies it and keeps the last
	 * good one at signed_policy_path (and ".sig" beside it).
	 */
	char policy_public_key[4096];
	char policy_incoming_dir[4096];
	char signed_policy_path[4096];
	uint32_t policy_fetch_interval_seconds;
};

void config_init(struct config *c);

/*
 * Parses the JSON text of a configuration file named path (for messages) into
 * *c, over the values already there.  On error writes a message naming the
 * file and the key into err and returns -EINVAL (or -ENOMEM); *c is then
 * unchanged.
 */
int config_parse(const char *path, const char *text, struct config *c, char *err, size_t err_size);

/* Reads and parses a configuration file; a missing file at the default path is not an error. */
int config_load(const char *path, struct config *c, char *err, size_t err_size);

/*
 * How many bytes of each program's arguments the exec probe captures while a
 * policy is in force that collects arguments (policy_collects: its settings
 * say collect_arguments) or does not: all the probe can carry
 * (EVENT_ARGS_LEN) for a policy that collects them, unless
 * allow_argument_capture refuses it; never less than capture_args_bytes,
 * which the configuration asks for whatever the policy.
 */
uint32_t config_args_bytes(const struct config *c, bool policy_collects);

#endif
