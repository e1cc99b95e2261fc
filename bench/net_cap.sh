#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0
# Issue 14's row "a 100 Mbit/s cap measured within 5%": a VNIC's bandwidth cap (net/shaping.hpp,
# set by bench/net_cap_apply, the code zone start runs) measured with iperf3 in both directions.
#
# The throwaway network: three namespaces made here (unshare --net=<file> under a temporary
# directory, all removed by the EXIT trap): "host" with a bridge br0, zones z1 and z2 each on a
# veth pair (host ends zbench01_net0 and zbench02_net0 on br0, net0 inside). The cap goes on
# z1's host link (and its IFB ibench01_net0). iperf3's server runs in z2, its client in z1:
#   guest sends     z1 -> z2: what z1 sends, held back by the IFB's tbf
#   guest receives  z2 -> z1 (iperf3 -R): what z1 receives, held back by the host link's tbf
# RUNS runs of RUN_SECONDS each per direction. Each run prints two ratios to the cap:
#   wire      the Ethernet frames the tbf let through (the byte counter of the IFB's, resp. the
#             host link's, root tbf from the run's first second to its last) per second: what
#             the cap limits, as illumos's maxbw counts it
#   goodput   iperf3's TCP payload as its receiver counted it; at best 1448/1514 = 0.956 of the
#             wire rate with a 1500 MTU (TCP/IP/Ethernet headers of each frame)
# Exits 1 when a wire ratio is off the cap by more than TOLERANCE (directions whose uncapped rate,
# measured first in the same run, is under 1/0.9 of the cap are not judged), 2 when it cannot run.
#
# Environment: NET_CAP_APPLY (default build/release/bench/net_cap_apply), CAP (bits/s,
# 100000000), RUNS (3), RUN_SECONDS (5, at least 3), TOLERANCE (0.05).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
apply=${NET_CAP_APPLY:-$repo/build/release/bench/net_cap_apply}
cap=${CAP:-100000000}
runs=${RUNS:-3}
seconds=${RUN_SECONDS:-5}
tolerance=${TOLERANCE:-0.05}

die() { echo "net_cap: $*" >&2; exit 2; }
calc() { awk "BEGIN { print $1 }"; }
holds() { awk "BEGIN { exit !($1) }"; }
[[ $(id -u) -eq 0 ]] || die "run as root (network namespaces, tc)"
((seconds >= 3)) || die "RUN_SECONDS must be at least 3 (the first and last second are not counted)"
[[ -x $apply ]] || die "no binary at $apply (build the release preset or set NET_CAP_APPLY)"
for tool in iperf3 jq ip ss tc unshare nsenter; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done

tmp=$(mktemp -d /tmp/lumos-netcap.XXXXXX)
server=""
client=""
cleanup() {
    set +e
    for pid in $client $server; do
        kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    for ns in z1 z2 host; do
        [[ -e $tmp/$ns ]] && { umount "$tmp/$ns" 2>/dev/null || true; }
    done
    umount "$tmp" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# A private mount, so that the namespaces' bind mounts stay here and go with it.
if ! { mount --bind "$tmp" "$tmp" && mount --make-private "$tmp"; }; then
    die "cannot make $tmp a private mount"
fi

host=$tmp/host
at() { local ns=$1; shift; nsenter --net="$ns" -- "$@"; }
for ns in host z1 z2; do
    touch "$tmp/$ns"
    unshare --net="$tmp/$ns" true || die "cannot make namespace $ns"
done
at "$host" ip link add br0 type bridge
at "$host" ip link set br0 up
plug() { # zone, host link, address
    at "$host" ip link add "$2" type veth peer name net0 netns "$tmp/$1"
    at "$host" ip link set "$2" master br0 up
    at "$tmp/$1" ip link set lo up
    at "$tmp/$1" ip link set net0 up
    at "$tmp/$1" ip addr add "$3" dev net0
}
plug z1 zbench01_net0 10.96.0.2/24
plug z2 zbench02_net0 10.96.0.3/24

# The bytes the root tbf of a link sent: frames as the qdisc counts them (a GSO packet as its
# segments, each with its headers), unlike the link's tx_bytes (its headers once).
tbf_bytes() { at "$host" tc -s -j qdisc show dev "$1" | jq '[.[] | select(.kind == "tbf")][0].bytes'; }
# sampled_bytes: tbf_bytes of a link; sampled_at: when (the middle of the read, in seconds).
sample() {
    local before after
    before=$(date +%s.%N)
    sampled_bytes=$(tbf_bytes "$1")
    after=$(date +%s.%N)
    sampled_at=$(awk "BEGIN { printf \"%.6f\", ($before + $after) / 2 }")
}

# One run: direction ("sends" or "receives"); sets mbits (iperf3's goodput in Mbit/s) and, with
# the cap in place, wire and goodput (ratios to the cap). wire is the tbf's byte counter over the
# middle of the run (from its first second to its last), so that neither the start (the bucket's
# burst, TCP's slow start) nor how iperf3 times its ends counts. Runs in this shell, not a
# subshell, so that the EXIT trap knows the processes.
measure() {
    local flags=() counted=ibench01_net0 capped=$2
    if [[ $1 == receives ]]; then
        flags=(-R)
        counted=zbench01_net0
    fi
    # nsenter itself, not the at function, so that $! is iperf3 (nsenter --net execs it).
    nsenter --net="$tmp/z2" -- iperf3 -s -1 >/dev/null &
    server=$!
    for _ in $(seq 50); do # until the server listens
        [[ -n $(at "$tmp/z2" ss -Hltn 'sport = :5201') ]] && break
        sleep 0.1
    done
    nsenter --net="$tmp/z1" -- iperf3 -c 10.96.0.3 -t "$seconds" -J "${flags[@]}" >"$tmp/client.json" &
    client=$!
    local t0=0 t1=1 b0=0 b1=0
    if ((capped)); then
        sleep 1
        sample "$counted"
        t0=$sampled_at b0=$sampled_bytes
        sleep "$((seconds - 2))"
        sample "$counted"
        t1=$sampled_at b1=$sampled_bytes
    fi
    wait "$client" || true
    client=""
    wait "$server" || true
    server=""
    local out received
    out=$(cat "$tmp/client.json")
    received=$(jq '.end.sum_received.bits_per_second // empty' <<<"$out")
    [[ -n $received ]] || die "iperf3 failed: $(jq -r '.error // empty' <<<"$out")"
    mbits=$(calc "$received / 1000000")
    wire=$(calc "($b1 - $b0) * 8 / ($t1 - $t0) / $cap")
    goodput=$(calc "$received / $cap")
}

# The same link uncapped first, in this run: a cap above it cannot be measured.
declare -A uncapped
for direction in sends receives; do
    measure "$direction" 0
    uncapped[$direction]=$mbits
    printf 'uncapped: guest %-8s %10.1f Mbit/s\n' "$direction" "$mbits"
done
"$apply" set "$host" zbench01_net0 ibench01_net0 "$cap"

echo "cap $(calc "$cap / 1000000") Mbit/s on zbench01_net0; $runs runs of ${seconds}s each way"
printf '%-15s %4s %11s %13s %10s\n' direction run "wire/cap" "goodput/cap" "Mbit/s"
failed=0
for direction in sends receives; do
    for run in $(seq "$runs"); do
        measure "$direction" 1
        printf '%-15s %4d %11.3f %13.3f %10.1f\n' "guest $direction" "$run" "$wire" "$goodput" "$mbits"
        if holds "$cap / 1000000 > 0.9 * ${uncapped[$direction]}"; then
            echo "  (not judged: the link does not reach the cap uncapped)"
            continue
        fi
        holds "$wire >= 1 - $tolerance && $wire <= 1 + $tolerance" || failed=1
    done
done
"$apply" remove "$host" zbench01_net0 ibench01_net0
if ((failed)); then
    echo "net_cap: a wire rate is off the cap by more than $(calc "$tolerance * 100")%" >&2
    exit 1
fi
echo "net_cap: every wire rate within $(calc "$tolerance * 100")% of the cap"
