// SPDX-License-Identifier: MPL-2.0
// The QEMU command line of an HVM guest (brands kvm and bhyve) for one boot, derived from its VM
// object and that boot's start options, as SmartOS builds it (kvm: VM.js startVM; bhyve: the
// brand's boot program, illumos-joyent usr/src/lib/brand/bhyve/zone/boot.c), mapped onto
// upstream QEMU 7.2 (Debian 12's qemu-system-x86_64). Pure: no I/O, no globals; what the host
// decides (taps, disk files, firmware, accelerator, sandbox) comes in as QemuHost.
//
// The mapping (SmartOS -> QEMU 7.2):
//   -drive file=,if=<model>,index=N   -drive if=none,format=raw,cache=none + a -device per model:
//                                     kvm virtio-blk-pci, ide-hd/ide-cd at bus ide.<N/2> unit
//                                     N%2, scsi-hd/scsi-cd on lsi53c895a controller N/7 (the
//                                     places old QEMU gave index N); bhyve virtio-blk-pci, ahci
//                                     (one controller per disk) + ide-hd/ide-cd, nvme
//   boot=on (extboot)                 bootindex, where the firmware's -boot order puts the disk
//                                     first anyway (a bootindex outranks -boot order and once)
//   -net nic / virtio-net-pci,vlan=N  -netdev tap (a tap per NIC from the caller) + the model's
//                                     -device; tx=timer, x-txtimer, x-txburst kept (QEMU 7.2
//                                     still has them)
//   -net vnic,ip=,netmask=,...        dropped: QEMU answered the guest's DHCP from these; on
//                                     Linux the VM's network is the caller's (taps, DHCP)
//   /tmp/vm.{qmp,console,ttyb,vnc,spice,pid} in the zone
//                                     the same files under <zonepath>/root/tmp (QEMU runs on the
//                                     host, not inside the zone)
//   ,server,nowait / ,password        ,server=on,wait=off / ,password=on (7.2 spelling)
//   -spice sock=                      -spice unix=on,addr=
//   bhyve -B 1,... -U, -c, -m         -smbios type=1,..., -uuid, -smp, -m
//   bhyve PCI slots (disks' pci_slot, NICs at 6:N, fbuf at 30:0, xhci tablet at 30:1)
//                                     the same addresses on QEMU's one PCI bus; bhyve's LPC
//                                     bridge (slot 31) is QEMU's PIIX3, which stays in slot 1
//   bhyve bootrom bios / uefi         SeaBIOS / OVMF as two pflash drives (the caller's code
//                                     image, read-only, and the VM's own vars copy)
//   bhyve virtio-net-viona            virtio-net-pci, whatever the NIC's model (as bhyve does)
#pragma once

#include "base/json.hpp"
#include "base/result.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace lumos::runtime {

// A disk or cdrom attached for one boot only (vmadm start ... disk=path,model cdrom=path,model).
struct StartDisk {
    std::string path; // as given: inside the zone root
    std::string model;
    std::string media; // "disk" or "cdrom"
    bool operator==(StartDisk const&) const = default;
};

// What vmadm start takes after the uuid (vmadm.js parseStartArgs).
struct StartOptions {
    std::string boot; // "order=<value>" from order=<value>, "" when not given
    std::vector<StartDisk> disks; // in the order given
    bool operator==(StartOptions const&) const = default;
};

// Parses vmadm start's arguments as vmadm.js does, with its messages: "You can only specify
// 'order' once when starting a VM", "Parameter to <key> must be: path,model", "Invalid
// argument to start: <key>", "Bad arguments: unable to split <arg>". Every error is
// ErrorCode::Usage (vmadm exits 2 and prints its usage). Models are checked by qemu_plan, which
// knows the brand (VM.js checks them in startVM too).
Result<StartOptions> parse_start_options(std::vector<std::string> const& arguments);

// Splits text into words as a POSIX shell splits a command's arguments: blanks separate words,
// single quotes keep everything, double quotes keep all but \$ \` \" \\ and \<newline>, a
// backslash escapes the next character, '#' at the start of a word comments out the rest. What
// a shell would do besides making words is refused (InvalidArgument, naming the character and
// its offset): an unclosed quote, a backslash that ends the text, an unquoted operator (; & | <
// > ( ) or a newline), $ and ` outside single quotes. Globs, braces and ~ stay literal (a shell
// would expand them only where they match files). SmartOS pastes qemu_opts and qemu_extra_opts into
// a bash script as is.
Result<std::vector<std::string>> split_shell_words(std::string_view text);

// word as one shell word: unchanged when it is made only of characters no shell treats
// specially, else in single quotes.
std::string shell_quote(std::string_view word);
// argv as one shell command line (each word shell_quote'd, separated by spaces): the line the
// startvm file keeps.
std::string shell_command(std::vector<std::string> const& argv);

// <zonepath>/root/<path>, for a path a VM's owner gives inside its zone root (start options'
// disks and cdroms; relative paths are taken from the zone root). A ".." component, an empty
// path or a NUL byte is refused (InvalidArgument); symbolic links are the opener's to refuse
// (base/directory_below.hpp): this only builds the name.
Result<std::string> zone_root_path(std::string const& zonepath, std::string const& path);

enum class Accelerator {
    Kvm, // -accel kvm: the host's /dev/kvm works
    Tcg, // -accel tcg: emulation
};

enum class Sandbox {
    On, // QEMU's seccomp filter: -sandbox on, and deny obsolete calls, privilege changes, spawning
        // processes and resource control
    Off, // a QEMU built without seccomp
};

// What the host decides for one boot. The plan reads nothing else of the host.
struct QemuHost {
    std::string program; // argv[0]: qemu-system-x86_64
    std::string zonepath; // the VM's zonepath: sockets and files go in <zonepath>/root/tmp
    Accelerator accelerator { Accelerator::Kvm };
    Sandbox sandbox { Sandbox::On };
    // The host file of each of the VM's disks, in the order of its disks array (a volume's file
    // in its pool, a cdrom's file in the zone root): what -drive file= names.
    std::vector<std::string> disk_files;
    // The tap each of the VM's NICs is attached to, in the order of its nics array.
    std::vector<std::string> taps;
    // bhyve with bootrom "uefi": OVMF's code (Debian's /usr/share/OVMF/OVMF_CODE_4M.fd), mapped
    // read-only, and this VM's own writable copy of OVMF's variables (made by the caller from
    // OVMF_VARS_4M.fd, kept across boots).
    std::string ovmf_code;
    std::string ovmf_vars;
    // A second QMP socket, for the monitor ("" for none); <zonepath>/root/tmp/vm.qmp is always
    // there (vmadm info and sysrq use it, as on SmartOS).
    std::string monitor_qmp;
    // Whether a host file exists: asked for each start disk that is not one of the VM's disks,
    // with the file zone_root_path gave (VM.js: "Cannot find disk: <path>").
    std::function<bool(std::string const&)> file_exists;
};

// One boot's QEMU: its argv and where its sockets are.
struct QemuPlan {
    std::vector<std::string> argv; // argv[0] is QemuHost::program
    std::string command_line; // argv as one shell line, for <zonepath>/root/startvm
    std::string qmp; // <zonepath>/root/tmp/vm.qmp
    std::string console; // serial 0: vm.console
    std::string ttyb; // serial 1, the metadata service: vm.ttyb
    std::string vnc; // vm.vnc, "" when QEMU gets no VNC server
    std::string spice; // vm.spice, "" when QEMU gets no SPICE server
    std::string pidfile; // vm.pid
    // Passwords QEMU is told over QMP once it runs (set_password vnc|spice): never on its
    // command line, which every user of the host can read in /proc. "" for none.
    std::string vnc_password;
    std::string spice_password;
};

// The QEMU command line of a kvm or bhyve VM for one boot. Errors: InvalidArgument for a VM
// object QEMU cannot take (another brand, a bad uuid, ram, vcpus, mac, model or pci_slot, a disk
// model the brand does not have, for start disks with VM.js's message "\"<model>\" is not a
// valid disk model for <brand> brand. Valid are: <models>"), NotFound for a start disk that is
// not there ("Cannot find disk: <path>"), Unsupported for what has no QEMU equivalent (bhyve's
// pci_devices, bhyve_extra_opts, a bootrom path; uefi without OVMF), Internal when host does
// not match the VM (a tap or disk file per NIC and disk, file_exists set).
Result<QemuPlan> qemu_plan(Json const& vm, StartOptions const& options, QemuHost const& host);

} // namespace lumos::runtime
