// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The PostgreSQL backend, over libpq: one store shared by several collectors.
 *
 * One connection, blocking calls: the collector runs one loop and stores a
 * batch in one transaction, so a statement waits for the server as SQLite's
 * waits for the disk.  The cost: a slow server stalls the loop; a connect
 * is bounded by connect_timeout (10 s unless the URI says otherwise).
 *
 * Statements are prepared lazily, at their first step, under a name of
 * their own, once per connection: the connection has a generation, bumped
 * at every reconnect, and a statement prepared in an older one is prepared
 * again.  ?N becomes $N.  Values go as text with type 0, so the server
 * infers each type from where the parameter stands, and digits bound to a
 * BOOLEAN or BIGINT mean what they mean on SQLite; text is copied for it
 * (binary text would not need the copy, but is only right where the type
 * inferred is text).  A result is fetched whole, so one statement's rows
 * can be read while others run, as on SQLite; the store's queries bound
 * their rows.  Freed statements are deallocated at the next idle call.
 *
 * A call that finds the server gone answers -ECONNRESET; the next call
 * resets the connection (PQreset) and goes on.  A transaction lost so is
 * not continued: every call answers -ECONNRESET until db_rollback(), so the
 * rest of a batch cannot slip in one autocommitted statement at a time.
 *
 * Longer than most files here, for the 26 operations and what libpq does
 * not do for us: the ?N translation, the password kept out of the URI
 * shown, COPY's escaping.  The first two are pure, and could be a file.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db-internal.h"

#define PG_MAX_PARAMS  99
#define PG_MAX_SQL     (256 * 1024)
#define PG_MAX_COLUMNS 64
#define PG_COPY_CHUNK  (256 * 1024)
#define PG_KEEP_COPY   (64 * 1024) /* a parameter's text buffer is kept across resets up to this */
#define PG_MAX_STALE   64 /* freed statements waiting for DEALLOCATE */
#define PG_BOOLOID     16 /* catalog/pg_type_d.h, a server header */
#define PG_INT8OID     20

struct pg_db {
	struct db base;
	PGconn *conn;
	uint64_t generation, next_id;
	int64_t changes;
	bool readonly;
	bool broken; /* an answer said the server went away: reset at the next call */
	bool was_in_tx; /* inside a transaction when the last call began */
	bool tx_lost; /* a reset dropped a transaction not yet rolled back */
	bool loading; /* a COPY holds the connection */
	uint64_t stale[PG_MAX_STALE];
	size_t n_stale;
	char errmsg[1024];
};

struct pg_param {
	char *copy; /* the text bound, NUL-terminated */
	size_t copy_size;
	char num[24];
};

struct pg_stmt {
	struct db_stmt base;
	char *sql; /* with $N */
	char name[32];
	uint64_t id, generation; /* the connection's generation when prepared; 0 never */
	int n_params;
	int bind_r, bind_i; /* the first bind that failed, for the step to report */
	bool executed;
	int r, row;
	PGresult *res;
	const char **values;
	Oid *types; /* bigint where the first run bound an integer, else for the server to infer */
	struct pg_param *params;
};

struct pg_load {
	struct db_load base;
	int n_columns, r;
	size_t len;
	char *buf;
};

static struct pg_db *to_pg(struct db *db)
{
	return (struct pg_db *)db;
}

static struct pg_stmt *to_stmt(struct db_stmt *st)
{
	return (struct pg_stmt *)st;
}

static bool startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The engine's words on one line, without libpq's trailing newline. */
__attribute__((format(printf, 2, 3))) static void pg_set_error(struct pg_db *d, const char *fmt,
							       ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(d->errmsg, sizeof(d->errmsg), fmt, ap);
	va_end(ap);
	for (char *p = d->errmsg; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	for (n = strlen(d->errmsg); n > 0 && d->errmsg[n - 1] == ' ';)
		d->errmsg[--n] = '\0';
}

/* SQLSTATEs by code (five characters) or class (two), the first match winning. */
static const struct {
	const char *state;
	int r;
} pg_states[] = {
	{ "23505", -EEXIST },	  { "23", -EINVAL },	    { "40001", -EBUSY },
	{ "40P01", -EBUSY },	  { "55P03", -EBUSY },	    { "53100", -ENOSPC },
	{ "53200", -ENOMEM },	  { "54", -E2BIG },	    { "42501", -EACCES },
	{ "28", -EACCES },	  { "22021", -EILSEQ },	    { "XX001", -EUCLEAN },
	{ "XX002", -EUCLEAN },	  { "08", -ECONNRESET },    { "57P01", -ECONNRESET },
	{ "57P02", -ECONNRESET }, { "57P03", -ECONNRESET },
};

/* A failed answer (res may be NULL) as -errno, its message kept; frees res. */
static int pg_fail(struct pg_db *d, PGresult *res)
{
	const char *msg = res ? PQresultErrorMessage(res) : "";
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	int r = -EIO;

	if (!*msg)
		msg = *PQerrorMessage(d->conn) ? PQerrorMessage(d->conn) : "libpq failed";
	pg_set_error(d, "%s", msg);
	for (size_t i = 0;
	     state && strlen(state) == 5 && i < sizeof(pg_states) / sizeof(pg_states[0]); i++)
		if (startswith(state, pg_states[i].state)) {
			r = pg_states[i].r;
			break;
		}
	if (PQstatus(d->conn) == CONNECTION_BAD)
		r = -ECONNRESET;
	if (r == -ECONNRESET)
		d->broken = true;
	PQclear(res);
	return r;
}

/* Rows an INSERT, UPDATE, DELETE, MERGE or COPY changed; other commands leave the count. */
static void pg_count(struct pg_db *d, PGresult *res)
{
	static const char *const tags[] = { "INSERT ", "UPDATE ", "DELETE ", "MERGE ", "COPY " };

	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		if (startswith(PQcmdStatus(res), tags[i]))
			d->changes = strtoll(PQcmdTuples(res), NULL, 10);
}

static bool pg_tx_open(struct pg_db *d)
{
	PGTransactionStatusType t = PQtransactionStatus(d->conn);

	return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

/* Runs sql without parameters; rows are dropped. */
static int pg_command(struct pg_db *d, const char *sql)
{
	PGresult *res = PQexec(d->conn, sql);

	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
		return pg_fail(d, res);
	pg_count(d, res);
	PQclear(res);
	return 0;
}

static void pg_notice_ignore(void *userdata, const char *message)
{
	/* "relation already exists, skipping" and the like are not for the collector's stderr. */
}

/* What every session needs, after the connect and after each reset. */
static int pg_session(struct pg_db *d)
{
	const char *v = PQparameterStatus(d->conn, "client_encoding");
	int r = 0;

	if ((!v || strcmp(v, "UTF8") != 0) && PQsetClientEncoding(d->conn, "UTF8") != 0) {
		pg_set_error(d, "cannot set client_encoding UTF8: %s", PQerrorMessage(d->conn));
		return -EIO;
	}
	/* The ?N translation reads '...' as the server does only with it on. */
	v = PQparameterStatus(d->conn, "standard_conforming_strings");
	if (!v || strcmp(v, "on") != 0)
		r = pg_command(d, "SET standard_conforming_strings = on");
	if (r >= 0 && d->readonly)
		r = pg_command(d, "SET default_transaction_read_only = on");
	/*
	 * A lock another session holds is waited for at most as long as SQLite's
	 * busy timeout: the collector's one loop must not hang on it (a batch
	 * refused with 503 is sent again), and a statement runs a minute at most.
	 */
	if (r >= 0)
		r = pg_command(d, "SET lock_timeout = '5s'");
	if (r >= 0)
		r = pg_command(d, "SET statement_timeout = '60s'");
	return r;
}

/* Before every call that talks to the server: reconnect if it went away, refuse a lost transaction. */
static int pg_ready(struct pg_db *d)
{
	if (d->loading) {
		pg_set_error(d, "a bulk load holds the connection");
		return -EINVAL;
	}
	if (d->broken || PQstatus(d->conn) != CONNECTION_OK) {
		PQreset(d->conn);
		d->generation++;
		d->n_stale = 0;
		d->tx_lost = d->tx_lost || d->was_in_tx;
		d->was_in_tx = false;
		if (PQstatus(d->conn) != CONNECTION_OK) {
			pg_set_error(d, "reconnecting: %s", PQerrorMessage(d->conn));
			return -ECONNRESET;
		}
		d->broken = pg_session(d) < 0; /* to be tried again at the next call */
		if (d->broken)
			return -ECONNRESET;
	}
	if (d->tx_lost) {
		pg_set_error(d, "the connection was reset inside a transaction: roll it back");
		return -ECONNRESET;
	}
	d->was_in_tx = pg_tx_open(d);
	if (d->n_stale > 0 && !d->was_in_tx) {
		char sql[PG_MAX_STALE * 40];
		size_t len = 0;

		for (size_t i = 0; i < d->n_stale; i++)
			len += (size_t)snprintf(sql + len, sizeof(sql) - len,
						"DEALLOCATE postured_%" PRIu64 ";", d->stale[i]);
		d->n_stale = 0;
		/* A failure here is the connection's, and the call that follows meets it. */
		PQclear(PQexec(d->conn, sql));
	}
	return 0;
}

static int pg_connect_errno(PGconn *conn)
{
	const char *m = PQerrorMessage(conn);

	/* No SQLSTATE for a refused connection: libpq's (English) words are all there is. */
	if (PQconnectionNeedsPassword(conn) || strstr(m, "authentication failed") ||
	    strstr(m, "no password supplied") || strstr(m, "pg_hba.conf") ||
	    (strstr(m, "role \"") && strstr(m, "does not exist")))
		return -EACCES;
	if (strstr(m, "database \"") && strstr(m, "does not exist"))
		return -ENOENT;
	return -ECONNREFUSED;
}

static int unhex(char c)
{
	static const char hex[] = "0123456789abcdef";
	const char *p = c ? strchr(hex, tolower((unsigned char)c)) : NULL;

	return p ? (int)(p - hex) : -1;
}

/* Whether URI query parameter p[n] is a password; libpq decodes keys, so "p%61ssword" is one. */
static bool pg_secret_param(const char *p, size_t n)
{
	char key[16];
	size_t k = 0;

	for (size_t i = 0; i < n && p[i] != '='; i++, k++) {
		if (k + 1 >= sizeof(key))
			return false;
		key[k] = p[i];
		if (p[i] == '%' && i + 2 < n && unhex(p[i + 1]) >= 0 && unhex(p[i + 2]) >= 0) {
			key[k] = (char)(unhex(p[i + 1]) * 16 + unhex(p[i + 2]));
			i += 2;
		}
	}
	key[k] = '\0';
	return strcmp(key, "password") == 0 || strcmp(key, "sslpassword") == 0;
}

/*
 * uri without its passwords: the user info's ":password" (the user info
 * ends, as libpq reads it, at the first '@' before any '/'), and the
 * password= and sslpassword= query parameters.
 */
char *db_postgresql_redact(const char *uri)
{
	const char *start = strstr(uri, "://"), *p, *at, *colon, *q;
	char *out = malloc(strlen(uri) + 1), *o;
	bool none = true;

	if (!out)
		return NULL;
	start = start ? start + 3 : uri;
	at = start + strcspn(start, "@/");
	colon = *at == '@' ? memchr(start, ':', (size_t)(at - start)) : NULL;
	o = mempcpy(out, uri, (size_t)((colon ? colon : start) - uri));
	p = colon ? at : start;
	q = strchr(p, '?');
	if (!q) {
		strcpy(o, p);
		return out;
	}
	o = mempcpy(o, p, (size_t)(q + 1 - p));
	for (p = q + 1; *p; p += *p == '&') {
		size_t n = strcspn(p, "&");

		if (!pg_secret_param(p, n)) {
			if (!none)
				*o++ = '&';
			o = mempcpy(o, p, n);
			none = false;
		}
		p += n;
	}
	*(none ? o - 1 : o) = '\0'; /* with no parameter left, no '?' */
	return out;
}

static void pg_close(struct db *base)
{
	struct pg_db *d = to_pg(base);

	PQfinish(d->conn);
	free(d->base.describe);
	free(d);
}

static int pg_open(const char *uri, unsigned flags, struct db **ret, char **ret_error)
{
	/* Keywords before dbname are defaults the URI may override; those after it override it. */
	static const char *const keywords[] = { "connect_timeout", "application_name", "dbname",
						"client_encoding", NULL };
	const char *const values[] = { "10", "posture-collector", uri, "UTF8", NULL };
	struct pg_db *d = calloc(1, sizeof(*d));
	int r;

	if (!d)
		return -ENOMEM;
	d->base.ops = &db_postgresql_ops;
	d->generation = 1;
	d->readonly = flags & DB_READONLY;
	d->base.describe = db_postgresql_redact(uri);
	d->conn = d->base.describe ? PQconnectdbParams(keywords, values, 1) : NULL;
	if (!d->conn) {
		pg_close(&d->base);
		return -ENOMEM;
	}
	PQsetNoticeProcessor(d->conn, pg_notice_ignore, NULL);
	if (PQstatus(d->conn) != CONNECTION_OK) {
		r = pg_connect_errno(d->conn);
		pg_set_error(d, "%s", PQerrorMessage(d->conn));
	} else
		r = pg_session(d);
	if (r < 0) {
		if (ret_error)
			*ret_error = strdup(d->errmsg);
		pg_close(&d->base);
		return r;
	}
	*ret = &d->base;
	return 0;
}

static const char *pg_errmsg(struct db *base)
{
	struct pg_db *d = to_pg(base);

	return d->errmsg[0] ? d->errmsg : "not an error";
}

static int pg_exec(struct db *base, const char *sql)
{
	struct pg_db *d = to_pg(base);
	int r = pg_ready(d);

	return r < 0 ? r : pg_command(d, sql);
}

static int pg_begin(struct db *base)
{
	struct pg_db *d = to_pg(base);
	int r = pg_ready(d);

	if (r < 0)
		return r;
	/* PostgreSQL would only warn; SQLite refuses, and so does the interface. */
	if (d->was_in_tx) {
		pg_set_error(d, "a transaction is already open");
		return -EIO;
	}
	return pg_command(d, "BEGIN");
}

static int pg_commit(struct db *base)
{
	struct pg_db *d = to_pg(base);
	PGresult *res;
	int r = pg_ready(d);

	if (r < 0)
		return r;
	if (!d->was_in_tx) {
		pg_set_error(d, "no transaction is open");
		return -EIO;
	}
	res = PQexec(d->conn, "COMMIT");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		return pg_fail(d, res);
	/* The COMMIT of a transaction that had failed rolls it back, and says so only in its tag. */
	r = strcmp(PQcmdStatus(res), "ROLLBACK") == 0 ? -EIO : 0;
	PQclear(res);
	if (r < 0)
		pg_set_error(d, "the transaction had failed, and was rolled back");
	return r;
}

static bool pg_in_transaction(struct db *base)
{
	struct pg_db *d = to_pg(base);

	if (d->tx_lost || d->broken || PQstatus(d->conn) != CONNECTION_OK)
		return d->tx_lost || d->was_in_tx;
	return pg_tx_open(d);
}

static void pg_rollback(struct db *base)
{
	struct pg_db *d = to_pg(base);
	PGresult *res;

	d->tx_lost = d->was_in_tx = false;
	if (d->loading || d->broken || PQstatus(d->conn) != CONNECTION_OK || !pg_tx_open(d))
		return;
	/* db_errmsg() keeps the failure's words, not the rollback's. */
	res = PQexec(d->conn, "ROLLBACK");
	if (PQstatus(d->conn) == CONNECTION_BAD)
		d->broken = true;
	PQclear(res);
}

static int64_t pg_changes(struct db *base)
{
	return to_pg(base)->changes;
}

/*
 * sql with ?N and bare ? (one past the highest so far, as SQLite numbers
 * it) as $N, in a new string; *ret_n the highest N.  Passes over '...' and
 * E'...' literals, "..." identifiers, -- and (nested) block comments.
 */
static int pg_translate(const char *sql, char **ret, int *ret_n)
{
	size_t len = strlen(sql), o = 0;
	char *out;
	int max = 0;

	if (len > PG_MAX_SQL)
		return -E2BIG;
	out = malloc(len * 3 + 1); /* "?" may become "$99" */
	if (!out)
		return -ENOMEM;
	for (const char *p = sql; *p;) {
		if (*p == '\'' || *p == '"') {
			char quote = *p;
			bool backslash =
				quote == '\'' && p > sql && toupper((unsigned char)p[-1]) == 'E' &&
				(p - 1 == sql || !(isalnum((unsigned char)p[-2]) || p[-2] == '_'));

			for (out[o++] = *p++; *p; out[o++] = *p++) {
				if ((backslash && *p == '\\' && p[1]) ||
				    (*p == quote && p[1] == quote))
					out[o++] =
						*p++; /* an escaped character, or a doubled quote */
				else if (*p == quote) {
					out[o++] = *p++;
					break;
				}
			}
		} else if (p[0] == '-' && p[1] == '-') {
			while (*p && *p != '\n')
				out[o++] = *p++;
		} else if (p[0] == '/' && p[1] == '*') {
			int depth = 0;

			do {
				if ((p[0] == '/' && p[1] == '*') || (p[0] == '*' && p[1] == '/')) {
					depth += p[0] == '/' ? 1 : -1;
					out[o++] = *p++;
				}
				out[o++] = *p++;
			} while (*p && depth > 0);
		} else if (*p == '?') {
			int n = 0;

			for (p++; isdigit((unsigned char)*p) && n <= PG_MAX_PARAMS; p++)
				n = n * 10 + (*p - '0');
			if (!isdigit((unsigned char)p[-1]))
				n = max + 1;
			if (n < 1 || n > PG_MAX_PARAMS) {
				free(out);
				return -EINVAL;
			}
			o += (size_t)snprintf(out + o, 4, "$%d", n);
			max = n > max ? n : max;
		} else
			out[o++] = *p++;
	}
	out[o] = '\0';
	*ret = out;
	*ret_n = max;
	return 0;
}

static void pg_stmt_free(struct db_stmt *base)
{
	struct pg_stmt *st = to_stmt(base);
	struct pg_db *d = to_pg(base->db);

	/* Prepared in the live session: deallocated there once no transaction is open. */
	if (st->generation == d->generation && !d->broken && d->n_stale < PG_MAX_STALE)
		d->stale[d->n_stale++] = st->id;
	PQclear(st->res);
	for (int i = 0; st->params && i < st->n_params; i++)
		free(st->params[i].copy);
	free(st->params);
	free(st->values);
	free(st->types);
	free(st->sql);
	free(st);
}

static int pg_prepare(struct db *base, const char *sql, struct db_stmt **ret)
{
	struct pg_db *d = to_pg(base);
	struct pg_stmt *st = calloc(1, sizeof(*st));
	int r;

	if (!st)
		return -ENOMEM;
	st->base.db = base;
	st->id = ++d->next_id;
	snprintf(st->name, sizeof(st->name), "postured_%" PRIu64, st->id);
	st->row = -1;
	r = pg_translate(sql, &st->sql, &st->n_params);
	if (r >= 0) {
		st->values = calloc((size_t)st->n_params + 1, sizeof(*st->values));
		st->params = calloc((size_t)st->n_params + 1, sizeof(*st->params));
		st->types = calloc((size_t)st->n_params + 1, sizeof(*st->types));
		r = st->values && st->params && st->types ? 0 : -ENOMEM;
	}
	if (r < 0) {
		pg_set_error(d, "%s", r == -EINVAL ? "a parameter outside ?1..?99" : strerror(-r));
		pg_stmt_free(&st->base);
		return r;
	}
	*ret = &st->base;
	return 0;
}

/* Parameter i, or NULL with the failure kept for the step (bind calls return nothing). */
static struct pg_param *pg_param(struct pg_stmt *st, int i, int r)
{
	if (r == 0 && i >= 1 && i <= st->n_params) {
		st->values[i - 1] = NULL;
		return &st->params[i - 1];
	}
	if (st->bind_r == 0) {
		st->bind_r = r ? r : -EINVAL;
		st->bind_i = i;
	}
	return NULL;
}

static void pg_bind_int64(struct db_stmt *base, int i, int64_t v)
{
	struct pg_stmt *st = to_stmt(base);
	struct pg_param *p = pg_param(st, i, 0);

	if (p) {
		snprintf(p->num, sizeof(p->num), "%" PRId64, v);
		st->values[i - 1] = p->num;
		/*
		 * Typed at the prepare: inferred, "?1 - 30 * 86400000" would make ?1
		 * an int4 and a time in milliseconds would not fit.
		 */
		st->types[i - 1] = PG_INT8OID;
	}
}

static void pg_bind_text_n(struct db_stmt *base, int i, const char *v, size_t n)
{
	struct pg_stmt *st = to_stmt(base);
	struct pg_param *p = pg_param(st, i, 0);
	char *c;

	if (!p || !v)
		return;
	/* Text parameters end at a NUL: one inside would cut the value short without a word. */
	if (n > INT32_MAX || memchr(v, '\0', n)) {
		pg_param(st, i, n > INT32_MAX ? -E2BIG : -EINVAL);
		return;
	}
	if (p->copy_size < n + 1) {
		c = realloc(p->copy, n + 1);
		if (!c) {
			pg_param(st, i, -ENOMEM);
			return;
		}
		p->copy = c;
		p->copy_size = n + 1;
	}
	memcpy(p->copy, v, n);
	p->copy[n] = '\0';
	st->values[i - 1] = p->copy;
}

static void pg_bind_null(struct db_stmt *base, int i)
{
	pg_param(to_stmt(base), i, 0);
}

/* The statement's run: prepared first if this session has not seen it. */
static int pg_execute(struct pg_db *d, struct pg_stmt *st)
{
	PGresult *res;
	int r;

	if (st->bind_r < 0) {
		pg_set_error(d, "binding parameter %d: %s", st->bind_i, strerror(-st->bind_r));
		return st->bind_r;
	}
	r = pg_ready(d);
	if (r < 0)
		return r;
	if (st->generation != d->generation) {
		res = PQprepare(d->conn, st->name, st->sql, st->n_params, st->types);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			return pg_fail(d, res);
		PQclear(res);
		st->generation = d->generation;
	}
	res = PQexecPrepared(d->conn, st->name, st->n_params, st->values, NULL, NULL, 0);
	switch (PQresultStatus(res)) {
	case PGRES_TUPLES_OK:
		pg_count(d, res); /* INSERT ... RETURNING */
		st->res = res;
		return 0;
	case PGRES_COMMAND_OK:
	case PGRES_EMPTY_QUERY:
		pg_count(d, res);
		PQclear(res);
		return 0;
	default:
		return pg_fail(d, res);
	}
}

static int pg_step(struct db_stmt *base)
{
	struct pg_stmt *st = to_stmt(base);
	int n;

	if (!st->executed) {
		st->executed = true;
		st->r = pg_execute(to_pg(base->db), st);
	}
	if (st->r < 0)
		return st->r;
	n = st->res ? PQntuples(st->res) : 0;
	st->row = st->row + 1 < n ? st->row + 1 : n;
	return st->row < n;
}

static void pg_reset(struct db_stmt *base)
{
	struct pg_stmt *st = to_stmt(base);

	PQclear(st->res);
	st->res = NULL;
	st->executed = false;
	st->row = -1;
	st->r = st->bind_r = st->bind_i = 0;
	for (int i = 0; i < st->n_params; i++) {
		st->values[i] = NULL;
		if (st->params[i].copy_size > PG_KEEP_COPY) {
			free(st->params[i].copy);
			st->params[i].copy = NULL;
			st->params[i].copy_size = 0;
		}
	}
}

/* Column i of the current row: NULL for NULL or no such column; a boolean as "1" or "0". */
static const char *pg_value(struct db_stmt *base, int i)
{
	struct pg_stmt *st = to_stmt(base);

	if (!st->res || st->row < 0 || st->row >= PQntuples(st->res) || i < 0 ||
	    i >= PQnfields(st->res) || PQgetisnull(st->res, st->row, i))
		return NULL;
	if (PQftype(st->res, i) == PG_BOOLOID)
		return *PQgetvalue(st->res, st->row, i) == 't' ? "1" : "0";
	return PQgetvalue(st->res, st->row, i);
}

static bool pg_column_null(struct db_stmt *st, int i)
{
	return !pg_value(st, i);
}

static int64_t pg_column_int64(struct db_stmt *st, int i)
{
	const char *v = pg_value(st, i);
	char *end;
	long long n;
	double x;

	if (!v)
		return 0;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno == ERANGE || *end == '\0')
		return n; /* out of range: clamped, as on SQLite */
	/* numeric "12.000", a double's "1.5e+20": through a double, truncated and clamped. */
	x = strtod(v, &end);
	if (end == v || isnan(x))
		return n;
	return x >= 9223372036854775807.0  ? INT64_MAX :
	       x <= -9223372036854775808.0 ? INT64_MIN :
					     (int64_t)x;
}

static double pg_column_double(struct db_stmt *st, int i)
{
	const char *v = pg_value(st, i);

	return v ? strtod(v, NULL) : 0;
}

static const char *pg_column_text(struct db_stmt *st, int i)
{
	return pg_value(st, i);
}

static size_t pg_column_bytes(struct db_stmt *base, int i)
{
	struct pg_stmt *st = to_stmt(base);
	const char *v = pg_value(base, i);

	return !v				 ? 0 :
	       PQftype(st->res, i) == PG_BOOLOID ? 1 :
						   (size_t)PQgetlength(st->res, st->row, i);
}

static void pg_load_flush(struct pg_load *l)
{
	struct pg_db *d = to_pg(l->base.db);

	if (l->r >= 0 && l->len > 0 && PQputCopyData(d->conn, l->buf, (int)l->len) != 1)
		l->r = pg_fail(d, NULL);
	l->len = 0;
}

static void pg_load_put(struct pg_load *l, const char *s, size_t n)
{
	while (n > 0 && l->r >= 0) {
		size_t k = PG_COPY_CHUNK - l->len < n ? PG_COPY_CHUNK - l->len : n;

		memcpy(l->buf + l->len, s, k);
		l->len += k;
		s += k;
		n -= k;
		if (l->len == PG_COPY_CHUNK)
			pg_load_flush(l);
	}
}

static int pg_load_begin(struct db *base, const char *table, const char *const *columns,
			 int n_columns, struct db_load **ret)
{
	struct pg_db *d = to_pg(base);
	struct pg_load *l;
	PGresult *res;
	char sql[4096];
	size_t len;
	int r;

	if (n_columns <= 0 || n_columns > PG_MAX_COLUMNS)
		return -EINVAL;
	len = (size_t)snprintf(sql, sizeof(sql), "COPY %s (", table);
	for (int i = 0; i < n_columns && len < sizeof(sql); i++)
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%s%s", i ? ", " : "",
					columns[i]);
	if (len < sizeof(sql))
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, ") FROM STDIN");
	if (len >= sizeof(sql))
		return -E2BIG;
	r = pg_ready(d);
	if (r < 0)
		return r;
	/* What can fail here fails before the connection is in COPY. */
	l = calloc(1, sizeof(*l));
	if (!l || !(l->buf = malloc(PG_COPY_CHUNK))) {
		free(l);
		return -ENOMEM;
	}
	l->base.db = base;
	l->n_columns = n_columns;
	res = PQexec(d->conn, sql);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		free(l->buf);
		free(l);
		return pg_fail(d, res);
	}
	PQclear(res);
	d->loading = true;
	*ret = &l->base;
	return 0;
}

/* A row in COPY's text format: \N for NULL; backslash, tab, newline and return escaped. */
static int pg_load_row(struct db_load *base, const char *const *values, const size_t *lengths)
{
	struct pg_load *l = (struct pg_load *)base;

	for (int i = 0; i < l->n_columns; i++) {
		const char *v = values[i];
		size_t run = 0, n = v ? lengths[i] : 0;

		if (i > 0)
			pg_load_put(l, "\t", 1);
		if (!v)
			pg_load_put(l, "\\N", 2);
		for (size_t j = 0; j < n; j++) {
			const char *esc = v[j] == '\\' ? "\\\\" :
					  v[j] == '\t' ? "\\t" :
					  v[j] == '\n' ? "\\n" :
					  v[j] == '\r' ? "\\r" :
							 NULL;

			if (esc) {
				pg_load_put(l, v + run, j - run);
				pg_load_put(l, esc, 2);
				run = j + 1;
			}
		}
		pg_load_put(l, v + run, n - run);
	}
	pg_load_put(l, "\n", 1);
	return l->r;
}

static int pg_load_end(struct db_load *base)
{
	struct pg_load *l = (struct pg_load *)base;
	struct pg_db *d = to_pg(base->db);
	PGresult *res;
	int r;

	pg_load_flush(l);
	r = l->r;
	/* After a failure the server is told to drop the COPY, which fails the transaction. */
	if (PQputCopyEnd(d->conn, r < 0 ? "the bulk load failed" : NULL) != 1 && r >= 0)
		r = pg_fail(d, NULL);
	/* The server's verdict on the rows: a key taken, bad UTF-8, a column too long. */
	while ((res = PQgetResult(d->conn))) {
		ExecStatusType status = PQresultStatus(res);

		if (status == PGRES_COPY_IN) {
			/* The COPY could not be ended: only a new session gets out of it. */
			PQclear(res);
			d->broken = true;
			if (r >= 0)
				pg_set_error(d, "the bulk load could not be ended");
			r = r < 0 ? r : -ECONNRESET;
			break;
		}
		if (status == PGRES_COMMAND_OK) {
			pg_count(d, res);
			PQclear(res);
		} else if (r >= 0)
			r = pg_fail(d, res);
		else
			PQclear(res);
	}
	d->loading = false;
	free(l->buf);
	free(l);
	return r;
}

const struct db_ops db_postgresql_ops = {
	.kind = DB_POSTGRESQL,
	.name = "PostgreSQL",
	.open = pg_open,
	.close = pg_close,
	.errmsg = pg_errmsg,
	.exec = pg_exec,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.in_transaction = pg_in_transaction,
	.changes = pg_changes,
	.prepare = pg_prepare,
	.stmt_free = pg_stmt_free,
	.bind_int64 = pg_bind_int64,
	.bind_text_n = pg_bind_text_n,
	.bind_null = pg_bind_null,
	.step = pg_step,
	.reset = pg_reset,
	.column_null = pg_column_null,
	.column_int64 = pg_column_int64,
	.column_double = pg_column_double,
	.column_text = pg_column_text,
	.column_bytes = pg_column_bytes,
	.load_begin = pg_load_begin,
	.load_row = pg_load_row,
	.load_end = pg_load_end,
};
