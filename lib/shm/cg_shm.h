/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_SHM_H
#define CG_SHM_H
/* Placeholder: see /tmp/cg/CONTROL.md; the dataplane engineer writes it. */
#endif /* CG_SHM_H */
