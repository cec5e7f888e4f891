/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_PKT_H
#define CG_PKT_H

/* Placeholder: the owner of lib/pkt replaces this with the library's API. */
int cg_pkt_placeholder(void);

#endif /* CG_PKT_H */
