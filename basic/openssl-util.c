// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>

#include "openssl-util.h"

int base64_encode(const void *data, size_t size, char **ret)
{
	char *out;

	if (size > INT32_MAX / 2)
		return -E2BIG;
	out = malloc(4 * ((size + 2) / 3) + 1);
	if (!out)
		return -ENOMEM;
	EVP_EncodeBlock((unsigned char *)out, data, (int)size);
	*ret = out;
	return 0;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_ENCODE_CTX *, EVP_ENCODE_CTX_free);

int base64_encode_lines(const void *data, size_t size, char **ret, size_t *ret_size)
{
	_cleanup_(EVP_ENCODE_CTX_freep) EVP_ENCODE_CTX *ctx = NULL;
	_cleanup_free_ char *out = NULL;
	int n = 0, tail = 0;

	if (size > INT32_MAX / 2)
		return -E2BIG;
	/* 4 characters for 3 bytes, a "\n" for every 48, and the last line's and NUL. */
	out = malloc(size / 3 * 4 + size / 48 + 8);
	ctx = EVP_ENCODE_CTX_new();
	if (!out || !ctx)
		return -ENOMEM;
	EVP_EncodeInit(ctx);
	if (EVP_EncodeUpdate(ctx, (unsigned char *)out, &n, data, (int)size) != 1)
		return -EIO;
	EVP_EncodeFinal(ctx, (unsigned char *)out + n, &tail); /* NUL-terminates */
	*ret_size = (size_t)(n + tail);
	*ret = TAKE_PTR(out);
	return 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_base64(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

int base64_decode(const char *text, size_t len, unsigned flags, uint8_t **ret, size_t *ret_size)
{
	_cleanup_free_ char *plain = NULL;
	_cleanup_free_ uint8_t *out = NULL;
	size_t pad = 0, n = 0;
	int decoded;

	while (len > 0 && is_space(text[0]))
		text++, len--;
	while (len > 0 && is_space(text[len - 1]))
		len--;
	if (len == 0 || len > INT32_MAX)
		return -EBADMSG;
	/* The characters that count, without the line breaks; checked on the way. */
	plain = malloc(len + 1);
	if (!plain)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		if ((c == '\n' || c == '\r') && (flags & BASE64_LINE_BREAKS))
			continue;
		if (c == '=')
			pad++;
		else if (pad > 0 || !is_base64(c))
			return -EBADMSG;
		plain[n++] = c;
	}
	if (n == 0 || n % 4 != 0 || pad > 2)
		return -EBADMSG;
	plain[n] = '\0';

	out = malloc(n / 4 * 3 + 1);
	if (!out)
		return -ENOMEM;
	/* EVP_DecodeBlock() counts the padding as zero bytes: take them off. */
	decoded = EVP_DecodeBlock(out, (const unsigned char *)plain, (int)n);
	if (decoded < 0 || (size_t)decoded < pad)
		return -EBADMSG;
	*ret_size = (size_t)decoded - pad;
	*ret = TAKE_PTR(out);
	return 0;
}

int pkcs7_certs_parse(const uint8_t *der, size_t size, STACK_OF(X509) * *ret)
{
	_cleanup_(PKCS7_freep) PKCS7 *p7 = NULL;
	_cleanup_(sk_X509_pop_freep) STACK_OF(X509) *out = NULL;
	const unsigned char *p = der;
	STACK_OF(X509) * certs;

	if (size == 0 || size > INT32_MAX)
		return -EBADMSG;
	p7 = d2i_PKCS7(NULL, &p, (long)size);
	/* The whole message, nothing after it. */
	if (!p7 || p != der + size || !PKCS7_type_is_signed(p7) || !p7->d.sign)
		return -EBADMSG;
	certs = p7->d.sign->cert;
	if (!certs || sk_X509_num(certs) <= 0)
		return -EBADMSG;
	out = sk_X509_new_null();
	if (!out)
		return -ENOMEM;
	for (int i = 0; i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);

		if (!X509_up_ref(x))
			return -ENOMEM;
		if (!sk_X509_push(out, x)) {
			X509_free(x);
			return -ENOMEM;
		}
	}
	*ret = TAKE_PTR(out);
	return 0;
}
