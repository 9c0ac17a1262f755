# SPDX-License-Identifier: LGPL-2.1-or-later
# Included by the top-level Makefile: postured-sender (agent/sender/), the
# unprivileged process the daemon forks and execs; it reads the daemon's spool.

# Batches and acknowledgements (sender.c), the policy fetch (sender_policy.c) and the
# enrollment request (sender_enroll.c), over
# libcurl's multi interface on sd-event (sender_curl.c).
SENDER_SRCS := $(addprefix agent/sender/,sender_main.c sender.c sender_curl.c sender_policy.c \
	sender_enroll.c sender_sign.c sender_user.c) $(SPOOL_SRCS)

all: $(BUILD)/postured-sender

# libssl: with the key in the TPM, the sender sets the key on libcurl's SSL_CTX itself.
SENDER_LIBS = $(shell $(PKG_CONFIG) --libs libssl 2>/dev/null)

$(BUILD)/postured-sender: $(call obj,$(SENDER_SRCS)) $(BASIC_LIB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ $(PKG_LIBS) $(SENDER_LIBS) -o $@
