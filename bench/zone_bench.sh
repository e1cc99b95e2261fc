#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0
# Zones against the OCI runtime they run on (issue 5), in the same run:
#   1. `vmadm create` of a joyent-minimal zone until it is `running` (the provisioning handshake
#      done, create returned) against a bare `runc run -d` of the same root filesystem and the
#      same config.json (the bundle lumos wrote for that zone, with its console on /dev/null).
#      Target: <= 3x.
#   2. `vmadm stop` + `vmadm start` of that zone against the same bare `runc run -d`.
#      Target: <= 2x. (Also shown: against the bare runtime's own stop + start, `runc kill` +
#      `runc delete` + `runc run -d`.)
#   3. 50 zones running at once: the monitors' (lumos-zoned) total RSS. Target: < 2 MiB per zone.
# Each timing is the median of RUNS rounds, interleaved (one vmadm round, one runc round).
# Everything lives under a temporary LUMOS_ROOT (a dir pool) and its own cgroup parent, removed
# at exit. Exits 1 when a target is missed, 2 when the setup cannot run.
#
# Environment: VMADM, IMGADM (default build/release/src/cmd/<prog>/<prog>), RUNS (20), ZONES (50).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
vmadm=${VMADM:-$repo/build/release/src/cmd/vmadm/vmadm}
imgadm=${IMGADM:-$repo/build/release/src/cmd/imgadm/imgadm}
runs=${RUNS:-20}
zones=${ZONES:-50}
runc=$(command -v runc || echo /usr/sbin/runc)

die() { echo "zone_bench: $*" >&2; exit 2; }
calc() { awk "BEGIN { print $1 }"; }
holds() { awk "BEGIN { exit !($1) }"; }
now() { date +%s%N; }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

[[ $(id -u) -eq 0 ]] || die "run as root"
for bin in "$vmadm" "$imgadm" "$runc"; do
    [[ -x $bin ]] || die "no binary at $bin (build the release preset or set VMADM/IMGADM)"
done
command -v jq >/dev/null || die "jq is not installed"
vmadm=$(realpath "$vmadm") imgadm=$(realpath "$imgadm")

LUMOS_ROOT=$(mktemp -d /tmp/lumos-bench.XXXXXX)
export LUMOS_ROOT
cgroup_parent=/lumos-bench-$$
peer_id=lumos-bench-peer-$$
peer_state=$LUMOS_ROOT/run/peer-runc
# shellcheck disable=SC2317 # cleanup runs from the trap
cleanup() {
    set +e
    "$runc" --root "$peer_state" delete --force "$peer_id" >/dev/null 2>&1
    for vm in $("$vmadm" list -H -o uuid 2>/dev/null); do "$vmadm" delete "$vm" >/dev/null 2>&1; done
    for dir in /sys/fs/cgroup/*/"${cgroup_parent#/}" /sys/fs/cgroup/"${cgroup_parent#/}"; do
        [[ -d $dir ]] && find "$dir" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null && rmdir "$dir" 2>/dev/null
    done
    rm -rf "$LUMOS_ROOT"
}
trap cleanup EXIT

mkdir -p "$LUMOS_ROOT/etc/lumos" "$LUMOS_ROOT/images"
echo "cgroup_parent=$cgroup_parent" >"$LUMOS_ROOT/etc/lumos/config"
image=$("$repo/tools/build-image.sh" base-minimal "$LUMOS_ROOT/images" 2>/dev/null)
"$imgadm" install -m "$LUMOS_ROOT"/images/*.imgmanifest -f "$LUMOS_ROOT"/images/*.tar.gz >/dev/null
payload=$LUMOS_ROOT/zone.json
jq -n --arg image "$image" '{brand: "joyent-minimal", image_uuid: $image, max_physical_memory: 256,
    alias: "bench"}' >"$payload"

# The peer's bundle: the config.json lumos writes for a zone, its root, no console.
uuid=$("$vmadm" create -f "$payload" 2>&1 | awk '{ print $NF }')
peer=$LUMOS_ROOT/peer
mkdir -p "$peer"
cp -a "$("$vmadm" get "$uuid" | jq -r .zonepath)/root" "$peer/root"
jq --arg root "$peer/root" --arg cg "$cgroup_parent/peer" \
    '.root.path = $root | .process.terminal = false | .linux.cgroupsPath = $cg' \
    "$LUMOS_ROOT/run/lumos/zones/$uuid/config.json" >"$peer/config.json"
# Stopped, not deleted: the bundle binds its zonepath's .zonecontrol.
"$vmadm" stop -F "$uuid" >/dev/null 2>&1
template=$uuid

create_times=() runc_times=() cycle_times=() peer_cycle_times=()
for _ in $(seq "$runs"); do
    t0=$(now)
    uuid=$("$vmadm" create -f "$payload" 2>&1 | awk '{ print $NF }')
    t1=$(now)
    [[ $("$vmadm" get "$uuid" | jq -r .state) == running ]] || die "zone $uuid is not running"
    create_times+=($(((t1 - t0) / 1000)))

    t0=$(now)
    "$vmadm" stop "$uuid" 2>/dev/null
    "$vmadm" start "$uuid" 2>/dev/null
    t1=$(now)
    cycle_times+=($(((t1 - t0) / 1000)))
    "$vmadm" delete "$uuid" >/dev/null 2>&1

    t0=$(now)
    "$runc" --root "$peer_state" run -d --bundle "$peer" "$peer_id" </dev/null >/dev/null 2>&1
    t1=$(now)
    runc_times+=($(((t1 - t0) / 1000)))
    t0=$(now)
    "$runc" --root "$peer_state" kill "$peer_id" KILL
    while [[ $("$runc" --root "$peer_state" state "$peer_id" | jq -r .status) == running ]]; do :; done
    "$runc" --root "$peer_state" delete "$peer_id"
    "$runc" --root "$peer_state" run -d --bundle "$peer" "$peer_id" </dev/null >/dev/null 2>&1
    t1=$(now)
    peer_cycle_times+=($(((t1 - t0) / 1000)))
    "$runc" --root "$peer_state" delete --force "$peer_id"
done
create=$(printf '%s\n' "${create_times[@]}" | median)
bare=$(printf '%s\n' "${runc_times[@]}" | median)
cycle=$(printf '%s\n' "${cycle_times[@]}" | median)
peer_cycle=$(printf '%s\n' "${peer_cycle_times[@]}" | median)
create_ratio=$(calc "$create / $bare")
cycle_ratio=$(calc "$cycle / $bare")
printf 'runc run -d (bare, same rootfs and config)   median %8.1f ms\n' "$(calc "$bare / 1000")"
printf 'vmadm create -> running (joyent-minimal)      median %8.1f ms   %.2fx  (target <= 3x)\n' \
    "$(calc "$create / 1000")" "$create_ratio"
printf 'vmadm stop + vmadm start                      median %8.1f ms   %.2fx  (target <= 2x)\n' \
    "$(calc "$cycle / 1000")" "$cycle_ratio"
printf 'runc kill + delete + run -d (bare cycle)      median %8.1f ms   (vmadm stop+start: %.2fx)\n' \
    "$(calc "$peer_cycle / 1000")" "$(calc "$cycle / $peer_cycle")"

# Many zones at once.
for _ in $(seq "$zones"); do "$vmadm" create -f "$payload" >/dev/null 2>&1; done
running=$("$vmadm" list -H -o uuid,state | grep -v "^$template" | grep -c running || true)
total_kib=0
for status in "$LUMOS_ROOT"/run/lumos/zones/*/status; do
    monitor=$(jq .monitor_pid "$status")
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$monitor/status")
    total_kib=$((total_kib + rss))
done
per_zone=$(calc "$total_kib / $running")
printf '%d zones running: monitors total RSS %d KiB, %.0f KiB per zone  (target < 2048 KiB)\n' \
    "$running" "$total_kib" "$per_zone"

status=0
holds "$create_ratio <= 3" || { echo "zone_bench: create target missed"; status=1; }
holds "$cycle_ratio <= 2" || { echo "zone_bench: stop+start target missed"; status=1; }
[[ $running -eq $zones ]] || { echo "zone_bench: only $running of $zones zones running"; status=1; }
holds "$per_zone < 2048" || { echo "zone_bench: monitor memory target missed"; status=1; }
exit "$status"
