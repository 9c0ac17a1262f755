# SPDX-License-Identifier: LGPL-2.1-or-later
# Included by the top-level Makefile: posture-collector (collector/) and its tests.
#
# Included before the Makefile's own `all:` rule, so the first rule here is
# `all:` itself: otherwise it would become the default goal.

all: $(BUILD)/posture-collector

COLLECTOR_PKGS := libmicrohttpd gnutls libsystemd yajl sqlite3 libpq zlib libcrypto libssl relp libcurl
COLLECTOR_PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(COLLECTOR_PKGS) 2>/dev/null)
COLLECTOR_PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(COLLECTOR_PKGS) 2>/dev/null)

COLLECTOR_SRCS := collector/main.c collector/server.c collector/peer.c collector/ingest.c \
	collector/facts.c collector/pace.c collector/ca.c collector/csr.c collector/est.c collector/est_hook.c collector/httpd.c collector/upkeep.c collector/ui.c collector/ui_overview.c collector/ui_devices.c collector/ui_rules.c collector/ui_exemptions.c collector/ui_export.c collector/admin.c collector/feed.c collector/validate.c collector/crypto.c \
	collector/net.c
# The store: its SQL, once, over a connection with two backends (SQLite, PostgreSQL through
# libpq), and each engine's own schema and upkeep.
COLLECTOR_DB_SRCS := collector/db.c collector/db_sqlite.c collector/db_postgresql.c
COLLECTOR_STORE_SRCS := collector/store.c collector/store_sqlite.c collector/store_postgresql.c \
	collector/store_identity.c collector/store_fleet.c collector/store_fleet_query.c \
	$(COLLECTOR_DB_SRCS)
COLLECTOR_SRCS += $(COLLECTOR_STORE_SRCS)
# The OCSF export log for SOCs and its forwarders (posture-collector forward).
COLLECTOR_SRCS += collector/export.c collector/export_line.c collector/export_read.c \
	collector/forward.c collector/forward_syslog.c collector/forward_relp.c collector/forward_hec.c collector/forward_record.c
# The fleet UI's rendering: an output buffer and page frame, tables, the trend chart; pure, no I/O.
COLLECTOR_SRCS += collector/html.c collector/table.c collector/svg.c
COLLECTOR_OBJS = $(call obj,$(COLLECTOR_SRCS))

# The collector includes no BPF skeleton, so its objects do not wait for them.
$(BUILD)/obj/collector/%.o: collector/%.c
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) $(PKG_CFLAGS) $(COLLECTOR_PKG_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/posture-collector: $(COLLECTOR_OBJS) $(POLICY_LIB) $(BASIC_LIB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ $(COLLECTOR_PKG_LIBS) -o $@

# --- tests: the real binary, real TLS on 127.0.0.1, a PKI made by tools/make-test-pki ---

COLLECTOR_TEST_PKGS := libcurl libssl libcrypto sqlite3 libpq zlib yajl libmicrohttpd
COLLECTOR_TEST_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(COLLECTOR_TEST_PKGS) 2>/dev/null)
COLLECTOR_TEST_LIBS = $(shell $(PKG_CONFIG) --libs $(COLLECTOR_TEST_PKGS) 2>/dev/null)

# The store read (and, on PostgreSQL, each test's database made) through the collector's own
# connection code, so every suite that reads a store reads either engine.
COLLECTOR_HARNESS_DB_SRCS := tests/collector/harness_db.c $(COLLECTOR_DB_SRCS) basic/sqlite-util.c
COLLECTOR_HARNESS_DB_LIBS = $(shell $(PKG_CONFIG) --libs libpq 2>/dev/null)
# The parts of the harness other suites link too (tests/e2e, tests/bench, tests/integration):
# the collector as a child process (on a store harness_db.c names) with the file helpers and
# the clock it needs.
COLLECTOR_HARNESS_SHARED_SRCS := $(addprefix tests/collector/,harness_process.c harness_file.c \
	harness_time.c) $(COLLECTOR_HARNESS_DB_SRCS)
# One binary: the harness, and a file of tests a concern whose tables test_collector.c runs.
COLLECTOR_TEST_SRCS := $(COLLECTOR_HARNESS_SHARED_SRCS) \
	$(addprefix tests/collector/,harness.c harness_http.c harness_records.c harness_crypto.c \
	harness_pki.c harness_enroll.c test_collector.c test_cli.c test_ingest_http.c test_tls.c \
	test_policy_feed.c test_enroll.c test_identity.c test_ca_hook.c test_crash.c test_fleet.c \
	harness_browser.c test_fleet_browser.c harness_siem.c harness_hec.c test_forward.c \
	test_catchup.c test_cluster.c) tests/bench/fleet_load.c \
	collector/export_read.c basic/fileio.c basic/string-util.c basic/json-util.c
COLLECTOR_TEST_OBJS = $(call obj,$(COLLECTOR_TEST_SRCS))

# A narrower pattern than the userspace one, so it wins: no BPF skeletons, libcurl's flags.
$(BUILD)/obj/tests/collector/%.o: tests/collector/%.c
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) $(COLLECTOR_TEST_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

# The objects by name, not $^: a build dir from when this was one source has a .d adding
# test_collector.c to the prerequisites.
$(BUILD)/tests/collector/test_collector: $(COLLECTOR_TEST_OBJS)
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) $(ALL_LDFLAGS) $(COLLECTOR_TEST_OBJS) $(COLLECTOR_TEST_LIBS) \
		-o $@

# The ingest parser alone (cmocka, no network), plain and under ASan+UBSan.
COLLECTOR_INGEST_TEST_SRCS := tests/collector/test_ingest.c collector/ingest.c

$(BUILD)/tests/collector/test_ingest: $(COLLECTOR_INGEST_TEST_SRCS) collector/ingest.h
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) -Icollector $(CFLAGS) $(ALL_LDFLAGS) $(COLLECTOR_INGEST_TEST_SRCS) \
		$(shell $(PKG_CONFIG) --libs yajl zlib cmocka 2>/dev/null) -o $@

$(BUILD)/asan/tests/collector/test_ingest: $(COLLECTOR_INGEST_TEST_SRCS) collector/ingest.h
	$(call msg,CC-SAN,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) $(SAN_FLAGS) -Icollector $(CFLAGS) $(ALL_LDFLAGS) \
		$(COLLECTOR_INGEST_TEST_SRCS) $(shell $(PKG_CONFIG) --libs yajl zlib cmocka 2>/dev/null) -o $@

# The fleet UI's rendering (html.h, table.h, svg.h): a cmocka binary a module, plain and under
# ASan+UBSan, each linking its module and what that needs.  tests/collector/run runs them;
# make collector-ui-test runs only them.
COLLECTOR_UI_TESTS := html table svg facts export pace
COLLECTOR_UI_TEST_html_SRCS := collector/html.c
COLLECTOR_UI_TEST_table_SRCS := collector/table.c collector/html.c
COLLECTOR_UI_TEST_svg_SRCS := collector/svg.c collector/html.c
# The fleet facts of a record: pure too, and what every snapshot from a device goes through.
COLLECTOR_UI_TEST_facts_SRCS := collector/facts.c
# The collector's pace: the busy share and which batches it turns away, with times given.
COLLECTOR_UI_TEST_pace_SRCS := collector/pace.c
COLLECTOR_UI_TEST_pace_CFLAGS = -Icollector
# The export log, its reader and cursors, the syslog message: files in a temporary directory.
COLLECTOR_UI_TEST_export_SRCS := collector/export.c collector/export_line.c collector/html.c \
	collector/export_read.c \
	collector/forward.c collector/forward_syslog.c collector/forward_relp.c collector/forward_hec.c \
	collector/forward_record.c tests/ocsf/ocsf_validate.c basic/log.c basic/fileio.c basic/string-util.c
COLLECTOR_UI_TEST_export_CFLAGS = -DSOURCE_DIR='"$(CURDIR)"'
COLLECTOR_UI_TEST_export_LIBS = $(shell $(PKG_CONFIG) --libs libsystemd zlib libssl libcrypto \
	relp libcurl 2>/dev/null)
COLLECTOR_UI_TEST_HDRS := collector/html.h collector/table.h collector/svg.h collector/facts.h collector/pace.h basic/cleanup.h \
	basic/json-util.h collector/export.h collector/export_read.h collector/forward.h
COLLECTOR_UI_TEST_CFLAGS = $(shell $(PKG_CONFIG) --cflags yajl cmocka 2>/dev/null)
COLLECTOR_UI_TEST_LIBS = $(shell $(PKG_CONFIG) --libs yajl cmocka 2>/dev/null)

define collector_ui_test_rules
$(BUILD)/tests/collector/test_$(1): tests/collector/test_$(1).c $(COLLECTOR_UI_TEST_$(1)_SRCS) \
		$(COLLECTOR_UI_TEST_HDRS)
	$$(call msg,CC,$$@)
	@mkdir -p $$(@D)
	$$(Q)$$(CC) $$(BASE_CFLAGS) $$(COLLECTOR_UI_TEST_CFLAGS) $$(COLLECTOR_UI_TEST_$(1)_CFLAGS) \
		$$(CFLAGS) $$(ALL_LDFLAGS) $$(filter %.c,$$^) $$(COLLECTOR_UI_TEST_LIBS) \
		$$(COLLECTOR_UI_TEST_$(1)_LIBS) -o $$@
$(BUILD)/asan/tests/collector/test_$(1): tests/collector/test_$(1).c \
		$(COLLECTOR_UI_TEST_$(1)_SRCS) $(COLLECTOR_UI_TEST_HDRS)
	$$(call msg,CC-SAN,$$@)
	@mkdir -p $$(@D)
	$$(Q)$$(CC) $$(BASE_CFLAGS) $$(SAN_FLAGS) $$(COLLECTOR_UI_TEST_CFLAGS) \
		$$(COLLECTOR_UI_TEST_$(1)_CFLAGS) $$(CFLAGS) $$(ALL_LDFLAGS) $$(filter %.c,$$^) \
		$$(COLLECTOR_UI_TEST_LIBS) $$(COLLECTOR_UI_TEST_$(1)_LIBS) -o $$@
endef
$(foreach t,$(COLLECTOR_UI_TESTS),$(eval $(call collector_ui_test_rules,$(t))))
COLLECTOR_UI_TEST_BINS := $(foreach t,$(COLLECTOR_UI_TESTS),$(BUILD)/tests/collector/test_$(t) \
	$(BUILD)/asan/tests/collector/test_$(t))

collector-test: $(COLLECTOR_UI_TEST_BINS)

.PHONY: collector-ui-test
collector-ui-test: $(COLLECTOR_UI_TEST_BINS)
	@for t in $(COLLECTOR_UI_TESTS); do $(BUILD)/tests/collector/test_$$t || exit 1; \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		$(BUILD)/asan/tests/collector/test_$$t || exit 1; done

.PHONY: collector-test
collector-test: $(BUILD)/posture-collector $(BUILD)/tests/collector/test_collector \
		$(BUILD)/tests/collector/test_ingest $(BUILD)/asan/tests/collector/test_ingest
	@tests/collector/run $(BUILD)

COLLECTOR_FORMAT_FILES = $(wildcard collector/*.[ch] tests/collector/*.[ch])

.PHONY: collector-format-check collector-format
format-check: collector-format-check
collector-format-check:
	$(call msg,FORMAT,collector dry run)
	$(Q)$(CLANG_FORMAT) --dry-run --Werror $(COLLECTOR_FORMAT_FILES)

format: collector-format
collector-format:
	$(Q)$(CLANG_FORMAT) -i $(COLLECTOR_FORMAT_FILES)

# The SQL connection's contract (db.h) on both engines: SQLite in a temporary file, PostgreSQL in
# a database of its own when POSTURED_TEST_POSTGRES names a server (tools/pg-test-server), the
# PostgreSQL group skipped otherwise.  Plain and under ASan+UBSan; tests/collector/run runs them.
COLLECTOR_DB_TEST_SRCS := tests/collector/test_db.c $(COLLECTOR_DB_SRCS) basic/sqlite-util.c
COLLECTOR_DB_TEST_HDRS := collector/db.h collector/db-internal.h basic/cleanup.h basic/sqlite-util.h
COLLECTOR_DB_TEST_CFLAGS = $(shell $(PKG_CONFIG) --cflags sqlite3 libpq cmocka 2>/dev/null)
COLLECTOR_DB_TEST_LIBS = $(shell $(PKG_CONFIG) --libs sqlite3 libpq cmocka 2>/dev/null)

$(BUILD)/tests/collector/test_db: $(COLLECTOR_DB_TEST_SRCS) $(COLLECTOR_DB_TEST_HDRS)
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) $(COLLECTOR_DB_TEST_CFLAGS) $(CFLAGS) $(ALL_LDFLAGS) \
		$(COLLECTOR_DB_TEST_SRCS) $(COLLECTOR_DB_TEST_LIBS) -o $@

$(BUILD)/asan/tests/collector/test_db: $(COLLECTOR_DB_TEST_SRCS) $(COLLECTOR_DB_TEST_HDRS)
	$(call msg,CC-SAN,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) $(SAN_FLAGS) $(COLLECTOR_DB_TEST_CFLAGS) $(CFLAGS) $(ALL_LDFLAGS) \
		$(COLLECTOR_DB_TEST_SRCS) $(COLLECTOR_DB_TEST_LIBS) -o $@

collector-test: $(BUILD)/tests/collector/test_db $(BUILD)/asan/tests/collector/test_db
