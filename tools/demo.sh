#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0
# The main job: build and install lumos, set up a host under a fresh LUMOS_ROOT, create VMs of
# several brands from the example payloads, and show `vmadm list`.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
cmake --install build/release --prefix /usr/local >/dev/null
export LUMOS_ROOT="${LUMOS_ROOT:-$(mktemp -d /tmp/lumos-demo.XXXXXX)}"
echo "LUMOS_ROOT=$LUMOS_ROOT"

# Host config in SmartOS's /usbkey/config style: nic tags "admin" and "external".
mkdir -p "$LUMOS_ROOT/etc/lumos"
cat > "$LUMOS_ROOT/etc/lumos/config" <<'CONFIG'
admin_nic=02:08:20:00:00:01
external_nic=02:08:20:00:00:02
CONFIG

# Until the image store lands (next issue), an installed image is a manifest in imgadm's cache.
mkdir -p "$LUMOS_ROOT/var/imgadm/images"
cp examples/images/*.json "$LUMOS_ROOT/var/imgadm/images/"

for payload in examples/joyent-minimal.json examples/lx.json examples/kvm.json examples/bhyve.json; do
    vmadm create -f "$payload"
done
vmadm list
