#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0
# The main job: build and install lumos, set up a host under a fresh LUMOS_ROOT with a storage
# pool, build images and serve them from a local lumos-imgapi, import them with imgadm, boot a
# joyent-minimal and an lx zone from them, run a command in each with zlogin, and show
# `vmadm list` and `zonestat`.
#
# The pool is btrfs on a loop file ($LUMOS_ROOT/var/lib/lumos/zones.img, 16 GiB sparse), or a
# plain directory when this machine cannot mount a btrfs loop device. The pool and the VMs stay
# after the demo, so the host stays usable; the script ends by saying how to remove them. The
# image server is stopped when the script exits.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh
cmake --preset release >/dev/null
# Only the programs: the demo runs them (tools/test.sh builds and runs the tests).
cmake --build --preset release --target vmadm nictagadm imgadm lumosadm lumos-imgapi zlogin zonestat sysinfo \
    lumos-zoned lumos-netdown zinit
cmake --install build/release --prefix /usr/local >/dev/null
export PATH=/usr/local/sbin:$PATH

LUMOS_ROOT=$(mktemp -d /tmp/lumos-demo.XXXXXX)
export LUMOS_ROOT
echo "LUMOS_ROOT=$LUMOS_ROOT"
step() { printf '\n== %s\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

# Host config in SmartOS's /usbkey/config style: nic tags "admin" and "external".
mkdir -p "$LUMOS_ROOT/etc/lumos" "$LUMOS_ROOT/var/lib/lumos" "$LUMOS_ROOT/run"
cat >"$LUMOS_ROOT/etc/lumos/config" <<'CONFIG'
admin_nic=02:08:20:00:00:01
external_nic=02:08:20:00:00:02
CONFIG

step "storage pool"
pool_file=$LUMOS_ROOT/var/lib/lumos/zones.img
if ! show lumosadm pool create zones --backend btrfs --file "$pool_file" --size 16G; then
    echo "demo: cannot make a btrfs pool on a loop device here; using a directory pool instead" \
        "(quotas reported, not enforced; clones are copies)"
    show lumosadm pool create zones --backend dir
fi
show lumosadm pool list

step "images: build, serve from a local lumos-imgapi, import"
image_dir=$LUMOS_ROOT/var/lib/lumos-imgapi
base_uuid=$(tools/build-image.sh base-minimal "$image_dir")
busybox_uuid=$(tools/build-image.sh busybox "$image_dir")
ls -l "$image_dir"

port_file=$LUMOS_ROOT/run/lumos-imgapi.port
lumos-imgapi --dir "$image_dir" --host 127.0.0.1 --port 0 --port-file "$port_file" \
    >"$LUMOS_ROOT/run/lumos-imgapi.log" 2>&1 &
imgapi_pid=$!
stop_imgapi() {
    kill "$imgapi_pid" 2>/dev/null || true
    wait "$imgapi_pid" 2>/dev/null || true
}
trap stop_imgapi EXIT
for _ in $(seq 100); do
    [ -s "$port_file" ] && break
    if ! kill -0 "$imgapi_pid" 2>/dev/null; then
        echo "demo: lumos-imgapi exited:" >&2
        cat "$LUMOS_ROOT/run/lumos-imgapi.log" >&2
        exit 1
    fi
    sleep 0.1
done
[ -s "$port_file" ] || { echo "demo: lumos-imgapi wrote no port file" >&2; exit 1; }
url=http://127.0.0.1:$(tr -d '[:space:]' <"$port_file")
echo "lumos-imgapi (pid $imgapi_pid) serves $image_dir at $url"

show imgadm sources -a "$url"
# As on SmartOS, a fresh imgadm has images.smartos.org as its source and -a adds to it; this host
# uses only the local server.
imgadm sources | while read -r source; do
    if [ "$source" != "$url" ]; then
        show imgadm sources -d "$source"
    fi
done
show imgadm avail
show imgadm import "$base_uuid"
show imgadm import "$busybox_uuid"
show imgadm list

step "zones from the images: booted, provisioned, running"
vm_from() { # payload file, image uuid, alias -> the new VM's uuid
    local out
    out=$(jq --arg image "$2" --arg alias "$3" \
        '.image_uuid = $image | .alias = $alias | del(.autoboot)' "$1" | vmadm create 2>&1) ||
        { echo "$out" >&2; exit 1; }
    echo "$out" >&2
    echo "${out##* }"
}
joyent_uuid=$(vm_from examples/joyent-minimal.json "$base_uuid" web01)
lx_uuid=$(vm_from examples/lx.json "$busybox_uuid" busybox01)
show zlogin "$joyent_uuid" 'hostname; cat /proc/1/comm; ls /var/svc'
show zlogin "$lx_uuid" 'hostname; cat /proc/1/comm; cat /etc/os-release | head -1'
show vmadm stop "$lx_uuid"
show vmadm start "$lx_uuid"
# HVM brands need no image (their disks are volumes on the pool); there is no QEMU runtime
# yet, so they are created stopped.
vmadm create -f examples/kvm.json
vmadm create -f examples/bhyve.json
show vmadm list
show zonestat

cat <<EOF

The host stays set up: LUMOS_ROOT=$LUMOS_ROOT (the image server has stopped).
To remove it:
  export LUMOS_ROOT=$LUMOS_ROOT
  for vm in \$(vmadm list -H -o uuid); do vmadm delete \$vm; done   # halts running zones
  imgadm delete $base_uuid; imgadm delete $busybox_uuid
  lumosadm pool destroy zones
  rm -rf $LUMOS_ROOT
  rmdir /sys/fs/cgroup/lumos /sys/fs/cgroup/*/lumos 2>/dev/null   # the zones' cgroup parent, empty now
EOF
