// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * posture-collector: wiring only.  Options, files, the store, the CA, the
 * server and the loop; `sign-policy` for the company's policy signing; the
 * administration verbs (token, device, audit) are admin.c's.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/log.h"
#include "admin.h"
#include "ca.h"
#include "crypto.h"
#include "est.h"
#include "export.h"
#include "export_read.h"
#include "forward.h"
#include "net.h"
#include "validate.h"
#include "feed.h"
#include "server.h"
#include "db.h"
#include "store.h"
#include "store_fleet.h"
#include "ui.h"
#include "upkeep.h"

#ifndef POSTURED_VERSION
#define POSTURED_VERSION "0"
#endif

#define PEM_FILE_MAX	     (256 * 1024)
#define STATUS_INTERVAL_USEC (10 * USEC_PER_SEC)

/* GnuTLS priorities: TLS 1.3 preferred (negotiated whenever the client has it), 1.2 minimum. */
#define TLS_PRIORITIES_12 "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define TLS_PRIORITIES_13 "NORMAL:-VERS-ALL:+VERS-TLS1.3"

struct options {
	const char *listen;
	const char *cert;
	const char *key;
	const char *device_ca;
	const char *db;
	const char *policy;
	const char *policy_signature;
	const char *policy_public_key;
	const char *tls_priorities;
	const char *ca_cert; /* the issuing CA: enrollment (EST) and the CRL */
	const char *ca_key;
	const char *ca_hook; /* an external CA program issues instead of ca_key */
	uint64_t cert_lifetime_sec;
	struct server_limits limits;
	const char *ui_listen; /* the fleet view, for people; NULL: none */
	const char *ui_ca;
	bool ui_trust_proxy;
	uint64_t retention_sec; /* 0: records are kept */
	uint64_t rollup_interval_sec;
	const char *export_dir; /* the OCSF export log; NULL: none */
	struct export_limits export_limits;
};

/* What the SIGHUP handler needs. */
struct collector {
	const struct options *options;
	struct server *server;
	struct store *store;
	EVP_PKEY *policy_public_key;
	struct export *export;
	char status_prefix[2 * NET_ADDRESS_MAX + 64];
};

static void help(void)
{
	printf("Usage: posture-collector [OPTIONS]\n"
	       "       posture-collector sign-policy --key ED25519_KEY.pem POLICY.json > POLICY.sig\n"
	       "       posture-collector token create|list|revoke ...   enrollment tokens\n"
	       "       posture-collector device list|revoke|retire ...  device identities\n"
	       "       posture-collector audit [--device ID]            who enrolled, renewed, revoked\n"
	       "       posture-collector forward --export-dir DIR --name NAME --to URL ...\n"
	       "                                                    the export log to a SIEM\n"
	       "\n"
	       "The postured reference collector: HTTPS with client certificates.\n"
	       "  POST /v1/reports   NDJSON reports from devices, stored in SQLite\n"
	       "  GET  /v1/policy    the signed policy\n"
	       "  /.well-known/est/  enrollment (RFC 7030: cacerts, simpleenroll, simplereenroll)\n"
	       "  GET  /v1/crl       revoked device certificates (DER; ?format=pem)\n"
	       "\n"
	       "Options:\n"
	       "  --listen ADDR:PORT          address to serve on; [IPV6]:PORT for IPv6\n"
	       "                              (default 127.0.0.1:8443)\n"
	       "  --cert FILE                 server certificate chain, PEM\n"
	       "  --key FILE                  server private key, PEM (mode 0600 or stricter)\n"
	       "  --device-ca FILE            CA certificate(s), PEM, that issue device certificates\n"
	       "                              (optional with --ca-cert, which is trusted too)\n"
	       "  --ca-cert FILE              the issuing CA for enrollment, PEM\n"
	       "  --ca-key FILE               its private key, PEM (mode 0600 or stricter)\n"
	       "  --ca-hook PROGRAM           an external CA issues: PROGRAM gets each request\n"
	       "                              (PEM) on stdin, writes the certificate (PEM)\n"
	       "                              instead of --ca-key\n"
	       "  --cert-lifetime DURATION    of the certificates issued: 90d, 12h, 30m, 45s\n"
	       "                              (default 90d)\n"
	       "  --db sqlite:PATH|postgresql://...\n"
	       "                              the store: a SQLite file (default collector.db; a\n"
	       "                              bare path is one) or a PostgreSQL database\n"
	       "  --policy FILE               policy JSON to serve, bytes as signed\n"
	       "  --policy-signature FILE     its base64 Ed25519 signature (from sign-policy)\n"
	       "  --policy-public-key FILE    refuse a policy whose signature this key does not\n"
	       "                              verify (optional, recommended)\n"
	       "  --tls-min-version 1.2|1.3   oldest TLS version accepted (default 1.2)\n"
	       "  --max-body-bytes N          largest request body as sent (default 8M)\n"
	       "  --max-inflated-bytes N      largest body after gzip (default 64M)\n"
	       "  --max-record-bytes N        largest record (line) (default 1M)\n"
	       "  --max-connections N         connections at once (default 64)\n"
	       "  --max-connections-per-ip N  from one address, 0 for no limit (default 16)\n"
	       "  --connection-timeout SEC    idle connections are closed after this (default 30)\n"
	       "  --shed-above SHARE          when taking batches in keeps the loop busier than\n"
	       "                              this (0.05 to 1; 1: never), ask some devices to\n"
	       "                              send again later (503, Retry-After) (default 0.9)\n"
	       "  --ui-listen ADDR:PORT       serve the fleet view for people here (HTTPS)\n"
	       "  --ui-ca FILE                CA certificate(s), PEM, of people's client\n"
	       "                              certificates (CN the name, OU the role)\n"
	       "  --ui-trust-proxy            believe X-Remote-User/X-Remote-Role from loopback\n"
	       "                              (a reverse proxy doing single sign-on)\n"
	       "  --retention DURATION        delete records older than this (default 180d;\n"
	       "                              0 keeps them); state and roll-ups stay\n"
	       "  --rollup-interval DURATION  how often today's fleet roll-up is written\n"
	       "                              (default 5m)\n"
	       "  --export-dir DIR            append every record accepted to the OCSF export\n"
	       "                              log in DIR, for SOCs (docs/soc.md)\n"
	       "  --export-max-size N         size at which an export file is closed (default 64M)\n"
	       "  --export-max-age DURATION   age at which it is closed (default 1h)\n"
	       "  --export-keep N             export files kept, compressed (default 48)\n"
	       "  -h --help                   show this help\n"
	       "  --version                   show the version\n"
	       "\n"
	       "Sizes take a K, M or G suffix (powers of 1024).  SIGHUP re-reads the policy and\n"
	       "its signature; SIGTERM or SIGINT stop.  See docs/collector.md.\n");
}

static int parse_size(const char *s, uint64_t *ret)
{
	uint64_t v, mult = 1;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -EINVAL;
	if (*end == 'K')
		mult = 1024;
	else if (*end == 'M')
		mult = 1024 * 1024;
	else if (*end == 'G')
		mult = 1024 * 1024 * 1024;
	else if (*end != '\0')
		return -EINVAL;
	if (mult > 1 && end[1] != '\0')
		return -EINVAL;
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*ret = v * mult;
	return 0;
}

static int parse_size_option(const char *name, const char *value, uint64_t min, uint64_t max,
			     uint64_t *ret)
{
	uint64_t v;

	if (parse_size(value, &v) < 0 || v < min || v > max)
		return log_error_errno(EINVAL,
				       "Invalid %s '%s': expected %" PRIu64 "..%" PRIu64 ".", name,
				       value, min, max);
	*ret = v;
	return 0;
}

enum {
	ARG_LISTEN = 0x100,
	ARG_CERT,
	ARG_KEY,
	ARG_DEVICE_CA,
	ARG_DB,
	ARG_POLICY,
	ARG_POLICY_SIGNATURE,
	ARG_POLICY_PUBLIC_KEY,
	ARG_TLS_MIN_VERSION,
	ARG_MAX_BODY,
	ARG_MAX_INFLATED,
	ARG_MAX_RECORD,
	ARG_MAX_CONNECTIONS,
	ARG_MAX_PER_IP,
	ARG_TIMEOUT,
	ARG_SHED_ABOVE,
	ARG_CA_CERT,
	ARG_CA_KEY,
	ARG_CERT_LIFETIME,
	ARG_CA_HOOK,
	ARG_UI_LISTEN,
	ARG_UI_CA,
	ARG_UI_TRUST_PROXY,
	ARG_RETENTION,
	ARG_ROLLUP_INTERVAL,
	ARG_EXPORT_DIR,
	ARG_EXPORT_MAX_SIZE,
	ARG_EXPORT_MAX_AGE,
	ARG_EXPORT_KEEP,
	ARG_VERSION,
};

/* Returns 1 to go on, 0 to exit successfully (--help), -errno on bad usage. */
static int parse_argv(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, ARG_LISTEN },
		{ "cert", required_argument, NULL, ARG_CERT },
		{ "key", required_argument, NULL, ARG_KEY },
		{ "device-ca", required_argument, NULL, ARG_DEVICE_CA },
		{ "db", required_argument, NULL, ARG_DB },
		{ "policy", required_argument, NULL, ARG_POLICY },
		{ "policy-signature", required_argument, NULL, ARG_POLICY_SIGNATURE },
		{ "policy-public-key", required_argument, NULL, ARG_POLICY_PUBLIC_KEY },
		{ "tls-min-version", required_argument, NULL, ARG_TLS_MIN_VERSION },
		{ "max-body-bytes", required_argument, NULL, ARG_MAX_BODY },
		{ "max-inflated-bytes", required_argument, NULL, ARG_MAX_INFLATED },
		{ "max-record-bytes", required_argument, NULL, ARG_MAX_RECORD },
		{ "max-connections", required_argument, NULL, ARG_MAX_CONNECTIONS },
		{ "max-connections-per-ip", required_argument, NULL, ARG_MAX_PER_IP },
		{ "connection-timeout", required_argument, NULL, ARG_TIMEOUT },
		{ "shed-above", required_argument, NULL, ARG_SHED_ABOVE },
		{ "ca-cert", required_argument, NULL, ARG_CA_CERT },
		{ "ca-key", required_argument, NULL, ARG_CA_KEY },
		{ "cert-lifetime", required_argument, NULL, ARG_CERT_LIFETIME },
		{ "ca-hook", required_argument, NULL, ARG_CA_HOOK },
		{ "ui-listen", required_argument, NULL, ARG_UI_LISTEN },
		{ "ui-ca", required_argument, NULL, ARG_UI_CA },
		{ "ui-trust-proxy", no_argument, NULL, ARG_UI_TRUST_PROXY },
		{ "retention", required_argument, NULL, ARG_RETENTION },
		{ "rollup-interval", required_argument, NULL, ARG_ROLLUP_INTERVAL },
		{ "export-dir", required_argument, NULL, ARG_EXPORT_DIR },
		{ "export-max-size", required_argument, NULL, ARG_EXPORT_MAX_SIZE },
		{ "export-max-age", required_argument, NULL, ARG_EXPORT_MAX_AGE },
		{ "export-keep", required_argument, NULL, ARG_EXPORT_KEEP },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, ARG_VERSION },
		{}
	};
	bool export_limits_changed = false;
	uint64_t v;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) >= 0) {
		switch (c) {
		case ARG_LISTEN:
			o->listen = optarg;
			break;
		case ARG_CERT:
			o->cert = optarg;
			break;
		case ARG_KEY:
			o->key = optarg;
			break;
		case ARG_DEVICE_CA:
			o->device_ca = optarg;
			break;
		case ARG_DB:
			o->db = optarg;
			break;
		case ARG_POLICY:
			o->policy = optarg;
			break;
		case ARG_POLICY_SIGNATURE:
			o->policy_signature = optarg;
			break;
		case ARG_POLICY_PUBLIC_KEY:
			o->policy_public_key = optarg;
			break;
		case ARG_TLS_MIN_VERSION:
			if (strcmp(optarg, "1.2") == 0)
				o->tls_priorities = TLS_PRIORITIES_12;
			else if (strcmp(optarg, "1.3") == 0)
				o->tls_priorities = TLS_PRIORITIES_13;
			else
				return log_error_errno(
					EINVAL, "Invalid --tls-min-version '%s': 1.2 or 1.3.",
					optarg);
			break;
		case ARG_MAX_BODY:
			r = parse_size_option("--max-body-bytes", optarg, 1024, 1ULL << 30, &v);
			if (r < 0)
				return r;
			o->limits.max_body = v;
			break;
		case ARG_MAX_INFLATED:
			r = parse_size_option("--max-inflated-bytes", optarg, 1024, 1ULL << 31, &v);
			if (r < 0)
				return r;
			o->limits.max_inflated = v;
			break;
		case ARG_MAX_RECORD:
			r = parse_size_option("--max-record-bytes", optarg, 1024, 64ULL << 20, &v);
			if (r < 0)
				return r;
			o->limits.max_line = v;
			break;
		case ARG_MAX_CONNECTIONS:
			r = parse_size_option("--max-connections", optarg, 1, 65536, &v);
			if (r < 0)
				return r;
			o->limits.max_connections = (unsigned)v;
			break;
		case ARG_MAX_PER_IP:
			r = parse_size_option("--max-connections-per-ip", optarg, 0, 65536, &v);
			if (r < 0)
				return r;
			o->limits.max_per_ip = (unsigned)v;
			break;
		case ARG_SHED_ABOVE: {
			char *end = NULL;
			double share = strtod(optarg, &end);

			if (!end || end == optarg || *end || !(share >= 0.05 && share <= 1))
				return log_error_errno(-EINVAL,
						       "Invalid --shed-above '%s': a share of the "
						       "loop from 0.05 to 1 (1: never refuse).",
						       optarg);
			o->limits.shed_above = share;
			break;
		}
		case ARG_TIMEOUT:
			r = parse_size_option("--connection-timeout", optarg, 1, 3600, &v);
			if (r < 0)
				return r;
			o->limits.timeout_sec = (unsigned)v;
			break;
		case ARG_CA_CERT:
			o->ca_cert = optarg;
			break;
		case ARG_CA_KEY:
			o->ca_key = optarg;
			break;
		case ARG_CA_HOOK:
			if (optarg[0] != '/' || access(optarg, X_OK) < 0)
				return log_error_errno(
					EINVAL,
					"Invalid --ca-hook '%s': an absolute path to "
					"a program this user may run.",
					optarg);
			o->ca_hook = optarg;
			break;
		case ARG_CERT_LIFETIME:
			r = admin_parse_duration(optarg, &v);
			if (r < 0 || v < 1 || v > 3650ULL * 86400)
				return log_error_errno(
					EINVAL,
					"Invalid --cert-lifetime '%s': a number with "
					"s, m, h or d, from 1s to 3650d.",
					optarg);
			o->cert_lifetime_sec = v;
			break;
		case ARG_UI_LISTEN:
			o->ui_listen = optarg;
			break;
		case ARG_UI_CA:
			o->ui_ca = optarg;
			break;
		case ARG_UI_TRUST_PROXY:
			o->ui_trust_proxy = true;
			break;
		case ARG_RETENTION:
			if (strcmp(optarg, "0") == 0) {
				o->retention_sec = 0;
				break;
			}
			r = admin_parse_duration(optarg, &v);
			if (r < 0 || v < 1 || v > 36500ULL * 86400)
				return log_error_errno(
					EINVAL,
					"Invalid --retention '%s': 0, or a number with s, m, h "
					"or d, up to 36500d.",
					optarg);
			o->retention_sec = v;
			break;
		case ARG_ROLLUP_INTERVAL:
			r = admin_parse_duration(optarg, &v);
			if (r < 0 || v < 1 || v > 86400)
				return log_error_errno(
					EINVAL,
					"Invalid --rollup-interval '%s': a number with s, m or h, "
					"from 1s to 24h.",
					optarg);
			o->rollup_interval_sec = v;
			break;
		case ARG_EXPORT_DIR:
			o->export_dir = optarg;
			break;
		case ARG_EXPORT_MAX_SIZE:
			export_limits_changed = true;
			r = parse_size_option("--export-max-size", optarg, 64 * 1024, 1ULL << 40,
					      &v);
			if (r < 0)
				return r;
			o->export_limits.max_size = v;
			break;
		case ARG_EXPORT_MAX_AGE:
			export_limits_changed = true;
			r = admin_parse_duration(optarg, &v);
			if (r < 0 || v < 1 || v > 30ULL * 86400)
				return log_error_errno(
					EINVAL,
					"Invalid --export-max-age '%s': a number with s, m, h or d, "
					"from 1s to 30d.",
					optarg);
			o->export_limits.max_age_sec = v;
			break;
		case ARG_EXPORT_KEEP:
			export_limits_changed = true;
			r = parse_size_option("--export-keep", optarg, 2, 100000, &v);
			if (r < 0)
				return r;
			o->export_limits.keep = (unsigned)v;
			break;
		case 'h':
			help();
			return 0;
		case ARG_VERSION:
			printf("posture-collector %s\n", POSTURED_VERSION);
			return 0;
		default:
			return -EINVAL; /* getopt has said why */
		}
	}
	if (optind < argc)
		return log_error_errno(EINVAL, "Unexpected argument '%s'; see --help.",
				       argv[optind]);
	if (!o->cert || !o->key || (!o->device_ca && !o->ca_cert))
		return log_error_errno(EINVAL, "--cert, --key and --device-ca (or --ca-cert) are "
					       "required; see --help.");
	if (o->ca_cert && !o->ca_key == !o->ca_hook)
		return log_error_errno(EINVAL, "--ca-cert needs --ca-key, or --ca-hook for an "
					       "external CA, one of the two.");
	if (!o->ca_cert && (o->ca_key || o->ca_hook))
		return log_error_errno(EINVAL, "--ca-key and --ca-hook need --ca-cert.");
	if (!o->policy != !o->policy_signature)
		return log_error_errno(EINVAL, "--policy and --policy-signature go together.");
	if (o->policy_public_key && !o->policy)
		return log_error_errno(EINVAL, "--policy-public-key needs --policy.");
	if (o->ui_listen && !o->ui_ca && !o->ui_trust_proxy)
		return log_error_errno(EINVAL, "--ui-listen needs --ui-ca (people's certificates) "
					       "or --ui-trust-proxy (a sign-on proxy), or both.");
	if (!o->ui_listen && (o->ui_ca || o->ui_trust_proxy))
		return log_error_errno(EINVAL, "--ui-ca and --ui-trust-proxy need --ui-listen.");
	if (!o->export_dir && export_limits_changed)
		return log_error_errno(EINVAL, "--export-max-size, --export-max-age and "
					       "--export-keep need --export-dir.");
	return 1;
}

static int read_pem(const char *what, const char *path, bool private, char **ret)
{
	size_t size;
	int r;

	r = private ? read_full_file(path, PEM_FILE_MAX, READ_FULL_PRIVATE, ret, &size) :
		      read_full_file(path, PEM_FILE_MAX, 0, ret, &size);
	if (r == -EPERM && private)
		return log_error_errno(r,
				       "Refusing %s '%s': group or others may access it; "
				       "make it mode 0600, owned by the collector's user.",
				       what, path);
	if (r < 0)
		return log_error_errno(r, "Failed to read %s '%s': %m", what, path);
	return 0;
}

static int load_policy(struct collector *col, struct feed **ret)
{
	const struct options *o = col->options;
	const char *failed = NULL;
	int r;

	r = feed_load(o->policy, o->policy_signature, col->policy_public_key, ret, &failed);
	if (r == -EKEYREJECTED)
		return log_error_errno(r,
				       "The signature '%s' does not verify policy '%s' with "
				       "public key '%s'; not serving it.",
				       o->policy_signature, o->policy, o->policy_public_key);
	if (r == -EBADMSG)
		return log_error_errno(r, "'%s' is not a base64 Ed25519 signature.", failed);
	if (r == -EFBIG)
		return log_error_errno(r, "'%s' is too large for a policy or signature.", failed);
	if (r < 0)
		return log_error_errno(r, "Failed to load '%s': %m", failed ? failed : o->policy);
	return 0;
}

/* The issuing CA, whose certificate is added to the TLS trust for device certificates. */
static int load_ca(const struct options *o, struct ca **ret, char **trust)
{
	_cleanup_(ca_freep) struct ca *ca = NULL;
	_cleanup_free_ char *pem = NULL;
	char *joined;
	int r;

	r = ca_load(o->ca_cert, o->ca_hook ? NULL : o->ca_key, &ca);
	if (r == -EPERM)
		return log_error_errno(r,
				       "Refusing CA key '%s': group or others may access it; "
				       "make it mode 0600, owned by the collector's user.",
				       o->ca_key);
	if (r == -EKEYREJECTED)
		return log_error_errno(
			r,
			"'%s' and '%s' are not a CA certificate (CA:TRUE, allowed to "
			"sign certificates and CRLs) and its private key.",
			o->ca_cert, o->ca_key);
	if (r < 0)
		return log_error_errno(r, "Failed to read the CA '%s' / '%s': %m", o->ca_cert,
				       o->ca_key);
	r = ca_cert_pem(ca, &pem);
	if (r < 0)
		return log_oom();
	if (asprintf(&joined, "%s%s", *trust ? *trust : "", pem) < 0)
		return log_oom();
	free(*trust);
	*trust = joined;
	*ret = TAKE_PTR(ca);
	return 0;
}

/* The served policy's rule texts are what the fleet view shows of its rules. */
static void publish_policy_rules(struct store *store, const struct feed *feed)
{
	_cleanup_free_ struct facts_rule *rules = NULL;
	size_t n = 0;
	int r;

	r = validate_policy_rules(feed->data, feed->size, &rules, &n);
	if (r >= 0)
		r = store_fleet_policy_rules(store, rules, n,
					     (int64_t)(now_usec(CLOCK_REALTIME) / USEC_PER_MSEC));
	if (r < 0)
		log_warning_errno(r,
				  "The fleet view keeps the rule texts devices sent: the policy's "
				  "could not be stored (%m; %s).",
				  r == -EBADMSG ? "it does not parse" : store_last_error(store));
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	struct collector *col = userdata;
	struct feed *feed = NULL;
	char etag[sizeof(feed->etag)];
	int r;

	if (!col->options->policy) {
		log_info("SIGHUP: no --policy configured, nothing to reload.");
		return 0;
	}
	r = load_policy(col, &feed);
	if (r < 0) {
		log_warning("SIGHUP: keeping the policy in force.");
		return 0;
	}
	memcpy(etag, feed->etag, sizeof(etag));
	publish_policy_rules(col->store, feed);
	r = server_set_policy(col->server, feed);
	if (r < 0)
		return log_error_errno(r, "SIGHUP: failed to swap in the new policy, keeping the "
					  "old: %m");
	log_info("SIGHUP: serving policy '%s', ETag %s.", col->options->policy, etag);
	return 0;
}

struct status_line {
	char *buf;
	size_t size, len;
	int64_t now;
};

static int status_destination(const struct export_destination *d, void *userdata)
{
	struct status_line *l = userdata;
	int n;

	n = snprintf(l->buf + l->len, l->size - l->len,
		     "; %s: %" PRIu64 " forwarded, %" PRIu64 " pending", d->cursor.name,
		     d->cursor.forwarded, d->pending);
	if (n > 0 && (size_t)n < l->size - l->len)
		l->len += (size_t)n;
	if (d->oldest_pending_ms > 0 && l->now > d->oldest_pending_ms) {
		n = snprintf(l->buf + l->len, l->size - l->len, " (oldest %" PRId64 " s)",
			     (l->now - d->oldest_pending_ms) / 1000);
		if (n > 0 && (size_t)n < l->size - l->len)
			l->len += (size_t)n;
	}
	return 0;
}

/* STATUS= with the export's counters, for systemctl status. */
static int on_status_timer(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct collector *col = userdata;
	struct export_counters counters;
	char buf[1024];
	struct status_line l = { .buf = buf,
				 .size = sizeof(buf),
				 .now = (int64_t)(now_usec(CLOCK_REALTIME) / USEC_PER_MSEC) };
	int n;

	export_get_counters(col->export, &counters);
	n = snprintf(buf, sizeof(buf), "%s; exported %" PRIu64 " since start, %" PRIu64 " in all%s",
		     col->status_prefix, counters.exported, counters.next - 1,
		     counters.failed ? " (appends failing)" : "");
	l.len = n > 0 ? MIN((size_t)n, sizeof(buf) - 1) : 0;
	(void)export_destinations(export_dir(col->export), counters.next, status_destination, &l);
	(void)sd_notifyf(false, "STATUS=%s", buf);
	/* A one-shot source is off once it has fired: on again for the next time. */
	(void)sd_event_source_set_time(source, usec + STATUS_INTERVAL_USEC);
	(void)sd_event_source_set_enabled(source, SD_EVENT_ONESHOT);
	return 0;
}

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	log_info("Received %s, stopping.", strsignal((int)si->ssi_signo));
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

static int start_ui(const struct options *o, sd_event *e, const char *cert, const char *key,
		    const char *trust, struct store *store, char bound[NET_ADDRESS_MAX],
		    struct ui **ret)
{
	struct sockaddr_storage addr;
	socklen_t addr_len;
	struct ui_options uo = {
		.cert = cert,
		.key = key,
		.trust = trust,
		.priorities = o->tls_priorities,
		.trust_proxy = o->ui_trust_proxy,
		.max_connections = o->limits.max_connections,
		.timeout_sec = o->limits.timeout_sec,
	};
	int fd, r;

	if (net_parse_address(o->ui_listen, &addr, &addr_len) < 0)
		return log_error_errno(EINVAL,
				       "Invalid --ui-listen '%s': expected IPV4:PORT or "
				       "[IPV6]:PORT.",
				       o->ui_listen);
	fd = net_listen(&addr, addr_len, 64);
	if (fd < 0)
		return log_error_errno(fd, "Failed to listen on %s: %m", o->ui_listen);
	addr_len = sizeof(addr);
	if (getsockname(fd, (struct sockaddr *)&addr, &addr_len) < 0 ||
	    net_format_address((struct sockaddr *)&addr, true, bound) < 0)
		snprintf(bound, NET_ADDRESS_MAX, "%s", o->ui_listen);
	r = ui_new(e, fd, &uo, store, ret);
	if (r < 0)
		return log_error_errno(r, "Failed to start the fleet view on %s: %m", bound);
	log_info("Fleet view on https://%s (people by %s%s%s).", bound, trust ? "certificate" : "",
		 trust && o->ui_trust_proxy ? " or " : "",
		 o->ui_trust_proxy ? "the sign-on proxy's headers" : "");
	return 0;
}

static int run_server(const struct options *o)
{
	_cleanup_erase_free_ char *key = NULL;
	_cleanup_free_ char *cert = NULL, *trust = NULL;
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *pubkey = NULL;
	_cleanup_(store_freep) struct store *store = NULL;
	_cleanup_free_ char *db_error = NULL;
	_cleanup_(sd_event_unrefp) sd_event *e = NULL;
	_cleanup_(server_freep) struct server *server = NULL;
	_cleanup_(ca_freep) struct ca *ca = NULL;
	_cleanup_(ui_freep) struct ui *ui = NULL;
	_cleanup_(upkeep_freep) struct upkeep *upkeep = NULL;
	_cleanup_(export_freep) struct export *export = NULL;
	_cleanup_free_ char *ui_trust = NULL;
	char ui_bound[NET_ADDRESS_MAX] = "";
	struct collector col = { .options = o };
	struct est est = {};
	struct feed *feed = NULL;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char bound[NET_ADDRESS_MAX];
	struct server_tls tls;
	sigset_t mask;
	int fd, r;

	if (net_parse_address(o->listen, &addr, &addr_len) < 0)
		return log_error_errno(EINVAL,
				       "Invalid --listen '%s': expected IPV4:PORT or "
				       "[IPV6]:PORT.",
				       o->listen);

	r = read_pem("server certificate", o->cert, false, &cert);
	if (r < 0)
		return r;
	r = read_pem("server private key", o->key, true, &key);
	if (r < 0)
		return r;
	if (o->device_ca) {
		r = read_pem("device CA", o->device_ca, false, &trust);
		if (r < 0)
			return r;
	}
	if (o->ca_cert) {
		r = load_ca(o, &ca, &trust);
		if (r < 0)
			return r;
	}

	if (o->ui_ca) {
		r = read_pem("people's CA", o->ui_ca, false, &ui_trust);
		if (r < 0)
			return r;
		/* A device's certificate must never open the fleet view, nor a person's post reports. */
		if (crypto_pem_bundles_share(ui_trust, ui_trust) <= 0)
			return log_error_errno(EBADMSG, "--ui-ca '%s' holds no certificate.",
					       o->ui_ca);
		r = trust ? crypto_pem_bundles_share(ui_trust, trust) : 0;
		if (r == -ENOMEM)
			return log_oom();
		if (r > 0)
			return log_error_errno(
				EINVAL,
				"--ui-ca '%s' is a CA devices' certificates come from; "
				"people need a CA of their own.",
				o->ui_ca);
	}

	if (o->policy_public_key) {
		r = crypto_load_ed25519_public(o->policy_public_key, &pubkey);
		if (r == -EKEYREJECTED)
			return log_error_errno(r, "'%s' holds no Ed25519 public key.",
					       o->policy_public_key);
		if (r < 0)
			return log_error_errno(r, "Failed to read '%s': %m", o->policy_public_key);
		col.policy_public_key = pubkey;
	}
	if (o->policy) {
		r = load_policy(&col, &feed);
		if (r < 0)
			return r;
	}

	r = store_open(o->db, &store, &db_error);
	if (r == -EUCLEAN || r == -EPROTONOSUPPORT) {
		_cleanup_free_ char *name = db_spec_describe(o->db);

		if (r == -EPROTONOSUPPORT)
			return log_error_errno(r, "Database '%s' was written by a newer collector.",
					       name ? name : "?");
		return log_error_errno(
			r, "Database '%s' is damaged or not a database (%s)%s", name ? name : "?",
			db_error ? db_error : strerror(-r),
			strstr(o->db, "://") ? "." : "; move the file aside and start again.");
	}
	if (r < 0)
		return log_error_errno(r, "Failed to open the database: %s",
				       db_error ? db_error : strerror(-r));
	col.store = store;
	if (feed)
		publish_policy_rules(store, feed);

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	/* For the external CA's programs: sd_event_add_child() wants it blocked. */
	sigaddset(&mask, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return log_error_errno(errno, "Failed to block signals: %m");
	signal(SIGPIPE, SIG_IGN);

	r = sd_event_default(&e);
	if (r < 0)
		return log_error_errno(r, "Failed to create the event loop: %m");
	if ((r = sd_event_add_signal(e, NULL, SIGTERM, on_exit_signal, NULL)) < 0 ||
	    (r = sd_event_add_signal(e, NULL, SIGINT, on_exit_signal, NULL)) < 0 ||
	    (r = sd_event_add_signal(e, NULL, SIGHUP, on_sighup, &col)) < 0)
		return log_error_errno(r, "Failed to watch signals: %m");
	r = sd_event_set_watchdog(e, true);
	if (r < 0)
		return log_error_errno(r, "Failed to set up the watchdog: %m");

	fd = net_listen(&addr, addr_len, 128);
	if (fd < 0)
		return log_error_errno(fd, "Failed to listen on %s: %m", o->listen);
	addr_len = sizeof(addr);
	if (getsockname(fd, (struct sockaddr *)&addr, &addr_len) < 0 ||
	    net_format_address((struct sockaddr *)&addr, true, bound) < 0)
		snprintf(bound, sizeof(bound), "%s", o->listen);

	tls = (struct server_tls){
		.cert = cert,
		.key = key,
		.trust = trust,
		.priorities = o->tls_priorities,
	};
	est = (struct est){
		.ca = ca,
		.hook = o->ca_hook,
		.store = store,
		.lifetime_sec = o->cert_lifetime_sec,
	};
	r = server_new(e, fd, &tls, &o->limits, store, ca ? &est : NULL, &server);
	if (r < 0) {
		feed_free(feed);
		return log_error_errno(r, "Failed to start the HTTPS server on %s: %m", bound);
	}
	col.server = server;
	r = server_set_policy(server, feed);
	if (r < 0)
		return log_error_errno(r, "Failed to set up the policy feed: %m");

	if (o->export_dir) {
		r = export_open(e, o->export_dir, &o->export_limits, &export);
		if (r < 0)
			return log_error_errno(r, "Failed to open the export log in '%s': %m",
					       o->export_dir);
		server_set_export(server, export);
		col.export = export;
		r = sd_event_add_time_relative(e, NULL, CLOCK_MONOTONIC, STATUS_INTERVAL_USEC,
					       USEC_PER_SEC, on_status_timer, &col);
		if (r < 0)
			return log_error_errno(r, "Failed to set up the status timer: %m");
	}

	r = upkeep_new(e, store, o->rollup_interval_sec, o->retention_sec, &upkeep);
	if (r < 0)
		return log_error_errno(r, "Failed to start the store's upkeep: %m");
	if (o->ui_listen) {
		r = start_ui(o, e, cert, key, ui_trust, store, ui_bound, &ui);
		if (r < 0)
			return r;
		ui_set_export(ui, export);
	}

	log_info("Listening on https://%s (database %s, policy %s, enrollment %s).", bound,
		 store_describe(store), o->policy ? o->policy : "none",
		 !ca	    ? "off" :
		 o->ca_hook ? "by the external CA" :
			      "on");
	snprintf(col.status_prefix, sizeof(col.status_prefix), "Listening on %s%s%s", bound,
		 ui_bound[0] ? ", fleet view on " : "", ui_bound);
	(void)sd_notifyf(false, "READY=1\nSTATUS=%s", col.status_prefix);

	r = sd_event_loop(e);
	(void)sd_notify(false, "STOPPING=1");
	if (r < 0)
		return log_error_errno(r, "The event loop failed: %m");
	return 0;
}

static int run_sign_policy(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
	_cleanup_free_ char *policy = NULL, *b64 = NULL;
	const char *key_path = NULL, *policy_path;
	uint8_t sig[ED25519_SIGNATURE_SIZE];
	char reason[512] = "";
	size_t size;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "hk:", longopts, NULL)) >= 0) {
		switch (c) {
		case 'k':
			key_path = optarg;
			break;
		case 'h':
			printf("Usage: posture-collector sign-policy --key ED25519_KEY.pem "
			       "POLICY.json > POLICY.sig\n\n"
			       "Validates the policy, signs its bytes with Ed25519 and writes the\n"
			       "base64 signature and a newline to standard output.\n");
			return 0;
		default:
			return -EINVAL;
		}
	}
	if (!key_path || optind + 1 != argc)
		return log_error_errno(EINVAL, "Usage: posture-collector sign-policy --key "
					       "ED25519_KEY.pem POLICY.json");
	policy_path = argv[optind];

	r = read_full_file(policy_path, FEED_MAX_SIZE, 0, &policy, &size);
	if (r == -EFBIG)
		return log_error_errno(r, "Policy '%s' is larger than %d bytes.", policy_path,
				       FEED_MAX_SIZE);
	if (r < 0)
		return log_error_errno(r, "Failed to read policy '%s': %m", policy_path);

	r = validate_policy(policy, size, reason, sizeof(reason));
	if (r == -EBADMSG)
		return log_error_errno(r, "Not signing '%s': %s", policy_path, reason);
	if (r < 0)
		return log_error_errno(r, "Failed to check policy '%s': %m", policy_path);

	r = crypto_load_ed25519_private(key_path, &key);
	if (r == -EPERM)
		return log_error_errno(r,
				       "Refusing signing key '%s': group or others may access "
				       "it; make it mode 0600.",
				       key_path);
	if (r == -EKEYREJECTED)
		return log_error_errno(r, "'%s' holds no Ed25519 private key.", key_path);
	if (r < 0)
		return log_error_errno(r, "Failed to read signing key '%s': %m", key_path);

	r = crypto_ed25519_sign(key, policy, size, sig);
	if (r < 0)
		return log_error_errno(r, "Failed to sign '%s': %m", policy_path);
	r = base64_encode(sig, sizeof(sig), &b64);
	if (r < 0)
		return log_oom();
	if (printf("%s\n", b64) < 0 || fflush(stdout) != 0)
		return log_error_errno(errno, "Failed to write the signature: %m");
	return 0;
}

int main(int argc, char **argv)
{
	struct options o = {
		.listen = "127.0.0.1:8443",
		.db = "collector.db",
		.tls_priorities = TLS_PRIORITIES_12,
		.cert_lifetime_sec = 90 * 86400,
		.retention_sec = 180 * 86400,
		.rollup_interval_sec = 300,
		.export_limits = {
			.max_size = EXPORT_DEFAULT_MAX_SIZE,
			.max_age_sec = EXPORT_DEFAULT_MAX_AGE_SEC,
			.keep = EXPORT_DEFAULT_KEEP,
		},
		.limits = {
			.max_body = 8 << 20,
			.max_inflated = 64 << 20,
			.max_line = 1 << 20,
			.max_connections = 64,
			.max_per_ip = 16,
			.timeout_sec = 30,
			.shed_above = 0.9,
		},
	};
	int r;

	log_setup("posture-collector");
	/* The database and anything else created holds device data: owner only. */
	umask(0077);

	if (argc >= 2 && strcmp(argv[1], "sign-policy") == 0)
		return run_sign_policy(argc - 1, argv + 1) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
	if (argc >= 2 && (strcmp(argv[1], "token") == 0 || strcmp(argv[1], "device") == 0 ||
			  strcmp(argv[1], "audit") == 0))
		return admin_run(argc - 1, argv + 1) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
	if (argc >= 2 && strcmp(argv[1], "forward") == 0)
		return forward_run(argc - 1, argv + 1) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

	r = parse_argv(argc, argv, &o);
	if (r <= 0)
		return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
	/* All bodies being received at once; the per-body cap is max_body. */
	o.limits.max_pending = MAX((size_t)256 << 20, 2 * o.limits.max_body);
	if (o.limits.max_line > o.limits.max_inflated)
		o.limits.max_line = o.limits.max_inflated;

	r = run_server(&o);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
