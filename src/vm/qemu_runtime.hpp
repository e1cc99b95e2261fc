// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "vm/zone_runtime.hpp"

#include <string>
#include <vector>

namespace lumos::vm {

// Where an HVM guest's sockets and files are: the zone root's tmp directory, as SmartOS keeps
// them (<zonepath>/root/tmp/vm.qmp, vm.console, vm.ttyb, vm.vnc, vm.log, vm.pid, vm.ppm), and
// the command line in <zonepath>/root/startvm.
struct QemuFiles {
    std::string tmp; // <zonepath>/root/tmp
    std::string qmp; // vmadm info's QMP
    std::string monitor_qmp; // lumos-zoned's own
    std::string console; // serial 0
    std::string ttyb; // serial 1: the metadata service
    std::string vnc;
    std::string log;
    std::string pid;
    std::string screenshot;
    std::string startvm;
};
QemuFiles qemu_files(std::string const& zonepath);

// kvm and bhyve VMs: one QEMU process per running VM, started by the VM's lumos-zoned monitor
// (its child, in the VM's cgroup, without capabilities), KVM-accelerated where the host's probe
// found KVM usable, TCG otherwise. Everything after the boot goes through the monitor as for
// OS zones (ZoneRuntime): stop is an ACPI powerdown over QMP, forced after the timeout.
class QemuRuntime final : public ZoneRuntime {
public:
    QemuRuntime(Paths paths, pools::PoolRegistry const& pools);

    Result<void> can_boot(std::string const& brand) const override;
    Result<void> can_boot_vm(Json const& vm) const override;
    Result<void> start(Json const& vm, int64_t provision_timeout_ms) override;
    Result<void> start_with(Json const& vm, int64_t provision_timeout_ms,
        runtime::StartOptions const& options) override;
    Result<void> apply_limits(Json const& vm) override;
    // A new QEMU (the monitor restarts it) without the last start's options.
    Result<void> reboot(Json const& vm, StopMode mode) override;
    // An HVM guest has no processes of its own to run commands in (zlogin refuses it).
    Result<std::vector<std::string>> exec_argv(
        Json const& vm, std::vector<std::string> const& command, Terminal terminal) const override;
    // QMP's answers on the VM's vm.qmp, keyed as vmadmd keys them (status, version, chardev,
    // block, blockstats, cpus: query-cpus-fast, pci, kvm), and vnc and spice; bhyve: vnc only.
    Result<Json> info(Json const& vm, std::vector<std::string> const& types) override;
    // nmi: QMP inject-nmi; screenshot: a shift key (to wake a blanked screen), then screendump
    // to <zonepath>/root/tmp/vm.ppm.
    Result<void> sysrq(Json const& vm, std::string const& request) override;

    // QEMU's program: LUMOS_QEMU, else qemu-system-x86_64 on PATH.
    static Result<std::string> qemu_program();
    // "kvm" where the host's probe found KVM can run a guest, else "tcg".
    std::string accelerator() const;

protected:
    Result<runtime::ZoneMonitor::Launch> launch_options(
        Json const& vm, runtime::Helpers helpers) const override;

private:
    // The cgroup QEMU runs in (<cgroup_parent>/<uuid>), made, with the VM's limits.
    Result<std::vector<std::string>> prepare_cgroup(Json const& vm) const;
    // QEMU's command line for this boot (runtime::qemu_plan), written to the run dir (argv)
    // and <zonepath>/root/startvm.
    Result<void> write_command_line(Json const& vm, runtime::StartOptions const& options,
        std::vector<std::string> const& taps) const;
    // The host file QEMU opens for one of the VM's disks: a volume's (by its dataset, or its
    // /dev/zvol/rdsk path), else a regular file in the zone root.
    Result<std::string> disk_file(Json const& vm, Json const& disk) const;
    // Where remote displays listen: the host config's admin_ip, else 127.0.0.1.
    std::string admin_address() const;
    // vmadm info's vnc or spice member: the monitor's listener (host, port, display) and the
    // VM's password; {} when there is none.
    Json display_info(Json const& vm, std::string const& protocol) const;
    // vnc_password and spice_password, told to the running QEMU over QMP.
    static Result<void> set_passwords(Json const& vm);
    // bhyve's uefi bootrom: Debian's OVMF, and the VM's own copy of its variables.
    static Result<void> ovmf(Json const& vm, runtime::QemuHost& host);
};

} // namespace lumos::vm
