#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0
# Whole-command speed of vmadm list/get against what a user could use instead: cat of the same
# records, in the same run (DESIGN.md, "Performance stance"). Builds a throwaway host under a
# temporary LUMOS_ROOT with 1,000 VMs on the implicit dir pool, times with hyperfine and prints
# one row per comparison:
#   (a) vmadm list              vs cat of every record           target <= 3x
#   (b) the same after 100 snapshots per VM                      list not slower than in (a)
#   (c) vmadm get <uuid>        vs cat of that record            target <= 3x
#   (d) the same with 100 snapshots per VM                       target <= 3x
# The snapshots are real: made through pools::Pool::snapshot (bench/pool_datasets) on every
# VM's zone root as "vmsnap-snap<N>", so they are in the pool's metadata that get consults, and
# get shows them. Exits 1 when a row fails, 2 when the setup cannot run.
#
# Environment: VMADM (default build/release/src/cmd/vmadm/vmadm), POOL_DATASETS (default
# build/release/bench/pool_datasets), VM_COUNT (1000), SNAPSHOTS_PER_VM (100), CLI_BUDGET_S (30:
# creates go through "vmadm create" until this many seconds have passed, the rest are copies of
# a created record with fresh uuids and their datasets made through the pool), RESULTS_DIR
# (hyperfine JSON exports; default: inside the temporary root, removed at exit), BASELINE_VMADM
# (another vmadm, e.g. a build from before a change: its get and list are timed in the same runs
# on the same host and reported in rows of their own, marked "baseline"), KEEP_ROOT (set: the
# temporary LUMOS_ROOT is left for profiling, and its path printed), BENCH_TMPFS (set: the
# temporary LUMOS_ROOT is a tmpfs of BENCH_TMPFS_SIZE, default 8g, unmounted at exit).
#
# Making the snapshots costs what the pool charges for one: a cp (dir) or btrfs process and a
# few rows of the pool's datasets.db (before the database, a rewrite of one whole datasets.json
# per snapshot made the setup quadratic: 3,000 snapshots took 25 min).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
vmadm=${VMADM:-$repo/build/release/src/cmd/vmadm/vmadm}
pool_datasets=${POOL_DATASETS:-$repo/build/release/bench/pool_datasets}
vm_count=${VM_COUNT:-1000}
cli_budget_s=${CLI_BUDGET_S:-30}
snapshots_per_vm=${SNAPSHOTS_PER_VM:-100}
# hyperfine means of the same command wander by a few percent between runs; "not slower" allows
# that much before calling it a regression.
noise=1.10

die() { echo "list_vs_cat: $*" >&2; exit 2; }
calc() { awk "BEGIN { print $1 }"; }       # floating-point arithmetic: calc '1.5 * 2'
holds() { awk "BEGIN { exit !($1) }"; }    # a floating-point comparison as an exit status
[[ $(id -u) -eq 0 ]] || die "run as root (vmadm refuses to manage VMs otherwise)"
[[ -x $vmadm ]] || die "no vmadm binary at $vmadm (build the release preset or set VMADM)"
vmadm=$(realpath "$vmadm")
baseline=${BASELINE_VMADM:-}
if [[ -n $baseline ]]; then
    [[ -x $baseline ]] || die "no vmadm at BASELINE_VMADM=$baseline"
    baseline=$(realpath "$baseline")
fi
[[ -x $pool_datasets ]] || die "no pool_datasets at $pool_datasets (build the release preset's pool_datasets target or set POOL_DATASETS)"
for tool in hyperfine jq python3; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done

LUMOS_ROOT=$(mktemp -d /tmp/lumos-bench.XXXXXX)
export LUMOS_ROOT
if [[ -n ${BENCH_TMPFS:-} ]]; then
    # The setup commits one SQLite transaction (an fsync) per snapshot: on a disk shared with
    # builds that alone takes an hour. On tmpfs it costs nothing; what is timed (reads of files
    # the page cache holds either way) is the same.
    mount -t tmpfs -o "size=${BENCH_TMPFS_SIZE:-8g},mode=0700" lumos-bench "$LUMOS_ROOT" \
        || die "cannot mount a tmpfs at $LUMOS_ROOT"
fi
if [[ -n ${KEEP_ROOT:-} ]]; then
    trap 'echo "host kept for profiling: LUMOS_ROOT=$LUMOS_ROOT"' EXIT
elif [[ -n ${BENCH_TMPFS:-} ]]; then
    trap 'umount "$LUMOS_ROOT" && rmdir "$LUMOS_ROOT"' EXIT
else
    trap 'rm -rf "$LUMOS_ROOT"' EXIT
fi
results=${RESULTS_DIR:-$LUMOS_ROOT/results}
mkdir -p "$results"
records=$LUMOS_ROOT/etc/lumos/vms

# --- the host: one installed image and two nic tags -------------------------------------------
# Installed = the manifest in imgadm's cache and zones/<uuid>@final on the pool.
image_uuid=8a3b0b4e-0c0f-4bd4-9e35-4d8e6a4b1c01
mkdir -p "$LUMOS_ROOT/var/imgadm/images" "$LUMOS_ROOT/etc/lumos"
"$pool_datasets" filesystems "zones/$image_uuid" || die "cannot make the image's dataset"
mkdir -p "$LUMOS_ROOT/zones/$image_uuid/root/etc"
echo "bench image" >"$LUMOS_ROOT/zones/$image_uuid/root/etc/motd"
"$pool_datasets" snapshot "zones/$image_uuid@final" || die "cannot snapshot the image"
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
    # The copies' datasets (zone root, cores) are made through the pool like create's, so the
    # pool holds every VM's.
    mapfile -t copies < <(python3 -c "import uuid
for _ in range($((vm_count - created))): print(uuid.uuid4())")
    datasets=()
    for copy in "${copies[@]}"; do
        datasets+=("zones/$copy" "zones/cores/$copy")
    done
    "$pool_datasets" filesystems "${datasets[@]}" || die "cannot make the copies' datasets"
    python3 - "$LUMOS_ROOT" "${copies[@]}" <<'EOF'
import json, os, random, shutil, sys
root, copies = sys.argv[1], sys.argv[2:]
vms = os.path.join(root, "etc/lumos/vms")
source = sorted(os.listdir(vms))[0]
with open(os.path.join(vms, source)) as f:
    text = f.read()
record = json.loads(text)
old = record["uuid"]
pretty = text.lstrip().startswith("{\n")
for n, new in enumerate(copies):
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
        shutil.copytree(src_zone, os.path.join(root, record.get("zpool", "zones"), new),
                        symlinks=True, dirs_exist_ok=True)
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
baseline_cmds=()
if [[ -n $baseline ]]; then
    [[ $baseline != *[[:space:]]* ]] || die "hyperfine -N splits commands at spaces: $baseline"
    baseline_cmds=("$baseline list" "$baseline get $get_uuid")
fi

echo "measuring (a) list and (c) get on $vm_count plain records ..."
measure plain "$list_cmd" "$cat_all" "$get_cmd" "$cat_one" "${baseline_cmds[@]}"
list_a=$(mean_ms plain 0) cat_a=$(mean_ms plain 1) get_a=$(mean_ms plain 2) one_a=$(mean_ms plain 3)
size_a=$(du -sk "$records" | cut -f1)

echo "adding $snapshots_per_vm snapshots to every VM through the pool ..."
metadata_a=$(du -sk "$LUMOS_ROOT/zones/.lumos" | cut -f1)
mapfile -t roots < <(find "$records" -name '*.json' -printf 'zones/%f\n' | sed 's/\.json$//')
start=$(date +%s.%N)
"$pool_datasets" snapshots "$snapshots_per_vm" "${roots[@]}" || die "pool snapshots failed"
snapshot_seconds=$(calc "$(date +%s.%N) - $start")
printf 'pool snapshots: %d in %.1f s (%.2f ms each)\n' "$((vm_count * snapshots_per_vm))" \
    "$snapshot_seconds" "$(calc "$snapshot_seconds * 1000 / ($vm_count * $snapshots_per_vm)")"
metadata_b=$(du -sk "$LUMOS_ROOT/zones/.lumos" | cut -f1)
shown=$("$vmadm" get "$get_uuid" | jq '.snapshots | length')
[[ $shown -eq $snapshots_per_vm ]] ||
    echo "note: vmadm get shows $shown snapshots of $get_uuid, the pool has $snapshots_per_vm"

echo "measuring (b) list and (d) get with snapshots ..."
measure snapshots "$list_cmd" "$cat_all" "$get_cmd" "$cat_one" "${baseline_cmds[@]}"
list_b=$(mean_ms snapshots 0) cat_b=$(mean_ms snapshots 1) get_b=$(mean_ms snapshots 2)
one_b=$(mean_ms snapshots 3)

row "(a) vmadm list ($vm_count VMs)" "$list_a" "$cat_a" "cat" 3
row "(b) vmadm list (+$snapshots_per_vm snapshots each)" "$list_b" "$cat_b" "cat" 3
row "(b) vmadm list, with vs without snapshots" "$list_b" "$list_a" "list(a)" "$noise"
row "(c) vmadm get <uuid>" "$get_a" "$one_a" "cat" 3
row "(d) vmadm get <uuid> (+$snapshots_per_vm snapshots each)" "$get_b" "$one_b" "cat" 3
if [[ -n $baseline ]]; then
    verdict_so_far=$failed # the baseline's rows are for comparison: they fail nothing
    row "(a) baseline vmadm list" "$(mean_ms plain 4)" "$cat_a" "cat" 3
    row "(b) baseline vmadm list (+snapshots)" "$(mean_ms snapshots 4)" "$cat_b" "cat" 3
    row "(c) baseline vmadm get <uuid>" "$(mean_ms plain 5)" "$one_a" "cat" 3
    row "(d) baseline vmadm get <uuid> (+snapshots)" "$(mean_ms snapshots 5)" "$one_b" "cat" 3
    failed=$verdict_so_far
fi

echo
printf 'records: %d VMs, %d KiB; pool metadata: %d KiB plain, %d KiB with %d snapshots per VM\n' \
    "$vm_count" "$size_a" "$metadata_a" "$metadata_b" "$snapshots_per_vm"
printf 'vmadm: %s%s\n' "$vmadm" "${baseline:+; baseline: $baseline}"
printf 'baselines (mean ms): cat all %.2f / %.2f (with snapshots), cat one %.2f / %.2f\n' \
    "$cat_a" "$cat_b" "$one_a" "$one_b"
printf '%-44s %9s %9s  %-22s %s\n' "command" "mean ms" "ratio" "target" "result"
printf '%s\n' "${rows[@]}"
exit "$failed"
