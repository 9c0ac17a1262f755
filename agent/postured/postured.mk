# SPDX-License-Identifier: LGPL-2.1-or-later
# Included by the top-level Makefile: postured, the daemon (agent/postured/).
# The lists follow the pipeline; agent.h's table says which stage lives where.

# Decoding, the process table, device facts, the OCSF writer and findings.
CORE_SRCS := $(addprefix agent/postured/,decode.c proctab.c device.c device_type.c format.c finding.c \
	config.c)
# The probe loaders; network rules are decided in the kernel (probes/net.bpf.c).
PROBE_SRCS := $(addprefix agent/postured/,probe_common.c probe_process.c probe_net.c \
	probe_net_rules.c)
CHECKS_SRCS := $(addprefix agent/postured/checks/,checks.c disk_encryption.c os_version.c \
	ssh_server.c automatic_updates.c secure_boot.c usb_storage.c)
# The firewall (libnftables, its JSON read with yajl) and screen lock (dconf's GVDB) checks.
CHECKS_SRCS += $(addprefix agent/postured/checks/,firewall.c nft_ruleset.c screen_lock.c gvdb.c)
# The checks that ask services over the system bus, and the runner that bounds every check in time.
CHECKS_SRCS += $(addprefix agent/postured/checks/,check_bus.c required_services.c time_sync.c \
	runner.c)
# The spool: the daemon appends, postured-sender reads and acknowledges.  It writes its loss
# record itself (format_loss.c), with the OCSF attributes format.c's records start with (ocsf.c).
SPOOL_SRCS := $(addprefix agent/postured/,spool.c envelope.c format_loss.c ocsf.c)
# The daemon: agent.c the lifecycle, agent_<concern>.c and policy_feed.c the wiring of each stage.
AGENT_SRCS := $(addprefix agent/postured/,main.c agent.c agent_records.c agent_net.c \
	agent_findings.c agent_status.c agent_reports.c agent_checks.c agent_policy.c policy_feed.c)
# Tamper evidence: the run state, the agent's start and stop records, the watch over its BPF
# links, and whether systemd is shutting the system down.
AGENT_SRCS += $(addprefix agent/postured/,agent_tamper.c runstate.c bpfwatch.c \
	format_lifecycle.c shutdown.c)
AGENT_SRCS += $(addprefix agent/postured/,privs.c engine.c engine_system.c hashcache.c baseline.c \
	status.c policy_sig.c)
# The engine's judges, around its core (engine.c); engine-internal.h says who keeps what.
ENGINE_JUDGE_SRCS := $(addprefix agent/postured/,engine_process.c engine_checks.c engine_net.c)
AGENT_SRCS += $(ENGINE_JUDGE_SRCS)
AGENT_SRCS += $(SPOOL_SRCS) $(PROBE_SRCS) $(CORE_SRCS) $(CHECKS_SRCS)
# The sockets listening now (sock_diag + /proc) and network changes (rtnetlink).
AGENT_SRCS += agent/postured/listeners.c agent/postured/netwatch.c
AGENT_SRCS += agent/postured/identity.c agent/postured/identity_tpm.c agent/postured/agent_identity.c
# The system's resolvers: resolv.conf, systemd-resolved over D-Bus, followed.
AGENT_SRCS += agent/postured/resolvers.c agent/postured/resolved.c agent/postured/agent_resolvers.c
# Sleep and wake-up from systemd-logind over D-Bus, with a delay lock (agent_tamper.c reports them).
AGENT_SRCS += agent/postured/sleepwatch.c
# Which user the sender runs as, to give it the policy hand-over directory.
AGENT_SRCS += agent/sender/sender_user.c

all: $(BUILD)/postured

# The built-in baseline is assembled from the JSON file itself.  Never with LTO (Fedora's
# flags have -flto=auto): the labels its top-level asm defines are local to the object, and
# LTO may put the asm and baseline_json() in different partitions, which then do not link.
BASELINE_FILE := policy/baselines/telework.json
$(call obj,agent/postured/baseline.c) $(call obj,agent/postured/baseline.c,asan/): $(BASELINE_FILE)
$(call obj,agent/postured/baseline.c) $(call obj,agent/postured/baseline.c,asan/): \
	CFLAGS += -DBASELINE_FILE='"$(BASELINE_FILE)"' -fno-lto

$(BUILD)/postured: $(call obj,$(AGENT_SRCS)) $(POLICY_LIB) $(BASIC_LIB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ $(PKG_LIBS) -o $@
