#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0
# Issue 14's row "create of the 1,001st VM with NICs within 1.5x of the first": `vmadm create`
# of a VM with a NIC (a MAC and a static IP: the conflict check runs) on an empty host, then on a
# host with 1,000 VMs with NICs, in the same run; prints both means and their ratio (target
# <= 1.5). Its conflict and dataset checks ask the store's index (store/vm_index.hpp) for the
# few VMs that could hold the new VM's MAC, IP or datasets instead of reading every record.
#
# The throwaway host (as bench/list_vs_cat.sh's): a temporary LUMOS_ROOT with one installed
# image on the implicit dir pool and two nic tags. The 1,000 VMs: "vmadm create" while
# CLI_BUDGET_S lasts, the rest copies of a created record (fresh uuid, MAC and IP; their
# datasets made through the pool by bench/pool_datasets), then `lumosadm reindex`, which is what
# an operator runs after putting records in place by hand, so the index is the one a real host
# would have. hyperfine times `vmadm create -f <payload>` with a fixed uuid, the VM deleted
# before each run (--prepare, not timed). Exits 1 when the ratio misses the target, 2 when the
# setup cannot run.
#
# Environment: VMADM, LUMOSADM (default build/release/src/cmd/<prog>/<prog>), POOL_DATASETS
# (default build/release/bench/pool_datasets), VM_COUNT (1000), CLI_BUDGET_S (20), RUNS (30),
# TARGET (1.5), RESULTS_DIR (hyperfine's JSON exports; default: inside the temporary root),
# BENCH_TMPFS (set: the temporary LUMOS_ROOT is a tmpfs of BENCH_TMPFS_SIZE, default 2g, so the
# fsyncs of a disk shared with builds do not decide the figures).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
vmadm=${VMADM:-$repo/build/release/src/cmd/vmadm/vmadm}
lumosadm=${LUMOSADM:-$repo/build/release/src/cmd/lumosadm/lumosadm}
pool_datasets=${POOL_DATASETS:-$repo/build/release/bench/pool_datasets}
vm_count=${VM_COUNT:-1000}
cli_budget_s=${CLI_BUDGET_S:-20}
runs=${RUNS:-30}
target=${TARGET:-1.5}

die() { echo "create_nics: $*" >&2; exit 2; }
calc() { awk "BEGIN { print $1 }"; }
holds() { awk "BEGIN { exit !($1) }"; }
[[ $(id -u) -eq 0 ]] || die "run as root (vmadm refuses to manage VMs otherwise)"
for bin in "$vmadm" "$lumosadm" "$pool_datasets"; do
    [[ -x $bin ]] || die "no binary at $bin (build the release preset or set VMADM/LUMOSADM/POOL_DATASETS)"
done
vmadm=$(realpath "$vmadm")
for tool in hyperfine jq python3; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done

LUMOS_ROOT=$(mktemp -d /tmp/lumos-bench.XXXXXX)
export LUMOS_ROOT
if [[ -n ${BENCH_TMPFS:-} ]]; then
    mount -t tmpfs -o "size=${BENCH_TMPFS_SIZE:-2g},mode=0700" lumos-bench "$LUMOS_ROOT" \
        || die "cannot mount a tmpfs at $LUMOS_ROOT"
    trap 'umount "$LUMOS_ROOT" && rmdir "$LUMOS_ROOT"' EXIT
else
    trap 'rm -rf "$LUMOS_ROOT"' EXIT
fi
[[ "$LUMOS_ROOT$vmadm" != *[[:space:]]* ]] || die "hyperfine -N splits commands at spaces"
results=${RESULTS_DIR:-$LUMOS_ROOT/results}
mkdir -p "$results"
records=$LUMOS_ROOT/etc/lumos/vms

# --- the host: one installed image and two nic tags -------------------------------------------
image_uuid=8a3b0b4e-0c0f-4bd4-9e35-4d8e6a4b1c01
mkdir -p "$LUMOS_ROOT/var/imgadm/images" "$LUMOS_ROOT/etc/lumos"
"$pool_datasets" filesystems "zones/$image_uuid" || die "cannot make the image's dataset"
mkdir -p "$LUMOS_ROOT/zones/$image_uuid/root/etc"
"$pool_datasets" snapshot "zones/$image_uuid@final" || die "cannot snapshot the image"
cat >"$LUMOS_ROOT/var/imgadm/images/zones-$image_uuid.json" <<EOF
{"manifest":{"v":2,"uuid":"$image_uuid","name":"base","version":"1.0","type":"zone-dataset","os":"smartos"},"zpool":"zones"}
EOF
printf 'admin_nic=00:00:00:00:00:01\nexternal_nic=00:00:00:00:00:02\n' \
    >"$LUMOS_ROOT/etc/lumos/config"

payload() # index [uuid] -> a joyent create payload with its own MAC and address
{
    local i=$1 uuid_field=
    [[ -z ${2:-} ]] || uuid_field="\"uuid\":\"$2\","
    cat <<EOF
{$uuid_field"brand":"joyent","alias":"bench$i","image_uuid":"$image_uuid",
 "autoboot":false,"max_physical_memory":512,"quota":10,
 "nics":[{"nic_tag":"admin","mac":"02:08:00:00:$(printf '%02x:%02x' $((i / 256)) $((i % 256)))",
          "ips":["10.88.$((i / 250)).$((i % 250 + 1))/16"],"gateways":["10.88.255.254"],
          "primary":true}]}
EOF
}

# The VM that is timed: a fixed uuid, an address and MAC no other VM has.
timed_uuid=0be7c4d2-5e1a-4c8e-9d7b-2f0a6c1e1001
timed_payload=$LUMOS_ROOT/timed.json
payload 9999 "$timed_uuid" >"$timed_payload"

measure() # name -> $results/<name>.json: vmadm create of the timed VM, deleted before each run
{
    out=$("$vmadm" create -f "$timed_payload" 2>&1) || die "vmadm create of the timed VM failed: $out"
    hyperfine -N --output=null --warmup 3 --runs "$runs" --style none \
        --prepare "$vmadm delete $timed_uuid" \
        --export-json "$results/$1.json" "$vmadm create -f $timed_payload" >/dev/null
    "$vmadm" delete "$timed_uuid" >/dev/null 2>&1
}
mean_ms() { jq -r '.results[0].mean * 1000' "$results/$1.json"; }
stddev_ms() { jq -r '.results[0].stddev * 1000' "$results/$1.json"; }

echo "measuring vmadm create on the empty host ..."
measure first

# --- 1,000 VMs with NICs: through the CLI while the budget lasts, then copies ------------------
echo "creating $vm_count VMs with NICs in $LUMOS_ROOT ..."
start=$(date +%s.%N)
created=0
while ((created < vm_count)); do
    out=$(payload "$created" | "$vmadm" create 2>&1) || die "vmadm create failed: $out"
    created=$((created + 1))
    if holds "$(date +%s.%N) - $start > $cli_budget_s"; then
        break
    fi
done
printf 'vmadm create: %d VMs in %.1f s\n' "$created" "$(calc "$(date +%s.%N) - $start")"
if ((created < vm_count)); then
    echo "budget spent: copying a created record $((vm_count - created)) times"
    mapfile -t copies < <(python3 -c "import uuid
for _ in range($((vm_count - created))): print(uuid.uuid4())")
    datasets=()
    for copy in "${copies[@]}"; do
        datasets+=("zones/$copy" "zones/cores/$copy")
    done
    "$pool_datasets" filesystems "${datasets[@]}" || die "cannot make the copies' datasets"
    python3 - "$LUMOS_ROOT" "$created" "${copies[@]}" <<'EOF'
import json, os, shutil, sys
root, first, copies = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
vms = os.path.join(root, "etc/lumos/vms")
source = sorted(name for name in os.listdir(vms) if name.endswith(".json"))[0]
with open(os.path.join(vms, source)) as f:
    record = json.load(f)
old = record["uuid"]
for n, new in enumerate(copies, start=first):
    copy = json.loads(json.dumps(record).replace(old, new))
    for nic in copy.get("nics", []):
        nic["mac"] = "02:09:00:00:%02x:%02x" % (n // 256, n % 256)
        address = "10.89.%d.%d" % (n // 250, n % 250 + 1)
        nic["ips"] = [address + "/16"]
        nic["ip"] = address
    copy["alias"] = "copy%d" % n
    with open(os.path.join(vms, new + ".json"), "w") as f:
        f.write(json.dumps(copy, indent=2) + "\n")
    src_zone = os.path.join(root, "zones", old, "config")
    if os.path.isdir(src_zone):
        shutil.copytree(src_zone, os.path.join(root, "zones", new, "config"), dirs_exist_ok=True)
EOF
    # Records put in place by hand: the index learns them as an operator's host would.
    "$lumosadm" reindex || die "lumosadm reindex failed"
fi
count=$(find "$records" -name '*.json' | wc -l)
[[ $count -eq $vm_count ]] || die "expected $vm_count records, found $count"
# The index answers for the copies too: a copy's MAC is refused, a lookup finds it.
copy_mac=02:09:00:00:03:00
found=$("$vmadm" lookup "nics.*.mac=$copy_mac" | wc -l)
[[ $found -eq 1 || $created -ge 768 ]] || die "lookup nics.*.mac=$copy_mac found $found VMs"

echo "measuring vmadm create of VM $((vm_count + 1)) ..."
measure nth

first_ms=$(mean_ms first) nth_ms=$(mean_ms nth)
ratio=$(calc "$nth_ms / $first_ms")
verdict=PASS
holds "$ratio <= $target" || verdict=FAIL
echo
printf 'vmadm: %s; %d VMs with NICs (%d made by vmadm create)\n' "$vmadm" "$vm_count" "$created"
printf '%-44s %9s %9s\n' "command" "mean ms" "stddev"
printf '%-44s %9.2f %9.2f\n' "vmadm create, first VM (empty host)" "$first_ms" "$(stddev_ms first)"
printf '%-44s %9.2f %9.2f\n' "vmadm create, VM $((vm_count + 1))" "$nth_ms" "$(stddev_ms nth)"
printf '%-44s %8.2fx  <= %sx  %s\n' "ratio" "$ratio" "$target" "$verdict"
[[ $verdict == PASS ]]
