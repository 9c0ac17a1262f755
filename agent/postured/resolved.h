/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * systemd-resolved's DNS servers, followed over the system bus: the
 * Manager's DNSEx property (DNS on resolved before version 246), asked at
 * start, again when resolved says it changed (PropertiesChanged) or comes
 * and goes (NameOwnerChanged), and when the agent asks (resolved_refresh()).
 * Every call is asynchronous on the agent's loop with a short timeout and
 * never starts resolved (no auto-start): a laptop without resolved simply
 * has none of its servers.  The bus is sd_bus_open_system()'s, so
 * DBUS_SYSTEM_BUS_ADDRESS points it elsewhere (tests).
 */
#ifndef POSTURED_RESOLVED_H
#define POSTURED_RESOLVED_H

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "basic/time-util.h"
#include "policy.h"

#define RESOLVED_TIMEOUT_USEC (2 * USEC_PER_SEC)
/* Servers read from one answer; resolved lists one entry per link and address. */
#define RESOLVED_ENTRIES_MAX 256

typedef struct resolved resolved;

/* Called from the loop when what resolved_get() says may have changed. */
typedef void (*resolved_fn)(resolved *r, void *userdata);

/*
 * Connects to the system bus on e, watches resolved and asks for its
 * servers.  Returns 0 and the watcher in *ret, or -errno when there is no
 * bus (the caller goes on without resolved; resolved_refresh() is not
 * possible then: call resolved_new() again later).
 */
int resolved_new(sd_event *e, resolved_fn cb, void *userdata, resolved **ret);
resolved *resolved_free(resolved *r);

/*
 * Asks again now (the network changed).  Returns 0, or -ENOTCONN when the
 * bus went away (free it and connect again).
 */
int resolved_refresh(resolved *r);

/*
 * What resolved said last: true when it answered, its servers in *ret (at
 * most POLICY_NET_RESOLVERS_MAX, *ret_dropped the others); false while it
 * does not run or answer (why, in *ret_why when not NULL, points into r).
 */
bool resolved_get(resolved *r, struct policy_net_resolvers *ret, size_t *ret_dropped,
		  const char **ret_why);

#endif
