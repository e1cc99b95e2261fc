#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0
# Fails when a #include goes against the layering in ARCHITECTURE.md ("Dependencies point down
# only"). Usage: tools/check-deps.sh [source root, default: this repository's src/]
#
# Rules:
#   - a module includes only itself and the modules listed for it below;
#   - a `<module>/detail/` header is private: only files of that module include it;
#   - lumos-zoned and zinit run alone (in every zone, static): they include nothing of lumos but
#     the header-only files named in STANDALONE_OK, which themselves include only the standard
#     library;
#   - the guest tools (cmd/mdata: mdata-get, -put, -list, -delete) are static and run in guests:
#     they include lumos_metadata (standard library and POSIX only) and nothing else of lumos;
#   - programs (cmd/<program>/) include the libraries and cmd/common, never another program.
set -euo pipefail
src=${1:-$(cd "$(dirname "$0")/.." && pwd)/src}
[[ -d $src ]] || { echo "check-deps: no source tree at $src" >&2; exit 2; }

declare -A ALLOWED=(
    [base]="base"
    [sys]="sys base"
    [props]="props base"
    [pools]="pools base"
    [store]="store props base"
    [image]="image pools base"
    [runtime]="runtime sys base"
    [net]="net sys base"
    [metadata]="metadata"
    [metaserver]="metaserver metadata base"
    [vm]="vm image store props pools runtime net metadata sys base"
    [cmd]="cmd vm image store props pools runtime net metadata metaserver sys base"
)
STANDALONE=" lumos-zoned zinit "
STANDALONE_OK=" base/posix_util.hpp base/restart_backoff.hpp runtime/monitor_protocol.hpp net/dhcp_client.hpp "
GUEST=" mdata "

violations=0
report() { echo "check-deps: $1" >&2; violations=$((violations + 1)); }

for dir in "$src"/*/; do
    module=$(basename "$dir")
    [[ -n ${ALLOWED[$module]+set} ]] || report "src/$module: unknown module '$module' (add it to tools/check-deps.sh and ARCHITECTURE.md)"
done
# Every quoted include of the tree, from one grep: "<file>:<line>:<text>".
while IFS= read -r line; do
    file=${line%%:*}
    line=${line#*:}
    rel=${file#"$src"/}
    module=${rel%%/*}
    program=""
    if [[ $module == cmd ]]; then
        program=${rel#cmd/}
        program=${program%%/*}
    fi
    [[ -n ${ALLOWED[$module]+set} ]] || continue # reported below
    lineno=${line%%:*}
    target=${line#*:}
    target=${target#*\"}
    target=${target%%\"*}
    [[ $target == */* ]] || continue # same-directory includes ("byte_ranges.hpp")
    to=${target%%/*}
    [[ -n ${ALLOWED[$to]+set} ]] || continue # not one of ours (a test support header, ...)
    where="$rel:$lineno includes \"$target\""
    if [[ $STANDALONE == *" $program "* || $STANDALONE_OK == *" $rel "* ]]; then
        if [[ $to == cmd ]]; then
            [[ $target == cmd/$program/* ]] || report "$where: $program links nothing of lumos"
        elif [[ $STANDALONE_OK != *" $target "* ]]; then
            report "$where: ${program:-$rel} links nothing of lumos (header-only files only: $STANDALONE_OK)"
        fi
        continue
    fi
    if [[ $GUEST == *" $program "* ]]; then
        [[ $to == metadata || $target == cmd/$program/* ]] ||
            report "$where: $program links lumos_metadata only"
        continue
    fi
    [[ " ${ALLOWED[$module]} " == *" $to "* ]] || report "$where: $module may not depend on $to"
    if [[ $target == */detail/* && $target != "$module"/* ]]; then
        report "$where: $to/detail is private to $to"
    fi
    if [[ $to == cmd ]]; then
        other=${target#cmd/}
        other=${other%%/*}
        [[ $other == "$program" || $other == common ]] || report "$where: programs do not include each other"
    fi
done < <(find "$src" -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) -print0 |
    xargs -0 -r grep -H -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' || true)

if ((violations > 0)); then
    echo "check-deps: $violations include(s) against the layering in ARCHITECTURE.md" >&2
    exit 1
fi
echo "check-deps: the include graph follows ARCHITECTURE.md"
