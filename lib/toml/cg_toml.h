/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_TOML_H
#define CG_TOML_H

/* Placeholder: the owner of lib/toml replaces this with the library's API. */
int cg_toml_placeholder(void);

#endif /* CG_TOML_H */
