// SPDX-License-Identifier: MPL-2.0
#include "vm/zone_runtime.hpp"

#include "base/child_process.hpp"
#include "base/host_config.hpp"
#include "base/rollback.hpp"
#include "base/strings.hpp"
#include "base/time.hpp"
#include "net/vm_network.hpp"
#include "runtime/monitor_protocol.hpp"
#include "runtime/zone_spec.hpp"
#include "sys/cgroup.hpp"
#include "vm/vm_datasets.hpp"
#include "vm/zone_network.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lumos::vm {

namespace {

namespace protocol = runtime::monitor_protocol;

std::string not_running(Json const& vm)
{
    return "VM " + string_or(vm, "uuid") + " is not running";
}

// The controls the zone runs without, one line each in the zone's log (monitor.log, which its
// monitor appends to as well), so an operator sees what this host could not enforce.
void append_unenforced(runtime::ZoneMonitor const& zone, std::vector<std::string> const& unenforced)
{
    if (unenforced.empty()) {
        return;
    }
    std::string const prefix
        = iso_timestamp(now_ms()) + " vmadm[" + std::to_string(::getpid()) + "] ";
    std::string lines;
    for (auto const& entry : unenforced) {
        lines += prefix;
        lines += entry;
        lines += '\n';
    }
    // Best effort: the log is for the operator; a zone is not refused for a log it cannot write.
    UniqueFd log(::open((zone.dir() + "/monitor.log").c_str(),
        O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (log.valid()) {
        (void)write_fully(log.get(), lines.data(), lines.size());
    }
}

// lx zones answer uname(2) as SmartOS's lx brand does (release: the VM's kernel_version, version
// "BrandZ virtual linux": how Linux tools such as cloud-init's SmartOS data source know where they
// run), through the monitor as the zone's seccomp listener. nullopt for other brands and on
// kernels without seccomp user notification (the reason in why).
std::optional<std::string> lx_uname_release(Json const& vm, std::string* why = nullptr)
{
    if (string_or(vm, "brand") != "lx") {
        return std::nullopt;
    }
    if (auto probed = sys::probe_seccomp_user_notification(); !probed) {
        if (why != nullptr) {
            *why = probed.error().message();
        }
        return std::nullopt;
    }
    return string_or(vm, "kernel_version");
}

bool has_nics(Json const& vm)
{
    Json const* nics = json_member(vm, "nics");
    return nics != nullptr && nics->is_array() && !nics->empty();
}

// What removes a booting zone's networking if this process is killed before the zone's monitor
// owns it: `lumos-netdown --guard`, detached, waits for a word on its stdin; this process's end
// of that pipe closes however it ends, and a close without "keep" (SIGKILL) makes the guard take
// the VM's lock (so a later command on the VM goes first or waits) and remove the networking
// unless a monitor then holds the zone's lock. Destroying the guard says "keep": the normal
// paths either handed the networking to the monitor or removed it themselves.
class NetworkGuard {
public:
    static NetworkGuard start(std::string const& netdown, Paths const& paths,
        runtime::ZoneMonitor const& zone, std::string const& uuid)
    {
        NetworkGuard guard;
        int fds[2];
        if (netdown.empty() || ::pipe2(fds, O_CLOEXEC) != 0) {
            return guard; // without a guard, a killed boot leaves what `vmadm start` clears
        }
        UniqueFd read_end(fds[0]);
        guard.m_keep = UniqueFd(fds[1]);
        UniqueFd log(::open((zone.dir() + "/" + protocol::MONITOR_LOG).c_str(),
            O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600));
        SpawnOptions options({ netdown, "--guard", paths.vm_lock(uuid),
            zone.dir() + "/" + protocol::LOCK_FILE, uuid, paths.zone_netns(uuid) });
        options.stdio[STDIN_FILENO] = Stdio::fd(read_end.get());
        options.stdio[STDOUT_FILENO] = Stdio::null();
        options.stdio[STDERR_FILENO] = log.valid() ? Stdio::fd(log.get()) : Stdio::null();
        options.close_other_fds = true;
        options.reset_signals = true;
        if (!ChildProcess::spawn_detached(options)) {
            guard.m_keep = UniqueFd();
        }
        return guard;
    }

    NetworkGuard(NetworkGuard&&) noexcept = default;
    NetworkGuard& operator=(NetworkGuard&&) noexcept = default;
    NetworkGuard(NetworkGuard const&) = delete;
    NetworkGuard& operator=(NetworkGuard const&) = delete;
    ~NetworkGuard()
    {
        if (m_keep.valid()) {
            (void)write_fully(m_keep.get(), "keep\n", 5);
        }
    }

private:
    NetworkGuard() = default;
    UniqueFd m_keep;
};

} // namespace

ZoneRuntime::ZoneRuntime(Paths paths, pools::PoolRegistry const& pools)
    : m_paths(std::move(paths))
    , m_pools(pools)
    , m_cgroup_parent(sys::configured_cgroup_parent(m_paths))
{
}

Result<sys::HostFeatures> ZoneRuntime::host_features() const
{
    return sys::host_features(m_paths);
}

Result<runtime::Helpers> ZoneRuntime::helpers() const
{
    TRY_ASSIGN(features, host_features());
    return runtime::find_helpers(features);
}

Result<sys::Cgroups> ZoneRuntime::cgroups() const
{
    TRY_ASSIGN(features, host_features());
    return sys::Cgroups::from_features(std::move(features.cgroup));
}

Result<std::string> ZoneRuntime::oci_runtime(std::string const& uuid) const
{
    if (auto recorded = monitor(uuid).oci_runtime()) {
        return std::move(*recorded);
    }
    TRY_ASSIGN(helpers, this->helpers());
    return std::move(helpers.oci_runtime);
}

std::string ZoneRuntime::runc_root() const
{
    return m_paths.run_dir() + "/runc";
}

runtime::ZoneMonitor ZoneRuntime::monitor(std::string const& uuid) const
{
    return runtime::ZoneMonitor(m_paths.run_dir() + "/zones/" + uuid, uuid);
}

Result<void> ZoneRuntime::can_boot(std::string const& brand) const
{
    if (!runtime::is_os_brand(brand)) {
        return make_error(ErrorCode::Unsupported, "Cannot boot " + brand + " VMs as OS zones");
    }
    TRY(helpers());
    return {};
}

Result<void> ZoneRuntime::can_boot_vm(Json const& vm) const
{
    TRY(can_boot(string_or(vm, "brand")));
    TRY(plan_zone_network(vm, HostConfig::load(m_paths)));
    return {};
}

std::optional<LiveState> ZoneRuntime::live(std::string const& uuid) const
{
    auto status = monitor(uuid).status();
    if (!status) {
        return std::nullopt;
    }
    return LiveState { status->pid, status->boot_timestamp,
        std::string(protocol::to_string(status->provisioning)), status->monitored };
}

std::string ZoneRuntime::provision_outcome(std::string const& uuid) const
{
    return monitor(uuid).provision_outcome();
}

void ZoneRuntime::log_unenforced(
    std::string const& uuid, std::vector<std::string> const& lines) const
{
    append_unenforced(monitor(uuid), lines);
}

Result<runtime::ZoneMonitor::Launch> ZoneRuntime::launch_options(
    Json const& vm, runtime::Helpers helpers) const
{
    runtime::ZoneMonitor::Launch launch;
    launch.helpers = std::move(helpers);
    launch.oci_runtime_root = runc_root();
    launch.zonepath = string_or(vm, "zonepath");
    launch.restart_init = bool_or(vm, "restart_init", true);
    if (has_nics(vm)) {
        launch.netdown = launch.helpers.netdown;
    }
    // The monitor runs a DHCP client for each DHCP NIC in the zone's namespace (the zone has no
    // CAP_NET_ADMIN to do it); its leases fill resolv.conf when the VM has no resolvers.
    launch.dhcp = dhcp_interfaces(vm);
    launch.lx_uname_release = lx_uname_release(vm);
    Json const* resolvers = json_member(vm, "resolvers");
    if (!launch.dhcp.empty()
        && (resolvers == nullptr || !resolvers->is_array() || resolvers->empty())) {
        launch.dhcp_resolv = monitor(string_or(vm, "uuid")).dir() + "/resolv.conf";
    }
    launch.dhcp_hostname = string_or(vm, "hostname");
    // zinit stops on SIGTERM; an lx zone's init (sysvinit, busybox, systemd...) each want their
    // own signal, but all of them halt through the distro's /sbin/halt, as SmartOS's lx brand
    // halts its zones from inside. With no such command, SIGTERM.
    launch.stop_signal = SIGTERM;
    if (string_or(vm, "brand") == "lx") {
        launch.stop_command = "/sbin/halt";
    }
    return launch;
}

Result<runtime::ZoneSpec> ZoneRuntime::write_bundle(
    Json const& vm, runtime::Helpers const& helpers) const
{
    std::string const uuid = string_or(vm, "uuid");
    runtime::ZoneHostPaths paths;
    paths.zonepath = string_or(vm, "zonepath");
    paths.zinit = helpers.zinit;
    paths.mdata_clients = helpers.mdata_clients;
    paths.mdata_execute = helpers.mdata_execute;
    paths.cgroup_parent = m_cgroup_parent;
    if (vm.contains("datasets") && vm["datasets"].is_array()) {
        for (auto const& dataset : vm["datasets"]) {
            std::string const name = dataset.is_string() ? dataset.get<std::string>() : "";
            if (!name.ends_with("/" + uuid + "/data")) {
                continue;
            }
            TRY_ASSIGN(pool, m_pools.open(name.substr(0, name.find('/'))));
            paths.delegated_dataset = pool->path_of(name);
        }
    }
    auto const zone = monitor(uuid);
    TRY(make_directories(zone.dir(), 0700));
    // Outside the zone's dataset: host writes for a boot never depend on the tenant's space.
    paths.resolv_conf = zone.dir() + "/resolv.conf";
    if (has_nics(vm)) {
        paths.netns = m_paths.zone_netns(uuid);
    }
    std::string no_uname;
    if (lx_uname_release(vm, &no_uname)) {
        paths.seccomp_listener = zone.dir() + "/" + protocol::SECCOMP_SOCKET;
    }
    TRY_ASSIGN(features, host_features());
    TRY_ASSIGN(spec, runtime::zone_spec(vm, paths, runtime::host_layout(features)));
    if (!no_uname.empty()) {
        spec.unenforced.push_back(
            "uname not emulated (the host's, not SmartOS's lx brand's): " + no_uname);
    }
    spec.terminal = true;
    // The directory the metadata socket will be in (bind-mounted into the zone).
    TRY(make_directory_below(paths.zonepath, ".zonecontrol", 0755));
    TRY(runtime::prepare_root(spec));
    // Regenerated at every boot: no need to wait for the disk.
    TRY(write_file_replace(
        zone.dir() + "/config.json", dump_pretty(runtime::oci_config(spec)), 0600));
    append_unenforced(zone, spec.unenforced);
    return spec;
}

Result<void> ZoneRuntime::start(Json const& vm, int64_t provision_timeout_ms)
{
    std::string const uuid = string_or(vm, "uuid");
    TRY(can_boot(string_or(vm, "brand")));
    TRY_ASSIGN(helpers, this->helpers());
    auto const zone = monitor(uuid);
    if (zone.status()) {
        return make_error(ErrorCode::Busy, "VM " + uuid + " is already running");
    }
    if (has_nics(vm) && helpers.netdown.empty()) {
        return make_error(ErrorCode::Unsupported,
            "cannot boot the zone: lumos-netdown is not installed next to this program "
            "(lib/lumos)");
    }
    TRY(make_directories(zone.dir(), 0700));
    // A lease's resolvers from an earlier boot are not this boot's.
    (void)::unlink((zone.dir() + "/resolv.conf").c_str());
    auto const guard = has_nics(vm)
        ? std::optional(NetworkGuard::start(helpers.netdown, m_paths, zone, uuid))
        : std::nullopt;
    if (auto made = create_network(vm); !made) {
        return make_error(made.error().code(), "cannot boot the zone: " + made.error().message());
    }
    Rollback undo;
    undo.push([this, &uuid] { remove_network(uuid); });
    TRY(write_bundle(vm, helpers));
    TRY_ASSIGN(launch, launch_options(vm, std::move(helpers)));
    launch.provision_timeout_ms = provision_timeout_ms;
    if (auto launched = zone.launch(launch); !launched) {
        return make_error(ErrorCode::System, "cannot boot the zone: " + launched.error().message());
    }
    undo.disarm();
    return {};
}

Result<void> ZoneRuntime::create_network(Json const& vm) const
{
    std::string const uuid = string_or(vm, "uuid");
    if (!has_nics(vm)) {
        remove_network(uuid); // a zone booted with NICs before
        return {};
    }
    TRY_ASSIGN(plan, plan_zone_network(vm, HostConfig::load(m_paths)));
    TRY_ASSIGN(host, net::Netns::current());
    TRY_ASSIGN(unenforced, create_zone_network(host, uuid, m_paths.zone_netns(uuid), plan));
    append_unenforced(monitor(uuid), unenforced);
    return {};
}

Result<void> ZoneRuntime::update_network(Json const& vm) const
{
    std::string const uuid = string_or(vm, "uuid");
    struct stat netns { };
    if (::lstat(m_paths.zone_netns(uuid).c_str(), &netns) != 0) {
        // Booted without NICs: its namespace is runc's; new NICs come with the next boot.
        return {};
    }
    TRY_ASSIGN(plan, plan_zone_network(vm, HostConfig::load(m_paths)));
    TRY_ASSIGN(host, net::Netns::current());
    TRY_ASSIGN(unenforced, update_zone_network(host, uuid, m_paths.zone_netns(uuid), plan));
    append_unenforced(monitor(uuid), unenforced);
    return {};
}

void ZoneRuntime::remove_network(std::string const& uuid) const
{
    if (auto host = net::Netns::current()) {
        (void)net::remove_vm_network(*host, uuid, m_paths.zone_netns(uuid));
    }
}

Result<std::string> ZoneRuntime::wait_provisioning(Json const& vm)
{
    auto const zone = monitor(string_or(vm, "uuid"));
    auto reply = zone.request({ .verb = protocol::Verb::WaitProvision }, std::nullopt);
    if (reply && (*reply == "success" || *reply == "failed")) {
        return *reply;
    }
    // The monitor ended (the zone stopped) before answering: what it recorded, if anything.
    std::string const outcome = zone.provision_outcome();
    return outcome.empty() ? std::string("failed") : outcome;
}

Result<void> ZoneRuntime::reattach(Json const& vm)
{
    std::string const uuid = string_or(vm, "uuid");
    auto const zone = monitor(uuid);
    auto status = zone.status();
    if (!status || status->monitored) {
        return {};
    }
    TRY_ASSIGN(helpers, this->helpers());
    // The runtime the zone was booted with, whatever the probe prefers now.
    if (auto recorded = zone.oci_runtime()) {
        helpers.oci_runtime = std::move(*recorded);
    }
    TRY_ASSIGN(launch, launch_options(vm, std::move(helpers)));
    launch.attach = true;
    if (status->provisioning == protocol::Provisioning::Waiting) {
        // What is left of the provisioning deadline (the transition's expiry).
        int64_t const left = int_or(vm, "transition_expire", 0) - now_ms();
        launch.provision_timeout_ms = std::max<int64_t>(left, 1000);
    }
    auto launched = zone.launch(launch);
    if (!launched && zone.status() && zone.status()->monitored) {
        return {}; // another command re-attached first
    }
    return launched;
}

Result<void> ZoneRuntime::stop(Json const& vm, StopMode mode, int timeout_s)
{
    std::string const uuid = string_or(vm, "uuid");
    auto const zone = monitor(uuid);
    if (!zone.status()) {
        remove_network(uuid); // a zone whose monitor died with it
        return {};
    }
    TRY(reattach(vm));
    protocol::Request const request { .verb
        = mode == StopMode::Force ? protocol::Verb::Halt : protocol::Verb::Stop,
        .timeout_s = timeout_s };
    auto reply = zone.request(request, std::chrono::seconds(timeout_s + 60));
    if (!reply) {
        if (!zone.status()) {
            return {}; // it went down as the monitor ended
        }
        return tl::unexpected(reply.error());
    }
    if (*reply != protocol::REPLY_OK) {
        return make_error(ErrorCode::System, protocol::parse_reply(*reply).text);
    }
    // The monitor did, unless it was killed on the way. A VM that never had NICs of its own (an
    // HVM guest: no namespace either) has nothing to look for.
    if (has_nics(vm) || runtime::is_os_brand(string_or(vm, "brand"))) {
        remove_network(uuid);
    }
    return {};
}

Result<void> ZoneRuntime::reboot(Json const& vm, StopMode mode)
{
    auto const zone = monitor(string_or(vm, "uuid"));
    if (!zone.status()) {
        return make_error(ErrorCode::Unsupported, not_running(vm));
    }
    TRY(reattach(vm));
    TRY_ASSIGN(reply,
        zone.request({ .verb = protocol::Verb::Reboot, .force = mode == StopMode::Force },
            std::chrono::seconds(180)));
    if (reply != protocol::REPLY_OK) {
        return make_error(ErrorCode::System, protocol::parse_reply(reply).text);
    }
    return {};
}

Result<void> ZoneRuntime::kill(Json const& vm, int signal)
{
    auto const zone = monitor(string_or(vm, "uuid"));
    if (!zone.status()) {
        return make_error(ErrorCode::NotFound, not_running(vm));
    }
    TRY(reattach(vm));
    TRY_ASSIGN(reply, zone.request({ .verb = protocol::Verb::Kill, .signal = signal }));
    if (reply != protocol::REPLY_OK) {
        return make_error(ErrorCode::System, protocol::parse_reply(reply).text);
    }
    return {};
}

Result<void> ZoneRuntime::apply_limits(Json const& vm)
{
    std::string const uuid = string_or(vm, "uuid");
    if (!monitor(uuid).status()) {
        return {};
    }
    // The bundle first, so that a reboot (which reuses it) keeps the new limits too.
    TRY_ASSIGN(helpers, this->helpers());
    TRY_ASSIGN(spec, write_bundle(vm, helpers));
    TRY(update_network(vm));
    TRY_ASSIGN(cgroups, this->cgroups());
    TRY(cgroups.apply(spec.cgroups_path, runtime::cgroup_limits(spec)));
    // max_locked_memory is a resource limit, not a cgroup's: every process of the zone gets it
    // (new ones inherit it from their parents). Raising a hard limit needs CAP_SYS_RESOURCE,
    // which a host that is itself a container may lack: then only the next boot raises it.
    if (spec.locked_memory) {
        TRY_ASSIGN(pids, cgroups.processes(spec.cgroups_path));
        struct rlimit const limit { *spec.locked_memory, *spec.locked_memory };
        for (int const pid : pids) {
            if (::prlimit(pid, RLIMIT_MEMLOCK, &limit, nullptr) != 0 && errno != ESRCH
                && errno != EPERM) {
                return tl::unexpected(Error::from_errno("cannot set max_locked_memory", errno));
            }
        }
    }
    return {};
}

Result<UniqueFd> ZoneRuntime::console(Json const& vm)
{
    auto const zone = monitor(string_or(vm, "uuid"));
    if (!zone.status()) {
        return make_error(ErrorCode::NotFound, not_running(vm));
    }
    TRY(reattach(vm));
    return zone.console();
}

Result<std::vector<std::string>> ZoneRuntime::exec_argv(
    Json const& vm, std::vector<std::string> const& command, Terminal terminal) const
{
    std::string const uuid = string_or(vm, "uuid");
    // The runtime the zone was booted with, whatever the probe prefers now.
    TRY_ASSIGN(oci_runtime, this->oci_runtime(uuid));
    std::vector<std::string> argv { std::move(oci_runtime), "--root", runc_root(), "exec" };
    if (command.empty()) {
        if (terminal == Terminal::Allocate) {
            argv.emplace_back("-t");
        }
        char const* term = std::getenv("TERM");
        argv.insert(argv.end(),
            { "--env", "TERM=" + std::string(term != nullptr ? term : "vt100"), uuid, "/bin/sh",
                "-l" });
        return argv;
    }
    std::string joined;
    for (auto const& part : command) {
        joined += (joined.empty() ? "" : " ") + part;
    }
    argv.insert(argv.end(), { uuid, "/bin/sh", "-c", joined });
    return argv;
}

Result<GuestStats> ZoneRuntime::stats(std::string const& uuid) const
{
    TRY_ASSIGN(cgroups, this->cgroups());
    TRY_ASSIGN(figures, cgroups.stats(m_cgroup_parent + "/" + uuid));
    return GuestStats { figures.memory_bytes, figures.memory_limit, figures.cpu_usage_ns,
        figures.processes, figures.oom_kills, figures.io_read_bytes, figures.io_write_bytes };
}

void ZoneRuntime::forget(std::string const& uuid)
{
    auto const zone = monitor(uuid);
    if (zone.status()) {
        return;
    }
    // A monitor that died without cleaning up (killed, or every process of the host killed
    // while this run directory stayed) leaves the OCI runtime's state and the zone's cgroup:
    // `delete --force` removes both; the cgroup is removed again in case the runtime could not.
    struct stat state { };
    if (::lstat((runc_root() + "/" + uuid).c_str(), &state) == 0) {
        if (auto oci = oci_runtime(uuid)) {
            auto child = ChildProcess::spawn(SpawnOptions(
                { std::move(*oci), "--root", runc_root(), "delete", "--force", uuid }));
            if (child) {
                (void)child->wait();
            }
        }
    }
    if (auto cgroups = this->cgroups()) {
        (void)cgroups->remove(m_cgroup_parent + "/" + uuid);
    }
    remove_network(uuid);
    std::error_code ignored;
    std::filesystem::remove_all(zone.dir(), ignored);
}

} // namespace lumos::vm
