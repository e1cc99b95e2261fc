#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0
# Fails when a C++ file differs from .clang-format: clang-format --dry-run -Werror over every
# tracked .cpp/.hpp/.h but third-party code kept as its authors wrote it (tests/third_party).
# Usage: tools/check-format.sh [repository root, default: this one]
# CLANG_FORMAT picks the binary (default: Debian 12's clang-format-14, else clang-format), so
# that every machine formats with the version the tree was formatted with.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"
tool=${CLANG_FORMAT:-$(command -v clang-format-14 || command -v clang-format || true)}
[[ -n $tool ]] || { echo "check-format: clang-format is not installed (tools/install-deps.sh)" >&2; exit 2; }
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    mapfile -t files < <(git ls-files -- '*.cpp' '*.hpp' '*.h' ':!tests/third_party')
else
    mapfile -t files < <(find src tests bench -path tests/third_party -prune -o -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) -print | sort)
fi
existing=()
for file in "${files[@]}"; do
    [[ -f $file ]] && existing+=("$file")
done
# One clang-format for all files (a process per file cost seconds); each file that differs is
# named in its "<file>:<line>:<col>: error: code should be clang-formatted" lines, and a file it
# cannot read on an "error: ... '<file>'" line.
log=$(mktemp /tmp/lumos-check-format.XXXXXX)
trap 'rm -f "$log"' EXIT
status=0
printf '%s\0' "${existing[@]}" |
    xargs -0 "$tool" --style=file --dry-run -Werror --ferror-limit=1 >/dev/null 2>"$log" || status=$?
mapfile -t bad < <(sed -n -E "s/^(.+):[0-9]+:[0-9]+: error: .*/\1/p; s/^error: .*'(.+)'.*/\1/p" "$log" | sort -u)
if ((status != 0 && ${#bad[@]} == 0)); then
    cat "$log" >&2
    echo "check-format: $tool failed (exit $status) without naming a file" >&2
    exit 1
fi
if ((${#bad[@]} > 0)); then
    printf 'check-format: not formatted: %s\n' "${bad[@]}" >&2
    echo "check-format: ${#bad[@]} file(s) differ from .clang-format; fix with: $tool -i <file>" >&2
    exit 1
fi
echo "check-format: ${#files[@]} files follow .clang-format"
