// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * postured-sender: the sender (sender.h) in the foreground.  The daemon runs
 * this program (fork and exec, agent_reports.c), and so do the tests; it also serves
 * for trying a collector by hand.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/log.h"
#include "sender.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: postured-sender --url https://HOST:PORT --ca FILE [--cert FILE --key FILE]\n"
		"       [--spool FILE] [--user NAME] [--proxy URL] [--tls13]\n"
		"       [--batch-records N] [--batch-bytes N] [--backoff-min-ms N]\n"
		"       [--backoff-max-ms N] [--poll-ms N] [--policy-dir DIR]\n"
		"       [--policy-interval-ms N] [--debug]\n"
		"       postured-sender --enroll EST_URL --url ... --ca FILE\n"
		"       (--token-file FILE | --cert FILE --key FILE) [--user NAME] < REQUEST\n"
		"       --sign-fd N instead of --key: the daemon signs with the key in the TPM\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "ca", required_argument, NULL, 'a' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "spool", required_argument, NULL, 's' },
		{ "user", required_argument, NULL, 'U' },
		{ "proxy", required_argument, NULL, 'p' },
		{ "tls13", no_argument, NULL, '3' },
		{ "batch-records", required_argument, NULL, 'r' },
		{ "batch-bytes", required_argument, NULL, 'b' },
		{ "backoff-min-ms", required_argument, NULL, 'm' },
		{ "backoff-max-ms", required_argument, NULL, 'M' },
		{ "poll-ms", required_argument, NULL, 'P' },
		{ "policy-dir", required_argument, NULL, 'D' },
		{ "policy-interval-ms", required_argument, NULL, 'I' },
		{ "enroll", required_argument, NULL, 'E' },
		{ "token-file", required_argument, NULL, 'T' },
		{ "sign-fd", required_argument, NULL, 'S' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct sender_config c = { .sign_fd = -1 };
	int o;

	log_setup("postured-sender");
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) >= 0) {
		switch (o) {
		case 'u':
			c.url = optarg;
			break;
		case 'a':
			c.ca_file = optarg;
			break;
		case 'c':
			c.cert_file = optarg;
			break;
		case 'k':
			c.key_file = optarg;
			break;
		case 's':
			c.spool_path = optarg;
			break;
		case 'U':
			c.user = optarg;
			break;
		case 'p':
			c.proxy = optarg;
			break;
		case '3':
			c.tls13_only = true;
			break;
		case 'r':
			c.batch_max_records = strtoul(optarg, NULL, 10);
			break;
		case 'b':
			c.batch_max_bytes = strtoul(optarg, NULL, 10);
			break;
		case 'm':
			c.backoff_min = strtoull(optarg, NULL, 10) * USEC_PER_MSEC;
			break;
		case 'M':
			c.backoff_max = strtoull(optarg, NULL, 10) * USEC_PER_MSEC;
			break;
		case 'P':
			c.poll_interval = strtoull(optarg, NULL, 10) * USEC_PER_MSEC;
			break;
		case 'D':
			c.policy_dir = optarg;
			break;
		case 'I':
			c.policy_interval = strtoull(optarg, NULL, 10) * USEC_PER_MSEC;
			break;
		case 'E':
			c.enroll_url = optarg;
			break;
		case 'T':
			c.token_file = optarg;
			break;
		case 'S':
			c.sign_fd = (int)strtol(optarg, NULL, 10);
			break;
		case 'd':
			log_set_max_level(LOG_DEBUG);
			break;
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return 2;
		}
	}
	if (!c.url || !c.ca_file) {
		usage();
		return 2;
	}
	o = sender_run(&c);
	return o < 0 ? 1 : o;
}
