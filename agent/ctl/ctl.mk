# SPDX-License-Identifier: LGPL-2.1-or-later
# Included by the top-level Makefile: posturectl (agent/ctl/), one file a verb
# (ctl_<verb>.c), and the few files postured-notify shares with it.

# posturectl check runs the daemon's checks itself, against the built-in baseline;
# posturectl policy check reads the daemon's configuration (whether it captures arguments).
CTL_SRCS := agent/ctl/posturectl.c agent/ctl/ctl_check.c agent/ctl/ctl_policy.c \
	agent/postured/baseline.c agent/postured/config.c $(CHECKS_SRCS)
# What postured-notify shares with posturectl: the status socket's client library,
# the words about a finding, and the text domain's setup.
CTL_SHARED_SRCS := agent/ctl/statusclient.c agent/ctl/finding_text.c agent/ctl/ctl_i18n.c
# posturectl status|explain|events|sent, what they share in asking the agent, and
# the terminal output every verb uses.
CTLSTATUS_SRCS := agent/ctl/ctl_status.c agent/ctl/ctl_explain.c agent/ctl/ctl_events.c \
	agent/ctl/ctl_sent.c agent/ctl/ctl_enroll.c agent/ctl/ctl_agent.c agent/ctl/ctl_output.c $(CTL_SHARED_SRCS)
CTL_SRCS += $(CTLSTATUS_SRCS)

all: $(BUILD)/posturectl

$(BUILD)/posturectl: $(call obj,$(CTL_SRCS)) $(POLICY_LIB) $(BASIC_LIB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ $(PKG_LIBS) -o $@

# ctl_check.c measures its labels with ctl_output's width, as every verb does.
checks_ctl_DEPS += agent/ctl/ctl_output.c
