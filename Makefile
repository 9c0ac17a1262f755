# SPDX-License-Identifier: LGPL-2.1-or-later
#
# postured.  `make` builds everything into build/; `make help` lists targets.

.DELETE_ON_ERROR:
.SECONDARY:
.SUFFIXES:

VERSION := 0.1.0
BUILD ?= build
PREFIX ?= /usr/local
DESTDIR ?=
SBINDIR ?= $(PREFIX)/sbin
BINDIR ?= $(PREFIX)/bin
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
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
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wmissing-prototypes \
	-Wno-unused-parameter
BASE_CFLAGS := -std=gnu17 -O2 -g $(WARNINGS) -fstack-protector-strong -D_FORTIFY_SOURCE=2 \
	-D_GNU_SOURCE -DPOSTURED_VERSION='"$(VERSION)"' -I$(BUILD)/probes -Iagent -Ipolicy
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
# The environment's flags come last so a packager's choices win.
ALL_CFLAGS = $(BASE_CFLAGS) $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(LDFLAGS)

BPF_CFLAGS := -target bpf -g -O2 -Wall -Werror -D__TARGET_ARCH_$(ARCH) -Iprobes

# --- sources -----------------------------------------------------------------

BASIC_SRCS := agent/basic/log.c agent/basic/fileio.c agent/basic/string-util.c
CORE_SRCS := agent/decode.c agent/proctab.c agent/device.c agent/format.c agent/finding.c \
	agent/config.c
PROBE_SRCS := agent/probe_common.c agent/probe_process.c
CHECKS_SRCS := $(addprefix agent/checks/,checks.c disk_encryption.c os_version.c ssh_server.c \
	automatic_updates.c secure_boot.c usb_storage.c)
# The spool and the sender (the daemon forks the sender; build/postured-sender runs it alone).
SPOOL_SRCS := agent/spool.c agent/envelope.c
AGENT_SRCS := agent/main.c agent/agent.c agent/privs.c agent/engine.c agent/engine_system.c \
	agent/hashcache.c agent/baseline.c agent/status.c agent/policy_sig.c $(SPOOL_SRCS) \
	$(PROBE_SRCS) $(CORE_SRCS) $(BASIC_SRCS) $(CHECKS_SRCS)
CTL_SRCS := agent/posturectl.c agent/ctl_check.c agent/baseline.c agent/basic/fileio.c $(CHECKS_SRCS)
# posturectl status|explain|events and the status socket's client library (also postured-notify).
CTLSTATUS_SRCS := agent/ctl_status.c agent/statusclient.c
CTL_SRCS += $(CTLSTATUS_SRCS)
# postured-notify, the desktop notifier in the user's session.
NOTIFY_SRCS := agent/notify.c $(CTLSTATUS_SRCS) agent/basic/log.c
# The spool and the sender; the daemon links them once agent.c forks the sender.
SENDER_SRCS := agent/sender_main.c agent/sender.c $(SPOOL_SRCS) agent/basic/log.c

BPF_PROBES := process
BPF_OBJS := $(BPF_PROBES:%=$(BUILD)/probes/%.bpf.o)
SKELETONS := $(BPF_PROBES:%=$(BUILD)/probes/%.skel.h)

UNIT_TESTS := decode proctab format config device engine spool
UNIT_TESTS += checks checks_ctl
UNIT_TESTS += ctl_status
# Every record kind against the OCSF schema subset in tests/fixtures/ocsf.
UNIT_TESTS += ocsf
UNIT_TESTS += policy_sig
# Each unit test links its module and what that module needs, nothing else.
ctl_status_DEPS = $(CTLSTATUS_SRCS)
decode_DEPS := agent/decode.c
proctab_DEPS := agent/proctab.c agent/decode.c agent/basic/fileio.c
format_DEPS = $(CHECKS_SRCS) agent/format.c agent/finding.c agent/decode.c agent/proctab.c agent/basic/fileio.c \
	agent/basic/string-util.c $(POLICY_SRCS)
ocsf_DEPS = $(CHECKS_SRCS) agent/format.c agent/finding.c agent/decode.c agent/proctab.c agent/basic/fileio.c \
	agent/basic/string-util.c $(POLICY_SRCS)
config_DEPS := agent/config.c agent/probe_process.c agent/probe_common.c $(BASIC_SRCS)
device_DEPS := agent/device.c agent/basic/fileio.c
checks_DEPS = $(CHECKS_SRCS) agent/basic/fileio.c $(POLICY_SRCS)
checks_ctl_DEPS = agent/ctl_check.c agent/baseline.c $(CHECKS_SRCS) agent/basic/fileio.c \
	$(POLICY_SRCS)
engine_DEPS = $(CHECKS_SRCS) agent/engine.c agent/finding.c agent/format.c agent/decode.c agent/proctab.c \
	agent/hashcache.c agent/basic/fileio.c agent/basic/string-util.c $(POLICY_SRCS)
spool_DEPS = agent/spool.c agent/envelope.c
policy_sig_DEPS = agent/policy_sig.c

INTEGRATION_TESTS := process_probe policy_enforce status_socket agent_collector

obj = $(patsubst %.c,$(BUILD)/$(2)obj/%.o,$(1))

# The policy library's sources, tests and tools.
include policy/policy.mk
include collector/collector.mk

.PHONY: all
all: $(BUILD)/postured $(BUILD)/posturectl $(BUILD)/postured-sender
all: $(BUILD)/postured-notify

# --- translations (po/) -------------------------------------------------------

LOCALEDIR ?= $(PREFIX)/share/locale
PO_LANGS := $(basename $(notdir $(wildcard po/*.po)))
MO_FILES := $(PO_LANGS:%=$(BUILD)/locale/%/LC_MESSAGES/postured.mo)
# Every file with strings the employee reads.
I18N_SRCS := agent/posturectl.c agent/ctl_status.c agent/ctl_policy.c $(wildcard agent/notify.c)

all: $(MO_FILES)

$(BUILD)/locale/%/LC_MESSAGES/postured.mo: po/%.po
	$(call msg,MSGFMT,$@)
	@mkdir -p $(@D)
	$(Q)msgfmt --check -o $@ $<

# Regenerates the template and merges it into every catalogue; run after changing strings.
.PHONY: po
po:
	$(Q)xgettext --from-code=UTF-8 --language=C --keyword=_ --keyword=N_ \
		--keyword=ngettext:1,2 --add-comments=TRANSLATORS: --package-name=postured \
		--package-version=$(VERSION) -o po/postured.pot $(I18N_SRCS)
	$(Q)for p in $(wildcard po/*.po); do msgmerge --quiet --update --backup=none $$p po/postured.pot; done

$(call obj,agent/ctl_status.c) $(call obj,agent/ctl_status.c,asan/): \
	CFLAGS += -DPOSTURED_LOCALEDIR='"$(LOCALEDIR)"'
# The unit test reads the catalogues built in the tree.
$(call obj,tests/unit/test_ctl_status.c) $(call obj,tests/unit/test_ctl_status.c,asan/): \
	CFLAGS += -DTEST_LOCALEDIR='"$(BUILD)/locale"'
$(BUILD)/tests/test_ctl_status $(BUILD)/asan/tests/test_ctl_status: | $(MO_FILES)

# --- BPF ---------------------------------------------------------------------

$(BUILD)/probes/%.bpf.o: probes/%.bpf.c probes/events.h probes/kernel_types.h
	$(call msg,BPF,$@)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

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

# The built-in baseline is assembled from the JSON file itself.
BASELINE_FILE := policy/baselines/telework.json
$(BUILD)/obj/agent/baseline.o $(BUILD)/asan/obj/agent/baseline.o: $(BASELINE_FILE)
$(BUILD)/obj/agent/baseline.o $(BUILD)/asan/obj/agent/baseline.o: \
	CFLAGS += -DBASELINE_FILE='"$(BASELINE_FILE)"'

$(BUILD)/postured: $(call obj,$(AGENT_SRCS)) $(POLICY_LIB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ $(PKG_LIBS) -o $@

$(BUILD)/postured-sender: $(call obj,$(SENDER_SRCS))
	$(call msg,LD,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ $(PKG_LIBS) -o $@

$(BUILD)/posturectl: $(call obj,$(CTL_SRCS))
	$(call msg,LD,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ $(PKG_LIBS) -o $@

$(BUILD)/postured-notify: $(call obj,$(NOTIFY_SRCS))
	$(call msg,LD,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ $(PKG_LIBS) -o $@

# --- tests -------------------------------------------------------------------

TEST_LIBS = $(PKG_LIBS) $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

define unit_test_rules
$(BUILD)/tests/test_$(1): $(call obj,tests/unit/test_$(1).c $($(1)_DEPS))
	$$(call msg,LD,$$@)
	@mkdir -p $$(@D)
	$$(Q)$$(CC) $$(ALL_CFLAGS) $$(ALL_LDFLAGS) $$^ $$(TEST_LIBS) -o $$@
$(BUILD)/asan/tests/test_$(1): $(call obj,tests/unit/test_$(1).c $($(1)_DEPS),asan/)
	$$(call msg,LD-SAN,$$@)
	@mkdir -p $$(@D)
	$$(Q)$$(CC) $$(ALL_CFLAGS) $$(SAN_FLAGS) $$(ALL_LDFLAGS) $$^ $$(TEST_LIBS) -o $$@
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_test_rules,$(t))))

$(BUILD)/tests/integration/%: tests/integration/%.c tests/integration/harness.h $(BUILD)/postured
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $< $(PKG_LIBS) -o $@

# End to end: the spool and the sender against the real collector, on loopback.
$(BUILD)/tests/e2e/test_e2e: $(call obj,tests/e2e/test_e2e.c $(SPOOL_SRCS))
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ $(PKG_LIBS) -o $@

# The notifier against a private session bus, a test notification server and a fake agent.
$(BUILD)/tests/notify/test_notify: tests/notify/test_notify.c
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $< $(PKG_LIBS) -lpthread -o $@

.PHONY: notify-test
notify-test: $(BUILD)/tests/notify/test_notify $(BUILD)/postured-notify $(MO_FILES)
	@$(BUILD)/tests/notify/test_notify $(BUILD)

.PHONY: e2e
e2e: $(BUILD)/tests/e2e/test_e2e $(BUILD)/postured-sender $(BUILD)/posture-collector
	@$(BUILD)/tests/e2e/test_e2e $(BUILD)

$(BUILD)/tests/helpers/%: tests/helpers/%.c
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $< -o $@

TEST_HELPERS := exit_with spawn_storm write_marker
HELPER_BINS := $(TEST_HELPERS:%=$(BUILD)/tests/helpers/%)

.PHONY: unit check integration test
unit: $(UNIT_TESTS:%=$(BUILD)/tests/test_%)
	@tests/run-unit $^

check: $(UNIT_TESTS:%=$(BUILD)/asan/tests/test_%) format-check
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		tests/run-unit $(UNIT_TESTS:%=$(BUILD)/asan/tests/test_%)

integration: all $(INTEGRATION_TESTS:%=$(BUILD)/tests/integration/%) $(HELPER_BINS)
	@tests/run-integration $(BUILD) $(INTEGRATION_TESTS)

# Everything CI runs: both compilers clean, unit tests plain and sanitized, the kernel tests.
test: all unit check integration clang-build collector-test e2e notify-test

.PHONY: clang-build
clang-build:
	$(call msg,CLANG,userspace with -Werror)
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/clang CC=$(CLANG) all \
		$(UNIT_TESTS:%=$(BUILD)/clang/tests/test_%)

FORMAT_FILES = $(filter-out %/kernel_types.h,$(wildcard agent/*.[ch] agent/basic/*.[ch] agent/checks/*.[ch] \
	probes/*.[ch] tests/unit/*.[ch] tests/integration/*.[ch] tests/helpers/*.c tests/bench/*.c \
	tests/fuzz/*.c))

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
REPORT_BENCH_SRCS := tests/bench/report_bench.c $(SPOOL_SRCS) agent/format.c agent/finding.c \
	agent/decode.c agent/proctab.c agent/basic/fileio.c agent/basic/string-util.c $(CHECKS_SRCS)

$(BUILD)/tests/bench/execbench: tests/bench/execbench.c
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $< -lm -o $@

$(BUILD)/tests/bench/policy_bench: tests/bench/policy_bench.c $(POLICY_LIB)
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ $(PKG_LIBS) -o $@

$(BUILD)/tests/bench/report_bench: $(call obj,$(REPORT_BENCH_SRCS)) $(POLICY_LIB)
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ $(PKG_LIBS) -o $@

# The policy evaluation bench first (quick, userspace only), then reports through the
# sender to the collector, then the agent on the machine.
.PHONY: bench
bench: all $(BENCH_BINS) $(BUILD)/posture-collector
	@$(BUILD)/tests/bench/policy_bench $${BENCH_POLICY_RULES:-1000}; p=$$?; \
		$(BUILD)/tests/bench/report_bench $(BUILD); s=$$?; \
		tests/bench/run-bench $(BUILD); r=$$?; [ $$p -eq 0 ] && [ $$s -eq 0 ] && [ $$r -eq 0 ]

# --- fuzzing -----------------------------------------------------------------

FUZZ_TARGETS := decode
decode_FUZZ_DEPS := agent/decode.c

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(SKELETONS)
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

.PHONY: install
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSCONFDIR)/postured $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR)
	install -m 0755 $(BUILD)/postured $(DESTDIR)$(SBINDIR)/postured
	install -m 0755 $(BUILD)/postured-sender $(DESTDIR)$(SBINDIR)/postured-sender
	install -m 0755 $(BUILD)/posturectl $(DESTDIR)$(BINDIR)/posturectl
	install -m 0755 $(BUILD)/postured-notify $(DESTDIR)$(BINDIR)/postured-notify
	install -d $(DESTDIR)$(PREFIX)/lib/systemd/user $(DESTDIR)$(SYSCONFDIR)/xdg/autostart
	sed 's|@BINDIR@|$(BINDIR)|g' packaging/systemd/user/postured-notify.service \
		> $(DESTDIR)$(PREFIX)/lib/systemd/user/postured-notify.service
	sed 's|@BINDIR@|$(BINDIR)|g' packaging/xdg/postured-notify.desktop \
		> $(DESTDIR)$(SYSCONFDIR)/xdg/autostart/postured-notify.desktop
	chmod 0644 $(DESTDIR)$(PREFIX)/lib/systemd/user/postured-notify.service \
		$(DESTDIR)$(SYSCONFDIR)/xdg/autostart/postured-notify.desktop
	for l in $(PO_LANGS); do install -D -m 0644 $(BUILD)/locale/$$l/LC_MESSAGES/postured.mo \
		$(DESTDIR)$(LOCALEDIR)/$$l/LC_MESSAGES/postured.mo; done
	sed 's|@SBINDIR@|$(SBINDIR)|g' packaging/systemd/postured.service.in \
		> $(DESTDIR)$(UNITDIR)/postured.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/postured.service
	install -m 0644 packaging/sysusers.d/postured.conf $(DESTDIR)$(SYSUSERSDIR)/postured.conf
	install -m 0644 packaging/tmpfiles.d/postured.conf $(DESTDIR)$(TMPFILESDIR)/postured.conf
	test -e $(DESTDIR)$(SYSCONFDIR)/postured/postured.conf || \
		install -m 0640 packaging/postured.conf $(DESTDIR)$(SYSCONFDIR)/postured/postured.conf

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
	@echo "         format format-check clean.  V=1 shows commands."

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
