// SPDX-License-Identifier: LGPL-2.1-or-later
#include "baseline.h"

#ifndef BASELINE_FILE
#error "BASELINE_FILE must name the baseline JSON (the Makefile sets it)"
#endif

/* The file's bytes, placed in .rodata by the assembler; no generated source needed. */
__asm__(".pushsection .rodata\n"
	".balign 8\n"
	"baseline_start:\n"
	".incbin \"" BASELINE_FILE "\"\n"
	"baseline_end:\n"
	".byte 0\n"
	".popsection\n");

extern const char baseline_start[], baseline_end[];

const char *baseline_json(size_t *ret_size)
{
	*ret_size = (size_t)(baseline_end - baseline_start);
	return baseline_start;
}
