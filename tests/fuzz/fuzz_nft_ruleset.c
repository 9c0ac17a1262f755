// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for the nftables ruleset reader (agent/postured/checks/nft_ruleset.c),
 * the firewall check's parser of libnftables' JSON.  Run by `make fuzz` on
 * tests/fuzz/corpus/nft_ruleset/, seeded with rulesets nft printed
 * (tests/fixtures/rootfs-checks/firewall/regen).  Besides the sanitizers'
 * checks: a failed parse says why in one line, and every input chain a
 * parsed ruleset lists has a known fate and a reason.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "postured/checks/nft_ruleset.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nft_ruleset *rs = NULL;
	struct nft_input_chain c;
	char err[256] = "";
	int r = nft_ruleset_parse((const char *)data, size, &rs, err, sizeof(err));

	if (r < 0) {
		check(r == -EINVAL || r == -E2BIG || r == -ENOMEM);
		check(*err && !strchr(err, '\n'));
		check(!rs);
		return 0;
	}
	check(rs);
	for (size_t i = 0; nft_ruleset_input_chain(rs, i, &c) == 0; i++) {
		check(i < nft_ruleset_n_chains(rs));
		check(c.fate <= NFT_FATE_UNKNOWN);
		check(*c.why && strlen(c.why) < sizeof(c.why));
	}
	nft_ruleset_free(rs);
	return 0;
}
