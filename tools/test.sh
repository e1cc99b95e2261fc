#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0
# The whole test suite, as CI runs it: dependencies, a fuzz build (clang), the sanitizer build
# (g++, warnings as errors), then every test — unit, acceptance (the CLI as a user runs it, as
# root), a bounded fuzz run, and the leak check — through ctest, whose summary ends the output.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target payload_fuzz manifest_fuzz btrfs_stream_fuzz
cmake --preset asan -DLUMOS_FUZZ_BIN_DIR="$PWD/build/fuzz/tests/fuzz" >/dev/null
cmake --build --preset asan
export LUMOS_HOST_TESTS=1
exec ctest --preset asan -j2
