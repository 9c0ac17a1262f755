/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * How posturectl writes for a person, the one place for it: styles (bold,
 * good, bad, dim) only on a terminal and without $NO_COLOR; paragraphs
 * wrapped at the terminal's width, at most CTL_OUTPUT_WIDTH_MAX columns,
 * knowing that CJK characters take two and may break anywhere; times as
 * people read them; JSON for scripts.  Not on a terminal (a pipe, a file):
 * no styles and no wrapping, so scripts and tests see the same bytes
 * whatever the window.
 *
 * The agent's texts are UTF-8 whatever our locale, and none of their bytes
 * reaches the terminal as a control character: a program's name must not
 * be able to drive it.  Invalid UTF-8 and control characters become '?'.
 */
#ifndef POSTURED_CTL_OUTPUT_H
#define POSTURED_CTL_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <yajl/yajl_tree.h>

#define CTL_OUTPUT_WIDTH_MAX 100

struct ctl_output {
	FILE *f;
	bool color;
	int width; /* wrap at this many columns; 0: do not wrap (not a terminal) */
};

enum ctl_style {
	CTL_STYLE_BOLD,
	CTL_STYLE_GOOD,
	CTL_STYLE_BAD,
	CTL_STYLE_DIM,
};

/* Output to stdout, with colour and wrapping when stdout is a terminal. */
void ctl_output_init(struct ctl_output *o);

/* Starts a style, and ends every style; nothing without colour. */
void ctl_output_style(struct ctl_output *o, enum ctl_style s);
void ctl_output_reset(struct ctl_output *o);

/*
 * Writes s starting at the current column col, continuation lines indented
 * by indent; a newline in s starts a continuation line.  No final newline.
 */
void ctl_output_wrapped(struct ctl_output *o, int col, int indent, const char *s);

/* printf into the wrapper: indent spaces, the text, a newline. */
void ctl_output_para(struct ctl_output *o, int indent, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Columns s (UTF-8) takes on a terminal. */
int ctl_output_width(const char *s);

/*
 * Local time of ms milliseconds since the epoch, "2026-11-26 08:00" (_sec:
 * with seconds), written into buf; "?" for none (ms <= 0).  Returns buf.
 */
const char *ctl_output_time(char buf[static 32], int64_t ms);
const char *ctl_output_time_sec(char buf[static 32], int64_t ms);

/* Prints v as one line of JSON to f and flushes f.  Returns 0 or -ENOMEM. */
int ctl_output_json(FILE *f, yajl_val v);

/* Prints v as indented JSON, each line after indent spaces, control characters replaced. */
void ctl_output_json_lines(struct ctl_output *o, int indent, yajl_val v);

#endif
