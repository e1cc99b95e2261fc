#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0
# The whole test suite, as CI runs it: dependencies, the layering, format and tidy checks, a fuzz
# build (clang), the sanitizer build (g++, warnings as errors), then every test — unit, cli
# (vmadm's contract in-process, any user), acceptance (the CLI as a user runs it, as root), a
# bounded fuzz run, and the leak check — through ctest, whose summary ends the output.
#
# As an ordinary user it runs the same steps without installing packages (apt needs root):
# the tests that need root skip with their reason, the unprivileged ones (unit, cli, most
# image and pool tests) run.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -eq 0 ]; then
    tools/install-deps.sh
else
    echo "test.sh: not root: skipping tools/install-deps.sh (apt needs root); the tests that need root will skip"
fi
# The tree's own rules first (seconds): includes follow ARCHITECTURE.md's layering, and every
# C++ file is formatted as .clang-format says.
tools/check-deps.sh
tools/check-format.sh
# clang-tidy over every src/ file (its CI pass: tools/tidy.sh says what it leaves out and why),
# from the asan build's compile_commands.json; files unchanged since a clean run are skipped.
cmake --preset asan -DLUMOS_FUZZ_BIN_DIR="$PWD/build/fuzz/tests/fuzz" >/dev/null
tools/tidy.sh --ci
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target payload_fuzz manifest_fuzz btrfs_stream_fuzz metadata_fuzz \
    zfs_stream_fuzz
cmake --build --preset asan
export LUMOS_HOST_TESTS=1
exec ctest --preset asan -j2
