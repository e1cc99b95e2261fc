#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0
# Whole-command speed of vmadm list/get against what a user could use instead: cat of the same
# records, in the same run (DESIGN.md, "Performance stance"). Builds a throwaway host under a
# temporary LUMOS_ROOT with 1,000 VMs, times with hyperfine and prints one row per comparison:
#   (a) vmadm list              vs cat of every record           target <= 3x
#   (b) the same after adding 100 snapshots per VM                list not slower than in (a)
#   (c) vmadm get <uuid>        vs cat of that record            target <= 3x
# Exits 1 when a row fails, 2 when the setup cannot run.
#
# Environment: VMADM (default build/release/src/cmd/vmadm/vmadm), VM_COUNT (1000),
# CLI_BUDGET_S (30: creates go through "vmadm create" until this many seconds have passed, the
# rest are copies of a created record with fresh uuids), RESULTS_DIR (hyperfine JSON exports;
# default: inside the temporary root, removed at exit).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
vmadm=${VMADM:-$repo/build/release/src/cmd/vmadm/vmadm}
vm_count=${VM_COUNT:-1000}
cli_budget_s=${CLI_BUDGET_S:-30}
snapshots_per_vm=100
# hyperfine means of the same command wander by a few percent between runs; "not slower" allows
# that much before calling it a regression.
noise=1.10

die() { echo "list_vs_cat: $*" >&2; exit 2; }
calc() { awk "BEGIN { print $1 }"; }       # floating-point arithmetic: calc '1.5 * 2'
holds() { awk "BEGIN { exit !($1) }"; }    # a floating-point comparison as an exit status
[[ $(id -u) -eq 0 ]] || die "run as root (vmadm refuses to manage VMs otherwise)"
[[ -x $vmadm ]] || die "no vmadm binary at $vmadm (build the release preset or set VMADM)"
vmadm=$(realpath "$vmadm")
for tool in hyperfine jq python3; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done

LUMOS_ROOT=$(mktemp -d /tmp/lumos-bench.XXXXXX)
export LUMOS_ROOT
trap 'rm -rf "$LUMOS_ROOT"' EXIT
results=${RESULTS_DIR:-$LUMOS_ROOT/results}
mkdir -p "$results"
records=$LUMOS_ROOT/etc/lumos/vms

# --- the host: one installed image and two nic tags -------------------------------------------
image_uuid=8a3b0b4e-0c0f-4bd4-9e35-4d8e6a4b1c01
mkdir -p "$LUMOS_ROOT/var/imgadm/images" "$LUMOS_ROOT/etc/lumos"
cat >"$LUMOS_ROOT/var/imgadm/images/zones-$image_uuid.json" <<EOF
{"manifest":{"v":2,"uuid":"$image_uuid","name":"base","version":"1.0","type":"zone-dataset","os":"smartos"},"zpool":"zones"}
EOF
printf 'admin_nic=00:00:00:00:00:01\nexternal_nic=00:00:00:00:00:02\n' \
    >"$LUMOS_ROOT/etc/lumos/config"

payload() # index -> a typical joyent create payload with its own address
{
    local i=$1
    cat <<EOF
{"brand":"joyent","alias":"bench$i","hostname":"bench$i","image_uuid":"$image_uuid",
 "autoboot":false,"max_physical_memory":512,"quota":10,"resolvers":["10.88.0.1"],
 "nics":[{"nic_tag":"admin","ips":["10.88.$((i / 250)).$((i % 250 + 1))/16"],
          "gateways":["10.88.255.254"],"primary":true}],
 "customer_metadata":{"user-script":"#!/bin/sh\necho $i","role":"bench"},
 "tags":{"role":"bench","index":"$i"}}
EOF
}

# --- 1,000 VMs: through the CLI while the budget lasts, then copies ----------------------------
echo "creating $vm_count VMs in $LUMOS_ROOT ..."
start=$(date +%s.%N)
created=0
get_uuid=
while ((created < vm_count)); do
    if ! out=$(payload "$created" | "$vmadm" create 2>&1); then
        die "vmadm create failed: $out"
    fi
    created=$((created + 1))
    get_uuid=${get_uuid:-${out##* }} # "Successfully created VM <uuid>": get times a real one
    if holds "$(date +%s.%N) - $start > $cli_budget_s"; then
        break
    fi
done
cli_seconds=$(calc "$(date +%s.%N) - $start")
printf 'vmadm create: %d VMs in %.1f s (%.1f ms each)\n' "$created" "$cli_seconds" \
    "$(calc "$cli_seconds * 1000 / $created")"

if ((created < vm_count)); then
    echo "budget of ${cli_budget_s}s spent: copying a created record $((vm_count - created)) times"
    python3 - "$LUMOS_ROOT" "$((vm_count - created))" <<'EOF'
import json, os, random, shutil, sys, uuid
root, count = sys.argv[1], int(sys.argv[2])
vms = os.path.join(root, "etc/lumos/vms")
source = sorted(os.listdir(vms))[0]
with open(os.path.join(vms, source)) as f:
    text = f.read()
record = json.loads(text)
old = record["uuid"]
pretty = text.lstrip().startswith("{\n")
for n in range(count):
    new = str(uuid.uuid4())
    copy = json.loads(json.dumps(record).replace(old, new))
    for nic in copy.get("nics", []):
        nic["mac"] = "02:%02x:%02x:%02x:%02x:%02x" % tuple(random.randrange(256) for _ in range(5))
        address = "10.89.%d.%d" % (n // 250, n % 250 + 1)
        nic["ips"] = [address + "/16"]
        if "ip" in nic:
            nic["ip"] = address
    copy["alias"] = "copy%d" % n
    with open(os.path.join(vms, new + ".json"), "w") as f:
        f.write(json.dumps(copy, indent=2) + "\n" if pretty else json.dumps(copy))
    # the per-VM config files (metadata, tags, routes) live under the zonepath
    src_zone = os.path.join(root, record.get("zpool", "zones"), old)
    if os.path.isdir(src_zone):
        shutil.copytree(src_zone, os.path.join(root, record.get("zpool", "zones"), new))
EOF
fi
count=$(find "$records" -name '*.json' | wc -l)
[[ $count -eq $vm_count ]] || die "expected $vm_count records, found $count"
listed=$("$vmadm" list -H | wc -l)
[[ $listed -eq $vm_count ]] || die "vmadm list printed $listed rows, expected $vm_count"
"$vmadm" get "$get_uuid" >/dev/null || die "vmadm get $get_uuid failed"

# --- measuring ----------------------------------------------------------------------------------
# hyperfine starts each command itself (-N, no shell: a shell's start-up is as long as a cat of
# one record, and its calibration error would swamp the baseline), output to /dev/null. cat
# therefore gets the record paths spelled out instead of a glob.
measure() # name, command... -> $results/<name>.json
{
    local name=$1
    shift
    hyperfine -N --output=null --warmup 3 --runs 20 --style none \
        --export-json "$results/$name.json" "$@" >/dev/null
}
mean_ms() # name, index -> mean in ms
{
    jq -r ".results[$2].mean * 1000" "$results/$1.json"
}

rows=()
failed=0
row() # command, mean ms, baseline ms, baseline name, limit (ratio)
{
    local ratio verdict
    ratio=$(calc "$2 / $3")
    if holds "$ratio <= $5"; then verdict=PASS; else verdict=FAIL failed=1; fi
    rows+=("$(printf '%-44s %9.2f %8.2fx  %-22s %s' "$1" "$2" "$ratio" "<= ${5}x $4" "$verdict")")
}

[[ "$LUMOS_ROOT$vmadm" != *[[:space:]]* ]] || die "hyperfine -N splits commands at spaces: $vmadm, $LUMOS_ROOT"
list_cmd="$vmadm list"
cat_all="cat $(find "$records" -name '*.json' | sort | tr '\n' ' ')"
get_cmd="$vmadm get $get_uuid"
cat_one="cat $records/$get_uuid.json"

echo "measuring (a) list and (c) get on $vm_count plain records ..."
measure plain "$list_cmd" "$cat_all" "$get_cmd" "$cat_one"
list_a=$(mean_ms plain 0) cat_a=$(mean_ms plain 1) get_a=$(mean_ms plain 2) one_a=$(mean_ms plain 3)
size_a=$(du -sk "$records" | cut -f1)

echo "adding $snapshots_per_vm snapshots to every VM ..."
# The store keeps a VM's snapshot list beside its record (<uuid>.snapshots.json), never in it, so
# listing must not read them at all; get reads that one extra file.
python3 - "$records" "$snapshots_per_vm" <<'EOF'
import json, os, sys
vms, count = sys.argv[1], int(sys.argv[2])
for name in os.listdir(vms):
    if len(name) != 41 or not name.endswith(".json"):
        continue
    snapshots = [
        {"name": "snap%d" % n, "size": 0,
         "created_at": "2026-11-23T10:%02d:%02d.000Z" % (n // 60, n % 60)}
        for n in range(count, 0, -1)]
    path = os.path.join(vms, name[:36] + ".snapshots.json")
    with open(path + ".tmp", "w") as f:
        f.write(json.dumps(snapshots, indent=2) + "\n")
    os.rename(path + ".tmp", path)
EOF
size_b=$(du -sk "$records" | cut -f1)

echo "measuring (b) list and get with snapshots ..."
measure snapshots "$list_cmd" "$cat_all" "$get_cmd" "$cat_one"
list_b=$(mean_ms snapshots 0) cat_b=$(mean_ms snapshots 1) get_b=$(mean_ms snapshots 2)
one_b=$(mean_ms snapshots 3)

row "(a) vmadm list ($vm_count VMs)" "$list_a" "$cat_a" "cat" 3
row "(b) vmadm list (+$snapshots_per_vm snapshots each)" "$list_b" "$cat_b" "cat" 3
row "(b) vmadm list, with vs without snapshots" "$list_b" "$list_a" "list(a)" "$noise"
row "(c) vmadm get <uuid>" "$get_a" "$one_a" "cat" 3
row "(c) vmadm get <uuid> (+snapshots)" "$get_b" "$one_b" "cat" 3

echo
printf 'records: %d VMs, %d KiB plain, %d KiB with snapshots; vmadm: %s\n' "$vm_count" \
    "$size_a" "$size_b" "$vmadm"
printf 'baselines (mean ms): cat all %.2f / %.2f (with snapshots), cat one %.2f / %.2f\n' \
    "$cat_a" "$cat_b" "$one_a" "$one_b"
printf '%-44s %9s %9s  %-22s %s\n' "command" "mean ms" "ratio" "target" "result"
printf '%s\n' "${rows[@]}"
exit "$failed"
