#!/usr/bin/env bash
# (h) DPDK's log goes through castgate's: with [log] format = "json", the
# EAL's and the PMDs' lines are JSON lines like castgate's own, marked
# "source": "dpdk", at the level DPDK gave them. A port with a devarg its PMD
# refuses (net_null1,bogus=1) makes the EAL complain; the data plane then
# refuses to run without the port (exit 1). Every line on stderr is JSON.
set -euo pipefail
source "$(dirname "$0")/../lib/cg_test.sh"

cg_init 23
conf=$CG_TMP/castgate.toml
cat >"$conf" <<EOF
[log]
format = "json"

[dataplane]
lcores = "0"
file_prefix = "$CG_FILE_PREFIX"
no_huge = true
memory_mb = 256

[control]
state_file = "$CG_TMP/no-api-rules.json"

[[port]]
name = "good"
device = "net_null0"
ip = "$CG_NET.2/24"
mac = "02:00:00:00:23:01"

[[port]]
name = "bad"
device = "net_null1,bogus=1"
ip = "$CG_NET.3/24"
mac = "02:00:00:00:23:02"
EOF
rc=0
"$CG_DP" -c "$conf" >"$CG_TMP/dp.out" 2>"$CG_TMP/dp.err" || rc=$?
cg_assert_eq "refuses to run without the bad port (exit status)" 1 "$rc"
read -r total json dpdk probe < <("$CG_PY" - "$CG_TMP/dp.err" <<'EOF'
import json, sys
total = ok = dpdk = probe = 0
for line in open(sys.argv[1]):
    total += 1
    try:
        d = json.loads(line)
    except ValueError:
        continue
    ok += 1
    if d.get("source") == "dpdk":
        dpdk += 1
        if d.get("level") == "error" and "net_null1" in d.get("msg", ""):
            probe += 1
print(total, ok, dpdk, probe)
EOF
)
cg_assert_ge "lines on stderr" 3 "$total"
cg_assert_eq "every line is JSON" "$total" "$json"
cg_assert_ge "DPDK's lines among them (source dpdk)" 2 "$dpdk"
cg_assert_eq "the PMD's refusal is an error line naming the device" 1 "$probe"
cg_finish
