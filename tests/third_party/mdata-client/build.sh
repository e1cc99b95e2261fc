#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
# build.sh OUTDIR: upstream's mdata-get, mdata-put, mdata-list and mdata-delete from these
# sources, on lumos_zone_plat.c (README.md), with the host's C compiler.
# build.sh --serial OUTDIR: the same on upstream's own plat/linux.c (an HVM guest's /dev/ttyS1),
# linked statically for a guest that has no C library.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
plat=lumos_zone_plat.c
static=
if [ "$1" = --serial ]; then
    plat=plat/linux.c
    static=-static
    shift
fi
out=$1
mkdir -p "$out"
common="dynstr.c proto.c common.c base64.c crc32.c reqid.c plat/unix_common.c $plat"
for tool in get put list delete; do
    (cd "$here" && cc -std=gnu99 -O2 $static -I. -o "$out/mdata-$tool" "mdata_$tool.c" $common)
done
