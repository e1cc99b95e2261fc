#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0
# Runs a libFuzzer target for a bounded time on a copy of its checked-in corpus.
set -euo pipefail
target=$1 corpus=$2 seconds=${3:-30}
work=$(mktemp -d /tmp/lumos-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -r "$corpus"/. "$work/"
"$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$work/" "$work" 2>&1 | tail -n 20
