#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0
# Builds an image that `imgadm install -m -f` and lumos-imgapi accept: a manifest v2 (reference
# section 4.4) and a tar of the root filesystem, named like `imgadm create -o DIR` names its
# outputs (section 4.6): OUTDIR/<name>-<version>.imgmanifest and OUTDIR/<name>-<version>.tar[.gz].
#
#   tools/build-image.sh <base-minimal|busybox|debian-12|debian-12-cloud-init> OUTDIR [--uuid UUID] [--version V]
#       [--pad-mib N] [--compression gzip|none|xz|zstd|bzip2]
#
# Prints the image uuid on stdout; progress goes to stderr.
#
# The tar holds the root filesystem's contents at its top level (etc/, var/, ...; the image store
# extracts it into <dataset>/root), names sorted, numeric owners, no "..", no device nodes.
#   base-minimal  zone-dataset/smartos, for joyent and joyent-minimal zones: the /etc skeleton,
#                 /var, /root, /opt, /home, /tmp; the host provides /usr at run time (bin, sbin,
#                 lib, lib64 are relative links into it). No setuid files, no absolute links.
#   busybox       lx-dataset/linux, requirements.brand lx: busybox-static as bin/busybox with a
#                 relative link per applet, a minimal /etc.
#   debian-12     lx-dataset/linux, requirements.brand lx: debootstrap --variant=minbase
#                 (plus sysvinit-core, whose /etc/inittab gets a console shell and the
#                 provisioning handshake) bookworm from the mirror this machine's apt uses (LUMOS_DEBIAN_MIRROR
#                 overrides). Needs root and the network to that mirror; owners are kept as
#                 debootstrap made them (files of group shadow, man, ...), setuid files allowed.
#   debian-12-cloud-init  debian-12 with Debian's cloud-init and openssh-server, run by their init.d
#                 scripts, and told the platform is SmartOS (datasource_list: [ SmartOS ], as SmartOS's own
#                 cloud-init lx images are): hostname, keys, user-data, user-script and
#                 operator-script come from the metadata service through cloud-init, so
#                 mdata-execute is not run (it would run the scripts a second time).
# --pad-mib N adds opt/lumos-pad.bin, N MiB of random data (benchmark images).
# --compression: gzip (default), bzip2, xz, none are what manifests allow (section 4.4); zstd
# makes a file and manifest for other tools, which imgadm's manifest validation refuses.
set -euo pipefail

die() {
    echo "build-image: $*" >&2
    exit 1
}
usage() {
    echo "usage: $0 <base-minimal|busybox|debian-12|debian-12-cloud-init> OUTDIR [--uuid UUID] [--version V]" \
        "[--pad-mib N] [--compression gzip|none|xz|zstd|bzip2]" >&2
    exit 2
}

[ $# -ge 2 ] || usage
kind=$1
outdir=$2
shift 2
uuid=
version=$(date -u +%Y%m%d)
pad_mib=0
compression=gzip
while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || usage
    case $1 in
    --uuid) uuid=$2 ;;
    --version) version=$2 ;;
    --pad-mib) pad_mib=$2 ;;
    --compression) compression=$2 ;;
    *) usage ;;
    esac
    shift 2
done

case $kind in
base-minimal | busybox | debian-12 | debian-12-cloud-init) ;;
*) usage ;;
esac
if [ -z "$uuid" ]; then
    uuid=$(cat /proc/sys/kernel/random/uuid)
fi
[[ $uuid =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]] ||
    die "invalid uuid: \"$uuid\""
# The manifest allows "/" in a version; a file name does not.
if ! [[ $version =~ ^[A-Za-z0-9._+-]+$ ]]; then
    die "invalid version: \"$version\" (letters, digits and ._+- only)"
fi
[[ $pad_mib =~ ^[0-9]+$ ]] || die "invalid --pad-mib: \"$pad_mib\""
case $compression in
none) ext=tar compress=(cat) ;;
gzip) ext=tar.gz compress=(gzip -n -c) ;;
bzip2) ext=tar.bz2 compress=(bzip2 -c) ;;
xz) ext=tar.xz compress=(xz -T0 -c) ;;
zstd)
    ext=tar.zst compress=(zstd -q -T0 -c)
    echo "build-image: warning: zstd is not one of SmartOS's manifest compressions (gzip," \
        "bzip2, xz, none), so imgadm install and import refuse this image" >&2
    ;;
*) die "invalid --compression \"$compression\": must be one of gzip, none, xz, zstd, bzip2" ;;
esac
for tool in jq sha1sum stat tar "${compress[0]}"; do
    command -v "$tool" >/dev/null || die "$tool is needed (tools/install-deps.sh installs it)"
done
mkdir -p "$outdir"

staging=$(mktemp -d "${TMPDIR:-/tmp}/lumos-build-image.XXXXXX")
root=$staging/root
cleanup() {
    # debootstrap mounts proc and sys in the target; never leave one behind.
    if [ -d "$root" ]; then
        awk -v r="$root" 'index($2, r "/") == 1 { print $2 }' /proc/self/mounts | sort -r |
            while read -r m; do umount -l "$m" 2>/dev/null || true; done
    fi
    rm -rf "$staging"
}
trap cleanup EXIT
mkdir -m 0755 "$root"

# --- root filesystems ------------------------------------------------------------------------

# put MODE PATH: writes stdin to root/PATH with MODE.
put() {
    mkdir -p "$root/$(dirname "$2")"
    cat >"$root/$2"
    chmod "$1" "$root/$2"
}

build_base_minimal() {
    install -d -m 0755 "$root"/{etc,var,var/log,var/svc,var/run,opt,home,usr}
    install -d -m 0700 "$root/root"
    install -d -m 1777 "$root/tmp" "$root/var/tmp"
    # /usr comes from the host at run time; the rest of the merged-/usr layout points into it.
    ln -s usr/bin "$root/bin"
    ln -s usr/sbin "$root/sbin"
    ln -s usr/lib "$root/lib"
    ln -s usr/lib64 "$root/lib64"
    put 0644 etc/passwd <<'EOF'
root:x:0:0:Super-User:/root:/bin/bash
daemon:x:1:1::/:
bin:x:2:2::/usr/bin:
sys:x:3:3::/:
adm:x:4:4:Admin:/var/adm:
nobody:x:60001:60001:NFS Anonymous Access User:/:
noaccess:x:60002:60002:No Access User:/:
nobody4:x:65534:65534:SunOS 4.x NFS Anonymous Access User:/:
EOF
    put 0644 etc/group <<'EOF'
root::0:
other::1:root
bin::2:root,daemon
sys::3:root,bin,adm
adm::4:root,daemon
staff::10:
nogroup::65534:
nobody::60001:
noaccess::60002:
EOF
    put 0400 etc/shadow <<'EOF'
root:NP:6445::::::
daemon:NP:6445::::::
bin:NP:6445::::::
sys:NP:6445::::::
adm:NP:6445::::::
nobody:*LK*:6445::::::
noaccess:*LK*:6445::::::
nobody4:*LK*:6445::::::
EOF
    put 0644 etc/hosts <<'EOF'
127.0.0.1 localhost loghost
::1 localhost
EOF
    # vmadm writes the VM's hostname here at provisioning.
    printf 'localhost\n' | put 0644 etc/hostname
    : | put 0644 etc/resolv.conf
    put 0644 etc/nsswitch.conf <<'EOF'
passwd:     files
group:      files
shadow:     files
hosts:      files dns
networks:   files
protocols:  files
services:   files
EOF
    put 0644 etc/profile <<'EOF'
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/opt/local/sbin:/opt/local/bin
export PATH
umask 022
EOF
    put 0644 etc/motd <<'EOF'
lumos base-minimal: a minimal zone image (the host provides /usr).
EOF
    # zinit's services (src/cmd/zinit): a root shell on the zone's console, as SmartOS zones
    # give one to `zlogin -C`.
    put 0644 etc/zinit/services/console <<'EOF'
exec /bin/sh -l </dev/console >/dev/console 2>&1
EOF
}

build_busybox() {
    local busybox
    busybox=$(command -v busybox) || die "busybox is needed (package busybox-static)"
    "$busybox" --list-full >/dev/null 2>&1 || die "$busybox has no --list-full: not busybox-static?"
    install -d -m 0755 "$root"/{bin,sbin,usr,usr/bin,usr/sbin,etc,dev,proc,sys,var,var/log,var/run,home}
    install -d -m 0700 "$root/root"
    install -d -m 1777 "$root/tmp" "$root/var/tmp"
    install -m 0755 "$busybox" "$root/bin/busybox"
    # Each applet a relative link to bin/busybox (bin/ls -> busybox, usr/bin/env ->
    # ../../bin/busybox), made by one process: there are some 400 of them.
    "$busybox" --list-full | LC_ALL=C sort | python3 -c '
import os, sys
root = sys.argv[1]
for applet in sys.stdin.read().split():
    if "/" not in applet or applet == "bin/busybox":
        continue  # linuxrc: not an init we boot through
    path = os.path.join(root, applet)
    if os.path.lexists(path):
        continue
    directory = os.path.dirname(applet)
    depth = directory.count("/") + 1
    os.symlink("busybox" if directory == "bin" else "../" * depth + "bin/busybox", path)
' "$root"
    put 0644 etc/passwd <<'EOF'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
    put 0644 etc/group <<'EOF'
root:x:0:
daemon:x:1:
nogroup:x:65534:
EOF
    put 0600 etc/shadow <<'EOF'
root:*:19000:0:99999:7:::
daemon:*:19000:0:99999:7:::
nobody:*:19000:0:99999:7:::
EOF
    put 0644 etc/hosts <<'EOF'
127.0.0.1 localhost
::1 localhost
EOF
    printf 'localhost\n' | put 0644 etc/hostname
    : | put 0644 etc/resolv.conf
    put 0644 etc/profile <<'EOF'
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
umask 022
EOF
    put 0644 etc/os-release <<'EOF'
NAME="lumos busybox"
ID=busybox
PRETTY_NAME="lumos busybox image"
EOF
    # busybox init: the boot script completes SmartOS's provisioning handshake (what the boot
    # scripts of SmartOS's lx images do); a shell stays on the console.
    put 0644 etc/inittab <<'EOF'
::sysinit:/etc/init.d/rcS
::once:/etc/init.d/mdata-execute
::respawn:-/bin/sh
::ctrlaltdel:/sbin/reboot
::shutdown:/bin/sync
EOF
    put 0755 etc/init.d/rcS <<'EOF'
#!/bin/sh
[ -s /etc/hostname ] && hostname -F /etc/hostname
if [ -e /var/svc/provisioning ]; then
    mv /var/svc/provisioning /var/svc/provision_success
fi
EOF
    mdata_execute | put 0755 etc/init.d/mdata-execute
}

# SmartOS's mdata:fetch and mdata:execute, the same script zinit runs in joyent-brand zones.
mdata_execute() {
    cat "$(dirname "$(readlink -f "$0")")/../src/cmd/zinit/mdata-execute"
}

# The mirror this machine's apt uses for Debian itself (not -security, not third parties).
debian_mirror() {
    local url
    if [ -n "${LUMOS_DEBIAN_MIRROR:-}" ]; then
        echo "$LUMOS_DEBIAN_MIRROR"
        return
    fi
    url=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        awk '$1 == "deb" && $0 ~ / bookworm / { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }')
    if [ -z "$url" ]; then
        url=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
            awk '/^URIs:/ { u = $2 } /^Suites:/ && / bookworm( |$)/ && u ~ /^https?:/ { print u; exit }')
    fi
    echo "${url:-http://deb.debian.org/debian}"
}

# build_debian_12 [cloud-init]
build_debian_12() {
    [ "$(id -u)" -eq 0 ] || die "$kind needs root (debootstrap)"
    command -v debootstrap >/dev/null || die "debootstrap is needed (package debootstrap)"
    local mirror
    mirror=$(debian_mirror)
    echo "build-image: debootstrap --variant=minbase bookworm from $mirror" >&2
    # sysvinit-core: an init that boots in a container (/sbin/init, /etc/inittab).
    debootstrap --variant=minbase --include=sysvinit-core bookworm "$root" "$mirror" >&2 ||
        die "debootstrap failed (log: $root/debootstrap/debootstrap.log)"
    printf 'deb %s bookworm main\n' "$mirror" >"$root/etc/apt/sources.list"
    if [ "${1-}" = cloud-init ]; then
        # With apt in the new root: debootstrap's --include cannot order cloud-init's python
        # dependencies. The host's resolver for the download, proc for the maintainer scripts
        # (cleanup() unmounts it whatever happens).
        echo "build-image: apt-get install cloud-init in the new root" >&2
        cp /etc/resolv.conf "$root/etc/resolv.conf"
        mount -t proc proc "$root/proc"
        local apt=(chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive apt-get -q -y)
        # openssh-server: what root_authorized_keys is for, and cloud-init makes its host keys.
        "${apt[@]}" update >&2 &&
            "${apt[@]}" install --no-install-recommends cloud-init openssh-server >&2 ||
            die "apt-get install cloud-init openssh-server failed in the new root"
        "${apt[@]}" clean >&2
        umount "$root/proc"
    fi
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root/debootstrap"
    printf 'localhost\n' >"$root/etc/hostname"
    : >"$root/etc/resolv.conf"
    : >"$root/etc/machine-id"
    local run_scripts='md:2345:once:/etc/init.d/mdata-execute'
    if [ "${1-}" = cloud-init ]; then
        # Only the SmartOS data source: without systemd, ds-identify does not run, and cloud-init
        # would otherwise try every data source, network ones included. Its vendor-data runs
        # user-script and operator-script at every boot.
        put 0644 etc/cloud/cloud.cfg.d/90_lumos.cfg <<'EOF'
# lumos: this image runs in a lumos lx zone, whose metadata service speaks SmartOS's protocol.
datasource_list: [ SmartOS ]
# The one locale a minbase root has (cloud-init's default, en_US.UTF-8, is not generated).
locale: C.UTF-8
# The host sets up the zone's NICs (as SmartOS does an lx zone's); the zone cannot, and minbase
# has no network renderer for cloud-init to write with.
network: {config: disabled}
EOF
        run_scripts='# user-script and operator-script: run by cloud-init (cloud-final).'
    else
        mdata_execute >"$root/etc/init.d/mdata-execute"
        chmod 0755 "$root/etc/init.d/mdata-execute"
    fi
    # As a zone: no gettys on virtual terminals, a root shell on the console, and the
    # provisioning handshake once the boot scripts have run (what SmartOS's lx images do).
    sed -i -e '/^[0-9]*:[0-9]*:respawn:\/sbin\/getty/d' "$root/etc/inittab"
    cat >>"$root/etc/inittab" <<EOF
# lumos zone: the provisioning handshake, then a root shell on the console.
lp:2345:once:/bin/sh -c '[ -e /var/svc/provisioning ] && mv /var/svc/provisioning /var/svc/provision_success'
$run_scripts
co:2345:respawn:/bin/sh -c 'exec /bin/bash -l </dev/console >/dev/console 2>&1'
EOF
}

echo "build-image: building $kind $version ($uuid)" >&2
case $kind in
base-minimal)
    build_base_minimal
    name=base-minimal type=zone-dataset os=smartos requirements=null
    description="A minimal SmartOS-style zone image: the /etc skeleton, /var, /root, /opt; the host provides /usr."
    ;;
busybox)
    build_busybox
    name=busybox type=lx-dataset os=linux requirements='{"brand":"lx"}'
    description="An lx image of busybox-static: a shell and the busybox applets."
    ;;
debian-12)
    build_debian_12
    name=debian-12 type=lx-dataset os=linux requirements='{"brand":"lx"}'
    description="Debian 12 (bookworm) minbase for lx zones, made by debootstrap."
    ;;
debian-12-cloud-init)
    build_debian_12 cloud-init
    name=debian-12-cloud-init type=lx-dataset os=linux requirements='{"brand":"lx"}'
    description="Debian 12 (bookworm) minbase with cloud-init for lx zones, made by debootstrap."
    ;;
esac
if [ "$pad_mib" -gt 0 ]; then
    mkdir -p "$root/opt"
    head -c "$((pad_mib * 1024 * 1024))" /dev/urandom >"$root/opt/lumos-pad.bin"
fi

# --- checks the image store makes too: refuse here rather than at install --------------------
bad=$(find "$root" -mindepth 1 \( -type b -o -type c -o -type p -o -type s \) \
    -not -path "$root/dev/*" -print -quit)
[ -z "$bad" ] || die "device node, fifo or socket in the image: ${bad#"$root"/}"
if [[ $kind != debian-12* ]]; then
    bad=$(find "$root" -mindepth 1 -perm /6000 -print -quit)
    [ -z "$bad" ] || die "setuid/setgid file in the image: ${bad#"$root"/}"
fi
if [ "$type" = zone-dataset ]; then
    bad=$(find "$root" -mindepth 1 -type l -lname '/*' -print -quit)
    [ -z "$bad" ] || die "absolute symlink in a zone-dataset image: ${bad#"$root"/}"
fi

# --- the file ----------------------------------------------------------------------------------
stem=$name-$version
file=$outdir/$stem.$ext
manifest=$outdir/$stem.imgmanifest
owner_args=(--owner=0 --group=0)
[[ $kind == debian-12* ]] && owner_args=()
mapfile -t top < <(cd "$root" && LC_ALL=C ls -A)
LC_ALL=C tar -C "$root" -cf - --sort=name --numeric-owner "${owner_args[@]}" \
    --anchored --exclude='dev/*' --exclude='proc/*' --exclude='sys/*' \
    -- "${top[@]}" | "${compress[@]}" >"$file.partial"
mv "$file.partial" "$file"
sha1=$(sha1sum "$file" | cut -d' ' -f1)
size=$(stat -c %s "$file")

# --- the manifest ------------------------------------------------------------------------------
published_at=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
jq -n --arg uuid "$uuid" --arg name "$name" --arg version "$version" \
    --arg description "$description" --arg published_at "$published_at" \
    --arg type "$type" --arg os "$os" --arg sha1 "$sha1" --argjson size "$size" \
    --arg compression "$compression" --argjson requirements "$requirements" '
    {
        v: 2,
        uuid: $uuid,
        owner: "00000000-0000-0000-0000-000000000000",
        name: $name,
        version: $version,
        description: $description,
        state: "active",
        disabled: false,
        public: true,
        published_at: $published_at,
        type: $type,
        os: $os,
        files: [{sha1: $sha1, size: $size, compression: $compression}]
    } + (if $requirements == null then {} else {requirements: $requirements} end)
    ' >"$manifest.partial"
mv "$manifest.partial" "$manifest"
echo "build-image: wrote $manifest and $file ($size bytes)" >&2
echo "$uuid"
