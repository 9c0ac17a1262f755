// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * systemd-resolved's DNS servers over D-Bus; see resolved.h.  What resolved
 * answers is read strictly: the signature sd-bus checks, each family's
 * address length, at most RESOLVED_ENTRIES_MAX entries.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-bus.h>

#include "basic/cleanup.h"
#include "basic/string-util.h"
#include "resolved.h"
#include "resolvers.h"

#define RESOLVE1      "org.freedesktop.resolve1"
#define RESOLVE1_PATH "/org/freedesktop/resolve1"
#define RESOLVE1_MGR  "org.freedesktop.resolve1.Manager"

struct resolved {
	sd_event *event;
	sd_bus *bus;
	sd_bus_slot *props_slot, *owner_slot, *call_slot;
	resolved_fn cb;
	void *userdata;
	bool answered; /* resolved answered the last question */
	bool old_property; /* DNSEx is unknown: ask DNS */
	struct policy_net_resolvers set;
	size_t dropped;
	char why[160];
};

static void resolved_changed(resolved *r)
{
	if (r->cb)
		r->cb(r, r->userdata);
}

static void resolved_lost(resolved *r, const char *why)
{
	bool was = r->answered;

	r->answered = false;
	r->set = (struct policy_net_resolvers){};
	r->dropped = 0;
	strbufcpy(r->why, sizeof(r->why), why);
	if (was)
		resolved_changed(r);
}

/* Reads the array of (ifindex, family, address[, port, name]) into r's set. */
static int read_servers(resolved *r, sd_bus_message *m)
{
	const char *contents = r->old_property ? "a(iiay)" : "a(iiayqs)";
	struct policy_net_resolvers set = {};
	size_t dropped = 0, entries = 0;
	int k;

	k = sd_bus_message_enter_container(m, 'v', contents);
	if (k <= 0)
		return k < 0 ? k : -EBADMSG;
	k = sd_bus_message_enter_container(m, 'a', contents + 1);
	if (k <= 0)
		return k < 0 ? k : -EBADMSG;
	for (;;) {
		const void *addr;
		size_t size;
		int32_t ifindex, family;

		k = sd_bus_message_enter_container(m, 'r', r->old_property ? "iiay" : "iiayqs");
		if (k < 0)
			return k;
		if (k == 0)
			break;
		k = sd_bus_message_read(m, "ii", &ifindex, &family);
		if (k >= 0)
			k = sd_bus_message_read_array(m, 'y', &addr, &size);
		if (k >= 0 && !r->old_property) {
			uint16_t port;
			const char *name;

			/* The port and the TLS server name: the keyword is about addresses. */
			k = sd_bus_message_read(m, "qs", &port, &name);
		}
		if (k >= 0)
			k = sd_bus_message_exit_container(m);
		if (k < 0)
			return k;
		if (++entries > RESOLVED_ENTRIES_MAX) {
			dropped++;
			continue;
		}
		if (!((family == AF_INET && size == 4) || (family == AF_INET6 && size == 16)))
			continue;
		if (resolvers_add(&set, family, addr) == -E2BIG)
			dropped++;
	}
	r->set = set;
	r->dropped = dropped;
	return 0;
}

static int resolved_ask(resolved *r);

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	resolved *r = userdata;
	struct policy_net_resolvers before = r->set;
	bool was = r->answered;
	int k;

	r->call_slot = sd_bus_slot_unref(r->call_slot);
	if (sd_bus_message_is_method_error(m, NULL)) {
		const sd_bus_error *e = sd_bus_message_get_error(m);

		/* Before version 246 resolved has DNS only. */
		if (!r->old_property && (sd_bus_error_has_name(e, SD_BUS_ERROR_UNKNOWN_PROPERTY) ||
					 sd_bus_error_has_name(e, SD_BUS_ERROR_INVALID_ARGS))) {
			r->old_property = true;
			(void)resolved_ask(r);
			return 0;
		}
		resolved_lost(r,
			      sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN,
						     SD_BUS_ERROR_NAME_HAS_NO_OWNER) ?
				      "systemd-resolved is not running" :
			      sd_bus_error_has_name(e, SD_BUS_ERROR_NO_REPLY) ?
				      "systemd-resolved did not answer in time" :
				      (e && e->message ? e->message : "systemd-resolved failed"));
		return 0;
	}
	k = read_servers(r, m);
	if (k < 0) {
		resolved_lost(r, "systemd-resolved's answer could not be read");
		return 0;
	}
	r->answered = true;
	r->why[0] = '\0';
	if (!was || !resolvers_equal(&before, &r->set))
		resolved_changed(r);
	return 0;
}

/* Asks for the servers, without starting resolved; the question in flight is dropped. */
static int resolved_ask(resolved *r)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	int k;

	r->call_slot = sd_bus_slot_unref(r->call_slot);
	k = sd_bus_message_new_method_call(r->bus, &m, RESOLVE1, RESOLVE1_PATH,
					   "org.freedesktop.DBus.Properties", "Get");
	if (k >= 0)
		k = sd_bus_message_set_auto_start(m, false);
	if (k >= 0)
		k = sd_bus_message_append(m, "ss", RESOLVE1_MGR, r->old_property ? "DNS" : "DNSEx");
	if (k >= 0)
		k = sd_bus_call_async(r->bus, &r->call_slot, m, on_reply, r, RESOLVED_TIMEOUT_USEC);
	if (k < 0) {
		resolved_lost(r, "the system bus refused the question");
		return k;
	}
	return 0;
}

/* A property of the Manager changed: asked again when it is one of the servers'. */
static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	resolved *r = userdata;
	const char *iface, *name;
	bool servers = false;
	int k;

	if (sd_bus_message_read(m, "s", &iface) < 0 || strcmp(iface, RESOLVE1_MGR) != 0)
		return 0;
	k = sd_bus_message_enter_container(m, 'a', "{sv}");
	while (k > 0 && (k = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		if (sd_bus_message_read(m, "s", &name) < 0)
			break;
		servers |= strcmp(name, "DNS") == 0 || strcmp(name, "DNSEx") == 0;
		if (sd_bus_message_skip(m, "v") < 0 || sd_bus_message_exit_container(m) < 0)
			break;
	}
	if (k >= 0 && sd_bus_message_exit_container(m) >= 0 &&
	    sd_bus_message_enter_container(m, 'a', "s") > 0) {
		while (sd_bus_message_read(m, "s", &name) > 0)
			servers |= strcmp(name, "DNS") == 0 || strcmp(name, "DNSEx") == 0;
	}
	/* A message that could not be read in full: ask rather than miss a change. */
	if (servers || k < 0)
		(void)resolved_ask(r);
	return 0;
}

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	resolved *r = userdata;
	const char *name, *old_owner, *new_owner;

	if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 ||
	    strcmp(name, RESOLVE1) != 0)
		return 0;
	if (new_owner[0] == '\0') {
		resolved_lost(r, "systemd-resolved is not running");
		return 0;
	}
	/* Started, or restarted: it may be another version, too. */
	r->old_property = false;
	(void)resolved_ask(r);
	return 0;
}

int resolved_new(sd_event *e, resolved_fn cb, void *userdata, resolved **ret)
{
	resolved *r = calloc(1, sizeof(*r));
	int k;

	if (!r)
		return -ENOMEM;
	r->event = sd_event_ref(e);
	r->cb = cb;
	r->userdata = userdata;
	strbufcpy(r->why, sizeof(r->why), "systemd-resolved has not answered yet");
	k = sd_bus_open_system(&r->bus);
	if (k >= 0)
		k = sd_bus_attach_event(r->bus, e, SD_EVENT_PRIORITY_NORMAL);
	/* The matches first: a change after the answer is then not missed. */
	if (k >= 0)
		k = sd_bus_match_signal_async(r->bus, &r->props_slot, RESOLVE1, RESOLVE1_PATH,
					      "org.freedesktop.DBus.Properties",
					      "PropertiesChanged", on_properties_changed, NULL, r);
	if (k >= 0)
		k = sd_bus_add_match_async(
			r->bus, &r->owner_slot,
			"type='signal',sender='org.freedesktop.DBus',"
			"path='/org/freedesktop/DBus',"
			"interface='org.freedesktop.DBus',member='NameOwnerChanged',"
			"arg0='" RESOLVE1 "'",
			on_owner_changed, NULL, r);
	if (k >= 0)
		k = resolved_ask(r);
	if (k < 0) {
		resolved_free(r);
		return k;
	}
	*ret = r;
	return 0;
}

resolved *resolved_free(resolved *r)
{
	if (!r)
		return NULL;
	sd_bus_slot_unref(r->call_slot);
	sd_bus_slot_unref(r->props_slot);
	sd_bus_slot_unref(r->owner_slot);
	if (r->bus) {
		sd_bus_detach_event(r->bus);
		sd_bus_flush_close_unref(r->bus);
	}
	sd_event_unref(r->event);
	free(r);
	return NULL;
}

int resolved_refresh(resolved *r)
{
	if (!sd_bus_is_open(r->bus)) {
		resolved_lost(r, "the system bus went away");
		return -ENOTCONN;
	}
	return resolved_ask(r);
}

bool resolved_get(resolved *r, struct policy_net_resolvers *ret, size_t *ret_dropped,
		  const char **ret_why)
{
	*ret = r->answered ? r->set : (struct policy_net_resolvers){};
	if (ret_dropped)
		*ret_dropped = r->answered ? r->dropped : 0;
	if (ret_why)
		*ret_why = r->answered ? "" : r->why;
	return r->answered;
}
