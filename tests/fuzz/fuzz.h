/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What every libFuzzer target here shares: the entry points libFuzzer calls
 * (declared, for -Wmissing-prototypes; a target defines LLVMFuzzerInitialize
 * only when it needs it) and check(), an invariant of the code under test.
 * A failed check() aborts, as the sanitizers do, so libFuzzer keeps the input
 * that broke it; it stays on in every build, unlike assert().
 */
#ifndef POSTURED_TESTS_FUZZ_H
#define POSTURED_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define check(x)                                                                           \
	do {                                                                               \
		if (!(x)) {                                                                \
			fprintf(stderr, "invariant failed: %s (line %d)\n", #x, __LINE__); \
			abort();                                                           \
		}                                                                          \
	} while (0)

#endif
