// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "basic/log.h"
#include "basic/time-util.h"
#include "est.h"
#include "html.h"
#include "ingest.h"
#include "db.h"
#include "store.h"
#include "store_fleet.h"

#define LABEL_MAX 100

int admin_parse_duration(const char *text, uint64_t *ret)
{
	uint64_t v, mult = 1;
	char *end;

	if (!text || *text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno != 0)
		return -ERANGE;
	switch (*end) {
	case '\0':
	case 's':
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	case 'd':
		mult = 86400;
		break;
	default:
		return -EINVAL;
	}
	if (*end && end[1] != '\0')
		return -EINVAL;
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*ret = v * mult;
	return 0;
}

static int64_t now_ms(void)
{
	return (int64_t)(now_usec(CLOCK_REALTIME) / USEC_PER_MSEC);
}

/* Who runs the command, for the audit: the user, and who became root by sudo. */
static void actor_name(char *buf, size_t size)
{
	struct passwd *pw = getpwuid(getuid());
	const char *sudo = getenv("SUDO_USER");

	if (pw && sudo && *sudo && getuid() == 0)
		snprintf(buf, size, "cli:%s (sudo by %.64s)", pw->pw_name, sudo);
	else if (pw)
		snprintf(buf, size, "cli:%s", pw->pw_name);
	else
		snprintf(buf, size, "cli:uid %u", (unsigned)getuid());
}

static int open_store(const char *db, struct store **ret)
{
	_cleanup_free_ char *error = NULL;
	int r = store_open(db, ret, &error);

	if (r == -EUCLEAN || r == -EPROTONOSUPPORT) {
		_cleanup_free_ char *name = db_spec_describe(db);

		if (r == -EPROTONOSUPPORT)
			return log_error_errno(r, "Database '%s' was written by a newer collector.",
					       name ? name : "?");
		return log_error_errno(r, "Database '%s' is damaged or not a database.",
				       name ? name : "?");
	}
	if (r < 0)
		return log_error_errno(r, "Failed to open the database: %s",
				       error ? error : strerror(-r));
	return 0;
}

/* Text of people's (labels, owners, serials): bounded, valid UTF-8, no control characters. */
static bool label_ok(const char *s)
{
	size_t n = strlen(s);

	if (n > LABEL_MAX)
		return false;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = html_utf8_next(s + i, n - i, &cp);

		if ((k == 1 && (unsigned char)s[i] >= 0x80) || cp < 0x20 || cp == 0x7f ||
		    (cp >= 0x80 && cp < 0xa0))
			return false;
		i += k;
	}
	return true;
}

static int token_create(struct store *store, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "uses", required_argument, NULL, 'u' },
		{ "expires", required_argument, NULL, 'e' },
		{ "label", required_argument, NULL, 'l' },
		{ "reenroll", no_argument, NULL, 'r' },
		{},
	};
	struct store_token t = { .uses = 1 };
	uint64_t expires = 7 * 86400, v;
	char token[65], hash[65], when[TIMESTAMP_UTC_MAX];
	int64_t id;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) >= 0) {
		switch (c) {
		case 'u':
			r = admin_parse_duration(optarg, &v); /* a plain number */
			if (r < 0 || strspn(optarg, "0123456789") != strlen(optarg) || v < 1 ||
			    v > 1000000)
				return log_error_errno(EINVAL, "Invalid --uses '%s': 1 to 1000000.",
						       optarg);
			t.uses = (int64_t)v;
			break;
		case 'e':
			r = admin_parse_duration(optarg, &expires);
			if (r < 0 || expires < 1 || expires > 3650ULL * 86400)
				return log_error_errno(
					EINVAL,
					"Invalid --expires '%s': a number with s, m, "
					"h or d, up to 3650d.",
					optarg);
			break;
		case 'l':
			if (!label_ok(optarg))
				return log_error_errno(
					EINVAL,
					"Invalid --label: at most %d bytes of UTF-8, no "
					"control characters.",
					LABEL_MAX);
			snprintf(t.label, sizeof(t.label), "%s", optarg);
			break;
		case 'r':
			t.reenroll = true;
			break;
		default:
			return -EINVAL;
		}
	}
	if (optind < argc)
		return log_error_errno(EINVAL, "Unexpected argument '%s'.", argv[optind]);

	t.created = now_ms();
	t.expires = t.created + (int64_t)expires * 1000;
	actor_name(t.created_by, sizeof(t.created_by));
	r = est_token_new(token);
	if (r >= 0)
		r = est_token_hash(token, strlen(token), hash);
	if (r < 0)
		return log_error_errno(r, "Failed to make a token: %m");
	r = store_token_create(store, hash, &t, &id);
	if (r < 0)
		return log_error_errno(r, "Failed to store the token: %s", store_last_error(store));
	if (printf("%s\n", token) < 0 || fflush(stdout) != 0)
		return log_error_errno(errno, "Failed to write the token: %m");
	fprintf(stderr,
		"Token %" PRId64 "%s%s%s: %" PRId64 " enrollment(s)%s, until %s.\n"
		"It is shown only now; the collector keeps its SHA-256.  Ship it to the laptops "
		"as the file enroll_token_file names (mode 0600).\n",
		id, t.label[0] ? " '" : "", t.label, t.label[0] ? "'" : "", t.uses,
		t.reenroll ? ", may re-enroll enrolled or revoked devices" : "",
		format_timestamp_utc(when, t.expires));
	return 0;
}

static int print_token(const struct store_token *t, void *userdata)
{
	int64_t now = *(const int64_t *)userdata;
	char expires[TIMESTAMP_UTC_MAX];
	const char *state = t->revoked	       ? "revoked" :
			    t->expires <= now  ? "expired" :
			    t->used >= t->uses ? "used-up" :
						 "active";

	printf("%-5" PRId64 " %-8s %6" PRId64 "/%-6" PRId64 " %-20s %-8s %-24s %s\n", t->id, state,
	       t->used, t->uses, format_timestamp_utc(expires, t->expires),
	       t->reenroll ? "yes" : "no", t->created_by, t->label);
	return 0;
}

static int parse_id(const char *text, int64_t *ret)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || v < 1)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int token_verb(struct store *store, int argc, char **argv)
{
	char actor[128];
	int64_t id, now = now_ms();
	int r;

	if (argc < 2)
		return log_error_errno(EINVAL, "Usage: posture-collector token create|list|revoke");
	if (strcmp(argv[1], "create") == 0)
		return token_create(store, argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0) {
		printf("%-5s %-8s %13s %-20s %-8s %-24s %s\n", "ID", "STATE", "USED/USES",
		       "EXPIRES", "REENROLL", "CREATED BY", "LABEL");
		r = store_token_list(store, print_token, &now);
		if (r < 0)
			return log_error_errno(r, "Failed to list tokens: %s",
					       store_last_error(store));
		return 0;
	}
	if (strcmp(argv[1], "revoke") == 0) {
		if (argc != 3 || parse_id(argv[2], &id) < 0)
			return log_error_errno(
				EINVAL, "Usage: posture-collector token revoke ID (the number "
					"token list shows).");
		actor_name(actor, sizeof(actor));
		r = store_token_revoke(store, id, actor, now);
		if (r == -ENOENT)
			return log_error_errno(r, "There is no token %" PRId64 ".", id);
		if (r == -EALREADY)
			return log_error_errno(r, "Token %" PRId64 " is already revoked.", id);
		if (r < 0)
			return log_error_errno(r, "Failed to revoke token %" PRId64 ": %s", id,
					       store_last_error(store));
		fprintf(stderr, "Token %" PRId64 " revoked.\n", id);
		return 0;
	}
	return log_error_errno(EINVAL, "Unknown token command '%s': create, list or revoke.",
			       argv[1]);
}

static int print_device(const struct store_identity *d, void *userdata)
{
	char enrolled[TIMESTAMP_UTC_MAX], expires[TIMESTAMP_UTC_MAX], seen[TIMESTAMP_UTC_MAX];

	printf("%-32s %-8s %-20s %-20s %-20s %s\n", d->device_id,
	       d->state == STORE_DEVICE_UNKNOWN ? "outside" : store_device_state_name(d->state),
	       format_timestamp_utc(enrolled, d->enrolled),
	       format_timestamp_utc(expires, d->not_after),
	       format_timestamp_utc(seen, d->last_seen), d->key_type[0] ? d->key_type : "-");
	return 0;
}

/* device set ID [--owner NAME] [--serial S]: what IT knows a device by, for the fleet view. */
static int device_set(struct store *store, int argc, char **argv)
{
	const char *owner = NULL, *serial = NULL;
	char actor[128];
	int r;

	if (argc < 3 || !ingest_is_id128(argv[2], strlen(argv[2])))
		return log_error_errno(EINVAL, "Usage: posture-collector device set DEVICE_ID "
					       "[--owner NAME] [--serial SERIAL]");
	for (int i = 3; i < argc; i++) {
		const char **dst = strcmp(argv[i], "--owner") == 0  ? &owner :
				   strcmp(argv[i], "--serial") == 0 ? &serial :
								      NULL;

		if (!dst || i + 1 >= argc)
			return log_error_errno(EINVAL,
					       "Unknown or incomplete option '%s': --owner NAME, "
					       "--serial SERIAL.",
					       argv[i]);
		*dst = argv[++i];
		if (!label_ok(*dst))
			return log_error_errno(
				EINVAL,
				"'%s' is too long (at most %d bytes), not UTF-8 or has "
				"control characters.",
				*dst, LABEL_MAX);
	}
	if (!owner && !serial)
		return log_error_errno(EINVAL, "Give --owner, --serial or both.");
	actor_name(actor, sizeof(actor));
	r = store_fleet_set_owner(store, argv[2], owner, serial, actor, now_ms());
	if (r < 0)
		return log_error_errno(r, "Failed to set device %s: %s", argv[2],
				       store_last_error(store));
	return 0;
}

static int device_verb(struct store *store, int argc, char **argv)
{
	enum store_device_state state;
	char actor[128];
	int r;

	if (argc < 2)
		return log_error_errno(EINVAL,
				       "Usage: posture-collector device list|set|revoke|retire");
	if (strcmp(argv[1], "list") == 0) {
		printf("%-32s %-8s %-20s %-20s %-20s %s\n", "DEVICE", "STATE", "ENROLLED",
		       "CERT EXPIRES", "LAST SEEN", "KEY");
		r = store_device_list(store, print_device, NULL);
		if (r < 0)
			return log_error_errno(r, "Failed to list devices: %s",
					       store_last_error(store));
		return 0;
	}
	if (strcmp(argv[1], "set") == 0)
		return device_set(store, argc, argv);
	if (strcmp(argv[1], "revoke") == 0)
		state = STORE_DEVICE_REVOKED;
	else if (strcmp(argv[1], "retire") == 0)
		state = STORE_DEVICE_RETIRED;
	else
		return log_error_errno(EINVAL,
				       "Unknown device command '%s': list, set, revoke or retire.",
				       argv[1]);
	if (argc != 3 || !ingest_is_id128(argv[2], strlen(argv[2])))
		return log_error_errno(EINVAL,
				       "Usage: posture-collector device %s DEVICE_ID (32 lowercase "
				       "hex digits).",
				       argv[1]);
	actor_name(actor, sizeof(actor));
	r = store_device_set_state(store, argv[2], state, actor, now_ms());
	if (r == -EALREADY)
		return log_error_errno(r, "Device %s is already %s.", argv[2],
				       store_device_state_name(state));
	if (r < 0)
		return log_error_errno(r, "Failed to %s device %s: %s", argv[1], argv[2],
				       store_last_error(store));
	fprintf(stderr,
		"Device %s %s: its requests get 403 from now on, and its certificates are in "
		"the CRL.\n",
		argv[2], store_device_state_name(state));
	return 0;
}

static int print_audit(const struct store_audit *a, void *userdata)
{
	char when[TIMESTAMP_UTC_MAX];

	printf("%-20s %-12s %-32s %-28s %s\n", format_timestamp_utc(when, a->time), a->action,
	       a->device_id ? a->device_id : "-", a->actor, a->detail);
	return 0;
}

static int audit_verb(struct store *store, int argc, char **argv)
{
	const char *device = NULL;
	int r;

	if (argc == 3 && strcmp(argv[1], "--device") == 0 &&
	    ingest_is_id128(argv[2], strlen(argv[2])))
		device = argv[2];
	else if (argc != 1)
		return log_error_errno(EINVAL,
				       "Usage: posture-collector audit [--device DEVICE_ID]");
	printf("%-20s %-12s %-32s %-28s %s\n", "TIME", "ACTION", "DEVICE", "ACTOR", "DETAIL");
	r = store_audit_list(store, device, print_audit, NULL);
	if (r < 0)
		return log_error_errno(r, "Failed to read the audit: %s", store_last_error(store));
	return 0;
}

int admin_run(int argc, char **argv)
{
	_cleanup_(store_freep) struct store *store = NULL;
	const char *db = "collector.db";
	char *args[64];
	int n = 0, r;

	/* --db anywhere after the verb; the rest goes to the verb in order. */
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
			db = argv[++i];
		else if (strncmp(argv[i], "--db=", 5) == 0)
			db = argv[i] + 5;
		else if (n < (int)ELEMENTSOF(args) - 1)
			args[n++] = argv[i];
		else
			return log_error_errno(E2BIG, "Too many arguments.");
	}
	args[n] = NULL;
	if (n >= 2 && (strcmp(args[1], "-h") == 0 || strcmp(args[1], "--help") == 0)) {
		printf("Usage: posture-collector token create [--uses N] [--expires DURATION]\n"
		       "                                [--label TEXT] [--reenroll] [--db DB]\n"
		       "       posture-collector token list|revoke ID [--db DB]\n"
		       "       posture-collector device list|revoke ID|retire ID [--db DB]\n"
		       "       posture-collector device set ID [--owner NAME] [--serial S] [--db DB]\n"
		       "       posture-collector audit [--device ID] [--db DB]\n");
		return 0;
	}
	r = open_store(db, &store);
	if (r < 0)
		return r;
	if (strcmp(args[0], "token") == 0)
		return token_verb(store, n, args);
	if (strcmp(args[0], "device") == 0)
		return device_verb(store, n, args);
	return audit_verb(store, n, args);
}
