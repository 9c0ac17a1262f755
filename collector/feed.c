// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/fileio.h"
#include "feed.h"

int feed_load(const char *policy_path, const char *signature_path, EVP_PKEY *public_key,
	      struct feed **ret, const char **failed_path)
{
	_cleanup_(feed_freep) struct feed *feed = NULL;
	_cleanup_free_ char *sig_text = NULL;
	_cleanup_free_ uint8_t *sig = NULL;
	char hex[SHA256_HEX_SIZE + 1];
	size_t sig_text_size, sig_size;
	int r;

	feed = calloc(1, sizeof(*feed));
	if (!feed)
		return -ENOMEM;

	*failed_path = policy_path;
	r = read_full_file(policy_path, FEED_MAX_SIZE, 0, &feed->data, &feed->size);
	if (r < 0)
		return r;

	*failed_path = signature_path;
	r = read_full_file(signature_path, FEED_MAX_SIGNATURE_FILE, 0, &sig_text, &sig_text_size);
	if (r < 0)
		return r;
	r = base64_decode(sig_text, sig_text_size, 0, &sig, &sig_size);
	if (r < 0)
		return r;
	if (sig_size != ED25519_SIGNATURE_SIZE)
		return -EBADMSG;
	if (public_key) {
		r = crypto_ed25519_verify(public_key, feed->data, feed->size, sig, sig_size);
		if (r == -EBADMSG)
			return -EKEYREJECTED;
		if (r < 0)
			return r;
	}
	/* Serve the canonical encoding, whatever whitespace the file had. */
	r = base64_encode(sig, sig_size, &feed->signature);
	if (r < 0)
		return r;

	*failed_path = policy_path;
	r = crypto_sha256_hex(feed->data, feed->size, hex);
	if (r < 0)
		return r;
	snprintf(feed->etag, sizeof(feed->etag), "\"%s\"", hex);

	*failed_path = NULL;
	*ret = TAKE_PTR(feed);
	return 0;
}

struct feed *feed_free(struct feed *feed)
{
	if (!feed)
		return NULL;
	free(feed->data);
	free(feed->signature);
	free(feed);
	return NULL;
}

bool feed_etag_matches(const struct feed *feed, const char *if_none_match)
{
	const char *p = if_none_match;
	/* Our tag without its quotes. */
	const char *tag = feed->etag + 1;
	size_t tag_len = strlen(feed->etag) - 2;

	while (*p) {
		const char *start, *end;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		if (*p == '*')
			return true;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (*p == '"') {
			start = ++p;
			end = strchr(start, '"');
			if (!end)
				return false;
			p = end + 1;
		} else {
			/* Not a valid entity tag: skip to the next list element. */
			p += strcspn(p, ", \t");
			continue;
		}
		if ((size_t)(end - start) == tag_len && memcmp(start, tag, tag_len) == 0)
			return true;
	}
	return false;
}
