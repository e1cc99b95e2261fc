#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0
# Issue 14's networking rows, each against its peer in the same run:
#   1. NIC setup cost: `vmadm stop` + `vmadm start` of a zone with 4 NICs against the same cycle
#      of a zone with none; (difference) / 4 per NIC. Target: < 20 ms per NIC.
#   2. TCP throughput between two zones on one nic tag (their veths on the tag's bridge, with
#      their anti-spoofing rules) against two namespaces on a veth + bridge pair set up by hand
#      the same way. iperf3, RUNS rounds each, interleaved, medians. Target: >= 95%.
#   3. A 100 Mbit/s cap (nics.*.maxbw = 100) measured with iperf3 in both directions.
#      Target: within 5% of 100 Mbit/s.
# vmadm runs in a network namespace the bench makes ($LUMOS_ROOT/host.netns, etherstub stub0),
# so nothing touches this machine's own network; iperf3 runs in the zones' namespaces (the
# host's binary: the test image has none, the network path is the zone's). Everything is
# removed at exit. Exits 1 when a target is missed, 2 when the setup cannot run.
#
# Environment: VMADM, IMGADM (default build/release/src/cmd/<prog>/<prog>), RUNS (5), CYCLES (15),
# SECONDS_PER_RUN (3).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
vmadm_bin=${VMADM:-$repo/build/release/src/cmd/vmadm/vmadm}
imgadm=${IMGADM:-$repo/build/release/src/cmd/imgadm/imgadm}
runs=${RUNS:-5}
cycles=${CYCLES:-15}
seconds=${SECONDS_PER_RUN:-3}

die() { echo "zone_net: $*" >&2; exit 2; }
calc() { awk "BEGIN { print $1 }"; }
holds() { awk "BEGIN { exit !($1) }"; }
now() { date +%s%N; }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

[[ $(id -u) -eq 0 ]] || die "run as root"
for bin in "$vmadm_bin" "$imgadm"; do
    [[ -x $bin ]] || die "no binary at $bin (build the release preset or set VMADM/IMGADM)"
done
for tool in jq iperf3 nsenter unshare ip; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done
vmadm_bin=$(realpath "$vmadm_bin") imgadm=$(realpath "$imgadm")

LUMOS_ROOT=$(mktemp -d /tmp/lumos-bench.XXXXXX)
export LUMOS_ROOT
cgroup_parent=/lumos-bench-$$
host_ns=$LUMOS_ROOT/host.netns
peer_a=$LUMOS_ROOT/peer-a.netns
peer_b=$LUMOS_ROOT/peer-b.netns
vmadm() { nsenter --net="$host_ns" "$vmadm_bin" "$@"; }
# shellcheck disable=SC2317 # cleanup runs from the trap
cleanup() {
    set +e
    for vm in $(vmadm list -H -o uuid 2>/dev/null); do vmadm delete "$vm" >/dev/null 2>&1; done
    for dir in /sys/fs/cgroup/*/"${cgroup_parent#/}" /sys/fs/cgroup/"${cgroup_parent#/}"; do
        [[ -d $dir ]] && find "$dir" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null && rmdir "$dir" 2>/dev/null
    done
    for ns in "$peer_a" "$peer_b" "$host_ns"; do
        [[ -e $ns ]] && umount "$ns" 2>/dev/null
    done
    rm -rf "$LUMOS_ROOT"
}
trap cleanup EXIT

for ns in "$host_ns" "$peer_a" "$peer_b"; do
    : >"$ns"
    unshare --net="$ns" true
    nsenter --net="$ns" ip link set lo up
done
mkdir -p "$LUMOS_ROOT/etc/lumos" "$LUMOS_ROOT/images"
printf 'cgroup_parent=%s\netherstub=stub0\n' "$cgroup_parent" >"$LUMOS_ROOT/etc/lumos/config"
image=$("$repo/tools/build-image.sh" base-minimal "$LUMOS_ROOT/images" 2>/dev/null)
"$imgadm" install -m "$LUMOS_ROOT"/images/*.imgmanifest -f "$LUMOS_ROOT"/images/*.tar.gz >/dev/null

zone() { # alias, nics (JSON) -> uuid
    jq -n --arg image "$image" --arg alias "$1" --argjson nics "$2" '{brand: "joyent-minimal",
        image_uuid: $image, max_physical_memory: 256, alias: $alias, nics: $nics}' |
        vmadm create 2>&1 | awk '{ print $NF }'
}
netns_of() { echo "$LUMOS_ROOT/run/lumos/zones/$1/netns"; }
# iperf3 from namespace $1 to a server at $3 in namespace $2; Mbit/s received. $4: -R or "".
throughput() {
    nsenter --net="$2" iperf3 -s -1 -D -I "$LUMOS_ROOT/iperf3.pid" >/dev/null
    sleep 0.2
    nsenter --net="$1" iperf3 -c "$3" -t "$seconds" -J ${4:+"$4"} |
        jq '.end.sum_received.bits_per_second / 1000000'
    sleep 0.2
}

# 1. NIC setup cost.
bare=$(zone bare '[]')
nics4=$(zone nics4 '[{"nic_tag":"stub0","ips":["10.70.1.2/24"]},{"nic_tag":"stub0","ips":["10.70.2.2/24"]},
    {"nic_tag":"stub0","ips":["10.70.3.2/24"]},{"nic_tag":"stub0","ips":["10.70.4.2/24"]}]')
[[ $(vmadm get "$nics4" | jq -r .state) == running ]] || die "the 4-NIC zone is not running"
bare_times=() nic_times=()
for _ in $(seq "$cycles"); do
    for vm in "$bare" "$nics4"; do
        t0=$(now)
        vmadm stop "$vm" >/dev/null 2>&1
        vmadm start "$vm" >/dev/null 2>&1
        t1=$(now)
        if [[ $vm == "$bare" ]]; then bare_times+=($(((t1 - t0) / 1000))); else nic_times+=($(((t1 - t0) / 1000))); fi
    done
done
vmadm delete "$bare" >/dev/null 2>&1
vmadm delete "$nics4" >/dev/null 2>&1
bare_cycle=$(printf '%s\n' "${bare_times[@]}" | median)
nic_cycle=$(printf '%s\n' "${nic_times[@]}" | median)
per_nic_ms=$(calc "($nic_cycle - $bare_cycle) / 4 / 1000")
printf 'stop + start, no NIC                          median %8.1f ms\n' "$(calc "$bare_cycle / 1000")"
printf 'stop + start, 4 NICs                          median %8.1f ms   %+.1f ms per NIC  (target < 20 ms)\n' \
    "$(calc "$nic_cycle / 1000")" "$per_nic_ms"

# 2. Throughput between two zones against a bridge and veths made by hand.
a=$(zone a '[{"nic_tag":"stub0","ips":["10.70.0.2/24"]}]')
b=$(zone b '[{"nic_tag":"stub0","ips":["10.70.0.3/24"]}]')
nsenter --net="$host_ns" ip link add peerbr type bridge
nsenter --net="$host_ns" ip link set peerbr up
for side in a b; do
    ns=$peer_a ip=10.71.0.2
    [[ $side == b ]] && ns=$peer_b ip=10.71.0.3
    nsenter --net="$host_ns" ip link add "peer$side" type veth peer name eth0 netns "$ns"
    nsenter --net="$host_ns" ip link set "peer$side" master peerbr up
    nsenter --net="$ns" ip addr add "$ip/24" dev eth0
    nsenter --net="$ns" ip link set eth0 up
done
zone_runs=() peer_runs=()
for _ in $(seq "$runs"); do
    zone_runs+=("$(throughput "$(netns_of "$a")" "$(netns_of "$b")" 10.70.0.3)")
    peer_runs+=("$(throughput "$peer_a" "$peer_b" 10.71.0.3)")
done
zone_rate=$(printf '%s\n' "${zone_runs[@]}" | median)
peer_rate=$(printf '%s\n' "${peer_runs[@]}" | median)
rate_ratio=$(calc "$zone_rate / $peer_rate")
printf 'TCP, veth + bridge by hand                    median %8.0f Mbit/s\n' "$peer_rate"
printf 'TCP, zone to zone on one nic tag              median %8.0f Mbit/s   %.2fx  (target >= 0.95)\n' \
    "$zone_rate" "$rate_ratio"

# 3. A 100 Mbit/s cap, both directions.
capped=$(zone capped '[{"nic_tag":"stub0","ips":["10.70.0.4/24"],"maxbw":100}]')
out_runs=() in_runs=()
for _ in $(seq "$runs"); do
    out_runs+=("$(throughput "$(netns_of "$capped")" "$(netns_of "$b")" 10.70.0.3)")
    in_runs+=("$(throughput "$(netns_of "$capped")" "$(netns_of "$b")" 10.70.0.3 -R)")
done
out_rate=$(printf '%s\n' "${out_runs[@]}" | median)
in_rate=$(printf '%s\n' "${in_runs[@]}" | median)
printf 'maxbw 100: from the zone                      median %8.1f Mbit/s   %.3fx  (target 0.95..1.05)\n' \
    "$out_rate" "$(calc "$out_rate / 100")"
printf 'maxbw 100: to the zone                        median %8.1f Mbit/s   %.3fx  (target 0.95..1.05)\n' \
    "$in_rate" "$(calc "$in_rate / 100")"

status=0
holds "$per_nic_ms < 20" || { echo "zone_net: NIC setup target missed"; status=1; }
holds "$rate_ratio >= 0.95" || { echo "zone_net: throughput target missed"; status=1; }
for rate in "$out_rate" "$in_rate"; do
    holds "$rate >= 95 && $rate <= 105" || { echo "zone_net: cap target missed ($rate Mbit/s)"; status=1; }
done
exit "$status"
