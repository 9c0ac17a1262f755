// SPDX-License-Identifier: LGPL-2.1-or-later
/* postured: wiring only.  Options, configuration, then the agent's loop. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "basic/log.h"
#include "config.h"
#include "probe_common.h"
#include "basic/version.h"

static void help(void)
{
	printf("Usage: postured [OPTIONS]\n"
	       "\n"
	       "The postured endpoint posture agent: watches process behaviour through eBPF.\n"
	       "\n"
	       "  -f --foreground          Stay in the foreground (postured never forks away;\n"
	       "                           accepted for clarity in scripts)\n"
	       "  -c --config FILE         Configuration file (default %s)\n"
	       "  -p --print-events        Print every record as one JSON object a line\n"
	       "     --probe-flavor NAME   auto, tp_btf or tracepoint (overrides the file)\n"
	       "     --capture-args BYTES  Capture up to BYTES of each command line (0-%d)\n"
	       "     --wakeup MODE         batched or each (how the kernel wakes the agent)\n"
	       "     --status-socket PATH  Where to answer local status requests\n"
	       "                           (default /run/postured/status.sock)\n"
	       "     --keep-caps           Keep all capabilities after start-up (debugging)\n"
	       "  -v --verbose             Log debug messages\n"
	       "  -h --help                Show this help\n"
	       "     --version             Show the version\n",
	       CONFIG_DEFAULT_PATH, EVENT_ARGS_LEN);
}

enum {
	ARG_VERSION = 0x100,
	ARG_PROBE_FLAVOR,
	ARG_CAPTURE_ARGS,
	ARG_WAKEUP,
	ARG_KEEP_CAPS,
	ARG_STATUS_SOCKET,
};

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "config", required_argument, NULL, 'c' },
		{ "print-events", no_argument, NULL, 'p' },
		{ "probe-flavor", required_argument, NULL, ARG_PROBE_FLAVOR },
		{ "capture-args", required_argument, NULL, ARG_CAPTURE_ARGS },
		{ "wakeup", required_argument, NULL, ARG_WAKEUP },
		{ "keep-caps", no_argument, NULL, ARG_KEEP_CAPS },
		{ "status-socket", required_argument, NULL, ARG_STATUS_SOCKET },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, ARG_VERSION },
		{}
	};
	struct agent_options opts = {};
	const char *config_path = CONFIG_DEFAULT_PATH;
	const char *flavor = NULL, *wakeup = NULL, *status_socket = NULL;
	long capture_args = -1;
	char err[1024] = "";
	agent *a = NULL;
	int c, r;

	log_setup("postured");
	while ((c = getopt_long(argc, argv, "fc:pvh", options, NULL)) >= 0) {
		switch (c) {
		case 'f':
			break;
		case 'c':
			config_path = optarg;
			break;
		case 'p':
			opts.print_events = true;
			break;
		case ARG_PROBE_FLAVOR:
			flavor = optarg;
			break;
		case ARG_CAPTURE_ARGS: {
			char *end;

			errno = 0;
			capture_args = strtol(optarg, &end, 10);
			if (errno || *end || capture_args < 0 || capture_args > EVENT_ARGS_LEN) {
				fprintf(stderr,
					"postured: --capture-args takes a number of bytes from 0 to %d.\n",
					EVENT_ARGS_LEN);
				return 2;
			}
			break;
		}
		case ARG_WAKEUP:
			wakeup = optarg;
			break;
		case ARG_KEEP_CAPS:
			opts.keep_caps = true;
			break;
		case ARG_STATUS_SOCKET:
			status_socket = optarg;
			break;
		case 'v':
			log_set_max_level(LOG_DEBUG);
			break;
		case 'h':
			help();
			return 0;
		case ARG_VERSION:
			printf("postured %s\n", POSTURED_VERSION);
			return 0;
		default:
			fprintf(stderr, "Try 'postured --help'.\n");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "postured: unexpected argument '%s'. Try 'postured --help'.\n",
			argv[optind]);
		return 2;
	}

	config_init(&opts.config);
	r = config_load(config_path, &opts.config, err, sizeof(err));
	if (r < 0) {
		log_error("Invalid configuration: %s", err);
		return 1;
	}
	if (flavor && probe_flavor_from_string(flavor, &opts.config.process.flavor) < 0) {
		fprintf(stderr, "postured: --probe-flavor takes auto, tp_btf or tracepoint.\n");
		return 2;
	}
	if (status_socket) {
		if (status_socket[0] != '/' ||
		    strlen(status_socket) >= sizeof(opts.config.status_socket)) {
			fprintf(stderr,
				"postured: --status-socket takes an absolute path shorter than "
				"%zu bytes.\n",
				sizeof(opts.config.status_socket));
			return 2;
		}
		strcpy(opts.config.status_socket, status_socket);
	}
	if (capture_args > 0 && !opts.config.allow_argument_capture) {
		fprintf(stderr,
			"postured: --capture-args contradicts \"allow_argument_capture\": "
			"false in %s.\n",
			config_path);
		return 2;
	}
	if (capture_args >= 0)
		opts.config.process.args_size = (uint32_t)capture_args;
	if (wakeup) {
		if (strcmp(wakeup, "batched") == 0)
			opts.config.process.wakeup_mode = EVENT_WAKEUP_BATCHED;
		else if (strcmp(wakeup, "each") == 0)
			opts.config.process.wakeup_mode = EVENT_WAKEUP_EACH;
		else {
			fprintf(stderr, "postured: --wakeup takes batched or each.\n");
			return 2;
		}
	}

	probe_log_setup();
	r = agent_new(&opts, &a);
	if (r < 0)
		return 1;
	r = agent_run(a);
	agent_free(a);
	if (r < 0) {
		log_error_errno(r, "Stopped on an error: %m");
		return 1;
	}
	return 0;
}
