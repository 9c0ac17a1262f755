// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A test service that answers on a private bus the way systemd-resolved
 * does for the agent's resolver watch (agent/postured/resolved.c): it owns
 * org.freedesktop.resolve1 and has the Manager's DNSEx (a(iiayqs)) and DNS
 * (a(iiay)) properties on /org/freedesktop/resolve1.
 *
 *   fake_resolved --address ADDR [--old] [--hang] [SERVER]...
 *
 * SERVER is IFINDEX:ADDRESS ("2:192.0.2.53", "0:fe80::1"), or
 * IFINDEX:FAMILY:HEX for raw bytes ("2:2:c0000235ffff", a malformed
 * entry).  --old has DNS only (resolved before 246); --hang takes the name
 * and never answers.  Prints "READY" once it owns the name.  Each line on
 * stdin replaces the servers by the ones it lists (space-separated) and
 * emits PropertiesChanged; end of input ends it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#define SERVERS_MAX 64

struct server {
	int32_t ifindex, family;
	uint8_t addr[32];
	size_t size;
};

static struct server servers[SERVERS_MAX];
static size_t n_servers;
static sd_bus *bus;

static int parse_server(const char *s, struct server *ret)
{
	char *end, buf[128];
	long ifindex = strtol(s, &end, 10);
	const char *rest;

	if (*end != ':' || strlen(s) >= sizeof(buf))
		return -EINVAL;
	rest = end + 1;
	*ret = (struct server){ .ifindex = (int32_t)ifindex };
	/* IFINDEX:FAMILY:HEX */
	long family = strtol(rest, &end, 10);

	if (end != rest && *end == ':' && end[1] &&
	    strspn(end + 1, "0123456789abcdef") == strlen(end + 1)) {
		ret->family = (int32_t)family;
		for (const char *h = end + 1; h[0] && h[1] && ret->size < sizeof(ret->addr);
		     h += 2) {
			unsigned v;

			sscanf(h, "%2x", &v);
			ret->addr[ret->size++] = (uint8_t)v;
		}
		return 0;
	}
	if (inet_pton(AF_INET, rest, ret->addr) == 1) {
		ret->family = AF_INET;
		ret->size = 4;
	} else if (inet_pton(AF_INET6, rest, ret->addr) == 1) {
		ret->family = AF_INET6;
		ret->size = 16;
	} else {
		return -EINVAL;
	}
	return 0;
}

static int get_servers(sd_bus *b, const char *path, const char *interface, const char *property,
		       sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	bool ex = strcmp(property, "DNSEx") == 0;
	int r;

	r = sd_bus_message_open_container(reply, 'a', ex ? "(iiayqs)" : "(iiay)");
	for (size_t i = 0; r >= 0 && i < n_servers; i++) {
		r = sd_bus_message_open_container(reply, 'r', ex ? "iiayqs" : "iiay");
		if (r >= 0)
			r = sd_bus_message_append(reply, "ii", servers[i].ifindex,
						  servers[i].family);
		if (r >= 0)
			r = sd_bus_message_append_array(reply, 'y', servers[i].addr,
							servers[i].size);
		if (r >= 0 && ex)
			r = sd_bus_message_append(reply, "qs", (uint16_t)0, "");
		if (r >= 0)
			r = sd_bus_message_close_container(reply);
	}
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	return r;
}

static const sd_bus_vtable manager_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("DNSEx", "a(iiayqs)", get_servers, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("DNS", "a(iiay)", get_servers, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable old_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("DNS", "a(iiay)", get_servers, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_VTABLE_END,
};

static bool old;

static int on_stdin(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	char line[4096], *save = NULL;
	ssize_t n = read(fd, line, sizeof(line) - 1);

	if (n <= 0)
		return sd_event_exit(sd_event_source_get_event(s), 0);
	line[n] = '\0';
	n_servers = 0;
	for (char *w = strtok_r(line, " \n", &save); w && n_servers < SERVERS_MAX;
	     w = strtok_r(NULL, " \n", &save))
		if (parse_server(w, &servers[n_servers]) == 0)
			n_servers++;
	if (old)
		return sd_bus_emit_properties_changed(bus, "/org/freedesktop/resolve1",
						      "org.freedesktop.resolve1.Manager", "DNS",
						      NULL);
	return sd_bus_emit_properties_changed(bus, "/org/freedesktop/resolve1",
					      "org.freedesktop.resolve1.Manager", "DNSEx", "DNS",
					      NULL);
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "address", required_argument, NULL, 'a' },
		{ "old", no_argument, NULL, 'o' },
		{ "hang", no_argument, NULL, 'h' },
		{},
	};
	const char *address = NULL;
	sd_event *e = NULL;
	bool hang = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
		if (c == 'a')
			address = optarg;
		else if (c == 'o')
			old = true;
		else if (c == 'h')
			hang = true;
		else
			return 2;
	}
	for (int i = optind; i < argc && n_servers < SERVERS_MAX; i++)
		if (parse_server(argv[i], &servers[n_servers++]) < 0) {
			fprintf(stderr, "fake_resolved: bad server %s\n", argv[i]);
			return 2;
		}
	if (!address)
		return 2;
	r = sd_bus_new(&bus);
	if (r >= 0)
		r = sd_bus_set_address(bus, address);
	if (r >= 0)
		r = sd_bus_set_bus_client(bus, 1);
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r >= 0)
		r = sd_bus_add_object_vtable(bus, NULL, "/org/freedesktop/resolve1",
					     "org.freedesktop.resolve1.Manager",
					     old ? old_vtable : manager_vtable, NULL);
	if (r >= 0)
		r = sd_bus_request_name(bus, "org.freedesktop.resolve1", 0);
	if (r < 0) {
		fprintf(stderr, "fake_resolved: %s\n", strerror(-r));
		return 1;
	}
	printf("READY\n");
	fflush(stdout);
	if (hang) {
		/* Owns the name, never reads a question. */
		char buf[64];

		while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
			;
		return 0;
	}
	r = sd_event_default(&e);
	if (r >= 0)
		r = sd_bus_attach_event(bus, e, 0);
	if (r >= 0)
		r = sd_event_add_io(e, NULL, STDIN_FILENO, EPOLLIN, on_stdin, NULL);
	if (r >= 0)
		r = sd_event_loop(e);
	sd_bus_flush_close_unref(bus);
	sd_event_unref(e);
	return r < 0 ? 1 : 0;
}
