# SPDX-License-Identifier: LGPL-2.1-or-later
# Included by the top-level Makefile: the policy library (policy/).
POLICY_SRCS :=
