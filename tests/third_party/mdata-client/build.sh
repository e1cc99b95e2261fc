#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
# build.sh OUTDIR: upstream's mdata-get, mdata-put, mdata-list and mdata-delete from these
# sources, on lumos_zone_plat.c (README.md), with the host's C compiler.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$1
mkdir -p "$out"
common="dynstr.c proto.c common.c base64.c crc32.c reqid.c plat/unix_common.c lumos_zone_plat.c"
for tool in get put list delete; do
    (cd "$here" && cc -std=gnu99 -O2 -I. -o "$out/mdata-$tool" "mdata_$tool.c" $common)
done
