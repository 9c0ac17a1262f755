# SPDX-License-Identifier: LGPL-2.1-or-later
# Included by the top-level Makefile: postured-notify (agent/notify/), the
# desktop notifier in the employee's session, a client of the status socket.

# Of posturectl only what it says too: the words about a finding (agent/ctl/ctl.mk).
NOTIFY_SRCS := agent/notify/notify.c $(CTL_SHARED_SRCS)

all: $(BUILD)/postured-notify

$(BUILD)/postured-notify: $(call obj,$(NOTIFY_SRCS)) $(BASIC_LIB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ $(PKG_LIBS) -o $@
