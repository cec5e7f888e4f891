/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_WARP_H
#define CG_WARP_H

/* Placeholder: the owner of lib/warp replaces this with the library's API. */
int cg_warp_placeholder(void);

#endif /* CG_WARP_H */
