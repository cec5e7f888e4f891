/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_RULE_H
#define CG_RULE_H

/* Placeholder: the owner of lib/rule replaces this with the library's API. */
int cg_rule_placeholder(void);

#endif /* CG_RULE_H */
