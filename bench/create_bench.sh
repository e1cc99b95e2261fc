#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0
# vmadm create from a big image against create from a small one, on a btrfs pool: the zone root
# is a clone of the image's @final snapshot (reference section 7.2), which on btrfs is a subvolume
# snapshot, O(1) in the image's size. Target: create from a 1 GiB image takes <= 1.2x the time of
# create from a 10 MiB image.
#
# Setup, all under a temporary LUMOS_ROOT, all removed at exit: a btrfs pool "zones" on a loop
# file (lumosadm pool create), two base-minimal images padded to 1 GiB and 10 MiB
# (tools/build-image.sh --pad-mib, compression none) put in with `imgadm install -m -f`.
# hyperfine times `vmadm create -f <payload>` (joyent-minimal, autoboot false, a fixed uuid) from
# each image, the VM deleted before every run (--prepare, not timed).
# Exits 1 when the target is missed, 2 when the setup cannot run.
#
# Environment: LUMOSADM, IMGADM, VMADM (default build/release/src/cmd/<prog>/<prog>), BIG_MIB
# (1024), SMALL_MIB (10), RUNS (20), TARGET (1.2), RESULTS_DIR (hyperfine's JSON export;
# default: inside the temporary root).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
lumosadm=${LUMOSADM:-$repo/build/release/src/cmd/lumosadm/lumosadm}
imgadm=${IMGADM:-$repo/build/release/src/cmd/imgadm/imgadm}
vmadm=${VMADM:-$repo/build/release/src/cmd/vmadm/vmadm}
big_mib=${BIG_MIB:-1024}
small_mib=${SMALL_MIB:-10}
runs=${RUNS:-20}
target=${TARGET:-1.2}

die() { echo "create_bench: $*" >&2; exit 2; }
calc() { awk "BEGIN { print $1 }"; }
holds() { awk "BEGIN { exit !($1) }"; }

[[ $(id -u) -eq 0 ]] || die "run as root (loop devices, mounts, imgadm, vmadm)"
for bin in "$lumosadm" "$imgadm" "$vmadm"; do
    [[ -x $bin ]] || die "no binary at $bin (build the release preset or set LUMOSADM/IMGADM/VMADM)"
done
for tool in hyperfine jq; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done
lumosadm=$(realpath "$lumosadm") imgadm=$(realpath "$imgadm") vmadm=$(realpath "$vmadm")

LUMOS_ROOT=$(mktemp -d /tmp/lumos-bench.XXXXXX)
export LUMOS_ROOT
pool_file=$LUMOS_ROOT/var/lib/lumos/zones.img
image_dir=$LUMOS_ROOT/images
results=${RESULTS_DIR:-$LUMOS_ROOT/results}
vm_uuid=6b3c2a10-0d4e-4f5a-8b6c-7d8e9f0a1b2c
# shellcheck disable=SC2317 # cleanup runs from the trap
cleanup() {
    set +e
    if [[ -f $LUMOS_ROOT/etc/lumos/pools.json ]]; then
        "$vmadm" delete "$vm_uuid" >/dev/null 2>&1
        "$imgadm" list -H -o uuid 2>/dev/null | while read -r u; do "$imgadm" delete "$u" >/dev/null 2>&1; done
        "$lumosadm" pool destroy zones >/dev/null 2>&1 || echo "create_bench: lumosadm pool destroy zones failed" >&2
    fi
    awk -v r="$LUMOS_ROOT" 'index($2, r "/") == 1 { print $2 }' /proc/self/mounts | sort -r |
        while read -r m; do echo "create_bench: unmounting leftover $m" >&2; umount "$m"; done
    losetup -j "$pool_file" -O NAME -n 2>/dev/null | while read -r dev; do
        echo "create_bench: detaching leftover $dev" >&2
        losetup -d "$dev"
    done
    rm -rf "$LUMOS_ROOT"
}
trap cleanup EXIT

# --- the host ----------------------------------------------------------------------------------
mkdir -p "$(dirname "$pool_file")" "$image_dir" "$results" "$LUMOS_ROOT/etc/lumos"
printf 'admin_nic=02:08:20:00:00:01\nexternal_nic=02:08:20:00:00:02\n' >"$LUMOS_ROOT/etc/lumos/config"
pool_gib=$(((big_mib + small_mib) * 2 / 1024 + 2))
"$lumosadm" pool create zones --backend btrfs --file "$pool_file" --size "${pool_gib}G" >/dev/null ||
    die "lumosadm pool create zones --backend btrfs failed"

install_image() { # version, pad MiB -> uuid
    local uuid out
    uuid=$("$repo/tools/build-image.sh" base-minimal "$image_dir" --version "$1" \
        --pad-mib "$2" --compression none 2>/dev/null) || die "tools/build-image.sh failed"
    out=$("$imgadm" install -m "$image_dir/base-minimal-$1.imgmanifest" \
        -f "$image_dir/base-minimal-$1.tar" 2>&1) || die "imgadm install failed: $out"
    rm -f "$image_dir/base-minimal-$1.tar" # the pool holds it now
    echo "$uuid"
}
echo "building and installing a ${big_mib} MiB and a ${small_mib} MiB image ..."
big=$(install_image big "$big_mib")
small=$(install_image small "$small_mib")

payload() { # image uuid -> payload file
    jq --arg image "$1" --arg uuid "$vm_uuid" \
        '.image_uuid = $image | .uuid = $uuid | .autoboot = false' \
        "$repo/examples/joyent-minimal.json" >"$LUMOS_ROOT/payload-$1.json"
    echo "$LUMOS_ROOT/payload-$1.json"
}
big_payload=$(payload "$big")
small_payload=$(payload "$small")
# One create from each by hand first, so that a failure shows vmadm's message, not hyperfine's.
# Each must give the VM the image's files, or there is nothing to compare.
for p in "$big_payload" "$small_payload"; do
    out=$("$vmadm" create -f "$p" 2>&1) || die "vmadm create -f $p failed: $out"
    zonepath=$("$vmadm" get "$vm_uuid" | jq -r .zonepath)
    [[ -f $zonepath/root/opt/lumos-pad.bin ]] ||
        die "vmadm create did not clone the image: no $zonepath/root/opt/lumos-pad.bin"
    out=$("$vmadm" delete "$vm_uuid" 2>&1) || die "vmadm delete $vm_uuid failed: $out"
done

# --- measuring ----------------------------------------------------------------------------------
echo "timing vmadm create ($runs runs each) ..."
hyperfine --runs "$runs" --warmup 1 --style none --output=null \
    --prepare "'$vmadm' delete $vm_uuid >/dev/null 2>&1 || true" \
    --export-json "$results/create.json" \
    -n "create from ${big_mib} MiB" "'$vmadm' create -f '$big_payload'" \
    -n "create from ${small_mib} MiB" "'$vmadm' create -f '$small_payload'" >/dev/null
mean_ms() { jq -r ".results[$1].mean * 1000" "$results/create.json"; }
median_ms() { jq -r ".results[$1].median * 1000" "$results/create.json"; }
big_ms=$(median_ms 0) small_ms=$(median_ms 1)
ratio=$(calc "$big_ms / $small_ms")
if holds "$ratio <= $target"; then verdict=PASS status=0; else verdict=FAIL status=1; fi

echo
printf 'pool zones on btrfs (loop, %d GiB); images %s (%d MiB) and %s (%d MiB)\n' \
    "$pool_gib" "$big" "$big_mib" "$small" "$small_mib"
printf '%-32s %10s %10s\n' "command" "median ms" "mean ms"
printf '%-32s %10.2f %10.2f\n' "vmadm create (${big_mib} MiB image)" "$big_ms" "$(mean_ms 0)"
printf '%-32s %10.2f %10.2f\n' "vmadm create (${small_mib} MiB image)" "$small_ms" "$(mean_ms 1)"
printf 'create from %d MiB / from %d MiB: %.2fx (target <= %sx)  %s\n' "$big_mib" "$small_mib" \
    "$ratio" "$target" "$verdict"
exit "$status"
