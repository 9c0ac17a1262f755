# SPDX-License-Identifier: LGPL-2.1-or-later
# Included by the top-level Makefile: postured-sender (agent/sender/), the
# unprivileged process the daemon forks and execs; it reads the daemon's spool.

SENDER_SRCS := agent/sender/sender_main.c agent/sender/sender.c agent/sender/sender_user.c \
	$(SPOOL_SRCS)

all: $(BUILD)/postured-sender

$(BUILD)/postured-sender: $(call obj,$(SENDER_SRCS)) $(BASIC_LIB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ $(PKG_LIBS) -o $@
