// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * RELP for the forwarder, through librelp (rsyslog's own).  librelp keeps at
 * most the window's messages unacknowledged: once a send returns, every
 * message sent window places before it has been acknowledged.  When the
 * forwarder has nothing more to send, the session is closed: RELP answers
 * in order, so a close answered without an error means every message before
 * it was taken.  librelp reports a broken session only through its error
 * callback, which sets a flag here.
 */
#include <errno.h>
#include <stddef.h> /* librelp.h uses size_t without it */
#include <librelp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "basic/cleanup.h"
#include "forward.h"

#define RELP_TIMEOUT_SEC 10

struct forward_transport {
	relpEngine_t *engine;
	relpClt_t *clt;
	unsigned window;
	uint64_t sent, confirmed;
	bool failed;
	char error[256];
};

static void relp_on_error(void *user, char *objinfo, char *message, relpRetVal code)
{
	struct forward_transport *c = user;

	(void)objinfo;
	if (!c)
		return;
	c->failed = true;
	snprintf(c->error, sizeof(c->error), "%s (librelp %d)", message ? message : "error",
		 (int)code);
}

static void relp_on_generic_error(char *objinfo, char *message, relpRetVal code)
{
	(void)objinfo;
	(void)message;
	(void)code;
}

static void relp_close(struct forward_transport *c)
{
	if (!c)
		return;
	if (c->clt)
		relpEngineCltDestruct(c->engine, &c->clt);
	if (c->engine)
		relpEngineDestruct(&c->engine);
	free(c);
}

static int relp_connect(const struct forward_target *t, struct forward_transport **ret, char *why,
			size_t why_size)
{
	struct forward_transport *c;
	bool tls = strcmp(t->scheme, "relp+tls") == 0;
	relpRetVal rr;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->window = t->window;
	if (relpEngineConstruct(&c->engine) != RELP_RET_OK ||
	    relpEngineSetDbgprint(c->engine, NULL) != RELP_RET_OK ||
	    relpEngineSetOnErr(c->engine, relp_on_error) != RELP_RET_OK ||
	    relpEngineSetOnGenericErr(c->engine, relp_on_generic_error) != RELP_RET_OK ||
	    relpEngineSetEnableCmd(c->engine, (unsigned char *)"syslog", eRelpCmdState_Required) !=
		    RELP_RET_OK ||
	    (tls && relpEngineSetTLSLibByName(c->engine, "openssl") != RELP_RET_OK) ||
	    relpEngineCltConstruct(c->engine, &c->clt) != RELP_RET_OK ||
	    relpCltSetUsrPtr(c->clt, c) != RELP_RET_OK ||
	    relpCltSetTimeout(c->clt, RELP_TIMEOUT_SEC) != RELP_RET_OK ||
	    relpCltSetConnTimeout(c->clt, RELP_TIMEOUT_SEC) != RELP_RET_OK ||
	    relpCltSetWindowSize(c->clt, (int)t->window) != RELP_RET_OK) {
		snprintf(why, why_size, "cannot set up librelp");
		relp_close(c);
		return -ENOMEM;
	}
	if (tls &&
	    (relpCltEnableTLS(c->clt) != RELP_RET_OK ||
	     relpCltSetCACert(c->clt, (char *)t->ca) != RELP_RET_OK ||
	     (t->cert && relpCltSetOwnCert(c->clt, (char *)t->cert) != RELP_RET_OK) ||
	     (t->key && relpCltSetPrivKey(c->clt, (char *)t->key) != RELP_RET_OK) ||
	     relpCltSetAuthMode(c->clt, (char *)"name") != RELP_RET_OK ||
	     relpCltAddPermittedPeer(c->clt, (char *)(t->server_name ? t->server_name : t->host)) !=
		     RELP_RET_OK)) {
		snprintf(why, why_size, "cannot set up RELP over TLS");
		relp_close(c);
		return -EINVAL;
	}
	rr = relpCltConnect(c->clt, AF_UNSPEC, (unsigned char *)t->port, (unsigned char *)t->host);
	if (rr != RELP_RET_OK || c->failed) {
		snprintf(why, why_size, "cannot open a RELP session with %s port %s: %s", t->host,
			 t->port, c->error[0] ? c->error : "refused or timed out");
		relp_close(c);
		return -ECONNREFUSED;
	}
	*ret = c;
	return 0;
}

static int relp_broken(struct forward_transport *c, char *why, size_t why_size)
{
	snprintf(why, why_size, "the RELP session broke: %s", c->error[0] ? c->error : "closed");
	return -EPIPE;
}

static int relp_send(struct forward_transport *c, const char *msg, size_t len, char *why,
		     size_t why_size)
{
	relpRetVal rr = relpCltSendSyslog(c->clt, (unsigned char *)msg, len);

	if (rr != RELP_RET_OK || c->failed)
		return relp_broken(c, why, why_size);
	c->sent++;
	if (c->sent > c->window)
		c->confirmed = MAX(c->confirmed, c->sent - c->window);
	return 0;
}

static int relp_confirmed(struct forward_transport *c, bool idle, uint64_t *ret_count, char *why,
			  size_t why_size)
{
	if (c->failed)
		return relp_broken(c, why, why_size);
	if (idle && c->clt && c->confirmed < c->sent) {
		/* The close is answered after every message before it: all are taken. */
		relpEngineCltDestruct(c->engine, &c->clt);
		c->clt = NULL;
		if (c->failed)
			return relp_broken(c, why, why_size);
		c->confirmed = c->sent;
		*ret_count = c->confirmed;
		return 1; /* closed: connect again before the next message */
	}
	*ret_count = c->confirmed;
	return 0;
}

const struct forward_transport_ops forward_relp_ops = {
	.format = forward_syslog_format,
	.connect = relp_connect,
	.send = relp_send,
	.confirmed = relp_confirmed,
	.close = relp_close,
};
