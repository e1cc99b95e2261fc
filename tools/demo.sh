#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0
# The main job: build and install lumos, set up a host under a fresh LUMOS_ROOT with a storage
# pool, build images and serve them from a local lumos-imgapi, import them with imgadm, boot a
# joyent-minimal and an lx zone from them on a nic tag's network, run a command in each with
# zlogin, have the lx zone fetch a page from a web server in the other, and show `vmadm list`
# and `zonestat`.
#
# The zones' networking (the tags' bridges, the VNICs) is made in the namespace vmadm runs in. So
# that the demo never touches this machine's own network, it makes a network namespace of its
# own ($LUMOS_ROOT/run/host.netns) whose veth pairs play the tags' physical links, and runs
# vmadm there; on a real host vmadm runs in the host's namespace, on its real links.
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
    lumos-zoned lumos-netdown lumos-dhcp-event lumos-metadata zinit mdata-get mdata-put mdata-list mdata-delete
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

step "network: a namespace playing this host's network, its links carrying the nic tags"
host_netns=$LUMOS_ROOT/run/host.netns
: >"$host_netns"
unshare --net="$host_netns" true
innet() { nsenter --net="$host_netns" "$@"; }
innet ip link set lo up
innet ip link add admin0 address 02:08:20:00:00:01 type veth peer name admin0-wire
innet ip link add ext0 address 02:08:20:00:00:02 type veth peer name ext0-wire
for link in admin0 admin0-wire ext0 ext0-wire; do innet ip link set "$link" up; done
# The external network's router, at the far end of ext0.
innet ip addr add 10.99.0.1/24 dev ext0-wire
vmadm() { nsenter --net="$host_netns" /usr/local/sbin/vmadm "$@"; }
echo "vmadm runs in $host_netns: links admin0 (tag admin), ext0 (tag external, router 10.99.0.1)"

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
hvm_uuid=$(tools/build-image.sh hvm-test "$image_dir")
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
show imgadm import "$hvm_uuid"
show imgadm list

step "zones from the images: booted, provisioned, running"
vm_from() { # payload file, image uuid ("": the payload's disks say), alias -> the new VM's uuid
    local out
    out=$(jq --arg image "$2" --arg alias "$3" \
        '(if $image == "" then . else .image_uuid = $image end) | .alias = $alias | del(.autoboot)' \
        "$1" | vmadm create 2>&1) ||
        { echo "$out" >&2; exit 1; }
    echo "$out" >&2
    echo "${out##* }"
}
joyent_uuid=$(vm_from examples/joyent-minimal.json "$base_uuid" web01)
# examples/lx.json takes its address from DHCP on the admin network; the demo gives this one a
# static address on the external network, beside web01.
lx_uuid=$(jq '.nics = [{"nic_tag": "external", "ips": ["10.99.0.11/24"], "gateways": ["10.99.0.1"]}]' \
    examples/lx.json | vm_from /dev/stdin "$busybox_uuid" busybox01)
show zlogin "$joyent_uuid" 'hostname; cat /proc/1/comm; ls /var/svc'
show zlogin "$lx_uuid" 'hostname; cat /proc/1/comm; cat /etc/os-release | head -1'
show vmadm stop "$lx_uuid"
show vmadm start "$lx_uuid"

step "metadata: web01 ran its user-script and asks the host who it is"
show zlogin "$joyent_uuid" 'for i in $(seq 50); do [ -e /var/tmp/hello ] && break; sleep 0.1; done
cat /var/tmp/hello; mdata-get sdc:uuid; mdata-get sdc:tags.role; mdata-list'
printf '$ vmadm update %s <<< %s\n' "$joyent_uuid" "'{\"set_customer_metadata\": {\"k\": \"v\"}}'"
vmadm update "$joyent_uuid" <<<'{"set_customer_metadata": {"k": "v"}}'
show zlogin "$joyent_uuid" 'mdata-get k; mdata-put color blue; mdata-put sdc:alias evil; echo "exit $?"'
show zlogin "$lx_uuid" '/native/usr/sbin/mdata-get sdc:alias; cat /var/svc/log/mdata-execute.log'
printf '$ vmadm get %s | jq -c .customer_metadata\n' "$joyent_uuid"
vmadm get "$joyent_uuid" | jq -c '.customer_metadata | del(."user-script")'

step "networking: web01 serves a page, busybox01 fetches it over the external network"
printf '$ vmadm get %s | jq -c .nics\n' "$joyent_uuid"
vmadm get "$joyent_uuid" | jq -c '.nics'
show zlogin "$joyent_uuid" 'mkdir -p /var/tmp/www && hostname >/var/tmp/www/index.html && busybox httpd -p 80 -h /var/tmp/www'
show zlogin "$lx_uuid" 'ip -4 addr show eth0 | grep inet; wget -q -O - http://10.99.0.10/'
show zlogin "$lx_uuid" 'ping -c 1 10.99.0.1 | head -2'
step "a kvm VM: QEMU boots the hvm-test disk image, on the external network"
kvm_uuid=$(jq --arg image "$hvm_uuid" '.disks = [{"image_uuid": $image, "boot": true, "model": "virtio"}]
    | .ram = 256 | .vcpus = 1 | .alias = "kvm01" | del(.autoboot)' examples/kvm.json |
    vm_from /dev/stdin "" kvm01)
console_log=$LUMOS_ROOT/run/lumos/zones/$kvm_uuid/console.log
for _ in $(seq 600); do
    grep -q 'lumos-test-guest: ready' "$console_log" 2>/dev/null && break
    sleep 0.1
done
grep -a 'lumos-test-guest' "$console_log" | tr -d '\r'
show vmadm info "$kvm_uuid" status,vnc
printf '$ printf %s | vmadm console %s\n' "'ip link set eth0 up; ip addr add 10.99.0.20/24 dev eth0; ping -c 1 10.99.0.1\\n'" "$kvm_uuid"
printf 'ip link set eth0 up; ip addr add 10.99.0.20/24 dev eth0; ping -c 1 10.99.0.1 | head -2; sleep 1\n' |
    vmadm console "$kvm_uuid" | tr -d '\r' | grep -a -v '^$' || true
sleep 2
grep -a -A1 'PING 10.99.0.1' "$console_log" | tr -d '\r' | tail -2
# A bhyve VM with a blank 20 GiB disk (sparse), created stopped: boot it with an installer ISO
# in its zone root (vmadm start <uuid> order=cd,once=d cdrom=/installer.iso,ide).
vmadm create -f examples/bhyve.json
show vmadm list
show zonestat

cat <<EOF

The host stays set up: LUMOS_ROOT=$LUMOS_ROOT (the image server has stopped).
To remove it:
  export LUMOS_ROOT=$LUMOS_ROOT
  alias vmadm='nsenter --net=$host_netns vmadm'   # the namespace the zones' networking is in
  for vm in \$(vmadm list -H -o uuid); do vmadm delete \$vm; done   # halts running zones
  imgadm delete $base_uuid; imgadm delete $busybox_uuid; imgadm delete $hvm_uuid
  lumosadm pool destroy zones
  umount $host_netns
  rm -rf $LUMOS_ROOT
  rmdir /sys/fs/cgroup/lumos /sys/fs/cgroup/*/lumos 2>/dev/null   # the zones' cgroup parent, empty now
EOF
