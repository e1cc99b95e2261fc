#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0
# Fails when clang-tidy (.clang-tidy: its checks, warnings as errors, headers under src/) finds
# anything in a src/ translation unit. Prints each finding, then one line per file and check.
#
# Usage: tools/tidy.sh [-p build-dir] [-j jobs] [--ci] [file...]
#   -p   a configured build directory with compile_commands.json (default: build/asan, made by
#        `cmake --preset asan`; every preset exports it)
#   -j   parallel clang-tidy processes (default: nproc, at most TIDY_MAX_JOBS, default 2)
#   --ci the CI pass (tools/test.sh): .clang-tidy without CI_SKIP below
#   file a src/ .cpp to tidy (default: every src/ .cpp of the build); a header is tidied through
#        the .cpp files that include it. To tidy what you changed:
#        tools/tidy.sh $(git diff --name-only -- 'src/*.cpp')
# CLANG_TIDY picks the binary (default: Debian 12's clang-tidy-14, else clang-tidy).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build/asan
jobs=$(nproc)
max_jobs=${TIDY_MAX_JOBS:-2}
((jobs <= max_jobs)) || jobs=$max_jobs
ci=0
files=()
while (($# > 0)); do
    case $1 in
    -p) build=$(realpath -m -- "$2"); shift 2 ;;
    -j) jobs=$2; shift 2 ;;
    -j[0-9]*) jobs=${1#-j}; shift ;;
    --ci) ci=1; shift ;;
    -*) echo "usage: tools/tidy.sh [-p build-dir] [-j jobs] [--ci] [file...]" >&2; exit 2 ;;
    *) files+=("$1"); shift ;;
    esac
done

# The CI pass leaves out the path-sensitive analyzer, the one part that costs a lot and found
# nothing here (but Padding, off); the `tidy` preset and a plain tools/tidy.sh run it too.
# Figures (clang-tidy-14, this 2-core machine, 54 TUs, CPU seconds per TU): 17 with every
# check, of which about 3.5 is parsing and 3 the analyzer; the rest is ~170 AST checks with none
# dominant (--enable-check-profile: bugprone-reserved-identifier, the costliest, is 6%). So the
# CI pass costs about 14 s per TU: about 14 minutes at -j2 for all 123 cold, and with the cache
# below about a minute (preprocessing each TU, ~1 s of CPU) plus 7 s per changed TU.
CI_SKIP='-clang-analyzer-*'
CI_SKIP_REASON='the path-sensitive analyzer'

tool=${CLANG_TIDY:-$(command -v clang-tidy-14 || command -v clang-tidy || true)}
[[ -n $tool ]] || { echo "tidy: clang-tidy is not installed (tools/install-deps.sh)" >&2; exit 2; }
db=$build/compile_commands.json
[[ -f $db ]] || { echo "tidy: no $db: configure first (cmake --preset asan)" >&2; exit 2; }

out=$(mktemp -d /tmp/lumos-tidy.XXXXXX)
trap 'rm -rf "$out"' EXIT
# The src/ translation units the build knows, as absolute paths, and for each a script that
# preprocesses it with its own compile command (for the cache key below).
mapfile -t known < <(python3 - "$db" "$root/src/" "$out" <<'PY'
import json, os, shlex, sys
db, src, out = sys.argv[1:]
os.mkdir(os.path.join(out, "cpp"))
for e in json.load(open(db)):
    path = os.path.normpath(os.path.join(e["directory"], e["file"]))
    if not path.startswith(src):
        continue
    argv = e["arguments"] if "arguments" in e else shlex.split(e["command"])
    keep, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "-o":
            skip = True
        elif arg != "-c":
            keep.append(arg)
    name = path[len(src):].replace("/", "_")
    with open(os.path.join(out, "cpp", name), "w") as f:
        f.write("cd %s && %s -E -CC\n" % (shlex.quote(e["directory"]), shlex.join(keep)))
    print(path)
PY
)
if ((${#files[@]} == 0)); then
    files=("${known[@]}")
else
    for i in "${!files[@]}"; do
        file=$(realpath -m -- "${files[$i]}")
        [[ " ${known[*]} " == *" $file "* ]] || {
            echo "tidy: ${files[$i]}: not a src/ .cpp of $build (headers are tidied through their .cpp)" >&2
            exit 2
        }
        files[$i]=$file
    done
fi

checks=
((ci)) && checks=$CI_SKIP
# A file found clean is remembered under the hash of all that decides the result: clang-tidy's
# version, .clang-tidy, the checks asked for, and the file preprocessed with its comments (its
# text and every header's, NOLINTs included, with this tree's path replaced so that worktrees
# share entries). Only clean results are kept, so a finding is reported on every run.
# TIDY_CACHE= (empty) turns the cache off.
cache=${TIDY_CACHE-${XDG_CACHE_HOME:-$HOME/.cache}/lumos-tidy}
[[ -z $cache ]] || mkdir -p "$cache"
salt=$({ "$tool" --version; cat "$root/.clang-tidy"; echo "checks=$checks"; } | sha256sum | cut -c1-64)
echo "tidy: ${#files[@]} file(s), $jobs at a time$( ((ci)) && echo ", CI pass: without $CI_SKIP_REASON" || true)"
# One log per file, named after its path; a file clang-tidy fails on gets a .failed beside it.
tidy_one() {
    local name key=
    name=${1#"$root"/src/}
    name=${name//\//_}
    if [[ -n $cache ]]; then
        key=$({ echo "$salt"; bash "$out/cpp/$name" 2>&1 | sed "s#$root#@ROOT@#g"; } | sha256sum | cut -c1-64)
        [[ ! -e $cache/$key ]] || return 0
    fi
    if "$tool" -p "$build" --quiet ${checks:+"--checks=$checks"} "$1" >"$out/$name" 2>&1; then
        [[ -z $key ]] || touch "$cache/$key"
    else
        touch "$out/$name.failed"
    fi
}
export -f tidy_one
export tool out root build checks cache salt
printf '%s\0' "${files[@]}" | xargs -0 -n1 -P"$jobs" bash -c 'tidy_one "$1"' tidy_one

shopt -s nullglob
failed=("$out"/*.failed)
if ((${#failed[@]} > 0)); then
    for mark in "${failed[@]}"; do
        grep -v -E '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$' "${mark%.failed}" >&2 || true
    done
    # One line per finding (file:line: [check]), then the count per check.
    for mark in "${failed[@]}"; do cat "${mark%.failed}"; done |
        sed -n -E "s#^$root/([^:]+):([0-9]+):[0-9]+: (warning|error): .* \[([^],]+)(,-warnings-as-errors)?\]\$#\1:\2: [\4]#p" |
        sort -u >"$out/findings"
    sed 's/^/tidy: /' "$out/findings" >&2
    sed -E 's/.*\[(.*)\]$/\1/' "$out/findings" | sort | uniq -c | sort -rn | sed 's/^/tidy: /' >&2
    echo "tidy: ${#failed[@]} of ${#files[@]} file(s) have findings" >&2
    exit 1
fi
echo "tidy: ${#files[@]} file(s) clean"
