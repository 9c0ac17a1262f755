/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * An HTTP event collector for the export tests (harness_hec.c): Splunk's
 * HEC cannot run here, so this stands in for it at the process edge, in a
 * thread of the test (libmicrohttpd over TLS with the test PKI's collector
 * certificate): POST /services/collector/event with "Authorization: Splunk
 * TOKEN", a body of event objects one after another, answered as HEC
 * answers ({"text":"Success","code":0}; 401 code 3 for a wrong token; 503
 * code 9 while it is set down).  Each event's "event" object is appended,
 * one a line, to a file, and its envelope checked.
 */

#include <stdbool.h>

struct hec {
	void *daemon;
	int port;
	char token[64];
	char out_path[600];
	volatile bool down; /* answer 503 "Server is busy" */
	volatile unsigned requests, refused, bad_envelopes;
};

/* Starts it on 127.0.0.1 with the PKI in pki, events to out_path.  0 or -1. */
int hec_start(struct hec *h, const char *pki, const char *token, const char *out_path);
void hec_stop(struct hec *h);
