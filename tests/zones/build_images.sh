#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0
# The zones:images fixture: builds the images the zone tests boot (zones/zone_images.hpp) once
# per ctest run, with tools/build-image.sh as a user runs it. Usage: build_images.sh <dir>
# (made afresh); build_images.sh --remove <dir> removes it (the fixture's cleanup).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [[ ${1-} == --remove ]]; then
    rm -rf -- "$2"
    exit 0
fi
dir=$1
rm -rf -- "$dir"
mkdir -p -- "$dir"
"$here/../../tools/build-image.sh" base-minimal "$dir" --uuid 7d5b5b3e-5a1f-4c55-9d71-2f0c6a1e9b01 --version 1.0.0
"$here/../../tools/build-image.sh" busybox "$dir" --uuid 7d5b5b3e-5a1f-4c55-9d71-2f0c6a1e9b02 --version 1.0.0
"$here/../../tools/build-image.sh" hvm-test "$dir" --uuid 7d5b5b3e-5a1f-4c55-9d71-2f0c6a1e9b03 --version 1.0.0
