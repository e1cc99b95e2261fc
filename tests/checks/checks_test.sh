#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0
# The tree checks can fail: tools/check-deps.sh, tools/check-format.sh and tools/tidy.sh pass on
# this tree and refuse a deliberate violation in a scratch copy of it.
# Usage: checks_test.sh <deps|format|tidy> <repo>
set -euo pipefail
what=$1
repo=$2
scratch=$(mktemp -d /tmp/lumos-checks.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

expect_refusal() { # <expected text> <command...>: the command exits 1 and says the text
    local expected=$1
    shift
    local status=0
    "$@" >"$scratch/out" 2>&1 || status=$?
    [[ $status -eq 1 ]] || { cat "$scratch/out" >&2; fail "$* exited $status, not 1"; }
    grep -qF -- "$expected" "$scratch/out" || { cat "$scratch/out" >&2; fail "$* did not say: $expected"; }
}

case $what in
deps)
    "$repo/tools/check-deps.sh" "$repo/src" || fail "check-deps refuses the tree"
    cp -r "$repo/src" "$scratch/src"
    # An upward include: props is below vm.
    echo '#include "vm/engine.hpp"' >>"$scratch/src/props/brand.cpp"
    expect_refusal 'props/brand.cpp:' "$repo/tools/check-deps.sh" "$scratch/src"
    expect_refusal 'props may not depend on vm' "$repo/tools/check-deps.sh" "$scratch/src"
    cp "$repo/src/props/brand.cpp" "$scratch/src/props/brand.cpp"
    # Another module's private header.
    echo '#include "pools/detail/dataset_db.hpp"' >>"$scratch/src/vm/engine.cpp"
    expect_refusal 'pools/detail is private to pools' "$repo/tools/check-deps.sh" "$scratch/src"
    cp "$repo/src/vm/engine.cpp" "$scratch/src/vm/engine.cpp"
    # The zone monitor links nothing of lumos.
    echo '#include "base/file.hpp"' >>"$scratch/src/cmd/zinit/main.cpp"
    expect_refusal 'zinit links nothing of lumos' "$repo/tools/check-deps.sh" "$scratch/src"
    cp "$repo/src/cmd/zinit/main.cpp" "$scratch/src/cmd/zinit/main.cpp"
    # The guest tools carry lumos_metadata only.
    echo '#include "base/file.hpp"' >>"$scratch/src/cmd/mdata/tools.cpp"
    expect_refusal 'mdata links lumos_metadata only' "$repo/tools/check-deps.sh" "$scratch/src"
    cp "$repo/src/cmd/mdata/tools.cpp" "$scratch/src/cmd/mdata/tools.cpp"
    "$repo/tools/check-deps.sh" "$scratch/src" || fail "check-deps refuses the restored copy"
    ;;
format)
    "$repo/tools/check-format.sh" "$repo" || fail "check-format refuses the tree"
    mkdir -p "$scratch/src/base"
    cp "$repo/.clang-format" "$scratch/"
    cp "$repo/src/base/strings.cpp" "$scratch/src/base/strings.cpp"
    "$repo/tools/check-format.sh" "$scratch" || fail "check-format refuses a formatted file"
    printf 'int   badly_formatted( ) { return 0 ; }\n' >>"$scratch/src/base/strings.cpp"
    expect_refusal 'not formatted: src/base/strings.cpp' "$repo/tools/check-format.sh" "$scratch"
    ;;
tidy)
    # The whole tree is tools/test.sh's job (minutes); here one small file of it, in a scratch
    # copy with its own compile_commands.json, through both passes (CI's and the full one).
    mkdir -p "$scratch/src/base" "$scratch/tools" "$scratch/build"
    cp "$repo/.clang-tidy" "$repo/.clang-format" "$scratch/"
    cp "$repo/tools/tidy.sh" "$scratch/tools/"
    cp "$repo/src/base/time.hpp" "$repo/src/base/time.cpp" "$scratch/src/base/"
    printf '[{"directory": "%s", "file": "%s", "command": "c++ -I%s -std=c++20 -c %s"}]\n' \
        "$scratch/build" "$scratch/src/base/time.cpp" "$scratch/src" "$scratch/src/base/time.cpp" \
        >"$scratch/build/compile_commands.json"
    export TIDY_CACHE="$scratch/cache"
    tidy_passes() { # <what>: both passes find nothing
        for pass in --ci ""; do
            "$scratch/tools/tidy.sh" $pass -p "$scratch/build" >"$scratch/out" 2>&1 ||
                { cat "$scratch/out" >&2; fail "tidy $pass refuses $1"; }
        done
    }
    cached() { find "$scratch/cache" -type f | wc -l; }
    tidy_passes src/base/time.cpp
    [[ $(cached) -eq 2 ]] || fail "tidy cached $(cached) clean results, not 2 (one per pass)"
    # An if without braces (STYLE: clang-tidy checks them) compiles without a warning; first
    # with a NOLINT, which tidy honours (and caches as clean), then without it.
    printf 'int lumos_sign(int value)\n{\n    if (value < 0) // NOLINT(readability-braces-around-statements)\n        return -1;\n    return 1;\n}\n' \
        >>"$scratch/src/base/time.cpp"
    tidy_passes "an if with a NOLINT"
    [[ $(cached) -eq 4 ]] || fail "tidy cached $(cached) clean results, not 4"
    sed -i 's| // NOLINT(readability-braces-around-statements)||' "$scratch/src/base/time.cpp"
    line=$(($(wc -l <"$scratch/src/base/time.cpp") - 3))
    # Only the comment changed: a cache keyed on comment-free text would call it clean.
    for pass in --ci ""; do
        expect_refusal "src/base/time.cpp:$line: [readability-braces-around-statements]" \
            "$scratch/tools/tidy.sh" $pass -p "$scratch/build" "$scratch/src/base/time.cpp"
    done
    [[ $(cached) -eq 4 ]] || fail "tidy cached a file with findings"
    ;;
*)
    fail "usage: checks_test.sh <deps|format|tidy> <repo>"
    ;;
esac
echo "PASS: $what"
