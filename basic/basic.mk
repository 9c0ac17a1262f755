# SPDX-License-Identifier: LGPL-2.1-or-later
# Included by the top-level Makefile: basic/, the small helpers every program,
# policy/ and collector/ share, as a static library (plain and sanitized), so a
# program links only the objects it uses.

BASIC_SRCS := basic/log.c basic/fileio.c basic/string-util.c basic/netlink-util.c
# Linked only by the programs that use yajl.
BASIC_SRCS += basic/json-util.c
# Linked only by the programs that use SQLite: the archive pulls what is used.
BASIC_SRCS += basic/sqlite-util.c
# Linked only by the programs that use OpenSSL.
BASIC_SRCS += basic/openssl-util.c
BASIC_LIB = $(BUILD)/basic/libbasic.a
BASIC_LIB_SAN = $(BUILD)/asan/basic/libbasic.a

# basic/ includes no BPF skeleton, so its objects do not wait for them.
$(BUILD)/obj/basic/%.o: basic/%.c
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/asan/obj/basic/%.o: basic/%.c
	$(call msg,CC-SAN,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -MMD -MP -c $< -o $@

$(BASIC_LIB): $(call obj,$(BASIC_SRCS))
$(BASIC_LIB_SAN): $(call obj,$(BASIC_SRCS),asan/)
$(BASIC_LIB) $(BASIC_LIB_SAN):
	$(call msg,AR,$@)
	@mkdir -p $(@D)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^
