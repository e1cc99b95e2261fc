#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0
# Builds an image that `imgadm install -m -f` and lumos-imgapi accept: a manifest v2 (reference
# section 4.4) and a tar of the root filesystem (a raw disk for hvm-test), named like `imgadm
# create -o DIR` names its outputs (section 4.6): OUTDIR/<name>-<version>.imgmanifest and
# OUTDIR/<name>-<version>.tar[.gz] (.zvol[.gz] for hvm-test).
#
#   tools/build-image.sh <base-minimal|busybox|debian-12|debian-12-cloud-init|hvm-test> OUTDIR [--uuid UUID]
#       [--version V] [--pad-mib N] [--compression gzip|none|xz|zstd|bzip2]
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
#   hvm-test      zvol, for kvm and bhyve VMs (BIOS boot; the disk bus does not matter): a 64 MiB
#                 raw MBR disk whose one FAT partition boots syslinux, Debian's cloud kernel and a
#                 busybox initramfs. Made from Debian packages without root, loop devices or mounts:
#                 the kernel's .deb is fetched with `apt-get download` (LUMOS_KERNEL_DEB names a
#                 local one instead) and unpacked, never installed. Its /init prints markers on
#                 ttyS0 that tests wait for, each "lumos-test-guest: " and, in this order:
#                   init                   /init has started (the first thing it does)
#                   kernel <uname -r>
#                   ready                  the power button works from here on (a QMP
#                                          system_powerdown before it is lost, as ACPI loses it)
#                   disks <names> ...      /sys/block (virtio, IDE and NVMe disks have drivers)
#                 then a root shell on ttyS0, and at any time after "kernel", in the background:
#                   sdc:uuid=<value>       from the metadata service on ttyS1 (protocol V1), or
#                   sdc:uuid not found     the service's NOTFOUND, or
#                   no metadata            nothing answered within 30 s (or there is no ttyS1)
#                   poweroff               on the power button, `poweroff` or `halt`; then it is off.
#                 `reboot` (-f or not) reboots. At least 128 MiB of RAM (64 does not boot).
# --pad-mib N adds opt/lumos-pad.bin, N MiB of random data (benchmark images).
# --add-program FILE (hvm-test, repeatable) puts a static program in the guest's /usr/bin.
# --compression: gzip (default), bzip2, xz, none are what manifests allow (section 4.4); zstd
# makes a file and manifest for other tools, which imgadm's manifest validation refuses.
set -euo pipefail

die() {
    echo "build-image: $*" >&2
    exit 1
}
usage() {
    echo "usage: $0 <base-minimal|busybox|debian-12|debian-12-cloud-init|hvm-test> OUTDIR [--uuid UUID]" \
        "[--version V] [--pad-mib N] [--compression gzip|none|xz|zstd|bzip2]" \
        "[--add-program FILE]..." >&2
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
programs=()
while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || usage
    case $1 in
    --uuid) uuid=$2 ;;
    --version) version=$2 ;;
    --pad-mib) pad_mib=$2 ;;
    --compression) compression=$2 ;;
    --add-program) programs+=("$2") ;;
    *) usage ;;
    esac
    shift 2
done

case $kind in
base-minimal | busybox | debian-12 | debian-12-cloud-init | hvm-test) ;;
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
if [ "$kind" = hvm-test ] && [ "$pad_mib" -gt 0 ]; then
    die "--pad-mib adds a file to a root filesystem: hvm-test is a disk"
fi
for program in ${programs[@]+"${programs[@]}"}; do
    [ "$kind" = hvm-test ] || die "--add-program is for hvm-test"
    [ -f "$program" ] && [ -x "$program" ] || die "--add-program: not an executable file: $program"
done
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

# --- the HVM test guest ------------------------------------------------------------------------

HVM_DISK_MIB=64
HVM_PART_START=2048 # in 512-byte sectors: the FAT partition starts at 1 MiB
# What /init loads (with what they depend on, per modules.dep): first the ACPI power button and
# the event device acpid reads it from, then virtio's PCI transport, disks, NICs and consoles, and
# IDE disks. The cloud kernel has NVMe built in and no AHCI driver at all.
HVM_BUTTON_MODULES=(button evdev)
HVM_MODULES=(virtio_pci virtio_blk virtio_net virtio_console ata_piix sd_mod)

# hvm_kernel_deb DIR: Debian's cloud kernel package (the one linux-image-cloud-amd64 depends on),
# downloaded into DIR unless LUMOS_KERNEL_DEB names one; prints its path.
hvm_kernel_deb() {
    if [ -n "${LUMOS_KERNEL_DEB:-}" ]; then
        [ -f "$LUMOS_KERNEL_DEB" ] || die "LUMOS_KERNEL_DEB: no such file: $LUMOS_KERNEL_DEB"
        echo "$LUMOS_KERNEL_DEB"
        return
    fi
    local package
    package=$(apt-cache show --no-all-versions linux-image-cloud-amd64 2>/dev/null |
        sed -n 's/^Depends:.*\(linux-image-[0-9][^ ,]*-cloud-amd64\).*/\1/p' | head -n 1)
    [ -n "$package" ] || die "apt knows no linux-image-cloud-amd64 (apt-get update first?)"
    echo "build-image: apt-get download $package" >&2
    # Run by root, apt downloads as its sandbox user, who must be able to get there and write.
    if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then
        chmod 0711 "$staging" "${1%/*}"
        chown _apt "$1"
    fi
    (cd "$1" && apt-get download -q "$package" >&2) || die "apt-get download $package failed"
    local debs=("$1"/*.deb)
    [ -f "${debs[0]}" ] || die "apt-get download $package left no .deb"
    echo "${debs[0]}"
}

# hvm_cpio ROOT: ROOT's tree as a cpio archive (newc, what the kernel unpacks an initramfs from)
# on stdout: owner root, time 0, names sorted so that directories come before their contents,
# plus dev/console (made here without root), which the kernel opens for init's stdin, stdout and
# stderr before anything is mounted.
hvm_cpio() {
    python3 - "$1" <<'PY'
import os, stat, sys
root = sys.argv[1]
out = sys.stdout.buffer
entries = [("dev/console", stat.S_IFCHR | 0o600, b"", os.makedev(5, 1))]
for directory, dirs, files in os.walk(root):
    for name in dirs + files:
        path = os.path.join(directory, name)
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            data = os.readlink(path).encode()
        elif stat.S_ISREG(st.st_mode):
            with open(path, "rb") as f:
                data = f.read()
        elif stat.S_ISDIR(st.st_mode):
            data = b""
        else:
            sys.exit("build-image: not a file, directory or link: " + path)
        entries.append((os.path.relpath(path, root), st.st_mode, data, 0))

def pad(n):
    return b"\0" * (-n % 4)

def put(ino, name, mode, data, rdev):
    name = name.encode() + b"\0"
    nlink = 2 if stat.S_ISDIR(mode) else 1
    fields = (ino, mode, 0, 0, nlink, 0, len(data), 0, 0, os.major(rdev), os.minor(rdev),
              len(name), 0)
    header = b"070701" + b"".join(b"%08x" % field for field in fields)
    out.write(header + name + pad(len(header) + len(name)) + data + pad(len(data)))

for ino, (name, mode, data, rdev) in enumerate(sorted(entries), start=1):
    put(ino, name, mode, data, rdev)
put(0, "TRAILER!!!", 0, b"", 0)
PY
}

# The initramfs's /init, run by busybox sh as PID 1; @BUTTON_MODULES@ and @MODULES@ are
# HVM_BUTTON_MODULES and HVM_MODULES.
hvm_init() {
    cat <<'INIT'
#!/bin/sh
# lumos's HVM test guest. Tests wait for the "lumos-test-guest: ..." lines on the console (ttyS0).
# The first on a line of its own: what the boot loader left on the console does not end with one.
printf '\nlumos-test-guest: init\n'
export PATH=/sbin:/bin:/usr/sbin:/usr/bin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "lumos-test-guest: kernel $(uname -r)"

# mdata_get KEY, on fd 3 (the metadata port) in SmartOS's metadata protocol V1: "GET KEY", answered
# by "SUCCESS" then the value's lines (a leading "." doubled) up to a line ".", or by "NOTFOUND"
# or "FAILURE". Asked again every second for 30 s: the host may come to its end of the port after
# the guest has booted (QEMU drops what the guest writes before that). Status 2: NOTFOUND.
mdata_get() {
    cr=$(printf '\r')
    nl='
'
    stty raw -echo clocal <&3 || return 1
    read -r up _ </proc/uptime
    deadline=$((${up%.*} + 30))
    while :; do
        read -r up _ </proc/uptime
        [ "${up%.*}" -lt "$deadline" ] || return 1
        printf 'GET %s\n' "$1" >&3 || {
            sleep 1
            continue
        }
        while IFS= read -r -t 1 line <&3; do
            case ${line%"$cr"} in
            SUCCESS)
                value='' sep=''
                while IFS= read -r -t 5 line <&3; do
                    line=${line%"$cr"}
                    if [ "$line" = . ]; then
                        printf '%s\n' "$value"
                        return 0
                    fi
                    case $line in ..*) line=${line#.} ;; esac
                    value=$value$sep$line sep=$nl
                done
                continue 2 # cut short: ask again
                ;;
            NOTFOUND) return 2 ;;
            esac
        done
    done
}
(
    status=0
    uuid=$(mdata_get sdc:uuid 3<>/dev/ttyS1) || status=$?
    case $status in
    0) echo "lumos-test-guest: sdc:uuid=$uuid" ;;
    2) echo "lumos-test-guest: sdc:uuid not found" ;;
    *) echo "lumos-test-guest: no metadata" ;;
    esac
) &

# The power button (QMP system_powerdown) first: ACPI forgets a press that comes before its
# driver. acpid runs /etc/acpi/PWRF/00000080; it writes its pid file once it has the event
# devices open.
modprobe -a @BUTTON_MODULES@
acpid -f -l /dev/null -p /run/acpid.pid &
i=0
while [ ! -e /run/acpid.pid ] && [ $i -lt 100 ]; do
    sleep 0.05
    i=$((i + 1))
done
if [ -e /run/acpid.pid ]; then
    echo "lumos-test-guest: ready"
else
    echo "lumos-test-guest: no power button"
fi

modprobe -a @MODULES@
disks=
for disk in /sys/block/*; do
    [ -e "$disk" ] && disks="$disks ${disk##*/}"
done
echo "lumos-test-guest: disks$disks"

# `poweroff`, `halt` and `reboot` without -f signal PID 1; with -f they act at once.
trap /etc/acpi/PWRF/00000080 USR1 USR2
trap 'reboot -f' TERM
# A root shell on the console, a new one whenever it exits; PID 1 waits where signals reach it.
(while :; do
    setsid cttyhack sh
    sleep 1
done) &
while :; do
    sleep 3600 &
    wait $!
done
INIT
}

# build_hvm_test: sets disk (the raw disk) and hvm_kernel (its kernel's version).
build_hvm_test() {
    local tool
    for tool in apt-cache apt-get dpkg-deb busybox python3 sfdisk mkfs.fat mcopy syslinux; do
        command -v "$tool" >/dev/null || die "$tool is needed (tools/install-deps.sh installs it)"
    done
    local mbr=/usr/lib/syslinux/mbr/mbr.bin busybox
    [ -f "$mbr" ] || die "$mbr is needed (package syslinux-common)"
    busybox=$(command -v busybox)
    "$busybox" --list-full >/dev/null 2>&1 || die "$busybox has no --list-full: not busybox-static?"
    local work=$staging/hvm
    local kernel=$work/kernel init=$work/initramfs boot=$work/boot
    mkdir -p "$work/deb" "$kernel" "$init" "$boot"

    # The kernel package, unpacked, not installed; its modules.dep made here (its postinst would).
    local deb moddir
    deb=$(hvm_kernel_deb "$work/deb")
    dpkg-deb -x "$deb" "$kernel"
    moddir=$(find "$kernel" -path '*/lib/modules/*' -name modules.order -printf '%h\n' | head -n 1)
    [ -n "$moddir" ] || die "$deb has no lib/modules/<version>/modules.order"
    hvm_kernel=${moddir##*/}
    [ -f "$kernel/boot/vmlinuz-$hvm_kernel" ] || die "$deb has no boot/vmlinuz-$hvm_kernel"
    "$busybox" depmod -b "${moddir%/lib/modules/*}" "$hvm_kernel"
    echo "build-image: kernel $hvm_kernel from ${deb##*/}" >&2

    # The modules /init loads and all they depend on (a modules.dep line lists them all),
    # uncompressed (busybox's insmod reads plain .ko files), and a modules.dep of their own.
    awk -v names="${HVM_BUTTON_MODULES[*]} ${HVM_MODULES[*]}" '
        BEGIN { n = split(names, list, " "); for (i = 1; i <= n; i++) want[list[i]] = 1 }
        {
            name = $1
            sub(/:$/, "", name); sub(/.*\//, "", name); sub(/\.ko.*/, "", name); gsub(/-/, "_", name)
            if (!(name in want)) next
            found[name] = 1
            for (i = 1; i <= NF; i++) { file = $i; sub(/:$/, "", file); if (!(file in seen)) { seen[file] = 1; print file } }
        }
        END { for (name in want) if (!(name in found)) { print name; status = 1 } exit status }
    ' "$moddir/modules.dep" >"$work/modules" || die "$deb lacks modules: $(tr '\n' ' ' <"$work/modules")"
    local module target
    while read -r module; do
        target=$init/lib/modules/$hvm_kernel/${module%.ko*}.ko
        mkdir -p "${target%/*}"
        case $module in
        *.ko) cp "$moddir/$module" "$target" ;;
        *.ko.xz) xz -dc "$moddir/$module" >"$target" ;;
        *.ko.zst) zstd -q -dc "$moddir/$module" >"$target" ;;
        *.ko.gz) gzip -dc "$moddir/$module" >"$target" ;;
        *) die "$deb: a module compressed how? $module" ;;
        esac
    done <"$work/modules"
    "$busybox" depmod -b "$init" "$hvm_kernel"

    # busybox-static and a link per applet, /init, the power button's action.
    install -d -m 0755 "$init"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,run,etc/acpi/PWRF}
    install -d -m 0700 "$init/root"
    install -d -m 1777 "$init/tmp"
    install -m 0755 "$busybox" "$init/bin/busybox"
    "$busybox" --list-full | python3 -c '
import os, sys
for applet in sys.stdin.read().split():
    path = os.path.join(sys.argv[1], applet)
    if "/" in applet and not os.path.lexists(path):
        os.symlink("/bin/busybox", path)
' "$init"
    hvm_init | sed -e "s/@BUTTON_MODULES@/${HVM_BUTTON_MODULES[*]}/" \
        -e "s/@MODULES@/${HVM_MODULES[*]}/" >"$init/init"
    chmod 0755 "$init/init"
    cat >"$init/etc/acpi/PWRF/00000080" <<'SH'
#!/bin/sh
# The power button (acpid runs this), `poweroff` and `halt` (PID 1's trap): off, at once.
echo "lumos-test-guest: poweroff" >/dev/console
sync
exec poweroff -f
SH
    chmod 0755 "$init/etc/acpi/PWRF/00000080"
    # --add-program: static programs for the guest's shell (a test's upstream mdata-client).
    for program in ${programs[@]+"${programs[@]}"}; do
        install -m 0755 "$program" "$init/usr/bin/$(basename "$program")"
    done
    hvm_cpio "$init" | gzip -n >"$boot/initrd.gz"

    # syslinux boots at once, also saying so on ttyS0 (what it says when a file is missing).
    cp "$kernel/boot/vmlinuz-$hvm_kernel" "$boot/vmlinuz"
    cat >"$boot/syslinux.cfg" <<'CFG'
SERIAL 0 115200
PROMPT 0
DEFAULT lumos
LABEL lumos
    LINUX /vmlinuz
    INITRD /initrd.gz
    APPEND console=ttyS0,115200n8 quiet cryptomgr.notests
CFG

    # The disk, made as a file: an MBR with syslinux's boot code and one active FAT16 partition
    # from 1 MiB to the end, syslinux installed in it. The disk and file system ids come from the
    # image's uuid.
    disk=$work/disk.raw
    local offset=$((HVM_PART_START * 512))
    truncate -s "${HVM_DISK_MIB}M" "$disk"
    printf 'label: dos\nlabel-id: 0x%s\nunit: sectors\nstart=%d, type=e, bootable\n' \
        "${uuid:0:8}" "$HVM_PART_START" | sfdisk -q "$disk" >&2
    dd if="$mbr" of="$disk" bs=440 count=1 conv=notrunc status=none
    mkfs.fat -F 16 -n LUMOS-TEST -i "${uuid:0:8}" -h "$HVM_PART_START" --offset "$HVM_PART_START" \
        "$disk" $(((HVM_DISK_MIB - 1) * 1024)) >/dev/null
    MTOOLS_SKIP_CHECK=1 mcopy -i "$disk@@$offset" "$boot"/{vmlinuz,initrd.gz,syslinux.cfg} ::/
    syslinux --install --offset "$offset" "$disk"
    echo "build-image: initramfs $(stat -c %s "$boot/initrd.gz") bytes," \
        "kernel $(stat -c %s "$boot/vmlinuz") bytes" >&2
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
hvm-test)
    build_hvm_test
    name=hvm-test type=zvol os=linux requirements='{"min_ram":128}'
    description="lumos's HVM test guest: syslinux, Debian's cloud kernel $hvm_kernel and a busybox initramfs; markers on ttyS0, sdc:uuid from ttyS1, off on the power button."
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
# A zvol image's file is the disk: <name>-<version>.zvol[.gz], as imgadm create names it.
[ "$type" = zvol ] && ext=zvol${ext#tar}
file=$outdir/$stem.$ext
manifest=$outdir/$stem.imgmanifest
if [ "$type" = zvol ]; then
    if [ "$compression" = none ]; then
        cp --sparse=always "$disk" "$file.partial"
    else
        "${compress[@]}" <"$disk" >"$file.partial"
    fi
    zvol=$(jq -n --argjson mib "$HVM_DISK_MIB" \
        '{image_size: $mib, nic_driver: "virtio", disk_driver: "virtio", cpu_type: "qemu64"}')
else
    owner_args=(--owner=0 --group=0)
    [[ $kind == debian-12* ]] && owner_args=()
    mapfile -t top < <(cd "$root" && LC_ALL=C ls -A)
    LC_ALL=C tar -C "$root" -cf - --sort=name --numeric-owner "${owner_args[@]}" \
        --anchored --exclude='dev/*' --exclude='proc/*' --exclude='sys/*' \
        -- "${top[@]}" | "${compress[@]}" >"$file.partial"
    zvol=null
fi
mv "$file.partial" "$file"
sha1=$(sha1sum "$file" | cut -d' ' -f1)
size=$(stat -c %s "$file")

# --- the manifest ------------------------------------------------------------------------------
published_at=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
jq -n --arg uuid "$uuid" --arg name "$name" --arg version "$version" \
    --arg description "$description" --arg published_at "$published_at" \
    --arg type "$type" --arg os "$os" --arg sha1 "$sha1" --argjson size "$size" \
    --arg compression "$compression" --argjson requirements "$requirements" --argjson zvol "$zvol" '
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
    + (if $zvol == null then {} else $zvol end)
    ' >"$manifest.partial"
mv "$manifest.partial" "$manifest"
echo "build-image: wrote $manifest and $file ($size bytes)" >&2
echo "$uuid"
