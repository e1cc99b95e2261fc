// SPDX-License-Identifier: MPL-2.0
#include "vm/qemu_runtime.hpp"

#include "base/directory_below.hpp"
#include "base/file.hpp"
#include "base/strings.hpp"
#include "runtime/host_layout.hpp"
#include "runtime/monitor_protocol.hpp"
#include "runtime/qmp_client.hpp"
#include "runtime/zone_spec.hpp"
#include "sys/cgroup.hpp"

#include <algorithm>
#include <cstdlib>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lumos::vm {

namespace {

namespace protocol = runtime::monitor_protocol;

bool is_hvm_brand(std::string const& brand)
{
    return brand == "kvm" || brand == "bhyve";
}

std::string shell_quote(std::string const& word)
{
    if (!word.empty()
        && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                  "-_./=,:+@%")
            == std::string::npos) {
        return word;
    }
    std::string quoted = "'";
    for (char const c : word) {
        if (c == '\'') {
            quoted += "'\\''";
        } else {
            quoted += c;
        }
    }
    return quoted + "'";
}

} // namespace

QemuFiles qemu_files(std::string const& zonepath)
{
    QemuFiles files;
    files.tmp = zonepath + "/root/tmp";
    files.qmp = files.tmp + "/vm.qmp";
    files.console = files.tmp + "/vm.console";
    files.ttyb = files.tmp + "/vm.ttyb";
    files.vnc = files.tmp + "/vm.vnc";
    files.log = files.tmp + "/vm.log";
    files.pid = files.tmp + "/vm.pid";
    files.screenshot = files.tmp + "/vm.ppm";
    files.startvm = zonepath + "/root/startvm";
    return files;
}

QemuRuntime::QemuRuntime(Paths paths, pools::PoolRegistry const& pools)
    : ZoneRuntime(std::move(paths), pools)
{
}

Result<std::string> QemuRuntime::qemu_program()
{
    if (char const* configured = std::getenv("LUMOS_QEMU");
        configured != nullptr && *configured != '\0') {
        if (::access(configured, X_OK) != 0) {
            return make_error(ErrorCode::Unsupported,
                std::string("LUMOS_QEMU (") + configured + ") is not an executable program");
        }
        return std::string(configured);
    }
    char const* path = std::getenv("PATH");
    for (auto const& dir :
        split(path != nullptr && *path != '\0' ? path : "/usr/local/bin:/usr/bin:/bin", ':')) {
        if (dir.empty()) {
            continue;
        }
        std::string const candidate = std::string(dir) + "/qemu-system-x86_64";
        if (::access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
    }
    return make_error(ErrorCode::Unsupported,
        "qemu-system-x86_64 is not installed (Debian package qemu-system-x86)");
}

std::string QemuRuntime::accelerator() const
{
    auto features = host_features();
    return features && features->kvm.usable ? "kvm" : "tcg";
}

Result<void> QemuRuntime::can_boot(std::string const& brand) const
{
    if (!is_hvm_brand(brand)) {
        return make_error(ErrorCode::Unsupported, "Cannot boot " + brand + " VMs with QEMU");
    }
    TRY(qemu_program());
    TRY_ASSIGN(helpers, this->helpers());
    if (helpers.zoned.empty()) {
        return make_error(ErrorCode::Unsupported,
            "cannot boot the VM: lumos-zoned is not installed next to this program (lib/lumos)");
    }
    return {};
}

Result<void> QemuRuntime::can_boot_vm(Json const& vm) const
{
    return can_boot(string_or(vm, "brand"));
}

Result<std::vector<std::string>> QemuRuntime::prepare_cgroup(Json const& vm) const
{
    std::string const uuid = string_or(vm, "uuid");
    TRY_ASSIGN(features, host_features());
    TRY_ASSIGN(cgroups, sys::Cgroups::from_features(features.cgroup));
    std::string const path = cgroup_parent() + "/" + uuid;
    TRY(cgroups.create(path));
    std::vector<std::string> unenforced;
    auto const limits
        = runtime::guest_cgroup_limits(vm, runtime::host_layout(features), unenforced);
    TRY(cgroups.apply(path, limits));
    log_unenforced(uuid, unenforced);
    return cgroups.procs_files(path);
}

Result<void> QemuRuntime::write_command_line(Json const& vm) const
{
    std::string const uuid = string_or(vm, "uuid");
    std::string const zonepath = string_or(vm, "zonepath");
    QemuFiles const files = qemu_files(zonepath);
    TRY_ASSIGN(program, qemu_program());
    // TEMPORARY until runtime/qemu_plan lands: the plain machine.
    std::vector<std::string> argv { program, "-name", string_or(vm, "alias", uuid), "-uuid", uuid,
        "-accel", accelerator(), "-m", std::to_string(int_or(vm, "ram", 256)), "-smp",
        std::to_string(int_or(vm, "vcpus", 1)), "-cpu", string_or(vm, "cpu_type", "qemu64") };
    if (auto const* disks = json_member(vm, "disks"); disks != nullptr && disks->is_array()) {
        int index = 0;
        for (auto const& disk : *disks) {
            std::string const dataset = string_or(disk, "zfs_filesystem");
            if (dataset.empty()) {
                continue;
            }
            TRY_ASSIGN(pool, pools().open(dataset.substr(0, dataset.find('/'))));
            std::string const model = string_or(disk, "model", "virtio");
            argv.insert(argv.end(),
                { "-drive",
                    "file=" + pool->volume_path(dataset) + ",if=" + model
                        + ",format=raw,cache=none,index=" + std::to_string(index++) });
        }
    }
    argv.insert(argv.end(),
        { "-qmp", "unix:" + files.qmp + ",server=on,wait=off", "-qmp",
            "unix:" + monitor(uuid).dir() + "/" + protocol::QMP_SOCKET + ",server=on,wait=off",
            "-chardev", "socket,id=serial0,path=" + files.console + ",server=on,wait=off",
            "-serial", "chardev:serial0", "-chardev",
            "socket,id=serial1,path=" + files.ttyb + ",server=on,wait=off", "-serial",
            "chardev:serial1", "-display", "none", "-vga", "std", "-parallel", "none", "-pidfile",
            files.pid, "-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny" });
    std::string words;
    std::string line;
    for (auto const& word : argv) {
        words += word;
        words += '\0';
        line += (line.empty() ? "" : " ") + shell_quote(word);
    }
    TRY(write_file_replace(monitor(uuid).dir() + "/" + protocol::QEMU_ARGV_FILE, words, 0600));
    TRY(write_file_replace(files.startvm, "#!/bin/sh\nexec " + line + "\n", 0755));
    return {};
}

Result<runtime::ZoneMonitor::Launch> QemuRuntime::launch_options(
    Json const& vm, runtime::Helpers helpers) const
{
    std::string const uuid = string_or(vm, "uuid");
    runtime::ZoneMonitor::Launch launch;
    launch.helpers = std::move(helpers);
    launch.helpers.oci_runtime.clear();
    launch.zonepath = string_or(vm, "zonepath");
    launch.restart_init = false; // QEMU's exit is the guest's: the VM is stopped
    QemuFiles const files = qemu_files(launch.zonepath);
    runtime::ZoneMonitor::Launch::Qemu qemu;
    qemu.argv_file = monitor(uuid).dir() + "/" + protocol::QEMU_ARGV_FILE;
    qemu.qmp = monitor(uuid).dir() + "/" + protocol::QMP_SOCKET;
    qemu.serial = files.console;
    qemu.log = files.log;
    TRY_ASSIGN(features, host_features());
    TRY_ASSIGN(cgroups, sys::Cgroups::from_features(features.cgroup));
    qemu.cgroups = cgroups.procs_files(cgroup_parent() + "/" + uuid);
    launch.qemu = std::move(qemu);
    return launch;
}

Result<void> QemuRuntime::start(Json const& vm, int64_t provision_timeout_ms)
{
    std::string const uuid = string_or(vm, "uuid");
    TRY(can_boot(string_or(vm, "brand")));
    TRY_ASSIGN(helpers, this->helpers());
    auto const guest = monitor(uuid);
    if (guest.status()) {
        return make_error(ErrorCode::Busy, "VM " + uuid + " is already running");
    }
    TRY(make_directories(guest.dir(), 0700));
    std::string const zonepath = string_or(vm, "zonepath");
    // The zone root is the VM's: its tmp is made without following a link anywhere on the way.
    {
        UniqueFd zone(::open(zonepath.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!zone.valid()) {
            return tl::unexpected(Error::from_errno("cannot open " + zonepath, errno));
        }
        TRY(open_directory_below(zone.get(), zonepath, "root/tmp", Create::Yes));
    }
    TRY(prepare_cgroup(vm));
    TRY(write_command_line(vm));
    TRY_ASSIGN(launch, launch_options(vm, std::move(helpers)));
    launch.provision_timeout_ms = provision_timeout_ms;
    if (auto launched = guest.launch(launch); !launched) {
        return make_error(ErrorCode::System, "cannot boot the VM: " + launched.error().message());
    }
    return {};
}

Result<void> QemuRuntime::apply_limits(Json const& vm)
{
    std::string const uuid = string_or(vm, "uuid");
    if (!monitor(uuid).status()) {
        return {};
    }
    TRY(prepare_cgroup(vm));
    return {};
}

Result<std::vector<std::string>> QemuRuntime::exec_argv(
    Json const& vm, std::vector<std::string> const& /*command*/, Terminal /*terminal*/) const
{
    return make_error(ErrorCode::Unsupported,
        "cannot run a command in " + string_or(vm, "brand") + " VM " + string_or(vm, "uuid")
            + ": it has no zone to log in to (use vmadm console)");
}

} // namespace lumos::vm

namespace lumos::vm {

Result<Json> QemuRuntime::info(Json const& vm, std::vector<std::string> const& types)
{
    bool const all = types.empty() || std::find(types.begin(), types.end(), "all") != types.end();
    auto wants = [&](std::string const& type) {
        return all || std::find(types.begin(), types.end(), type) != types.end();
    };
    Json result = Json::object();
    if (string_or(vm, "brand") == "kvm") {
        static constexpr std::pair<char const*, char const*> QUERIES[] { { "status",
                                                                             "query-status" },
            { "version", "query-version" }, { "chardev", "query-chardev" },
            { "block", "query-block" }, { "blockstats", "query-blockstats" },
            // query-cpus is gone from QEMU (7.0); query-cpus-fast answers the same question.
            { "cpus", "query-cpus-fast" }, { "pci", "query-pci" }, { "kvm", "query-kvm" } };
        bool const any = std::any_of(std::begin(QUERIES), std::end(QUERIES),
            [&](auto const& query) { return wants(query.first); });
        if (any) {
            TRY_ASSIGN(qmp, runtime::QmpClient::connect(qemu_files(string_or(vm, "zonepath")).qmp));
            for (auto const& [type, command] : QUERIES) {
                if (!wants(type)) {
                    continue;
                }
                // As vmadmd: a query QEMU refuses leaves its member out.
                if (auto answer = qmp.execute(command)) {
                    result[type] = std::move(*answer);
                }
            }
        }
        if (wants("spice")) {
            result["spice"] = Json::object();
        }
    }
    if (wants("vnc")) {
        result["vnc"] = Json::object();
    }
    return result;
}

Result<void> QemuRuntime::sysrq(Json const& vm, std::string const& request)
{
    QemuFiles const files = qemu_files(string_or(vm, "zonepath"));
    TRY_ASSIGN(qmp, runtime::QmpClient::connect(files.qmp));
    if (request == "nmi") {
        TRY(qmp.execute("inject-nmi"));
        return {};
    }
    Json const shift { { "keys", Json::array({ { { "type", "qcode" }, { "data", "shift" } } }) } };
    (void)qmp.execute("send-key", shift);
    TRY(qmp.execute("screendump", Json { { "filename", files.screenshot } }));
    return {};
}

} // namespace lumos::vm
