#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The library graph three ways must agree: the includes of lib/<name>/*.[ch] (which header of
which other library each one uses), the dependencies its lib/<name>/meson.build declares
(cg_<other>_dep), and the "depends on" column of docs/ARCHITECTURE.md's source tree table.

    lib_deps.py SRC_ROOT        exit 0 when they agree, 1 with one line per difference
"""
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "."
libdir = os.path.join(root, "lib")
libs = sorted(d for d in os.listdir(libdir) if os.path.isdir(os.path.join(libdir, d)))

# Which library owns each header.
owner = {}
for lib in libs:
    for f in os.listdir(os.path.join(libdir, lib)):
        if f.endswith(".h"):
            owner[f] = lib

include_re = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
dep_re = re.compile(r"\bcg_([a-z0-9]+)_dep\b")

problems = []
uses = {}
declared = {}
for lib in libs:
    d = os.path.join(libdir, lib)
    used = set()
    for f in sorted(os.listdir(d)):
        if not f.endswith((".c", ".h")):
            continue
        with open(os.path.join(d, f), encoding="utf-8") as fh:
            for h in include_re.findall(fh.read()):
                o = owner.get(os.path.basename(h))
                if o is None:
                    problems.append(f"lib/{lib}/{f}: includes \"{h}\", which no library owns")
                elif o != lib:
                    used.add(o)
    uses[lib] = used
    with open(os.path.join(d, "meson.build"), encoding="utf-8") as fh:
        mb = fh.read()
    declared[lib] = {m for m in dep_re.findall(mb) if m != lib and m in libs}

table = {}
with open(os.path.join(root, "docs", "ARCHITECTURE.md"), encoding="utf-8") as fh:
    for line in fh:
        m = re.match(r"^\|\s*`lib/([a-z0-9]+)`\s*\|.*\|([^|]*)\|\s*$", line)
        if m:
            deps = {x.strip() for x in m.group(2).split(",")}
            table[m.group(1)] = {x for x in deps if x in libs}

for lib in libs:
    if lib not in table:
        problems.append(f"docs/ARCHITECTURE.md: no row for lib/{lib}")
        continue
    for o in sorted(uses[lib] - declared[lib]):
        problems.append(f"lib/{lib}: includes lib/{o}'s header, but its meson.build does not "
                        f"declare cg_{o}_dep")
    for o in sorted(declared[lib] - uses[lib]):
        problems.append(f"lib/{lib}/meson.build: declares cg_{o}_dep, but includes nothing of it")
    for o in sorted(uses[lib] - table[lib]):
        problems.append(f"docs/ARCHITECTURE.md: lib/{lib}'s row lacks {o} (it includes it)")
    for o in sorted(table[lib] - uses[lib]):
        problems.append(f"docs/ARCHITECTURE.md: lib/{lib}'s row names {o}, which it does not "
                        "include")
for lib in sorted(set(table) - set(libs)):
    problems.append(f"docs/ARCHITECTURE.md: row for lib/{lib}, which does not exist")

for p in problems:
    print(p)
print(f"lib-deps: {len(libs)} libraries, "
      f"{sum(len(u) for u in uses.values())} edges, {len(problems)} difference(s)")
sys.exit(1 if problems else 0)
