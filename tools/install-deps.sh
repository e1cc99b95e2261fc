#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0
# Installs everything lumos needs to build, test and benchmark on Debian 12 (run as root).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
PACKAGES=(
    build-essential g++ cmake ninja-build pkg-config
    clang clang-tidy clang-format libclang-rt-14-dev
    nlohmann-json3-dev libexpected-dev libfmt-dev libspdlog-dev libcli11-dev
    libgtest-dev libgmock-dev libbenchmark-dev
    hyperfine python3 jq
    libcurl4-openssl-dev libssl-dev libcpp-httplib-dev libarchive-dev libzstd-dev libpcre2-dev
    libsqlite3-dev libnl-3-dev libnl-route-3-dev libnftables-dev
    btrfs-progs xfsprogs util-linux mount curl zstd xz-utils bzip2 gzip
    busybox-static debootstrap runc syslinux syslinux-common mtools dosfstools fdisk qemu-system-x86
    iproute2 dnsmasq-base iperf3
)
missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
