# SPDX-License-Identifier: LGPL-2.1-or-later
#
# postured.  `make` builds everything into build/; `make help` lists targets.

.DELETE_ON_ERROR:
.SECONDARY:
.SUFFIXES:
.DEFAULT_GOAL := all

VERSION := 0.1.0
BUILD ?= build
PREFIX ?= /usr/local
DESTDIR ?=
SBINDIR ?= $(PREFIX)/sbin
BINDIR ?= $(PREFIX)/bin
# postured-sender lives in $(LIBEXECDIR)/postured: the daemon starts it, no user does.
LIBEXECDIR ?= $(PREFIX)/libexec
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
USERUNITDIR ?= $(PREFIX)/lib/systemd/user
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d

CC ?= cc
CLANG ?= clang
BPFTOOL ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
PKG_CONFIG ?= pkg-config
CLANG_FORMAT ?= clang-format

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-8s %s\n' '$(1)' '$(2)';
endif

ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' -e 's/riscv64/riscv/' \
	-e 's/ppc64le/powerpc/' -e 's/s390x/s390/' -e 's/loongarch64/loongarch/')

PKGS := libbpf libsystemd yajl libcrypto
# The spool (SQLite) and the sender (libcurl, zlib for gzip).
PKGS += sqlite3 libcurl zlib
# The firewall check reads the nftables ruleset through libnftables.
PKGS += libnftables
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

# WERROR= builds without -Werror, as the RPM does (packaging/rpm/postured.spec): a distribution's
# newer compiler must not fail the package on a warning this one does not give.  make rpm still
# fails on any warning in its build log.
WERROR ?= -Werror
WARNINGS := -Wall -Wextra $(WERROR) -Wshadow -Wformat=2 -Wmissing-prototypes \
	-Wno-unused-parameter
BASE_CFLAGS := -std=gnu17 -O2 -g $(WARNINGS) -fstack-protector-strong -D_FORTIFY_SOURCE=2 \
	-D_GNU_SOURCE -DPOSTURED_VERSION='"$(VERSION)"' -I$(BUILD)/probes -I. -Iagent -Ipolicy
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
# The environment's flags come last so a packager's choices win.
ALL_CFLAGS = $(BASE_CFLAGS) $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(LDFLAGS)

BPF_CFLAGS := -target bpf -g -O2 -Wall -Werror -D__TARGET_ARCH_$(ARCH) -Iprobes
# The skeletons embed the whole object, debug info included: its paths are made relative to the
# tree, so the binaries do not carry where they were built (reproducible builds; make deb-check).
BPF_CFLAGS += -ffile-prefix-map=$(CURDIR)=.

# --- sources: one .mk a component, each listing its own ------------------------

obj = $(patsubst %.c,$(BUILD)/$(2)obj/%.o,$(1))

BPF_PROBES := process net
BPF_OBJS := $(BPF_PROBES:%=$(BUILD)/probes/%.bpf.o)
SKELETONS := $(BPF_PROBES:%=$(BUILD)/probes/%.skel.h)

UNIT_TESTS := decode proctab format config device engine spool
UNIT_TESTS += checks checks_ctl
UNIT_TESTS += ctl_status
# Every record kind against the OCSF schema subset in tests/fixtures/ocsf.
UNIT_TESTS += ocsf
UNIT_TESTS += policy_sig
# The agent's key, request and the EST answer's checks, against a CA the test makes.
UNIT_TESTS += identity
identity_DEPS := agent/postured/identity.c agent/postured/identity_tpm.c
# Tamper evidence: the run state, the watch over the BPF links (a fake kernel), the records.
UNIT_TESTS += tamper
tamper_DEPS = $(CHECKS_SRCS) agent/postured/format.c agent/postured/format_lifecycle.c \
	agent/postured/runstate.c agent/postured/bpfwatch.c agent/postured/ocsf.c \
	agent/postured/finding.c agent/postured/decode.c agent/postured/proctab.c $(POLICY_SRCS)
# basic/fileio: the bounded read and the atomic write every program uses.
UNIT_TESTS += fileio
# Each unit test links its module and what that module needs, nothing else.
ctl_status_DEPS = $(CTLSTATUS_SRCS)
decode_DEPS := agent/postured/decode.c
proctab_DEPS := agent/postured/proctab.c agent/postured/decode.c
format_DEPS = $(CHECKS_SRCS) agent/postured/format.c agent/postured/ocsf.c agent/postured/finding.c agent/postured/decode.c agent/postured/proctab.c \
 $(POLICY_SRCS)
ocsf_DEPS = tests/ocsf/ocsf_validate.c collector/export_line.c collector/html.c $(CHECKS_SRCS) agent/postured/format.c agent/postured/format_loss.c \
 agent/postured/format_lifecycle.c agent/postured/runstate.c agent/postured/bpfwatch.c agent/postured/ocsf.c agent/postured/finding.c agent/postured/decode.c agent/postured/proctab.c \
 $(POLICY_SRCS)
config_DEPS := agent/postured/config.c agent/postured/probe_process.c agent/postured/probe_common.c
device_DEPS := agent/postured/device.c agent/postured/device_type.c
checks_DEPS = $(CHECKS_SRCS) $(POLICY_SRCS)
checks_ctl_DEPS = agent/ctl/ctl_check.c agent/postured/baseline.c $(CHECKS_SRCS) \
	$(POLICY_SRCS)
# test_engine is one binary with a file a judge, as the engine is.
engine_DEPS = tests/unit/test_engine_process.c tests/unit/test_engine_checks.c tests/unit/test_engine_net.c \
	$(CHECKS_SRCS) agent/postured/engine.c $(ENGINE_JUDGE_SRCS) agent/postured/finding.c agent/postured/format.c agent/postured/ocsf.c agent/postured/decode.c agent/postured/proctab.c \
	agent/postured/hashcache.c $(POLICY_SRCS)
spool_DEPS = $(SPOOL_SRCS)
policy_sig_DEPS = agent/postured/policy_sig.c
fileio_DEPS :=
# The check runner: deadlines, a check that never returns, one that crashes.
UNIT_TESTS += runner
runner_DEPS = $(CHECKS_SRCS) $(POLICY_SRCS)
UNIT_TESTS += listeners
listeners_DEPS := agent/postured/listeners.c
# resolv.conf's nameservers, ordinary and hostile, and the resolver set.
UNIT_TESTS += resolvers
resolvers_DEPS := agent/postured/resolvers.c

INTEGRATION_TESTS := process_probe policy_enforce status_socket agent_collector
# Enrollment through the real daemon and the real collector's CA.
INTEGRATION_TESTS += agent_enroll
# The network probe driven directly, without the daemon.
INTEGRATION_TESTS += net_probe
# agent/netwatch in network namespaces of its own; agent/listeners across users.
INTEGRATION_TESTS += netwatch listeners
# The firewall check on rulesets it loads through libnftables into network namespaces of its own.
INTEGRATION_TESTS += firewall_netns
# Network rules through the real daemon: enforcement, findings, listeners, storms, reloads.
INTEGRATION_TESTS += net_enforce
# Process rules through the real daemon: excepts on the parent, arguments as the policy asks.
INTEGRATION_TESTS += process_rules
# The built-in baseline against the behaviours it is for, in monitor and enforce mode.
INTEGRATION_TESTS += baseline
# Tamper evidence: the stop record's sender, an unclean exit's gap, a link detached from outside.
INTEGRATION_TESTS += tamper
FIREWALL_IT_SRCS = $(CHECKS_SRCS)
NET_PROBE_SRCS := agent/postured/probe_net.c agent/postured/probe_net_rules.c \
	agent/postured/probe_common.c agent/postured/decode.c
# The harness every suite links: what a test reports, paths, files, JSON, children, the agent,
# loopback sockets, policies about a test program, the BPF objects a process holds, the
# status socket.
HARNESS_SRCS := $(addprefix tests/integration/,harness_report.c harness_paths.c harness_files.c \
	harness_json.c harness_privs.c harness_child.c harness_agent.c harness_net.c \
	harness_policy.c harness_bpf.c harness_status.c)
HARNESS_OBJS = $(call obj,$(HARNESS_SRCS))

# The policy library's sources, tests and tools.
include basic/basic.mk
include policy/policy.mk
include agent/postured/postured.mk
include agent/sender/sender.mk
include agent/ctl/ctl.mk
include agent/notify/notify.mk
include collector/collector.mk

.PHONY: all

# --- translations (po/) -------------------------------------------------------

LOCALEDIR ?= $(PREFIX)/share/locale
PO_LANGS := $(basename $(notdir $(wildcard po/*.po)))
MO_FILES := $(PO_LANGS:%=$(BUILD)/locale/%/LC_MESSAGES/postured.mo)
# Every file with strings the employee reads.
I18N_SRCS := agent/ctl/posturectl.c agent/ctl/ctl_status.c agent/ctl/ctl_explain.c \
	agent/ctl/ctl_events.c agent/ctl/ctl_sent.c agent/ctl/ctl_agent.c agent/ctl/ctl_policy.c \
	agent/ctl/ctl_check.c agent/ctl/ctl_enroll.c agent/ctl/finding_text.c \
	$(wildcard agent/notify/notify.c)
XGETTEXT = xgettext --from-code=UTF-8 --language=C --keyword=_ --keyword=N_ \
	--keyword=ngettext:1,2 --add-comments=TRANSLATORS: --package-name=postured \
	--package-version=$(VERSION) --no-wrap

all: $(MO_FILES)

$(BUILD)/locale/%/LC_MESSAGES/postured.mo: po/%.po
	$(call msg,MSGFMT,$@)
	@mkdir -p $(@D)
	$(Q)msgfmt --check -o $@ $<

# Regenerates the template and merges it into every catalogue; run after changing strings.
.PHONY: po
po:
	$(Q)$(XGETTEXT) -o po/postured.pot $(I18N_SRCS)
	$(Q)for p in $(wildcard po/*.po); do \
		msgmerge --quiet --no-wrap --update --backup=none $$p po/postured.pot && \
		msgattrib --no-wrap --no-obsolete -o $$p $$p || exit 1; done

# Fails when a catalogue misses a string of I18N_SRCS or has an untranslated or fuzzy one.
.PHONY: po-check
po-check:
	$(call msg,PO-CHECK,$(wildcard po/*.po))
	@mkdir -p $(BUILD)/po
	$(Q)$(XGETTEXT) -o $(BUILD)/po/postured.pot $(I18N_SRCS)
	$(Q)for p in $(wildcard po/*.po); do \
		msgmerge --quiet -o $(BUILD)/po/$${p##*/} $$p $(BUILD)/po/postured.pot || exit 1; \
		s=$$(LC_ALL=C msgfmt --check --statistics -o /dev/null $(BUILD)/po/$${p##*/} 2>&1) || \
			{ echo "$$s"; exit 1; }; \
		case "$$s" in *untranslated*|*fuzzy*) echo "$$p: $$s (run make po, then translate)"; \
			exit 1;; esac; done

# A program run from the build tree (build/posturectl) reads the catalogues built there
# (agent/ctl/ctl_i18n.c says how it knows); an installed one, only LOCALEDIR.
# A package build sets I18N_BUILD_DIR empty: its programs are never run from the build tree, and
# the build tree's path then stays out of the binaries (reproducible builds).
I18N_BUILD_DIR ?= $(abspath $(BUILD))
$(call obj,agent/ctl/ctl_i18n.c) $(call obj,agent/ctl/ctl_i18n.c,asan/): \
	CFLAGS += -DPOSTURED_LOCALEDIR='"$(LOCALEDIR)"' \
	$(if $(I18N_BUILD_DIR),-DPOSTURED_BUILD_DIR='"$(I18N_BUILD_DIR)"')
# The unit test reads the catalogues built in the tree.
# It also runs build/posturectl itself, as the quick start does, to see it find them; in a
# package build (the RPM's %check) it cannot, and says so.
$(call obj,tests/unit/test_ctl_status.c) $(call obj,tests/unit/test_ctl_status.c,asan/): \
	CFLAGS += -DTEST_LOCALEDIR='"$(BUILD)/locale"' -DTEST_BUILD_DIR='"$(abspath $(BUILD))"' \
	-DPOSTURED_TEST_INSTALLED_MO='"$(LOCALEDIR)/ja/LC_MESSAGES/postured.mo"' \
	$(if $(I18N_BUILD_DIR),,-DTEST_NO_BUILD_TREE)
$(BUILD)/tests/test_ctl_status $(BUILD)/asan/tests/test_ctl_status: | $(MO_FILES) $(BUILD)/posturectl
$(call obj,tests/unit/test_policy_ctl.c) $(call obj,tests/unit/test_policy_ctl.c,asan/): \
	CFLAGS += -DTEST_LOCALEDIR='"$(BUILD)/locale"'
$(BUILD)/tests/test_policy_ctl $(BUILD)/asan/tests/test_policy_ctl: | $(MO_FILES)

# The daemon looks for postured-sender beside itself (the build tree), then where
# `make install` puts it (agent_reports.c).
$(call obj,agent/postured/agent_reports.c) $(call obj,agent/postured/agent_reports.c,asan/): \
	CFLAGS += -DPOSTURED_SENDER_DIR='"$(LIBEXECDIR)/postured"'

# --- man pages (man/*.scd, scdoc) --------------------------------------------

MANDIR ?= $(PREFIX)/share/man
MAN_PAGES := $(basename $(notdir $(wildcard man/*.scd)))
MAN_FILES := $(MAN_PAGES:%=$(BUILD)/man/%)
SCDOC ?= scdoc
MANDOC ?= mandoc

.PHONY: man man-check
man: $(MAN_FILES)

# tools/man-tidy drops the empty paragraphs scdoc emits.  The date on the page is
# SOURCE_DATE_EPOCH's when it is set, as in a package build.
$(BUILD)/man/%: man/%.scd tools/man-tidy
	$(call msg,SCDOC,$@)
	@mkdir -p $(@D)
	$(Q)$(SCDOC) < $< > $@.scdoc && tools/man-tidy $@.scdoc > $@ && rm -f $@.scdoc

# mandoc's lint finds what man(1) would render wrong, and style slips (lines past 80
# bytes); any message at all fails.
man-check: $(MAN_FILES)
	$(call msg,MANDOC,$(MAN_FILES))
	$(Q)out=$$($(MANDOC) -T lint $(MAN_FILES) 2>&1); \
		[ -z "$$out" ] || { echo "$$out"; exit 1; }

# --- BPF ---------------------------------------------------------------------

$(BUILD)/probes/%.bpf.o: probes/%.bpf.c probes/events.h probes/kernel_types.h probes/ring.bpf.h
	$(call msg,BPF,$@)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# The network probe counts a scan's distinct ports and addresses with atomic fetch-and-or
# (BPF v3 atomics: Linux 5.12).
$(BUILD)/probes/net.bpf.o: BPF_CFLAGS += -mcpu=v3

$(BUILD)/probes/%.skel.h: $(BUILD)/probes/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

# --- userspace ---------------------------------------------------------------

# Every object waits for the skeletons: the loaders include them.
$(BUILD)/obj/%.o: %.c $(SKELETONS)
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/asan/obj/%.o: %.c $(SKELETONS)
	$(call msg,CC-SAN,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -MMD -MP -c $< -o $@

# --- tests -------------------------------------------------------------------

TEST_LIBS = $(PKG_LIBS) $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

# What the unit tests are written with (tests/unit/fixtures.h), as an archive: a suite
# links only the files of it that it calls, so none pulls in a module it does not test.
FIXTURES_SRCS := $(addprefix tests/unit/,fixtures.c fixtures_policy.c fixtures_checks.c \
	fixtures_records.c)
FIXTURES_LIB = $(BUILD)/tests/libfixtures.a
FIXTURES_LIB_SAN = $(BUILD)/asan/tests/libfixtures.a
$(FIXTURES_LIB): $(call obj,$(FIXTURES_SRCS))
$(FIXTURES_LIB_SAN): $(call obj,$(FIXTURES_SRCS),asan/)
$(FIXTURES_LIB) $(FIXTURES_LIB_SAN):
	$(call msg,AR,$@)
	@mkdir -p $(@D)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

define unit_test_rules
$(BUILD)/tests/test_$(1): $(call obj,tests/unit/test_$(1).c $($(1)_DEPS)) $(FIXTURES_LIB) \
		$(BASIC_LIB)
	$$(call msg,LD,$$@)
	@mkdir -p $$(@D)
	$$(Q)$$(CC) $$(ALL_CFLAGS) $$(ALL_LDFLAGS) $$^ $$(TEST_LIBS) -o $$@
$(BUILD)/asan/tests/test_$(1): $(call obj,tests/unit/test_$(1).c $($(1)_DEPS),asan/) \
		$(FIXTURES_LIB_SAN) $(BASIC_LIB_SAN)
	$$(call msg,LD-SAN,$$@)
	@mkdir -p $$(@D)
	$$(Q)$$(CC) $$(ALL_CFLAGS) $$(SAN_FLAGS) $$(ALL_LDFLAGS) $$^ $$(TEST_LIBS) -o $$@
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_test_rules,$(t))))

# Every suite links the harness's objects (tests/integration/harness.h) and, where it
# drives a module of the agent directly, that module; it runs build/postured itself.
# Objects first, then the libraries, basic/ last: the others use it.
INTEGRATION_LINK = $(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $(filter %.o,$^) \
	$(filter-out $(BASIC_LIB),$(filter %.a,$^)) $(BASIC_LIB) $(PKG_LIBS) -o $@

$(BUILD)/tests/integration/%: $(call obj,tests/integration/%.c) $(HARNESS_OBJS) $(BASIC_LIB) \
		$(BUILD)/postured
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(INTEGRATION_LINK)

# Links the probe's loader itself rather than running the daemon; the suite's tests are in a
# file a concern (net_probe.c has what they share, and main()).
NET_PROBE_IT_SRCS := $(addprefix tests/integration/,net_probe_deny.c net_probe_match.c \
	net_probe_rules.c net_probe_storm.c net_probe_attack.c)
$(BUILD)/tests/integration/net_probe: $(call obj,$(NET_PROBE_IT_SRCS) $(NET_PROBE_SRCS)) $(POLICY_LIB)

# The collector started, and its store read, with the collector suite's harness.
$(BUILD)/tests/integration/agent_collector $(BUILD)/tests/integration/agent_enroll \
	$(BUILD)/tests/integration/tamper $(BUILD)/tests/e2e/test_e2e \
	$(BUILD)/tests/bench/enroll_bench $(BUILD)/tests/bench/export_bench \
	$(BUILD)/tests/bench/report_bench: PKG_LIBS += $(COLLECTOR_HARNESS_DB_LIBS)
$(BUILD)/tests/integration/agent_collector: \
	$(call obj,$(COLLECTOR_HARNESS_SHARED_SRCS))

$(BUILD)/tests/integration/agent_enroll: \
	$(call obj,$(COLLECTOR_HARNESS_SHARED_SRCS))

# The spool read back with the collector suite's database helpers; logind on a private bus.
$(BUILD)/tests/integration/tamper: $(call obj,$(COLLECTOR_HARNESS_DB_SRCS)) \
	| $(BUILD)/tests/checks_bus/fake_logind

# The network watcher and the listener scan, each linked with its module alone.
$(BUILD)/tests/integration/netwatch: $(call obj,agent/postured/netwatch.c)
$(BUILD)/tests/integration/listeners: $(call obj,agent/postured/listeners.c)

$(BUILD)/tests/integration/firewall_netns: $(call obj,$(FIREWALL_IT_SRCS)) $(POLICY_LIB)

# The process probes through the daemon: process_probe.c has what the tests share and main();
# the tests are in a file a concern.
PROCESS_PROBE_IT_SRCS := $(addprefix tests/integration/,process_probe_lifecycle.c \
	process_probe_agent.c process_probe_storm.c)
$(BUILD)/tests/integration/process_probe: $(call obj,$(PROCESS_PROBE_IT_SRCS)) \
	| $(BUILD)/tests/ocsf-validate

# ocsf-validate SCHEMA_DIR [FILE...]: NDJSON streams against the OCSF schema (test_ocsf's
# validator); process_probe runs it over a whole --print-events stream.
$(BUILD)/tests/ocsf-validate: $(call obj,tests/ocsf/ocsf_validate_main.c tests/ocsf/ocsf_validate.c) \
		$(BASIC_LIB)
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ $(PKG_LIBS) -o $@

# The status socket of the daemon: status_socket.c has the agent, the scenes and main(); the
# connections and the tests are in a file each.
STATUS_SOCKET_IT_SRCS := $(addprefix tests/integration/,status_socket_conn.c \
	status_socket_requests.c status_socket_users.c status_socket_events.c status_socket_limits.c)
$(BUILD)/tests/integration/status_socket: $(call obj,$(STATUS_SOCKET_IT_SRCS))

# Network rules through the daemon: net_enforce.c has the suite's files, agent and main(); the
# clients, the findings and the tests are in a file each.
NET_ENFORCE_IT_SRCS := $(addprefix tests/integration/,net_enforce_client.c net_enforce_findings.c \
	net_enforce_outbound.c net_enforce_listen.c net_enforce_rules.c net_enforce_repeats.c \
	net_enforce_resolvers.c net_enforce_attack.c)
$(BUILD)/tests/integration/net_enforce: $(call obj,$(NET_ENFORCE_IT_SRCS))
# Process rules through the daemon: process_rules.c has the shared parts and main(); the
# facts the kernel decides at exec have their tests in a file of their own.
$(BUILD)/tests/integration/process_rules: $(call obj,tests/integration/process_rules_facts.c \
	tests/integration/rules_env.c)
$(BUILD)/tests/integration/baseline: $(call obj,tests/integration/rules_env.c \
	tests/integration/baseline_exec.c tests/integration/baseline_tools.c \
	tests/integration/baseline_network.c)

# End to end: the spool and the sender against the real collector, on loopback, started and
# its store read with the collector suite's harness.
$(BUILD)/tests/e2e/test_e2e: $(call obj,tests/e2e/test_e2e.c $(SPOOL_SRCS) \
		$(COLLECTOR_HARNESS_SHARED_SRCS)) $(BASIC_LIB)
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ $(PKG_LIBS) -o $@

# The notifier against a private session bus, a test notification server and a fake agent.
$(BUILD)/tests/notify/test_notify: tests/notify/test_notify.c tests/helpers/private_bus.h
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $< $(PKG_LIBS) -lpthread -o $@

.PHONY: notify-test
notify-test: $(BUILD)/tests/notify/test_notify $(BUILD)/postured-notify $(MO_FILES)
	@$(BUILD)/tests/notify/test_notify $(BUILD)

# The sd-bus checks against a private dbus-daemon and a test service that answers like
# systemd and timedated, plain and under ASan+UBSan.
CHECKS_BUS_SRCS = tests/checks_bus/test_checks_bus.c $(CHECKS_SRCS) \
	$(POLICY_SRCS)
$(BUILD)/tests/checks_bus/test_checks_bus: $(call obj,$(CHECKS_BUS_SRCS)) $(FIXTURES_LIB) $(BASIC_LIB)
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ $(TEST_LIBS) -o $@
$(BUILD)/asan/tests/checks_bus/test_checks_bus: $(call obj,$(CHECKS_BUS_SRCS),asan/) \
		$(FIXTURES_LIB_SAN) $(BASIC_LIB_SAN)
	$(call msg,LD-SAN,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(ALL_LDFLAGS) $^ $(TEST_LIBS) -o $@
$(BUILD)/tests/checks_bus/fake_systemd: tests/checks_bus/fake_systemd.c
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $< $(PKG_LIBS) -o $@

# The agent's watch of systemd-resolved against the private bus and a test service that
# answers as resolved does, plain and under ASan+UBSan.
RESOLVED_BUS_SRCS := tests/checks_bus/test_resolved_bus.c agent/postured/resolved.c \
	agent/postured/resolvers.c
$(BUILD)/tests/checks_bus/test_resolved_bus: $(call obj,$(RESOLVED_BUS_SRCS)) $(BASIC_LIB)
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ $(TEST_LIBS) -o $@
$(BUILD)/asan/tests/checks_bus/test_resolved_bus: $(call obj,$(RESOLVED_BUS_SRCS),asan/) \
		$(BASIC_LIB_SAN)
	$(call msg,LD-SAN,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(ALL_LDFLAGS) $^ $(TEST_LIBS) -o $@
$(BUILD)/tests/checks_bus/fake_resolved: tests/checks_bus/fake_resolved.c
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $< $(PKG_LIBS) -o $@

# The agent's watch of sleep and wake-up (its delay lock) against the private bus and a test
# service that answers as systemd-logind does, plain and under ASan+UBSan.
SLEEPWATCH_BUS_SRCS := tests/checks_bus/test_sleepwatch_bus.c agent/postured/sleepwatch.c
$(BUILD)/tests/checks_bus/test_sleepwatch_bus: $(call obj,$(SLEEPWATCH_BUS_SRCS)) $(BASIC_LIB)
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ $(TEST_LIBS) -o $@
$(BUILD)/asan/tests/checks_bus/test_sleepwatch_bus: $(call obj,$(SLEEPWATCH_BUS_SRCS),asan/) \
		$(BASIC_LIB_SAN)
	$(call msg,LD-SAN,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(ALL_LDFLAGS) $^ $(TEST_LIBS) -o $@
$(BUILD)/tests/checks_bus/fake_logind: tests/checks_bus/fake_logind.c
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $< $(PKG_LIBS) -o $@

.PHONY: checks-bus-test
checks-bus-test: $(BUILD)/tests/checks_bus/test_checks_bus \
		$(BUILD)/asan/tests/checks_bus/test_checks_bus $(BUILD)/tests/checks_bus/fake_systemd \
		$(BUILD)/tests/checks_bus/test_resolved_bus \
		$(BUILD)/asan/tests/checks_bus/test_resolved_bus $(BUILD)/tests/checks_bus/fake_resolved \
		$(BUILD)/tests/checks_bus/test_sleepwatch_bus \
		$(BUILD)/asan/tests/checks_bus/test_sleepwatch_bus $(BUILD)/tests/checks_bus/fake_logind
	@$(BUILD)/tests/checks_bus/test_checks_bus $(BUILD)/tests/checks_bus/fake_systemd
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		$(BUILD)/asan/tests/checks_bus/test_checks_bus $(BUILD)/tests/checks_bus/fake_systemd
	@$(BUILD)/tests/checks_bus/test_resolved_bus $(BUILD)/tests/checks_bus/fake_resolved
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		$(BUILD)/asan/tests/checks_bus/test_resolved_bus $(BUILD)/tests/checks_bus/fake_resolved
	@$(BUILD)/tests/checks_bus/test_sleepwatch_bus $(BUILD)/tests/checks_bus/fake_logind
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		$(BUILD)/asan/tests/checks_bus/test_sleepwatch_bus $(BUILD)/tests/checks_bus/fake_logind

.PHONY: e2e
e2e: $(BUILD)/tests/e2e/test_e2e $(BUILD)/postured-sender $(BUILD)/posture-collector
	@$(BUILD)/tests/e2e/test_e2e $(BUILD)

$(BUILD)/tests/helpers/%: tests/helpers/%.c
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $< -o $@

TEST_HELPERS := exit_with spawn_storm write_marker net_connect net_client exec_via bpf_link_detach
HELPER_BINS := $(TEST_HELPERS:%=$(BUILD)/tests/helpers/%)

.PHONY: unit check integration test
unit: $(UNIT_TESTS:%=$(BUILD)/tests/test_%)
	@tests/run-unit $^

check: $(UNIT_TESTS:%=$(BUILD)/asan/tests/test_%) format-check
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		tests/run-unit $(UNIT_TESTS:%=$(BUILD)/asan/tests/test_%)

integration: all $(INTEGRATION_TESTS:%=$(BUILD)/tests/integration/%) $(HELPER_BINS) \
		$(BUILD)/tests/ocsf-validate
	@tests/run-integration $(BUILD) $(INTEGRATION_TESTS)

# Everything CI runs: both compilers clean, unit tests plain and sanitized, the kernel tests.
test: all unit check clang-build po-check docs-check man-check units-check deb-check checks-bus-test integration collector-test e2e \
	notify-test vm-test

# The units' exposure as systemd-analyze security scores it (0 best, 10 worst), printed,
# and within the targets: 4.5 for the agent, which runs as root to load its probes, 3.5
# for the collector and for the notifier's user unit.  systemd-analyze verify runs on the
# installed units in the real-boot test, where their programs and systemd's targets are.
UNITS_SCORED := postured:45 posture-collector:35 posture-forward@:35 user/postured-notify:35
.PHONY: units-check
units-check:
	$(call msg,UNITS,systemd-analyze security --offline)
	$(Q)rm -rf $(BUILD)/units && mkdir -p $(BUILD)/units/xdg && chmod 0700 $(BUILD)/units/xdg
	$(Q)for u in $(UNITS_SCORED); do n=$${u%:*}; f=$(BUILD)/units/$${n##*/}.service; \
		sed 's|@SBINDIR@|/usr/sbin|g; s|@BINDIR@|/usr/bin|g' \
			$$(ls packaging/systemd/$$n.service.in packaging/systemd/$$n.service 2>/dev/null) > $$f; \
		case $$n in user/*) mode=--user;; *) mode=--system;; esac; \
		out=$$(XDG_RUNTIME_DIR=$(abspath $(BUILD))/units/xdg systemd-analyze $$mode security \
			--offline=true --threshold=$${u#*:} $$f 2>&1); st=$$?; \
		echo "$$out" | sed -n 's/^→ Overall exposure level for \([^:]*\): \([0-9.]*\).*/  \1: \2/p'; \
		if [ $$st -ne 0 ]; then echo "$$out" | grep '✗'; \
			echo "units-check: $$n.service is above $${u#*:} (tenths)" >&2; exit 1; fi; done

# The real-boot test: Debian 12 under qemu with systemd as PID 1 and this tree's packages
# installed, upgraded and purged there (tests/vm/run); the image is cached in $(BUILD)/vm.  Root.
.PHONY: vm-test
vm-test: deb
	@tests/vm/run $(BUILD) $(DEB_DIR)

.PHONY: clang-build
clang-build:
	$(call msg,CLANG,userspace with -Werror)
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/clang CC=$(CLANG) all \
		$(UNIT_TESTS:%=$(BUILD)/clang/tests/test_%)

FORMAT_FILES = $(filter-out %/kernel_types.h,$(wildcard agent/*/*.[ch] basic/*.[ch] agent/postured/checks/*.[ch] \
	probes/*.[ch] tests/unit/*.[ch] tests/integration/*.[ch] tests/helpers/*.c tests/bench/*.c \
	tests/checks_bus/*.c tests/notify/*.c tests/helpers/*.h tests/ocsf/*.[ch] \
	tests/fuzz/*.[ch]))

# The docs say what is built: nothing that exists is called planned (tools/check-docs); and
# the check still catches what it is for, a layout line and a sentence that do.
.PHONY: docs-check
docs-check:
	$(call msg,DOCS,README.md docs/*.md)
	$(Q)tools/check-docs
	$(Q)t=$$(mktemp -d) && mkdir -p $$t/docs $$t/tests/e2e $$t/agent/sender && \
	touch $$t/agent/sender/sender.c && \
	printf 'tests/e2e/        (planned)\n' > $$t/README.md && \
	printf 'The policy, the sender\nand the spool are planned.\n' > $$t/docs/architecture.md && \
	mkdir $$t/tools && touch $$t/tools/x && printf 'It calls tools/x, which is not wired.\n' > $$t/docs/x.md && \
	n=$$(tools/check-docs $$t 2>&1 | wc -l); rm -rf $$t; \
	[ "$$n" -eq 3 ] || { echo "tools/check-docs found $$n of the 3 planted mistakes" >&2; exit 1; }

.PHONY: format format-check
format-check:
	$(call msg,FORMAT,dry run)
	$(Q)$(CLANG_FORMAT) --dry-run --Werror $(FORMAT_FILES)

format:
	$(Q)$(CLANG_FORMAT) -i $(FORMAT_FILES)

# --- benchmarks --------------------------------------------------------------

BENCH_BINS := $(BUILD)/tests/bench/execbench $(BUILD)/tests/bench/policy_bench
# Reports through the sender to the collector on loopback (issue 6).
BENCH_BINS += $(BUILD)/tests/bench/report_bench
# Loopback connections with and without the network probe (issue 4).
BENCH_BINS += $(BUILD)/tests/bench/netbench
# New devices enrolling with the collector over EST (simpleenroll), fresh TLS each.
BENCH_BINS += $(BUILD)/tests/bench/enroll_bench
ENROLL_BENCH_SRCS := tests/bench/enroll_bench.c $(COLLECTOR_HARNESS_SHARED_SRCS) \
	tests/collector/harness_pki.c
# The fleet view's first screen with 10,000 devices (issue 15): the collector's store code fills it.
BENCH_BINS += $(BUILD)/tests/bench/fleet_bench
FLEET_BENCH_SRCS := tests/bench/fleet_bench.c $(COLLECTOR_HARNESS_SHARED_SRCS)
FLEET_BENCH_STORE_OBJS = $(call obj,$(COLLECTOR_STORE_SRCS) collector/facts.c)
# The OCSF export (issue 16): ingest with and without it, the line alone, forwarding to rsyslog.
BENCH_BINS += $(BUILD)/tests/bench/export_bench
EXPORT_BENCH_SRCS := tests/bench/export_bench.c tests/bench/fleet_load.c $(COLLECTOR_HARNESS_SHARED_SRCS) \
	tests/collector/harness_siem.c tests/collector/harness_hec.c
EXPORT_BENCH_COLLECTOR_OBJS = $(call obj,collector/export_line.c collector/html.c \
	collector/export_read.c)
NETBENCH_SRCS := tests/bench/netbench.c agent/postured/probe_net.c agent/postured/probe_net_rules.c \
	agent/postured/probe_common.c
REPORT_BENCH_SRCS := tests/bench/report_bench.c $(SPOOL_SRCS) agent/postured/format.c agent/postured/finding.c \
	agent/postured/decode.c agent/postured/proctab.c $(CHECKS_SRCS) $(COLLECTOR_HARNESS_SHARED_SRCS)
# The laptop the formatters' unit tests describe (tests/unit/fixtures.h), without cmocka.
REPORT_BENCH_SRCS += tests/unit/fixtures_records.c

$(BUILD)/tests/bench/execbench: tests/bench/execbench.c
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $< -lm -o $@

$(BUILD)/tests/bench/policy_bench: tests/bench/policy_bench.c $(POLICY_LIB) $(BASIC_LIB)
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ $(PKG_LIBS) -o $@

$(BUILD)/tests/bench/netbench: $(call obj,$(NETBENCH_SRCS)) $(POLICY_LIB) $(BASIC_LIB)
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ $(PKG_LIBS) -o $@

$(BUILD)/tests/bench/report_bench: $(call obj,$(REPORT_BENCH_SRCS)) $(POLICY_LIB) $(BASIC_LIB)
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ $(PKG_LIBS) -o $@

$(BUILD)/tests/bench/enroll_bench: $(call obj,$(ENROLL_BENCH_SRCS))
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ $(PKG_LIBS) -o $@

$(BUILD)/obj/tests/bench/fleet_bench.o: CFLAGS += -Icollector
$(BUILD)/tests/bench/fleet_bench: $(call obj,$(FLEET_BENCH_SRCS)) $(FLEET_BENCH_STORE_OBJS) \
		$(BASIC_LIB)
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ $(PKG_LIBS) $(COLLECTOR_PKG_LIBS) -o $@

# A fleet of simulated devices into one collector on SQLite, one and two on PostgreSQL (issue 17).
BENCH_BINS += $(BUILD)/tests/bench/ingest_bench
INGEST_BENCH_SRCS := tests/bench/ingest_bench.c tests/bench/fleet_load.c \
	$(COLLECTOR_HARNESS_SHARED_SRCS)
$(BUILD)/tests/bench/ingest_bench: $(call obj,$(INGEST_BENCH_SRCS)) $(BASIC_LIB)
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ $(PKG_LIBS) $(COLLECTOR_PKG_LIBS) -o $@

$(BUILD)/tests/bench/export_bench: $(call obj,$(EXPORT_BENCH_SRCS)) $(EXPORT_BENCH_COLLECTOR_OBJS) \
		$(BASIC_LIB)
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ $(PKG_LIBS) $(COLLECTOR_PKG_LIBS) -o $@

# The policy evaluation bench first (quick, userspace only), then reports through the
# sender to the collector, then enrollment with the collector, then the network probe's
# connect storm, then the agent on the machine.
.PHONY: bench
bench: all $(BENCH_BINS) $(BUILD)/posture-collector
	@$(BUILD)/tests/bench/policy_bench $${BENCH_POLICY_RULES:-1000}; p=$$?; \
		$(BUILD)/tests/bench/report_bench $(BUILD); s=$$?; \
		$(BUILD)/tests/bench/enroll_bench $(BUILD); e=$$?; \
		$(BUILD)/tests/bench/fleet_bench $(BUILD); f=$$?; \
		$(BUILD)/tests/bench/export_bench $(BUILD); x=$$?; \
		$(BUILD)/tests/bench/ingest_bench $(BUILD); i=$$?; \
		$(BUILD)/tests/bench/netbench; n=$$?; \
		tests/bench/run-bench $(BUILD); r=$$?; [ $$p -eq 0 ] && [ $$s -eq 0 ] && [ $$e -eq 0 ] && \
		[ $$n -eq 0 ] && [ $$f -eq 0 ] && [ $$x -eq 0 ] && [ $$i -eq 0 ] && [ $$r -eq 0 ]

# --- fuzzing -----------------------------------------------------------------

FUZZ_TARGETS := decode
decode_FUZZ_DEPS := agent/postured/decode.c
# The screen lock check's GVDB reader and the firewall check's ruleset reader.
FUZZ_TARGETS += gvdb nft_ruleset
gvdb_FUZZ_DEPS := agent/postured/checks/gvdb.c
nft_ruleset_FUZZ_DEPS := agent/postured/checks/nft_ruleset.c $(shell $(PKG_CONFIG) --libs yajl 2>/dev/null)
# A device's batch on its way to the SOC: ingest, the exported line, the forwarders' messages.
FUZZ_TARGETS += export
export_FUZZ_DEPS := collector/ingest.c collector/export_line.c collector/html.c \
	collector/forward_record.c collector/forward_syslog.c collector/forward_hec.c \
	$(shell $(PKG_CONFIG) --libs yajl zlib libssl libcrypto libcurl 2>/dev/null)

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(SKELETONS)
	$(call msg,FUZZ,$@)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(BASE_CFLAGS) $(PKG_CFLAGS) -fsanitize=fuzzer,address,undefined \
		$< $($*_FUZZ_DEPS) -o $@

.PHONY: fuzz
fuzz: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)
	@# New inputs go to the scratch corpus named first; the committed seeds stay as they are.
	@for t in $^; do n=$${t##*/fuzz_}; echo "  FUZZ-RUN $$t"; mkdir -p $(BUILD)/fuzz/corpus-$$n; \
		$$t -max_total_time=$${FUZZ_SECONDS:-30} -max_len=$${FUZZ_MAX_LEN:-4096} \
		$(BUILD)/fuzz/corpus-$$n tests/fuzz/corpus/$$n || exit 1; done

# --- install, deps, clean ----------------------------------------------------

# Everything, the collector's files too; a package build splits them (debian/*.install).
.PHONY: install
install: all man
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR)/postured \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(USERUNITDIR) $(DESTDIR)$(SYSCONFDIR)/postured \
		$(DESTDIR)$(SYSCONFDIR)/xdg/autostart $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR)
	install -m 0755 $(BUILD)/postured $(DESTDIR)$(SBINDIR)/postured
	install -m 0755 $(BUILD)/postured-sender $(DESTDIR)$(LIBEXECDIR)/postured/postured-sender
	install -m 0755 $(BUILD)/posturectl $(DESTDIR)$(BINDIR)/posturectl
	install -m 0755 $(BUILD)/postured-notify $(DESTDIR)$(BINDIR)/postured-notify
	install -m 0755 $(BUILD)/posture-collector $(DESTDIR)$(SBINDIR)/posture-collector
	sed 's|@BINDIR@|$(BINDIR)|g' packaging/systemd/user/postured-notify.service \
		> $(DESTDIR)$(USERUNITDIR)/postured-notify.service
	sed 's|@BINDIR@|$(BINDIR)|g' packaging/xdg/postured-notify.desktop \
		> $(DESTDIR)$(SYSCONFDIR)/xdg/autostart/postured-notify.desktop
	for u in postured posture-collector posture-forward@; do \
		sed 's|@SBINDIR@|$(SBINDIR)|g' packaging/systemd/$$u.service.in \
			> $(DESTDIR)$(UNITDIR)/$$u.service || exit 1; done
	chmod 0644 $(DESTDIR)$(USERUNITDIR)/postured-notify.service \
		$(DESTDIR)$(SYSCONFDIR)/xdg/autostart/postured-notify.desktop \
		$(DESTDIR)$(UNITDIR)/postured.service $(DESTDIR)$(UNITDIR)/posture-collector.service \
		$(DESTDIR)$(UNITDIR)/posture-forward@.service
	for l in $(PO_LANGS); do install -D -m 0644 $(BUILD)/locale/$$l/LC_MESSAGES/postured.mo \
		$(DESTDIR)$(LOCALEDIR)/$$l/LC_MESSAGES/postured.mo; done
	for m in $(MAN_PAGES); do s=$${m##*.}; install -D -m 0644 $(BUILD)/man/$$m \
		$(DESTDIR)$(MANDIR)/man$$s/$$m; done
	install -m 0644 packaging/sysusers.d/postured.conf $(DESTDIR)$(SYSUSERSDIR)/postured.conf
	install -m 0644 packaging/tmpfiles.d/postured.conf $(DESTDIR)$(TMPFILESDIR)/postured.conf
	@# 0644, as the package has it: no secret in it, and the employee may read what it says.
	test -e $(DESTDIR)$(SYSCONFDIR)/postured/postured.conf || \
		install -m 0644 packaging/postured.conf $(DESTDIR)$(SYSCONFDIR)/postured/postured.conf

# The Debian packages (debian/), built with dpkg-buildpackage from a copy of the tree in
# $(DEB_DIR)/src, so a developer's build/ is neither used nor cleaned, and the results
# (.deb, .changes, .buildinfo) land in $(DEB_DIR) rather than beside the tree.  debian/rules
# gets none of this make's MAKEFLAGS: a BUILD= given here would aim its `make clean` at ours.
# DEB_VERSION=0.1.0+1 gives the packages another version than debian/changelog's, for an
# upgrade test between two builds; DEB_DIR=$(BUILD)/deb-old keeps the first build's packages
# while the second is made.
DEB_DIR ?= $(BUILD)/deb
DEB_SRC := $(DEB_DIR)/src/postured-$(VERSION)
DEB_VERSION ?=

.PHONY: deb deb-check
deb:
	$(call msg,DEB,$(DEB_DIR))
	$(Q)rm -rf $(DEB_DIR) && mkdir -p $(DEB_SRC)
	$(Q)tar -c --exclude=./build --exclude='./$(BUILD)' --exclude=./.git . | tar -x -C $(DEB_SRC)
	$(Q)if [ -n "$(DEB_VERSION)" ]; then \
		sed -i '1s/([^)]*)/($(DEB_VERSION))/' $(DEB_SRC)/debian/changelog; fi
	$(Q)cd $(DEB_SRC) && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		dpkg-buildpackage -us -uc -b -J2 > ../build.log 2>&1 || \
		{ tail -40 ../build.log; echo "make deb: see $(DEB_DIR)/src/build.log" >&2; exit 1; }
	$(Q)mv $(DEB_DIR)/src/*.deb $(DEB_DIR)/src/*.changes $(DEB_DIR)/src/*.buildinfo $(DEB_DIR)/
	$(Q)ls -l $(DEB_DIR)/*.deb

# The packages lintian-clean at error and warning level (any override says why in
# debian/*.lintian-overrides), the build tree's path in none of their files, and their
# contents and maintainer scripts listed.
deb-check: deb
	$(call msg,LINTIAN,$(DEB_DIR)/*.changes)
	$(Q)lintian --fail-on error,warning --info $(DEB_DIR)/*.changes
	$(Q)for d in $(DEB_DIR)/*.deb; do echo "== $$d ($$(du -k $$d | cut -f1) KiB)"; \
		dpkg-deb -c $$d | awk '$$1 !~ /^d/ {print "  " $$1, $$6, $$7, $$8}'; \
		dpkg-deb --ctrl-tarfile $$d | tar -t | sed -n 's|^\./\(..*\)|  control: \1|p'; done
	$(Q)x=$$(mktemp -d) && for d in $(DEB_DIR)/*.deb; do dpkg-deb -x $$d $$x; done && \
		if grep -rlF '$(abspath $(DEB_DIR))' $$x; then rm -rf $$x; \
		echo "deb-check: the files above carry the build tree's path" >&2; exit 1; fi; rm -rf $$x

# The RPMs (packaging/rpm/postured.spec) for Fedora, built here on Debian as a test: a tarball
# of the tree (as make deb copies it) is Source0, rpmbuild -bb --nodeps (the BuildRequires are
# Fedora's package names, which Debian's rpm database has none of) builds in $(RPM_DIR).
# Debian's rpm is upstream rpm 4.18 without Fedora's redhat-rpm-config and systemd-rpm-macros,
# so what the build needs of those is defined here, and only here:
#   - the directories, as Fedora 42 has them (its /usr/sbin is /usr/bin; Debian's rpm says
#     /usr/com for /var/lib, and puts the version in /usr/share/doc/NAME);
#   - the unit scriptlets, which Fedora's macros write, as stand-ins (": systemd_post UNIT"),
#     so what this builds is for rpmlint and for reading, not for installing;
#   - Fedora's compiler and linker flags (less its gcc spec files and annobin), so that a
#     warning they bring (LTO, _FORTIFY_SOURCE=3) shows here first;
#   - -debuginfo and -debugsource packages, as Fedora makes, which strip the binaries;
#   - brp-compress run by bash: Debian's uses `read -d` under #!/bin/sh (dash), and leaves
#     the man pages uncompressed.
# Debian's rpm also lacks rpm 4.19's sysusers.d support, which on Fedora provides
# user(postured-sender); nothing here stands in for it.
RPM_DIR ?= $(BUILD)/rpm
RPM_SPEC := packaging/rpm/postured.spec
RPM_FEDORA_CFLAGS := -O2 -flto=auto -ffat-lto-objects -fexceptions -g -grecord-gcc-switches -pipe \
	-Wall -Werror=format-security -Wp,-U_FORTIFY_SOURCE,-D_FORTIFY_SOURCE=3 \
	-Wp,-D_GLIBCXX_ASSERTIONS -fstack-protector-strong -fasynchronous-unwind-tables \
	-fstack-clash-protection $(if $(filter x86,$(ARCH)),-fcf-protection) -fno-omit-frame-pointer
RPM_FEDORA_LDFLAGS := -Wl,-z,relro -Wl,--as-needed -Wl,-z,now -flto=auto -Wl,--build-id=sha1
RPM_FEDORA_MACROS := --define '_unitdir /usr/lib/systemd/system' \
	--define '_userunitdir /usr/lib/systemd/user' --define '_sysusersdir /usr/lib/sysusers.d' \
	--define '_tmpfilesdir /usr/lib/tmpfiles.d' --define '_sharedstatedir /var/lib' \
	--define '_sbindir /usr/bin' --define '_docdir_fmt %%{NAME}' \
	$(foreach m,systemd_post systemd_preun systemd_postun_with_restart systemd_user_post \
		systemd_user_preun systemd_user_postun,--define '$(m)() : $(m) %*') \
	--define 'optflags $(RPM_FEDORA_CFLAGS)' --define 'build_ldflags $(RPM_FEDORA_LDFLAGS)' \
	--define '_debugsource_packages 1' --define '_debuginfo_subpackages 1' \
	--define 'install %{debug_package}%%install' \
	--define '__brp_compress bash %{_rpmconfigdir}/brp-compress %{?_prefix}'

.PHONY: rpm rpm-check
# The spec's Version is the Makefile's VERSION, or this stops before building anything.
rpm:
	$(call msg,RPM,$(RPM_DIR))
	$(Q)v=$$(sed -n 's/^Version:[[:space:]]*//p' $(RPM_SPEC)); [ "$$v" = "$(VERSION)" ] || \
		{ echo "$(RPM_SPEC): Version $$v, but the Makefile's VERSION is $(VERSION)" >&2; exit 1; }
	$(Q)rm -rf $(RPM_DIR) && mkdir -p $(RPM_DIR)/SOURCES
	$(Q)tar -c -z --exclude=./build --exclude='./$(BUILD)' --exclude=./.git \
		--transform 's,^\.,postured-$(VERSION),' -f $(RPM_DIR)/SOURCES/postured-$(VERSION).tar.gz .
	$(Q)rpmbuild -bb --nodeps --define '_topdir $(abspath $(RPM_DIR))' --define '_smp_ncpus_max 2' \
		$(RPM_FEDORA_MACROS) $(RPM_SPEC) > $(RPM_DIR)/build.log 2>&1 || \
		{ tail -40 $(RPM_DIR)/build.log; echo "make rpm: see $(RPM_DIR)/build.log" >&2; exit 1; }
	$(Q)! grep -n 'warning:' $(RPM_DIR)/build.log || \
		{ echo "make rpm: warnings in $(RPM_DIR)/build.log (the spec builds with WERROR=)" >&2; exit 1; }
	$(Q)ls -l $(RPM_DIR)/RPMS/*/*.rpm

# rpmlint, with Fedora's settings (packaging/rpm/rpmlint-fedora.toml), passes the spec and the
# RPMs with no error or warning (-s; each filter in packaging/rpm/postured.rpmlintrc says why,
# and one no longer needed fails too); the build tree's path is in none of their files; their
# contents and scriptlets are listed.  The -debuginfo and -debugsource packages are rpm's own,
# not the spec's: they are built, not linted.
RPM_PACKAGES = $$(ls $(RPM_DIR)/RPMS/*/*.rpm | grep -Ev -- '-debug(info|source)-')

rpm-check: rpm
	$(call msg,RPMLINT,$(RPM_SPEC) $(RPM_DIR)/RPMS)
	$(Q)rpmlint -s -c packaging/rpm/rpmlint-fedora.toml -r packaging/rpm/postured.rpmlintrc \
		$(RPM_SPEC) $(RPM_PACKAGES)
	$(Q)for r in $(RPM_PACKAGES); do echo "== $$r ($$(du -k $$r | cut -f1) KiB)"; \
		rpm -qp --qf '[  %{FILEMODES:perms} %{FILEUSERNAME}/%{FILEGROUPNAME} %{FILENAMES}\n]' $$r; \
		rpm -qp --scripts $$r | sed 's/^/  /'; done
	$(Q)x=$$(mktemp -d) && for r in $(RPM_PACKAGES); do \
		rpm2cpio $$r | (cd $$x && cpio -idm --quiet); done && \
		if grep -rlF '$(abspath $(RPM_DIR))' $$x; then rm -rf $$x; \
		echo "rpm-check: the files above carry the build tree's path" >&2; exit 1; fi; rm -rf $$x

.PHONY: deps
deps:
	@tools/install-deps

# The quick start: a local collector with a test PKI, and the agent sending to it.
.PHONY: demo
demo: all
	@tools/demo $(BUILD)

.PHONY: clean
clean:
	rm -rf $(BUILD)

.PHONY: help
help:
	@echo "Targets: all (default) test unit check integration bench fuzz install deps demo"
	@echo "         po po-check docs-check man man-check deb deb-check rpm rpm-check format"
	@echo "         format-check clean."
	@echo "         V=1 shows commands."

# Not below $(BUILD)/vm, $(BUILD)/deb* or $(BUILD)/rpm: the real-boot test's image and make
# deb's and make rpm's copies of the tree hold directories (etc/rc2.d, tmpfiles.d) and builds
# of their own.
-include $(shell find $(BUILD) \( -path $(BUILD)/vm -o -path '$(BUILD)/deb*' -o -path '$(RPM_DIR)' \) \
	-prune -o \
	-name '*.d' -type f -print 2>/dev/null)
