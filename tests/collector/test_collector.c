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
 * are last as the slowest.  Several collectors on one store need PostgreSQL:
 * the cluster's table runs in the suite's PostgreSQL pass only.
 */
static const struct test *const suites[] = {
	cli_tests,	ingest_http_tests, tls_tests,	policy_feed_tests, enroll_tests,
	identity_tests, ca_hook_tests,	   fleet_tests, forward_tests,	   crash_tests,
	catchup_tests,	cluster_tests,	   NULL,
};

int main(int argc, char **argv)
{
	const struct test *const *run = suites;
	const struct test *sqlite_suites[sizeof(suites) / sizeof(suites[0])];

	if (!db_test_postgres()) {
		size_t n = 0;

		for (const struct test *const *s = suites; *s; s++)
			if (*s != cluster_tests)
				sqlite_suites[n++] = *s;
		sqlite_suites[n] = NULL;
		run = sqlite_suites;
	}
	return harness_main(argc, argv, run);
}
