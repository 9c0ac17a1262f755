// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * posture-collector end to end on loopback; the harness is harness*.c, the
 * tests are test_<concern>.c, one table each.
 *
 * Usage: test_collector BUILD/posture-collector tools/make-test-pki
 * Ends with "N passed, N failed"; exits non-zero when any test failed.
 */
#include "harness.h"

/*
 * The order the tables run in.  The command line needs no collector; the
 * ingest tests need the main collector's database as the fixture leaves it;
 * the policy feed's reload changes the fixture's policy (to serial 2, still
 * signed), which later collectors are started with; the enrollment tables
 * start collectors of their own on a database of their own; the crash tests
 * are last as the slowest.
 */
static const struct test *const suites[] = {
	cli_tests,     ingest_http_tests, tls_tests,	 policy_feed_tests,
	enroll_tests,  identity_tests,	  ca_hook_tests, fleet_tests,
	forward_tests, crash_tests,	  NULL,
};

int main(int argc, char **argv)
{
	return harness_main(argc, argv, suites);
}
