#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0
# Builds the release preset, runs the micro-benchmarks and the whole-command comparison, and
# keeps what they printed in bench/results/latest.txt (plus hyperfine's JSON exports). Run as
# root from anywhere. Exits non-zero when a comparison misses its target.
#
# BENCH_CMAKE_ARGS is added to the configure step, e.g. BENCH_CMAKE_ARGS=-DLUMOS_WERROR=OFF when a
# new compiler warning should not stop a measurement (the next plain "cmake --preset release"
# puts the preset's value back).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
results=$repo/bench/results
mkdir -p "$results"
out=$results/latest.txt

# shellcheck disable=SC2086 # BENCH_CMAKE_ARGS is a list of arguments
cmake --preset release ${BENCH_CMAKE_ARGS:-} >/dev/null
cmake --build --preset release

status=0
{
    echo "lumos bench, $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD)" \
        "$(git diff --quiet HEAD -- src || echo '(src modified)')"
    echo "host: $(uname -r), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
    echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    echo "== spec pipeline (Google Benchmark) =="
    build/release/bench/validate_bench --benchmark_min_time=0.2
    echo
    echo "== whole commands against cat (hyperfine) =="
    RESULTS_DIR=$results VMADM=build/release/src/cmd/vmadm/vmadm bench/list_vs_cat.sh
    # Every comparison below runs even when an earlier one misses its target; the block fails then.
    images_status=0
    echo
    echo "== imgadm import against curl | sha1sum (lumos-imgapi on loopback) =="
    bench/import_bench.sh || images_status=1
    echo
    echo "== vmadm create: 1 GiB image against 10 MiB image (btrfs clone) =="
    RESULTS_DIR=$results bench/create_bench.sh || images_status=1
    echo
    echo "== zones: vmadm create/stop/start against bare runc run -d; monitor memory =="
    bench/zone_bench.sh || images_status=1
    echo
    echo "== HVM: vmadm create/stop against bare QEMU (same argv and disk); monitor memory =="
    bench/hvm_bench.sh || images_status=1
    echo
    echo "== pool metadata: create/snapshot/destroy of one dataset at 10 and 10,000 datasets =="
    bench/dataset_ops.sh || images_status=1
    echo
    echo "== vmadm create with NICs: the 1,001st VM against the first (conflict index) =="
    RESULTS_DIR=$results bench/create_nics.sh || images_status=1
    exit "$images_status"
} 2>&1 | tee "$out" || status=$?
echo "results written to $out"
exit "$status"
