#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Enrolls a device with posture-collector over EST (RFC 7030) using nothing
# but the openssl and curl command-line tools: the example an operator can
# follow to enroll a machine by hand, and the proof (tests/collector/
# test_enroll.c runs it) that an EST client other than our own enrolls.
#
#   est-client.sh URL SERVER_CA TOKEN_FILE DEVICE_ID DIR [REPORT.ndjson]
#
#   URL         the collector, e.g. https://collector.example.com:8443
#   SERVER_CA   the CA certificate that issued the collector's TLS certificate
#   TOKEN_FILE  a file holding the enrollment token (from `posture-collector
#               token create`); read from the file so it never shows in `ps`
#   DEVICE_ID   the device id the certificate will name: 32 lowercase hex
#               digits, e.g. /etc/machine-id
#   DIR         where the device's files go: cacerts.pem (the CA that issues
#               device certificates), device.key (mode 0600), device.crt
#   REPORT      optional: NDJSON records to POST to /v1/reports with the new
#               certificate, to show it works
#
# Exits 0 when the certificate was issued (and the report, if any, accepted);
# curl's or openssl's exit status otherwise.  Prints what it does.
set -eu

if [ $# -lt 5 ] || [ $# -gt 6 ]; then
	echo "Usage: $0 URL SERVER_CA TOKEN_FILE DEVICE_ID DIR [REPORT.ndjson]" >&2
	exit 2
fi
url=$1 server_ca=$2 token_file=$3 id=$4 dir=$5 report=${6:-}

# The key and the token stay private to us.
umask 077
mkdir -p "$dir"

# 1. The CA that issues device certificates (RFC 7030 section 4.1, no
#    client certificate needed): base64 of a PKCS#7 certs-only message.
#    --fail-with-body: an HTTP error exits non-zero and shows the reason.
curl --silent --show-error --fail-with-body --cacert "$server_ca" \
	-o "$dir/cacerts.b64" "$url/.well-known/est/cacerts"
base64 -d "$dir/cacerts.b64" >"$dir/cacerts.der"
openssl pkcs7 -inform DER -in "$dir/cacerts.der" -print_certs -out "$dir/cacerts.pem"
echo "est-client: the device CA:"
openssl x509 -in "$dir/cacerts.pem" -noout -subject

# 2. A new key and a certificate request for the device id, as DER in
#    base64 (section 4.2.1: the body is base64, line breaks allowed).
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$dir/device.key" -subj "/CN=$id" -outform DER -out "$dir/device.csr"
base64 "$dir/device.csr" >"$dir/device.csr.b64"

# 3. simpleenroll, authorised by the token.  The header comes from a file
#    (curl -H @FILE) so the token is not on the command line.
printf 'Authorization: Bearer %s\n' "$(cat "$token_file")" >"$dir/auth.header"
curl --silent --show-error --fail-with-body --cacert "$server_ca" \
	-H 'Content-Type: application/pkcs10' -H @"$dir/auth.header" \
	--data-binary @"$dir/device.csr.b64" \
	-o "$dir/device.p7.b64" "$url/.well-known/est/simpleenroll"
rm -f "$dir/auth.header"

# 4. The answer is base64 of PKCS#7 certs-only with the new certificate.
base64 -d "$dir/device.p7.b64" >"$dir/device.p7"
openssl pkcs7 -inform DER -in "$dir/device.p7" -print_certs -out "$dir/device.crt"
echo "est-client: issued:"
openssl x509 -in "$dir/device.crt" -noout -subject -issuer -serial -enddate
# The certificate chains to the device CA of step 1.
openssl verify -CAfile "$dir/cacerts.pem" -purpose sslclient "$dir/device.crt"

# 5. Optionally, a report with the new certificate (mutual TLS).
if [ -n "$report" ]; then
	echo "est-client: report:"
	curl --silent --show-error --fail-with-body --cacert "$server_ca" \
		--cert "$dir/device.crt" --key "$dir/device.key" \
		-H 'Content-Type: application/x-ndjson' --data-binary @"$report" \
		"$url/v1/reports"
	echo
fi
