/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An nftables ruleset as libnftables prints it in JSON ("nft -j list ruleset"
 * has the same shape): read with yajl's event parser, keeping only what the
 * firewall check needs, so memory stays small whatever the sets hold.  For
 * every chain: its family, table, name, base chain attributes, and its
 * unconditional verdict rules (no match, only counters, logs and the like)
 * up to the first that ends the chain.  Rules with conditions are counted,
 * not kept: they decide for some packets, and the check asks what happens
 * to a packet no rule picked out.
 *
 * Library code: nothing here logs.
 */
#ifndef POSTURED_CHECKS_NFT_RULESET_H
#define POSTURED_CHECKS_NFT_RULESET_H

#include <stdbool.h>
#include <stddef.h>

#define NFT_RULESET_SIZE_MAX   (4 * 1024 * 1024) /* bytes of JSON accepted */
#define NFT_RULESET_CHAINS_MAX 8192
#define NFT_RULESET_NAME_MAX   256 /* the kernel's NFT_NAME_MAXLEN */

struct nft_ruleset;

/*
 * Parses text[0..size) into *ret.  Returns 0; -EINVAL when it is not JSON or
 * not a ruleset, -E2BIG over a limit, both with a one-line reason in err
 * (with "line L, column C" for JSON errors); -ENOMEM.
 */
int nft_ruleset_parse(const char *text, size_t size, struct nft_ruleset **ret, char *err,
		      size_t err_size);
struct nft_ruleset *nft_ruleset_free(struct nft_ruleset *rs);

size_t nft_ruleset_n_chains(const struct nft_ruleset *rs);
size_t nft_ruleset_n_rules(const struct nft_ruleset *rs);
/* Whether some table is called name (any family). */
bool nft_ruleset_has_table(const struct nft_ruleset *rs, const char *name);
/* The first chain whose name starts with prefix, or NULL. */
const char *nft_ruleset_chain_with_prefix(const struct nft_ruleset *rs, const char *prefix);

/* What happens to a packet that no rule with a condition picked out. */
enum nft_fate {
	NFT_FATE_DROP, /* dropped or rejected */
	NFT_FATE_ACCEPT, /* let through */
	NFT_FATE_OTHER, /* queued to a program */
	NFT_FATE_UNKNOWN, /* a jump this reader cannot follow */
};

/* A base chain of type filter on the input hook, in family ip, ip6 or inet. */
struct nft_input_chain {
	const char *family, *table, *name; /* owned by the ruleset */
	long long prio;
	const char *policy; /* "accept", "drop"; "accept" when not given */
	unsigned n_rules;
	enum nft_fate fate;
	char why[200]; /* "policy drop", "rule 4 (handle 9): reject"... */
};

/* The i-th input chain (in the order of the ruleset) into *ret; -ENOENT past the last. */
int nft_ruleset_input_chain(const struct nft_ruleset *rs, size_t i, struct nft_input_chain *ret);

#endif
