// SPDX-License-Identifier: MPL-2.0
#include "vm/qemu_runtime.hpp"

#include "base/directory_below.hpp"
#include "base/file.hpp"
#include "base/host_config.hpp"
#include "base/rollback.hpp"
#include "base/strings.hpp"
#include "net/netns.hpp"
#include "runtime/host_layout.hpp"
#include "runtime/monitor_protocol.hpp"
#include "runtime/qmp_client.hpp"
#include "runtime/zone_spec.hpp"
#include "sys/cgroup.hpp"
#include "vm/hvm_network.hpp"
#include "vm/zone_network.hpp"

#include <algorithm>
#include <cstdlib>

#include <arpa/inet.h>
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

// Whether relative (a path inside root, as qemu_plan's zone_root_path made it) is a regular
// file reached without following a symbolic link anywhere on the way.
bool has_nics(Json const& vm)
{
    Json const* nics = json_member(vm, "nics");
    return nics != nullptr && nics->is_array() && !nics->empty();
}

bool regular_file_below(std::string const& root, std::string const& file)
{
    if (!file.starts_with(root + "/")) {
        return false;
    }
    std::string const relative = file.substr(root.size() + 1);
    size_t const slash = relative.rfind('/');
    UniqueFd base(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!base.valid()) {
        return false;
    }
    UniqueFd dir;
    if (slash != std::string::npos) {
        auto opened = open_directory_below(base.get(), root, relative.substr(0, slash), Create::No);
        if (!opened) {
            return false;
        }
        dir = std::move(*opened);
    }
    struct stat st { };
    std::string const name = slash == std::string::npos ? relative : relative.substr(slash + 1);
    return ::fstatat(dir.valid() ? dir.get() : base.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW)
        == 0
        && S_ISREG(st.st_mode);
}

} // namespace

QemuFiles qemu_files(std::string const& zonepath)
{
    QemuFiles files;
    files.tmp = zonepath + "/root/tmp";
    files.qmp = files.tmp + "/vm.qmp";
    files.monitor_qmp = files.tmp + "/vm.monitor.qmp";
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
    TRY(can_boot(string_or(vm, "brand")));
    // Its NICs' tags and VLANs can be made here (as for a zone).
    TRY(plan_zone_network(vm, HostConfig::load(paths())));
    return {};
}

Result<std::vector<std::string>> QemuRuntime::prepare_cgroup(Json const& vm) const
{
    std::string const uuid = string_or(vm, "uuid");
    TRY_ASSIGN(features, host_features());
    TRY_ASSIGN(cgroups, this->cgroups());
    std::string const path = cgroup_parent() + "/" + uuid;
    TRY(cgroups.create(path));
    std::vector<std::string> unenforced;
    auto const limits
        = runtime::guest_cgroup_limits(vm, runtime::host_layout(features), unenforced);
    TRY(cgroups.apply(path, limits));
    log_unenforced(uuid, unenforced);
    return cgroups.procs_files(path);
}

Result<void> QemuRuntime::write_command_line(Json const& vm, runtime::StartOptions const& options,
    std::vector<std::string> const& taps) const
{
    std::string const uuid = string_or(vm, "uuid");
    std::string const zonepath = string_or(vm, "zonepath");
    QemuFiles const files = qemu_files(zonepath);
    runtime::QemuHost host;
    TRY_ASSIGN(program, qemu_program());
    host.program = std::move(program);
    host.zonepath = zonepath;
    host.accelerator
        = accelerator() == "kvm" ? runtime::Accelerator::Kvm : runtime::Accelerator::Tcg;
    host.sandbox = runtime::Sandbox::On;
    host.monitor_qmp = files.monitor_qmp;
    if (auto const* disks = json_member(vm, "disks"); disks != nullptr && disks->is_array()) {
        for (auto const& disk : *disks) {
            TRY_ASSIGN(file, disk_file(vm, disk));
            host.disk_files.push_back(std::move(file));
        }
    }
    host.taps = taps;
    if (string_or(vm, "bootrom") == "uefi") {
        TRY(ovmf(vm, host));
    }
    // A start disk or cdrom is the VM owner's file in its zone root: a regular file reached
    // without following a link (QEMU would open whatever a link names on the host).
    host.file_exists = [&zonepath](std::string const& file) {
        return regular_file_below(zonepath + "/root", file);
    };
    TRY_ASSIGN(plan, runtime::qemu_plan(vm, options, host));
    std::string words;
    for (auto const& word : plan.argv) {
        words += word;
        words += '\0';
    }
    TRY(write_file_replace(monitor(uuid).dir() + "/" + protocol::QEMU_ARGV_FILE, words, 0600));
    TRY(write_file_replace(files.startvm, "#!/bin/sh\nexec " + plan.command_line + "\n", 0755));
    return {};
}

Result<std::string> QemuRuntime::disk_file(Json const& vm, Json const& disk) const
{
    std::string const zonepath = string_or(vm, "zonepath");
    std::string const dataset = string_or(disk, "zfs_filesystem");
    std::string const path = string_or(disk, "path");
    std::string const zvol = "/dev/zvol/rdsk/";
    std::string const volume = !dataset.empty() ? dataset
        : path.starts_with(zvol)                ? path.substr(zvol.size())
                                                : std::string();
    if (!volume.empty()) {
        TRY_ASSIGN(pool, pools().open(volume.substr(0, volume.find('/'))));
        return pool->volume_path(volume);
    }
    // A cdrom (or a nocreate disk) named by a path in the zone root, as QEMU in the zone sees it.
    TRY_ASSIGN(file, runtime::zone_root_path(zonepath, path));
    if (!regular_file_below(zonepath + "/root", file)) {
        return make_error(ErrorCode::NotFound, "Cannot find disk: " + path);
    }
    return file;
}

Result<void> QemuRuntime::ovmf(Json const& vm, runtime::QemuHost& host)
{
    std::string const code = "/usr/share/OVMF/OVMF_CODE_4M.fd";
    std::string const vars = "/usr/share/OVMF/OVMF_VARS_4M.fd";
    if (::access(code.c_str(), R_OK) != 0 || ::access(vars.c_str(), R_OK) != 0) {
        return make_error(ErrorCode::Unsupported,
            "bootrom \"uefi\" needs OVMF (Debian package ovmf: " + code + ")");
    }
    host.ovmf_code = code;
    // The VM's own variables (boot entries), kept across boots next to its startvm.
    host.ovmf_vars = string_or(vm, "zonepath") + "/root/uefi-vars.fd";
    struct stat st { };
    if (::lstat(host.ovmf_vars.c_str(), &st) != 0) {
        TRY_ASSIGN(content, read_file(vars));
        TRY(write_file_atomic(host.ovmf_vars, content, 0600));
    } else if (!S_ISREG(st.st_mode)) {
        return make_error(ErrorCode::InvalidArgument, host.ovmf_vars + " is not a regular file");
    }
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
    if (has_nics(vm)) {
        launch.netdown = launch.helpers.netdown; // the taps, once QEMU is done for good
    }
    QemuFiles const files = qemu_files(launch.zonepath);
    runtime::ZoneMonitor::Launch::Qemu qemu;
    qemu.argv_file = monitor(uuid).dir() + "/" + protocol::QEMU_ARGV_FILE;
    qemu.qmp = files.monitor_qmp;
    // QEMU's view of the host: its zone root and its volumes (besides programs and devices).
    qemu.binds.push_back(launch.zonepath + "/root");
    if (auto const* disks = json_member(vm, "disks"); disks != nullptr && disks->is_array()) {
        for (auto const& disk : *disks) {
            TRY_ASSIGN(file, disk_file(vm, disk));
            if (!file.starts_with(launch.zonepath + "/root/")) {
                qemu.binds.push_back(std::move(file));
            }
        }
    }
    qemu.serial = files.console;
    qemu.log = files.log;
    TRY_ASSIGN(cgroups, this->cgroups());
    qemu.cgroups = cgroups.procs_files(cgroup_parent() + "/" + uuid);
    // The remote display, as vmadmd serves it: SPICE when spice_port is set, else VNC unless
    // vnc_port is -1; on the admin address, 127.0.0.1 without one.
    int64_t const spice_port = int_or(vm, "spice_port", 0);
    int64_t const vnc_port = int_or(vm, "vnc_port", 0);
    bool const spice = spice_port > 0;
    int64_t const port = spice ? spice_port : vnc_port;
    if (port >= 0 && port <= 65535) {
        qemu.display_protocol = spice ? "spice" : "vnc";
        qemu.display_socket = files.tmp + (spice ? "/vm.spice" : "/vm.vnc");
        qemu.display_listen = admin_address() + ":" + std::to_string(port);
    }
    launch.qemu = std::move(qemu);
    return launch;
}

Result<void> QemuRuntime::start(Json const& vm, int64_t provision_timeout_ms)
{
    return start_with(vm, provision_timeout_ms, {});
}

Result<void> QemuRuntime::start_with(
    Json const& vm, int64_t provision_timeout_ms, runtime::StartOptions const& options)
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
    // What a boot that fails leaves: not the cgroup (the monitor removes it when QEMU ran).
    Rollback undo;
    undo.push([this, &vm] {
        if (auto cgroups = this->cgroups()) {
            (void)cgroups->remove(cgroup_parent() + "/" + string_or(vm, "uuid"));
        }
    });
    TRY(prepare_cgroup(vm));
    // A tap per NIC on its tag's bridge, with the NIC's anti-spoofing rules and cap
    // (vm/hvm_network), made before QEMU attaches; the monitor removes them when QEMU is done.
    std::vector<std::string> taps;
    if (has_nics(vm)) {
        if (helpers.netdown.empty()) {
            return make_error(ErrorCode::Unsupported,
                "cannot boot the VM: lumos-netdown is not installed next to this program "
                "(lib/lumos)");
        }
        TRY_ASSIGN(plan, plan_zone_network(vm, HostConfig::load(paths())));
        TRY_ASSIGN(host, net::Netns::current());
        undo.push([uuid] {
            if (auto current = net::Netns::current()) {
                (void)remove_hvm_network(*current, uuid);
            }
        });
        auto made = create_hvm_network(host, uuid, plan);
        if (!made) {
            return make_error(made.error().code(), "cannot boot the VM: " + made.error().message());
        }
        log_unenforced(uuid, made->unenforced);
        taps = std::move(made->taps);
    }
    TRY(write_command_line(vm, options, taps));
    TRY_ASSIGN(launch, launch_options(vm, std::move(helpers)));
    launch.provision_timeout_ms = provision_timeout_ms;
    if (auto launched = guest.launch(launch); !launched) {
        // QEMU would not run this VM (the monitor passes on QEMU's own last words, e.g.
        // "qemu-system-x86_64: -foo: invalid option"): its configuration is at fault.
        return make_error(
            ErrorCode::InvalidArgument, "cannot boot the VM: " + launched.error().message());
    }
    undo.disarm();
    return set_passwords(vm);
}

std::string QemuRuntime::admin_address() const
{
    // SmartOS's admin_ip (the config's <admin tag>_ip); a name or "dhcp" is not an address.
    std::string const configured = HostConfig::load(paths()).admin_ip;
    struct in_addr parsed { };
    return ::inet_pton(AF_INET, configured.c_str(), &parsed) == 1 ? configured : "127.0.0.1";
}

Json QemuRuntime::display_info(Json const& vm, std::string const& protocol) const
{
    // What the monitor's listener got: "<protocol> <host> <port>".
    auto const text
        = read_file(monitor(string_or(vm, "uuid")).dir() + "/" + protocol::DISPLAY_FILE);
    Json info = Json::object();
    if (!text) {
        return info;
    }
    auto const words = split(trim(*text), ' ');
    // NOLINTNEXTLINE(bugprone-unchecked-optional-access): checked by the size
    auto const port = words.size() == 3 ? parse_integer(words[2]) : std::nullopt;
    if (!port || words[0] != protocol) {
        return info;
    }
    info["host"] = words[1];
    info["port"] = *port;
    if (protocol == "vnc" && *port >= 5900) {
        info["display"] = *port - 5900;
    }
    if (std::string const password = string_or(vm, protocol + "_password"); !password.empty()) {
        info["password"] = password;
    }
    if (protocol == "spice") {
        if (std::string const opts = string_or(vm, "spice_opts"); !opts.empty()) {
            info["spice_opts"] = opts;
        }
    }
    return info;
}

Result<void> QemuRuntime::set_passwords(Json const& vm)
{
    // Told over QMP, never on QEMU's command line (which anyone on the host can read).
    for (char const* protocol : { "vnc", "spice" }) {
        std::string const password = string_or(vm, std::string(protocol) + "_password");
        if (password.empty()) {
            continue;
        }
        TRY_ASSIGN(qmp, runtime::QmpClient::connect(qemu_files(string_or(vm, "zonepath")).qmp));
        auto set = qmp.execute(
            "set_password", Json { { "protocol", protocol }, { "password", password } });
        if (!set) {
            return make_error(ErrorCode::System,
                std::string("cannot set the ") + protocol + " password: " + set.error().message());
        }
    }
    return {};
}

Result<void> QemuRuntime::reboot(Json const& vm, StopMode mode)
{
    // A reboot is a new QEMU without the last start's options (they were for that boot only),
    // on the taps the VM has.
    if (monitor(string_or(vm, "uuid")).status()) {
        std::vector<std::string> taps;
        if (has_nics(vm)) {
            TRY_ASSIGN(plan, plan_zone_network(vm, HostConfig::load(paths())));
            taps = hvm_taps(plan);
        }
        TRY(write_command_line(vm, {}, taps));
    }
    TRY(ZoneRuntime::reboot(vm, mode));
    return set_passwords(vm);
}

Result<void> QemuRuntime::apply_limits(Json const& vm)
{
    std::string const uuid = string_or(vm, "uuid");
    if (!monitor(uuid).status()) {
        return {};
    }
    TRY(prepare_cgroup(vm));
    if (has_nics(vm)) {
        // The NICs' rules and caps, and taps for new NICs (the running QEMU gets them at its
        // next boot: NIC hotplug over QMP is not done).
        TRY_ASSIGN(plan, plan_zone_network(vm, HostConfig::load(paths())));
        TRY_ASSIGN(host, net::Netns::current());
        TRY_ASSIGN(updated, update_hvm_network(host, uuid, plan));
        log_unenforced(uuid, updated.unenforced);
    }
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
            result["spice"] = display_info(vm, "spice");
        }
    }
    if (wants("vnc")) {
        result["vnc"] = display_info(vm, "vnc");
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
