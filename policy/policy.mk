# SPDX-License-Identifier: LGPL-2.1-or-later
# Included by the top-level Makefile: the policy library (policy/), its unit
# tests, its fuzz target, and `posturectl policy`.
#
# Included before the Makefile's own `all:` rule, so the first rule here is
# `all:` itself: otherwise it would become the default goal.

POLICY_SRCS := policy/arena.c policy/jsontree.c policy/policy.c policy/policy_check.c \
	policy/policy_errors.c policy/policy_eval.c policy/policy_net.c policy/policy_parse.c
POLICY_LIB = $(BUILD)/policy/libpolicy.a

all: $(POLICY_LIB)

$(BUILD)/policy/libpolicy.a: $(call obj,$(POLICY_SRCS))
	$(call msg,AR,$@)
	@mkdir -p $(@D)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

# Unit tests: UNIT_TESTS is set before this file is included and expanded after.
UNIT_TESTS += policy_parse policy_eval policy_eval_net policy_baseline policy_ctl
# test_policy_parse is one binary; network rules' cases are a file of their own.
policy_parse_DEPS := tests/unit/test_policy_parse_net.c $(POLICY_SRCS)
policy_eval_DEPS := $(POLICY_SRCS)
policy_eval_net_DEPS := $(POLICY_SRCS)
policy_baseline_DEPS := $(POLICY_SRCS)
policy_ctl_DEPS := agent/ctl/ctl_policy.c agent/postured/config.c $(POLICY_SRCS)

# Fuzzing.  The Makefile sets FUZZ_TARGETS after including this file, so
# the policy target joins `make fuzz` as a prerequisite (the recipe runs every
# one, with its corpus in tests/fuzz/corpus/policy).  `make fuzz-policy` runs
# it alone, with the language's dictionary.  The recipe links nothing but the
# deps, hence yajl here.
policy_FUZZ_DEPS := $(POLICY_SRCS) basic/fileio.c $(shell $(PKG_CONFIG) --libs yajl 2>/dev/null)
fuzz: $(BUILD)/fuzz/fuzz_policy
# The pattern rule compiles the deps in its recipe; rebuild when they change.
$(BUILD)/fuzz/fuzz_policy: $(POLICY_SRCS) $(wildcard policy/*.h)

.PHONY: fuzz-policy
fuzz-policy: $(BUILD)/fuzz/fuzz_policy
	@echo "  FUZZ-RUN $<"
	@mkdir -p $(BUILD)/fuzz/corpus-policy
	$(Q)$< -max_total_time=$${FUZZ_SECONDS:-30} -max_len=$${FUZZ_MAX_LEN:-8192} \
		-dict=policy/fuzz.dict $(BUILD)/fuzz/corpus-policy tests/fuzz/corpus/policy

# clang-format: FORMAT_FILES is set after this file is included and covers
# agent/, tests/unit/ and tests/fuzz/; policy/ is checked by a rule of its own
# that format-check runs.
POLICY_FORMAT_FILES = $(wildcard policy/*.[ch])

.PHONY: policy-format-check policy-format
format-check: policy-format-check
policy-format-check:
	$(call msg,FORMAT,policy dry run)
	$(Q)$(CLANG_FORMAT) --dry-run --Werror $(POLICY_FORMAT_FILES)

format: policy-format
policy-format:
	$(Q)$(CLANG_FORMAT) -i $(POLICY_FORMAT_FILES)
