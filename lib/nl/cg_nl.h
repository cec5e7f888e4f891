/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_NL_H
#define CG_NL_H

/* Placeholder: the owner of lib/nl replaces this with the library's API. */
int cg_nl_placeholder(void);

#endif /* CG_NL_H */
