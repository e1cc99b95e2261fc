#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0
# HVM guests against the QEMU they run on (issue 16's speed targets), in the same run:
#   1. boot: `vmadm create` of a kvm VM (autoboot; the hvm-test image, ram 256, one virtio disk)
#      until the guest's /init prints "lumos-test-guest: init" in the VM's console log, against a
#      bare qemu-system-x86_64 running the VM's own command line (its qemu.argv: the same program,
#      accelerator, machine and devices; its sockets moved aside) on a copy of the same raw disk,
#      its first serial port in a file, until the same line shows there. Target: <= 1.2x.
#   2. stop: `vmadm stop` of that guest once it printed "lumos-test-guest: ready" (its power
#      button works) until the command returns with the VM stopped, against QMP system_powerdown
#      sent to the bare QEMU (once ready too) until that process exits. Target: <= 1.5x.
#   3. monitor memory: each lumos-zoned monitor's private memory (Private_Clean + Private_Dirty of
#      /proc/<pid>/smaps_rollup; Pss too), QEMU aside, with the release build's monitor (static,
#      no sanitizer): one VM alone (its binary's text all its own), then VMS VMs at once (their
#      monitors share it). Target: < 2 MiB per VM.
#   Also shown, to tell where lumos's time goes: when vmadm create returned, when each side's
#   QEMU was forked and the CPU time it used until init; when lumos's QEMU exited in vmadm stop.
# Each timing is the median of RUNS rounds, interleaved (one lumos round, one bare round); both
# sides poll their console file for the marker the same way, every 20 ms, and both QEMUs run in
# cgroups under the same parent. Everything lives under a temporary LUMOS_ROOT (a dir pool) and
# its own cgroup parent, removed at exit. The targets are reported (a PASS or FAIL line each), not
# asserted: exits 2 when the setup cannot run, else 0.
#
# Environment: VMADM, IMGADM (default build/release/src/cmd/<prog>/<prog>), RUNS (5), VMS (3).
# QEMU is the one lumos finds (LUMOS_QEMU, else qemu-system-x86_64 on PATH), for both sides.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
vmadm=${VMADM:-$repo/build/release/src/cmd/vmadm/vmadm}
imgadm=${IMGADM:-$repo/build/release/src/cmd/imgadm/imgadm}
runs=${RUNS:-5}
vms=${VMS:-3}
poll=0.02
marker_timeout_s=300

die() { echo "hvm_bench: $*" >&2; exit 2; }
calc() { awk "BEGIN { print $1 }"; }
holds() { awk "BEGIN { exit !($1) }"; }
now() { echo "${EPOCHREALTIME/./}"; } # microseconds
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ms_list() { printf '%s\n' "$@" | awk '{ printf "%s%.0f", (NR > 1 ? " " : ""), $1 / 1000 }'; }
verdict() { if holds "$1"; then echo PASS; else echo FAIL; fi; }
# The boot-time clock (/proc/uptime, 10 ms steps) and when a process was forked on it, in us.
clk_tck=$(getconf CLK_TCK)
uptime_us() { local up _; read -r up _ </proc/uptime; echo $((10#${up/./} * 10000)); }
forked_us() { awk -v hz="$clk_tck" '{ sub(/.*\) /, ""); print $20 * 1000000 / hz }' "/proc/$1/stat"; }
# The CPU time (user + system) a process has used so far, in us (10 ms steps).
cpu_us() { awk -v hz="$clk_tck" '{ sub(/.*\) /, ""); print ($12 + $13) * 1000000 / hz }' "/proc/$1/stat"; }

[[ $(id -u) -eq 0 ]] || die "run as root"
for bin in "$vmadm" "$imgadm"; do
    [[ -x $bin ]] || die "no binary at $bin (build the release preset or set VMADM/IMGADM)"
done
for tool in jq python3 gzip; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done
vmadm=$(realpath "$vmadm") imgadm=$(realpath "$imgadm")
unset LUMOS_LIBEXEC_DIR # the monitor beside this vmadm: the release build's

LUMOS_ROOT=$(mktemp -d /tmp/lumos-bench.XXXXXX)
export LUMOS_ROOT
cgroup_parent=/lumos-bench-$$
peer=$LUMOS_ROOT/peer
bare_pid='' waiter=''
# shellcheck disable=SC2317 # cleanup runs from the trap
cleanup() {
    set +e
    [[ -n $waiter ]] && kill "$waiter" 2>/dev/null
    if [[ -n $bare_pid ]] && kill -0 "$bare_pid" 2>/dev/null; then
        kill -KILL "$bare_pid"
        wait "$bare_pid" 2>/dev/null
    fi
    for vm in $("$vmadm" list -H -o uuid 2>/dev/null); do "$vmadm" delete "$vm" >/dev/null 2>&1; done
    for dir in /sys/fs/cgroup/*/"${cgroup_parent#/}" /sys/fs/cgroup/"${cgroup_parent#/}"; do
        [[ -d $dir ]] && find "$dir" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null && rmdir "$dir" 2>/dev/null
    done
    rm -rf "$LUMOS_ROOT"
}
trap cleanup EXIT

# wait_for FILE TEXT: polls FILE every 20 ms until TEXT shows in it; prints when it did (us).
wait_for() {
    local deadline=$(($(now) + marker_timeout_s * 1000000))
    until grep -qsF -- "$2" "$1"; do
        (($(now) < deadline)) || return 1
        sleep "$poll"
    done
    now
}

mkdir -p "$LUMOS_ROOT/etc/lumos" "$LUMOS_ROOT/images" "$peer"
echo "cgroup_parent=$cgroup_parent" >"$LUMOS_ROOT/etc/lumos/config"
image=$("$repo/tools/build-image.sh" hvm-test "$LUMOS_ROOT/images" 2>/dev/null) ||
    die "tools/build-image.sh hvm-test failed"
"$imgadm" install -m "$LUMOS_ROOT"/images/*.imgmanifest -f "$LUMOS_ROOT"/images/*.zvol.gz >/dev/null ||
    die "imgadm install of hvm-test failed"
payload=$LUMOS_ROOT/kvm.json
jq -n --arg image "$image" '{brand: "kvm", alias: "bench", ram: 256, vcpus: 1,
    disks: [{image_uuid: $image, boot: true, model: "virtio"}]}' >"$payload"
init_marker="lumos-test-guest: init"
ready_marker="lumos-test-guest: ready"

create_vm() { # -> uuid
    local out
    out=$("$vmadm" create -f "$payload" 2>&1) || die "vmadm create failed: $out"
    awk '{ print $NF }' <<<"$out"
}
console_log() { echo "$LUMOS_ROOT/run/lumos/zones/$1/console.log"; }

# --- the peer: the command line lumos ran for a VM, on a copy of the image's disk ---------------
template=$(create_vm)
zonepath=$("$vmadm" get "$template" | jq -r .zonepath)
run_dir=$LUMOS_ROOT/run/lumos/zones/$template
mapfile -d '' lumos_argv <"$run_dir/qemu.argv" || die "no $run_dir/qemu.argv"
((${#lumos_argv[@]} > 1)) || die "$run_dir/qemu.argv is empty"
wait_for "$(console_log "$template")" "$ready_marker" >/dev/null || die "the template VM never got ready"
"$vmadm" stop "$template" >/dev/null 2>&1 || die "vmadm stop of the template VM failed"
"$vmadm" delete "$template" >/dev/null 2>&1 || die "vmadm delete of the template VM failed"
gzip -dc "$LUMOS_ROOT"/images/*.zvol.gz >"$peer/disk.raw"
# The same words, with every file of the VM's (zone tmp, monitor dir) moved to the peer's
# directory, the disk the copy, the first serial port a file instead of the monitor's socket.
bare_argv=()
for word in "${lumos_argv[@]}"; do
    word=${word//"$zonepath/root/tmp"/$peer}
    word=${word//"$run_dir"/$peer}
    [[ $word =~ ^file=[^,]*(,if=none,id=disk0,.*)$ ]] && word="file=$peer/disk.raw${BASH_REMATCH[1]}"
    [[ $word == socket,id=serial0,* ]] && word="file,id=serial0,path=$peer/serial0.log"
    bare_argv+=("$word")
done
printf '%s\n' "${bare_argv[@]}" | grep -qxF -- "-accel" || die "no -accel in $run_dir/qemu.argv"
printf '%s\n' "${bare_argv[@]}" | grep -qF -- "file=$peer/disk.raw" ||
    die "no disk0 drive on the VM's QEMU command line"
printf '%s\n' "${bare_argv[@]}" | grep -qxF -- "file,id=serial0,path=$peer/serial0.log" ||
    die "no socket chardev serial0 on the VM's QEMU command line"
accel=$(printf '%s\n' "${bare_argv[@]}" | grep -A1 -xF -- "-accel" | tail -n1)

# QMP's system_powerdown to the bare QEMU: connected and negotiated first, then timed from the
# command sent to the process's exit (its pidfd); prints microseconds.
cat >"$peer/powerdown.py" <<'PY'
import json, os, select, socket, sys, time
qmp = socket.socket(socket.AF_UNIX)
qmp.connect(sys.argv[1])
lines = qmp.makefile("r")
def command(name):
    qmp.sendall((json.dumps({"execute": name}) + "\n").encode())
pidfd = os.pidfd_open(int(sys.argv[2]))
json.loads(lines.readline())  # greeting
command("qmp_capabilities")
while "return" not in json.loads(lines.readline()):
    pass
start = time.monotonic()
command("system_powerdown")
select.select([pidfd], [], [], 300)
print(int((time.monotonic() - start) * 1e6))
PY

# The bare QEMU runs in a cgroup of its own beside the VMs' (under the same parent, no limits), so
# that the host's other load meets both alike.
peer_procs=()
for dir in /sys/fs/cgroup/*/"${cgroup_parent#/}" /sys/fs/cgroup/"${cgroup_parent#/}"; do
    [[ -d $dir ]] || continue
    mkdir -p "$dir/peer"
    peer_procs+=("$dir/peer/cgroup.procs")
done
((${#peer_procs[@]} > 0)) || die "lumos made no cgroup under $cgroup_parent"

# When a process exits (its pidfd), on the clock of bash's EPOCHREALTIME: "armed" once it watches,
# then the time in us.
cat >"$peer/exited.py" <<'PY'
import os, select, sys, time
pidfd = os.pidfd_open(int(sys.argv[1]))
print("armed", flush=True)
select.select([pidfd], [], [], 300)
print(time.time_ns() // 1000, flush=True)
PY

boot_bare() { # starts the bare QEMU; sets bare_pid
    rm -f "$peer/serial0.log" "$peer/vm.qmp"
    (
        for procs in "${peer_procs[@]}"; do echo "$BASHPID" >"$procs"; done
        exec "${bare_argv[@]}" </dev/null >"$peer/qemu.log" 2>&1
    ) &
    bare_pid=$!
}

# --- boot and stop, interleaved ------------------------------------------------------------------
# One untimed round each first (page cache, QEMU's first start).
uuid=$(create_vm)
wait_for "$(console_log "$uuid")" "$ready_marker" >/dev/null || die "VM $uuid never got ready"
"$vmadm" delete "$uuid" >/dev/null 2>&1
boot_bare
wait_for "$peer/serial0.log" "$ready_marker" >/dev/null ||
    die "the bare QEMU never got ready: $(tail -n 3 "$peer/qemu.log")"
kill -KILL "$bare_pid"
wait "$bare_pid" 2>/dev/null || true
bare_pid=

boot_times=() created_times=() stop_times=() bare_boot_times=() bare_stop_times=()
forked_times=() bare_forked_times=() cpu_times=() bare_cpu_times=() exited_times=()
for _ in $(seq "$runs"); do
    up0=$(uptime_us)
    t0=$(now)
    uuid=$(create_vm)
    t1=$(now)
    qemu=$(jq -r '.pid // empty' "$LUMOS_ROOT/run/lumos/zones/$uuid/status")
    [[ -n $qemu ]] || die "VM $uuid has no QEMU pid"
    t2=$(wait_for "$(console_log "$uuid")" "$init_marker") || die "VM $uuid never printed init"
    cpu_times+=("$(cpu_us "$qemu")")
    created_times+=($((t1 - t0)))
    boot_times+=($((t2 - t0)))
    forked_times+=("$(calc "$(forked_us "$qemu") - $up0")")
    wait_for "$(console_log "$uuid")" "$ready_marker" >/dev/null || die "VM $uuid never got ready"
    python3 "$peer/exited.py" "$qemu" >"$peer/exited" &
    waiter=$!
    until grep -qx armed "$peer/exited"; do
        kill -0 "$waiter" 2>/dev/null || die "cannot watch QEMU $qemu"
        sleep 0.01
    done
    t0=$(now)
    "$vmadm" stop "$uuid" >/dev/null 2>&1 || die "vmadm stop $uuid failed"
    t1=$(now)
    wait "$waiter" || die "cannot watch QEMU $qemu"
    waiter=
    exited=$(tail -n 1 "$peer/exited")
    [[ $("$vmadm" get "$uuid" | jq -r .state) == stopped ]] || die "VM $uuid is not stopped"
    stop_times+=($((t1 - t0)))
    exited_times+=($((exited - t0)))
    "$vmadm" delete "$uuid" >/dev/null 2>&1

    up0=$(uptime_us)
    t0=$(now)
    boot_bare
    t2=$(wait_for "$peer/serial0.log" "$init_marker") ||
        die "the bare QEMU never printed init: $(tail -n 3 "$peer/qemu.log")"
    bare_cpu_times+=("$(cpu_us "$bare_pid")")
    bare_boot_times+=($((t2 - t0)))
    bare_forked_times+=("$(calc "$(forked_us "$bare_pid") - $up0")")
    wait_for "$peer/serial0.log" "$ready_marker" >/dev/null || die "the bare QEMU never got ready"
    bare_stop=$(python3 "$peer/powerdown.py" "$peer/vm.qmp" "$bare_pid") ||
        die "QMP system_powerdown to the bare QEMU failed"
    bare_stop_times+=("$bare_stop")
    wait "$bare_pid" || die "the bare QEMU exited with status $?"
    bare_pid=
    grep -qF "lumos-test-guest: poweroff" "$peer/serial0.log" || die "the bare guest did not power off"
done
boot=$(printf '%s\n' "${boot_times[@]}" | median)
bare_boot=$(printf '%s\n' "${bare_boot_times[@]}" | median)
stop=$(printf '%s\n' "${stop_times[@]}" | median)
bare_stop=$(printf '%s\n' "${bare_stop_times[@]}" | median)
boot_ratio=$(calc "$boot / $bare_boot")
stop_ratio=$(calc "$stop / $bare_stop")
# row LABEL TIMES...: the median and every round, in ms.
row() {
    local label=$1
    shift
    printf '  %-44s median %8.1f ms   [%s]\n' "$label" \
        "$(calc "$(printf '%s\n' "$@" | median) / 1000")" "$(ms_list "$@")"
}
echo "QEMU: ${bare_argv[0]}, -accel $accel; $runs rounds each, every round shown in order (ms)"
echo "boot, until \"$init_marker\" on the console:"
row "bare QEMU (same argv, a copy of the disk)" "${bare_boot_times[@]}"
row "vmadm create (autoboot)" "${boot_times[@]}"
printf '  %-44s %.2fx  (target <= 1.2x)\n' "ratio lumos / bare" "$boot_ratio"
echo "  where the time went (clock and CPU time in 10 ms steps):"
row "  vmadm create returned after" "${created_times[@]}"
row "  lumos forked QEMU after" "${forked_times[@]}"
row "  bare QEMU forked after" "${bare_forked_times[@]}"
row "  lumos's QEMU CPU time until init" "${cpu_times[@]}"
row "  bare QEMU CPU time until init" "${bare_cpu_times[@]}"
echo "stop, from \"$ready_marker\":"
row "QMP system_powerdown -> bare QEMU exited" "${bare_stop_times[@]}"
row "vmadm stop -> returned, VM stopped" "${stop_times[@]}"
row "  of which lumos's QEMU exited after" "${exited_times[@]}"
printf '  %-44s %.2fx  (target <= 1.5x)\n' "ratio lumos / bare" "$stop_ratio"
echo "$(verdict "$boot_ratio <= 1.2"): boot, vmadm create $(printf '%.2f' "$boot_ratio")x bare QEMU (target <= 1.2x)"
echo "$(verdict "$stop_ratio <= 1.5"): stop, vmadm stop $(printf '%.2f' "$stop_ratio")x QMP system_powerdown (target <= 1.5x)"

# --- monitors' memory: one VM alone, then VMS VMs at once ---------------------------------------
# monitor_memory UUID: prints the VM's monitor's line; sets private and pss (KiB).
monitor_memory() {
    local monitor qemu rss
    monitor=$(jq .monitor_pid "$LUMOS_ROOT/run/lumos/zones/$1/status")
    qemu=$(jq -r '.pid // empty' "$LUMOS_ROOT/run/lumos/zones/$1/status")
    [[ $monitor =~ ^[0-9]+$ && -r /proc/$monitor/smaps_rollup ]] || die "no monitor for VM $1"
    read -r rss pss private < <(awk '/^Rss:/ { r = $2 } /^Pss:/ { p = $2 } /^Private_/ { v += $2 }
        END { print r, p, v }' "/proc/$monitor/smaps_rollup")
    printf '  VM %s: lumos-zoned %d private %d KiB, Pss %d KiB, Rss %d KiB (QEMU %s)\n' \
        "$1" "$monitor" "$private" "$pss" "$rss" "${qemu:-?}"
    monitor_exe=$(readlink "/proc/$monitor/exe")
}
uuids=("$(create_vm)")
wait_for "$(console_log "${uuids[0]}")" "$ready_marker" >/dev/null || die "VM ${uuids[0]} never got ready"
echo "monitors' memory (Private_* and Pss of smaps_rollup), QEMU aside; one VM alone (its text its own):"
monitor_memory "${uuids[0]}"
alone=$private
for _ in $(seq 2 "$vms"); do uuids+=("$(create_vm)"); done
for uuid in "${uuids[@]}"; do
    wait_for "$(console_log "$uuid")" "$ready_marker" >/dev/null || die "VM $uuid never got ready"
done
echo "$vms VMs running at once (each ready; the monitors share their text):"
worst=0 worst_pss=0
for uuid in "${uuids[@]}"; do
    monitor_memory "$uuid"
    if ((private > worst)); then worst=$private; fi
    if ((pss > worst_pss)); then worst_pss=$pss; fi
done
echo "  the monitor: $monitor_exe"
echo "$(verdict "$alone < 2048 && $worst < 2048 && $worst_pss < 2048"): monitor memory, private $alone KiB" \
    "alone, at most $worst KiB (Pss $worst_pss KiB) with $vms VMs (target < 2048 KiB per VM)"
exit 0
