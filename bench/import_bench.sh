#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0
# imgadm import against what a user could do instead: fetch the same file from the same
# lumos-imgapi and checksum it, `curl -s <url>/images/<uuid>/file | sha1sum`, in the same run.
# Target: import throughput >= 70% of curl|sha1sum's.
#
# The image is uncompressed (compression none), so the peer does what import must do at the
# least: move the bytes over loopback HTTP and SHA-1 them (imgadm checks files[0].sha1 while
# streaming, reference section 4.5). Import also writes the image into the pool and snapshots it.
#
# Setup, all under a temporary LUMOS_ROOT, all removed at exit: a btrfs pool "zones" on a loop
# file (lumosadm pool create), a 512 MiB base-minimal image (tools/build-image.sh --pad-mib),
# lumos-imgapi serving it on 127.0.0.1 (port 0 + port file) as imgadm's only source.
# Each round: one curl|sha1sum, one import, one delete (not timed; it then waits for btrfs to
# free the subvolume and for writeback). One warm-up round, then RUNS.
# Exits 1 when the target is missed, 2 when the setup cannot run.
#
# Environment: LUMOSADM, IMGADM, LUMOS_IMGAPI (default build/release/src/cmd/<prog>/<prog>),
# PAD_MIB (512), RUNS (3), TARGET (0.70).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
lumosadm=${LUMOSADM:-$repo/build/release/src/cmd/lumosadm/lumosadm}
imgadm=${IMGADM:-$repo/build/release/src/cmd/imgadm/imgadm}
imgapi=${LUMOS_IMGAPI:-$repo/build/release/src/cmd/lumos-imgapi/lumos-imgapi}
pad_mib=${PAD_MIB:-512}
runs=${RUNS:-3}
target=${TARGET:-0.70}

die() { echo "import_bench: $*" >&2; exit 2; }
calc() { awk "BEGIN { print $1 }"; }
holds() { awk "BEGIN { exit !($1) }"; }
now_ns() { date +%s%N; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

[[ $(id -u) -eq 0 ]] || die "run as root (loop devices, mounts, imgadm)"
for bin in "$lumosadm" "$imgadm" "$imgapi"; do
    [[ -x $bin ]] || die "no binary at $bin (build the release preset or set LUMOSADM/IMGADM/LUMOS_IMGAPI)"
done
for tool in curl sha1sum jq; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done
lumosadm=$(realpath "$lumosadm") imgadm=$(realpath "$imgadm") imgapi=$(realpath "$imgapi")

LUMOS_ROOT=$(mktemp -d /tmp/lumos-bench.XXXXXX)
export LUMOS_ROOT
pool_file=$LUMOS_ROOT/var/lib/lumos/zones.img
image_dir=$LUMOS_ROOT/var/lib/lumos-imgapi
server_pid=
# shellcheck disable=SC2317 # cleanup runs from the trap
cleanup() {
    set +e
    if [[ -n $server_pid ]]; then
        kill "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
    fi
    if [[ -f $LUMOS_ROOT/etc/lumos/pools.json ]]; then
        "$imgadm" list -H -o uuid 2>/dev/null | while read -r u; do "$imgadm" delete "$u" >/dev/null 2>&1; done
        "$lumosadm" pool destroy zones >/dev/null 2>&1 || echo "import_bench: lumosadm pool destroy zones failed" >&2
    fi
    # Whatever pool destroy left behind: mounts under the root, the loop device of the file.
    awk -v r="$LUMOS_ROOT" 'index($2, r "/") == 1 { print $2 }' /proc/self/mounts | sort -r |
        while read -r m; do echo "import_bench: unmounting leftover $m" >&2; umount "$m"; done
    losetup -j "$pool_file" -O NAME -n 2>/dev/null | while read -r dev; do
        echo "import_bench: detaching leftover $dev" >&2
        losetup -d "$dev"
    done
    rm -rf "$LUMOS_ROOT"
}
trap cleanup EXIT

# --- the host ----------------------------------------------------------------------------------
mkdir -p "$(dirname "$pool_file")" "$image_dir"
# 8G (a sparse file): btrfs frees a deleted subvolume's space later, in its cleaner thread, and
# back-to-back 512 MiB import/delete rounds filled a 3G pool's chunks (ENOSPC on metadata).
"$lumosadm" pool create zones --backend btrfs --file "$pool_file" --size 8G >/dev/null ||
    die "lumosadm pool create zones --backend btrfs failed"
echo "building a ${pad_mib} MiB image ..."
uuid=$("$repo/tools/build-image.sh" base-minimal "$image_dir" --version bench \
    --pad-mib "$pad_mib" --compression none 2>/dev/null) || die "tools/build-image.sh failed"
manifest=$image_dir/base-minimal-bench.imgmanifest
size=$(jq -r '.files[0].size' "$manifest")
sha1=$(jq -r '.files[0].sha1' "$manifest")

port_file=$LUMOS_ROOT/imgapi.port
"$imgapi" --dir "$image_dir" --host 127.0.0.1 --port 0 --port-file "$port_file" \
    >"$LUMOS_ROOT/imgapi.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
    [[ -s $port_file ]] && break
    kill -0 "$server_pid" 2>/dev/null || die "lumos-imgapi exited: $(cat "$LUMOS_ROOT/imgapi.log")"
    sleep 0.05
done
[[ -s $port_file ]] || die "lumos-imgapi wrote no port file"
url=http://127.0.0.1:$(tr -d '[:space:]' <"$port_file")
"$imgadm" sources -a "$url" >/dev/null || die "imgadm sources -a $url failed"

# --- measuring ------------------------------------------------------------------------------------
curl_once() { # -> seconds
    local start end got
    start=$(now_ns)
    got=$(curl -sf "$url/images/$uuid/file" | sha1sum | cut -d' ' -f1)
    end=$(now_ns)
    [[ $got == "$sha1" ]] || die "curl|sha1sum got $got, the manifest says $sha1"
    calc "($end - $start) / 1e9"
}
import_once() { # -> seconds
    local start end out
    start=$(now_ns)
    out=$("$imgadm" import "$uuid" 2>&1) || die "imgadm import failed: $out"
    end=$(now_ns)
    [[ $out == *"Imported image $uuid"* ]] || die "imgadm import did not import: $out"
    calc "($end - $start) / 1e9"
}
delete_image() {
    local out
    out=$("$imgadm" delete "$uuid" 2>&1) || die "imgadm delete failed: $out"
    # Not timed: let btrfs's cleaner free the deleted subvolume (qgroup accounting included) and
    # write back what is dirty, so that neither command of the next round competes with this
    # round's leftovers.
    btrfs subvolume sync "$LUMOS_ROOT/zones" >/dev/null 2>&1 || true
    sync
}

echo "warm-up round ..."
curl_once >/dev/null
import_once >/dev/null
delete_image
curl_times=() import_times=()
for i in $(seq "$runs"); do
    echo "round $i of $runs ..."
    curl_times+=("$(curl_once)")
    import_times+=("$(import_once)")
    delete_image
done

curl_s=$(median "${curl_times[@]}")
import_s=$(median "${import_times[@]}")
curl_rate=$(calc "$size / 1048576 / $curl_s")
import_rate=$(calc "$size / 1048576 / $import_s")
ratio=$(calc "$import_rate / $curl_rate")
if holds "$ratio >= $target"; then verdict=PASS status=0; else verdict=FAIL status=1; fi

echo
printf 'image: %s, %d bytes (%s MiB padding, compression none), pool zones on btrfs (loop)\n' \
    "$uuid" "$size" "$pad_mib"
printf 'runs (s): curl|sha1sum %s; imgadm import %s\n' "${curl_times[*]}" "${import_times[*]}"
printf '%-36s %9s %10s\n' "command" "median s" "MiB/s"
printf '%-36s %9.3f %10.1f\n' "curl -s <url> | sha1sum" "$curl_s" "$curl_rate"
printf '%-36s %9.3f %10.1f\n' "imgadm import <uuid>" "$import_s" "$import_rate"
printf 'import / curl|sha1sum throughput: %.2f (target >= %s)  %s\n' "$ratio" "$target" "$verdict"
exit "$status"
