/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Whether the system is shutting down, asked of systemd when the agent is
 * told to stop: the manager's SystemState is "stopping", or a job to start
 * a shutdown target (poweroff, reboot, halt, kexec, soft-reboot) is queued.
 * Without systemd as PID 1, or when it does not answer in time, the answer
 * is "unknown", never "no".
 *
 * Systemd's private socket first (/run/systemd/private: PID 1 itself,
 * still there late in a shutdown when the D-Bus daemon may be gone), the
 * system bus second; every wait bounded, SHUTDOWN_QUERY_BUDGET_USEC in all.
 */
#ifndef POSTURED_SHUTDOWN_H
#define POSTURED_SHUTDOWN_H

#include "checks/check_bus.h"
#include "format_lifecycle.h"

#define SHUTDOWN_QUERY_BUDGET_USEC (2 * USEC_PER_SEC)

struct shutdown_state {
	enum format_shutdown shutdown;
	char system_state[CHECK_BUS_STRING_MAX]; /* "" when not known */
	char job[CHECK_BUS_STRING_MAX]; /* the shutdown target a job is queued for, or "" */
	char why[192]; /* unknown: why */
};

/* Asks systemd; never fails (what it could not learn is unknown, why says why). */
void shutdown_query(struct shutdown_state *ret);

#endif
