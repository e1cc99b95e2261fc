#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0
# Metadata GETs as a guest makes them (issue 15): inside a running joyent-minimal zone,
# bench/metadata_bench opens /.zonecontrol/metadata.sock, negotiates V2 and makes COUNT GETs
# in a row, for an sdc: key and a customer_metadata key. Targets: a round trip under 100 us at
# the median, and >= 20,000 GETs per second. The peer, in the same run and the same zone: the
# same client against a responder on a socketpair that answers every line with a fixed frame
# (the transport's and the client's own cost), so the ratio is what the server adds.
# Also shown: the metadata server's memory (RSS and PSS) per zone.
# Everything lives under a temporary LUMOS_ROOT and its own cgroup parent, removed at exit.
# Exits 1 when a target is missed, 2 when the setup cannot run.
#
# Environment: VMADM, IMGADM, ZLOGIN, METADATA_BENCH (default build/release/...), COUNT (10000).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
release=$repo/build/release
vmadm=${VMADM:-$release/src/cmd/vmadm/vmadm}
imgadm=${IMGADM:-$release/src/cmd/imgadm/imgadm}
zlogin=${ZLOGIN:-$release/src/cmd/zlogin/zlogin}
bench=${METADATA_BENCH:-$release/bench/metadata_bench}
count=${COUNT:-10000}

die() { echo "metadata_bench: $*" >&2; exit 2; }
holds() { awk "BEGIN { exit !($1) }"; }

[[ $(id -u) -eq 0 ]] || die "run as root"
for bin in "$vmadm" "$imgadm" "$zlogin" "$bench"; do
    [[ -x $bin ]] || die "no binary at $bin (build the release preset with -DLUMOS_BUILD_BENCH=ON)"
done
command -v jq >/dev/null || die "jq is not installed"

LUMOS_ROOT=$(mktemp -d /tmp/lumos-bench.XXXXXX)
export LUMOS_ROOT
cgroup_parent=/lumos-bench-$$
# shellcheck disable=SC2317 # cleanup runs from the trap
cleanup() {
    set +e
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
jq -n --arg image "$image" '{brand: "joyent-minimal", image_uuid: $image, max_physical_memory: 256,
    alias: "mdbench", customer_metadata: {"bench-key": "a customer value"}}' >"$LUMOS_ROOT/zone.json"
uuid=$("$vmadm" create -f "$LUMOS_ROOT/zone.json" 2>&1 | awk '{ print $NF }')
zonepath=$("$vmadm" get "$uuid" | jq -r .zonepath)
install -m 0755 "$bench" "$zonepath/root/var/tmp/metadata_bench"

run() { "$zlogin" "$uuid" /var/tmp/metadata_bench "$@"; }
read -r floor_median floor_p99 floor_rate < <(run --floor sdc:uuid "$count")
read -r sdc_median sdc_p99 sdc_rate < <(run /.zonecontrol/metadata.sock sdc:uuid "$count")
read -r cm_median cm_p99 cm_rate < <(run /.zonecontrol/metadata.sock bench-key "$count")

server=$(pgrep -f "lumos-metadata $uuid" | head -1 || true)
rss=- pss=-
if [[ -n $server ]]; then
    rss=$(awk '/^Rss:/ { print $2 }' "/proc/$server/smaps_rollup")
    pss=$(awk '/^Pss:/ { print $2 }' "/proc/$server/smaps_rollup")
fi

printf '%-34s %10s %10s %12s\n' "$count GETs in a row, in the zone" "median us" "p99 us" "GETs/s"
printf '%-34s %10s %10s %12s\n' "peer: socketpair responder" "$floor_median" "$floor_p99" "$floor_rate"
printf '%-34s %10s %10s %12s\n' "lumos-metadata, sdc:uuid" "$sdc_median" "$sdc_p99" "$sdc_rate"
printf '%-34s %10s %10s %12s\n' "lumos-metadata, customer key" "$cm_median" "$cm_p99" "$cm_rate"
echo "median vs peer: sdc:uuid $(awk "BEGIN { printf \"%.1f\", $sdc_median / $floor_median }")x," \
    "customer key $(awk "BEGIN { printf \"%.1f\", $cm_median / $floor_median }")x"
echo "lumos-metadata memory: RSS ${rss} KiB, PSS ${pss} KiB"

status=0
for pair in "$sdc_median $sdc_rate" "$cm_median $cm_rate"; do
    read -r median rate <<<"$pair"
    holds "$median < 100" || { echo "MISSED: median round trip $median us >= 100 us"; status=1; }
    holds "$rate >= 20000" || { echo "MISSED: $rate GETs/s < 20000"; status=1; }
done
[[ $status -eq 0 ]] && echo "PASS: median < 100 us and >= 20,000 GETs/s"
exit $status
