#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# An external CA for posture-collector --ca-hook, as the tests run it and as
# a starting point for a company's own (docs/enrollment.md#an-external-ca):
# the request arrives as PEM on stdin, the certificate goes out as PEM on
# stdout.  This one signs with a CA key on this machine; a real one would
# hand the request to the company's CA (its API, an HSM, an approval).
#
#   HOOK_CA_CERT, HOOK_CA_KEY  the CA to sign with (required)
#   HOOK_MODE                  the tests' misbehaviours: fail, slow, other-key,
#                              other-ca (unset: behave)
# From the collector: POSTURED_DEVICE_ID, POSTURED_KEY_TYPE,
# POSTURED_ENROLLMENT (enroll or renew), POSTURED_LIFETIME_SECONDS.
set -eu

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/req.pem"

case "${HOOK_MODE:-}" in
fail)
	echo "ca-hook: refusing on purpose" >&2
	exit 1
	;;
slow)
	sleep 3
	;;
other-key)
	# A certificate for a key that is not the request's.
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$work/other.key" -subj "/CN=$POSTURED_DEVICE_ID" -out "$work/req.pem" 2>/dev/null
	;;
other-ca)
	# Signed by a CA the collector does not trust.
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
		-keyout "$work/ca.key" -subj "/CN=another CA" -out "$work/ca.crt" 2>/dev/null
	HOOK_CA_CERT=$work/ca.crt HOOK_CA_KEY=$work/ca.key
	;;
esac

printf '%s\n' 'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature' \
	'extendedKeyUsage=clientAuth' >"$work/ext"
# openssl x509 -req takes days; the collector's lifetime is in seconds.
days=$(((POSTURED_LIFETIME_SECONDS + 86399) / 86400))
openssl x509 -req -in "$work/req.pem" -CA "$HOOK_CA_CERT" -CAkey "$HOOK_CA_KEY" \
	-set_serial "0x40$(openssl rand -hex 15)" -days "$days" -extfile "$work/ext" \
	2>/dev/null
