/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_CONF_H
#define CG_CONF_H

/* Placeholder: the owner of lib/conf replaces this with the library's API. */
int cg_conf_placeholder(void);

#endif /* CG_CONF_H */
