// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for the policy parser: any bytes in, no crash, no leak,
 * no undefined behaviour out.  A policy that parses is then read back
 * through the API and evaluated against a few processes and connections.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../../policy/policy.h"
#include "fuzz.h"

static volatile unsigned sink;

static void exercise(const policy *p)
{
	static const char *const paths[] = { "/usr/bin/x11vnc", "/tmp/a/ngrok", "/opt/x", "/",
					     NULL };
	struct policy_match m[8];

	(void)policy_id(p);
	(void)policy_needs(p);
	for (size_t i = 0; i < policy_rule_count(p); i++) {
		const policy_rule *r = policy_rule_at(p, i);

		(void)policy_rule_text(r, POLICY_TEXT_MESSAGE, "ja-JP");
		(void)policy_rule_text(r, POLICY_TEXT_REMEDIATION, NULL);
		(void)policy_rule_kernel_decidable(r);
		for (size_t k = 0; k < policy_rule_key_count(r); k++)
			(void)policy_rule_key_at(r, k);
		for (enum policy_field f = 0; f < _POLICY_FIELD_MAX; f++)
			(void)policy_rule_matcher(r, f);
		(void)policy_rule_find(p, policy_rule_id(r));
	}
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct policy_process proc = {
			.path = paths[i],
			.sha256 =
				"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
			.parent_path = { "/usr/bin/bash", "/usr/lib/systemd/systemd" },
			.uid = 1000,
			.gid = 1000,
			.user_name = "alice",
			.group_name = "users",
			.args = "x --listen 0.0.0.0",
		};

		(void)policy_eval(p, &proc, m, 8);
		(void)policy_eval_require(p, &proc, m, 8);
		(void)policy_needs_sha256_for(p, &proc);
	}
	for (size_t i = 0; i < policy_net_rule_count(p); i++) {
		const policy_rule *r = policy_net_rule_at(p, i);

		for (size_t k = 0; k <= policy_rule_net_except_count(r); k++) {
			const struct policy_net_clause *c =
				k ? policy_rule_net_except_at(r, k - 1) : policy_rule_net_match(r);

			/* Read every value back, for the sanitizers to see. */
			for (size_t j = 0; j < c->n_prefixes; j++)
				sink += c->prefixes[j].prefixlen;
			for (size_t j = 0; j < c->n_ports; j++)
				sink += c->ports[j].last;
			for (size_t j = 0; j < c->n_paths; j++)
				sink += (unsigned char)c->paths[j][0];
			for (size_t j = 0; j < c->n_names; j++)
				sink += (unsigned char)c->names[j][0];
			for (size_t j = 0; j < c->n_users; j++)
				sink += c->users[j].id;
		}
	}
	for (unsigned d = 0; d < 3; d++) {
		/* 10.1.2.3, ::1 and ::ffff:127.0.0.1, as outbound, inbound and listen. */
		static const uint8_t addrs[3][16] = {
			{ 10, 1, 2, 3 },
			{ [15] = 1 },
			{ [10] = 0xff, [11] = 0xff, [12] = 127, [15] = 1 },
		};
		struct policy_connection c = {
			.direction = (enum policy_net_direction)d,
			.protocol = d == 1 ? POLICY_NET_TCP : POLICY_NET_UDP,
			.family = d == 0 ? AF_INET : AF_INET6,
			.port = (uint16_t)(22 + 1000 * d),
			.path = d == 1 ? NULL : paths[d],
			.uid = 1000,
			.user_name = "alice",
		};

		memcpy(c.addr, addrs[d], sizeof(c.addr));
		(void)policy_eval_net(p, &c, m, 8);
		for (size_t i = 0; i < policy_rule_count(p); i++)
			(void)policy_rule_net_matches(policy_rule_at(p, i), &c);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	policy_errors *errors = policy_errors_new();
	policy *p = NULL;

	if (!errors)
		return 0;
	if (policy_parse("fuzz.json", data, size, errors, &p) == 0)
		exercise(p);
	for (size_t i = 0; i < policy_errors_count(errors); i++) {
		char *s;

		if (policy_error_format(policy_errors_get(errors, i), &s) == 0)
			free(s);
	}
	policy_unref(p);
	policy_errors_free(errors);
	return 0;
}
