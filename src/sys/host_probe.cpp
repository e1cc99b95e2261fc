// SPDX-License-Identifier: MPL-2.0
#include "sys/host_probe.hpp"

#include "base/file.hpp"
#include "base/strings.hpp"
#include "sys/detail/spawn.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <system_error>

#include <fcntl.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace lumos::sys {

namespace {

constexpr int KVM_STABLE_API_VERSION = 12;
constexpr size_t MAX_KERNEL_FILE = size_t { 4 } * 1024 * 1024;
constexpr int CAP_SYS_RESOURCE_BIT = 24;
// Searched after the command's PATH (and alone when it has none).
constexpr char const* DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

bool exists(std::string const& path)
{
    struct stat st { };
    return ::stat(path.c_str(), &st) == 0;
}

bool is_directory(std::string const& path)
{
    struct stat st { };
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::optional<std::string> read_text(std::string const& path)
{
    auto text = read_file_bounded(path, MAX_KERNEL_FILE);
    if (!text) {
        return std::nullopt;
    }
    return std::move(*text);
}

std::string search_path(ProbeRoots const& roots)
{
    if (!roots.path_env.empty()) {
        return roots.path_env;
    }
    // The system directories after the command's own PATH: runc is in /usr/sbin, which a
    // user's PATH (or a test runner's) often lacks.
    char const* path = std::getenv("PATH"); // NOLINT(concurrency-mt-unsafe): nothing sets it
    return path != nullptr && *path != '\0' ? std::string(path) + ":" + DEFAULT_PATH
                                            : std::string(DEFAULT_PATH);
}

std::string find_program(std::string const& name, std::string const& path)
{
    for (auto const& dir : split(path, ':')) {
        if (dir.empty() || dir.front() != '/') {
            continue; // a relative PATH entry would depend on the command's working directory
        }
        std::string candidate = dir;
        candidate += "/";
        candidate += name;
        struct stat st { };
        if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode)
            && ::access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
    }
    return {};
}

// The files lumos writes or reads, per controller and layout.
std::vector<char const*> files_of(std::string const& controller, bool v2)
{
    if (controller == "memory") {
        return v2
            ? std::vector<char const*> { "memory.max", "memory.swap.max", "memory.current",
                  "memory.events" }
            : std::vector<char const*> { "memory.limit_in_bytes", "memory.memsw.limit_in_bytes",
                  "memory.usage_in_bytes", "memory.oom_control" };
    }
    if (controller == "cpu") {
        return v2
            ? std::vector<char const*> { "cpu.max", "cpu.weight", "cpu.stat" }
            : std::vector<char const*> { "cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.shares" };
    }
    if (controller == "cpuacct") {
        return { "cpuacct.usage" };
    }
    if (controller == "pids") {
        return { "pids.max", "pids.current" };
    }
    if (controller == "blkio") {
        return { "blkio.bfq.weight", "blkio.weight", "blkio.throttle.io_service_bytes" };
    }
    if (controller == "io") {
        return { "io.bfq.weight", "io.weight", "io.stat" };
    }
    return {};
}

// The files of interest in <dir><parent>. The weight and swap files exist only below a
// hierarchy's root (the kernel's CFTYPE_NOT_ON_ROOT), so a parent not made yet is made for the
// look and removed again (the runtime makes it when a zone boots).
std::vector<std::string> files_below(
    std::string const& dir, std::string const& parent, std::vector<char const*> const& names)
{
    std::string const where = dir + parent;
    bool made = false;
    if (!is_directory(where)) {
        if (::mkdir(where.c_str(), 0755) != 0) {
            return {};
        }
        made = true;
    }
    std::vector<std::string> found;
    for (char const* name : names) {
        if (exists(where + "/" + name)) {
            found.emplace_back(name);
        }
    }
    found.emplace_back("cgroup.procs");
    if (made) {
        ::rmdir(where.c_str());
    }
    return found;
}

} // namespace

CgroupFeatures probe_cgroups(ProbeRoots const& roots)
{
    CgroupFeatures cgroup;
    cgroup.root = roots.cgroup;
    cgroup.parent = roots.cgroup_parent;
    if (auto listed = read_text(roots.cgroup + "/cgroup.controllers")) {
        cgroup.layout = "v2";
        auto const names = split(std::string(trim(*listed)), ' ');
        // One scratch parent for every controller: each file is looked for in the same cgroup.
        std::vector<char const*> wanted;
        std::vector<std::string> present;
        for (char const* name : { "memory", "cpu", "pids", "io" }) {
            if (std::find(names.begin(), names.end(), name) != names.end()) {
                present.emplace_back(name);
                auto const files = files_of(name, true);
                wanted.insert(wanted.end(), files.begin(), files.end());
            }
        }
        auto const found = files_below(roots.cgroup, roots.cgroup_parent, wanted);
        for (auto const& name : present) {
            CgroupController controller { name, roots.cgroup, {} };
            for (auto const& file : found) {
                if (file.starts_with(name + ".") || file == "cgroup.procs") {
                    controller.files.push_back(file);
                }
            }
            cgroup.controllers.push_back(std::move(controller));
        }
    } else {
        for (char const* name : { "memory", "cpu", "cpuacct", "pids", "blkio" }) {
            std::string const dir = roots.cgroup + "/" + name;
            if (!exists(dir + "/cgroup.procs")) {
                continue;
            }
            cgroup.controllers.push_back(
                { name, dir, files_below(dir, roots.cgroup_parent, files_of(name, false)) });
        }
        if (cgroup.controllers.empty()) {
            cgroup.layout = "none";
        } else if (auto unified = read_text(roots.cgroup + "/unified/cgroup.controllers")) {
            cgroup.layout = "hybrid";
            cgroup.unified_has_controllers = !is_blank(*unified);
        } else {
            cgroup.layout = "v1";
        }
    }

    bool const v2 = cgroup.layout == "v2";
    std::string const io_name = v2 ? "io" : "blkio";
    std::vector<std::string> const weight_files = v2
        ? std::vector<std::string> { "io.bfq.weight", "io.weight" }
        : std::vector<std::string> { "blkio.bfq.weight", "blkio.weight" };
    if (auto const* io = cgroup.controller(io_name)) {
        for (auto const& file : weight_files) {
            if (io->has(file)) {
                cgroup.io_weight_file = file;
                break;
            }
        }
        if (cgroup.io_weight_file.empty()) {
            cgroup.io_weight_reason = "the kernel has no io weight file ("
                + join(weight_files, ", ") + ") for " + roots.cgroup_parent;
        }
    } else {
        cgroup.io_weight_reason = "the host has no " + io_name + " cgroup controller";
    }

    std::string const swap_file = v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes";
    if (auto const* memory = cgroup.controller("memory")) {
        cgroup.memsw = !v2 && memory->has("memory.memsw.limit_in_bytes");
        cgroup.swap_accounting = memory->has(swap_file);
        if (!cgroup.swap_accounting) {
            cgroup.swap_reason = "the kernel does not account swap (no " + swap_file + " for "
                + roots.cgroup_parent + "; boot with swapaccount=1)";
        }
    } else {
        cgroup.swap_reason = "the host has no memory cgroup controller";
    }
    return cgroup;
}

namespace {

bool probe_cap_sys_resource(ProbeRoots const& roots)
{
    auto status = read_text(roots.proc + "/self/status");
    if (!status) {
        return false;
    }
    for (auto const& line : split(*status, '\n')) {
        if (line.starts_with("CapEff:")) {
            uint64_t const effective = std::strtoull(line.c_str() + 7, nullptr, 16);
            return (effective >> CAP_SYS_RESOURCE_BIT & 1) != 0;
        }
    }
    return false;
}

OciRuntime probe_oci_runtime(
    std::string const& name, std::string const& path, CgroupFeatures const& cgroup)
{
    OciRuntime runtime;
    runtime.name = name;
    runtime.path = find_program(name, path);
    if (runtime.path.empty()) {
        runtime.reason = name + " is not installed (not in PATH)";
        return runtime;
    }
    auto outcome = detail::run_program({ runtime.path, "--version" });
    if (!outcome || outcome->exit_status != 0) {
        runtime.reason = runtime.path + " --version failed";
        return runtime;
    }
    runtime.version = std::string(trim(outcome->output.substr(0, outcome->output.find('\n'))));
    if (cgroup.layout == "none") {
        runtime.reason = "the host has no cgroup hierarchy with the controllers zones need";
        return runtime;
    }
    if (name == "crun" && cgroup.layout == "hybrid" && cgroup.unified_has_controllers) {
        runtime.reason
            = "crun refuses a hybrid cgroup layout whose unified hierarchy holds controllers";
        return runtime;
    }
    runtime.works = true;
    return runtime;
}

FilesystemSupport probe_filesystem(ProbeRoots const& roots, std::string const& fs,
    std::string const& tool, std::string const& path)
{
    FilesystemSupport support;
    if (auto listed = read_text(roots.proc + "/filesystems")) {
        for (auto const& line : split(*listed, '\n')) {
            // "nodev\tproc" or "\tbtrfs"
            auto const fields = split(line, '\t');
            if (!fields.empty() && trim(fields.back()) == fs) {
                support.kernel = true;
            }
        }
    }
    support.tool = find_program(tool, path);
    return support;
}

KvmSupport probe_kvm(ProbeRoots const& roots)
{
    KvmSupport kvm;
    if (auto cpuinfo = read_text(roots.proc + "/cpuinfo")) {
        for (auto const& line : split(*cpuinfo, '\n')) {
            if (!line.starts_with("flags")) {
                continue;
            }
            for (auto const& flag : split(line.substr(line.find(':') + 1), ' ')) {
                if (flag == "vmx" || flag == "svm") {
                    kvm.cpu_flag = flag;
                }
            }
            break;
        }
    }
    std::string const device = roots.dev + "/kvm";
    UniqueFd fd(::open(device.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd.valid()) {
        std::string const why = std::generic_category().message(errno);
        kvm.reason = "cannot open " + device + ": " + why;
        return kvm;
    }
    int const version = ::ioctl(fd.get(), KVM_GET_API_VERSION, 0);
    if (version < 0) {
        std::string const why = std::generic_category().message(errno);
        kvm.reason = "KVM_GET_API_VERSION on " + device + " failed: " + why;
        return kvm;
    }
    kvm.api_version = version;
    if (version != KVM_STABLE_API_VERSION) {
        kvm.reason = device + " has KVM API version " + std::to_string(version) + ", not "
            + std::to_string(KVM_STABLE_API_VERSION);
        return kvm;
    }
    UniqueFd vm(::ioctl(fd.get(), KVM_CREATE_VM, 0));
    if (!vm.valid()) {
        std::string const why = std::generic_category().message(errno);
        kvm.reason = "KVM_CREATE_VM on " + device + " failed: " + why;
        return kvm;
    }
    int vcpus = ::ioctl(fd.get(), KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
    if (vcpus <= 0) {
        // Kernels without KVM_CAP_MAX_VCPUS: the recommended count is the maximum.
        vcpus = ::ioctl(fd.get(), KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
    }
    kvm.max_vcpus = vcpus > 0 ? static_cast<uint32_t>(vcpus) : 0;
    if (kvm.cpu_flag.empty()) {
        kvm.reason = "the CPU has neither vmx nor svm: " + device
            + " opens but cannot run a BIOS guest (a paravirtual KVM)";
        return kvm;
    }
    kvm.usable = true;
    return kvm;
}

// ip, tc and nft each prove their facility in a scratch network namespace: one shell in a new
// namespace runs them all and reports each exit status.
void probe_network(ProbeRoots const& roots, std::string const& path, HostFeatures& features)
{
    struct Check {
        NetworkFeature* feature;
        char const* name;
        char const* tool;
        char const* arguments;
        std::string kernel_evidence;
    };
    std::vector<Check> const checks {
        { &features.bridge, "bridge", "ip", "link add lumos-pbr0 type bridge",
            roots.sys + "/module/bridge" },
        { &features.veth, "veth", "ip", "link add lumos-pv0 type veth peer name lumos-pv1",
            roots.sys + "/module/veth" },
        { &features.tc, "tc", "tc",
            "qdisc add dev lo root tbf rate 1mbit burst 32kbit latency 50ms",
            roots.proc + "/net/psched" },
        { &features.nftables, "nftables", "nft", "add table inet lumos_probe",
            roots.sys + "/module/nf_tables" },
    };
    std::string script;
    for (auto const& check : checks) {
        check.feature->kernel = exists(check.kernel_evidence);
        check.feature->tool = find_program(check.tool, path);
        if (check.feature->tool.empty()) {
            check.feature->reason = std::string(check.tool) + " is not installed (not in PATH)";
        } else if (check.feature->tool.find('\'') != std::string::npos) {
            check.feature->reason = "the path of " + std::string(check.tool) + " has a quote";
            check.feature->tool.clear();
        } else {
            script += "'" + check.feature->tool + "' " + check.arguments + " >/dev/null 2>&1; echo "
                + check.name + " $?\n";
        }
    }
    if (script.empty()) {
        return;
    }
    std::string shell = find_program("sh", path);
    if (shell.empty()) {
        shell = "/bin/sh";
    }
    auto outcome = detail::run_program({ shell, "-c", script }, detail::Namespace::NewNetwork);
    std::string failure;
    if (!outcome) {
        failure = outcome.error().message();
    } else if (outcome->exit_status == 126) {
        failure = "cannot make a scratch network namespace to test it (needs CAP_SYS_ADMIN)";
    }
    for (auto const& check : checks) {
        if (check.feature->tool.empty()) {
            continue;
        }
        if (!failure.empty()) {
            check.feature->reason = failure;
            continue;
        }
        std::string const status = std::string(check.name) + " 0";
        auto const lines = split(outcome->output, '\n');
        check.feature->usable = std::find(lines.begin(), lines.end(), status) != lines.end();
        check.feature->kernel = check.feature->kernel || check.feature->usable;
        if (!check.feature->usable) {
            check.feature->reason = "'" + check.feature->tool + " " + check.arguments
                + "' failed in a scratch network namespace (the kernel lacks it)";
        }
    }
}

} // namespace

bool CgroupController::has(std::string const& file) const
{
    return std::find(files.begin(), files.end(), file) != files.end();
}

CgroupController const* CgroupFeatures::controller(std::string const& name) const
{
    for (auto const& controller : controllers) {
        if (controller.name == name) {
            return &controller;
        }
    }
    return nullptr;
}

OciRuntime const* HostFeatures::oci_runtime() const
{
    for (char const* name : { "crun", "runc" }) {
        for (auto const& runtime : oci_runtimes) {
            if (runtime.name == name && runtime.works) {
                return &runtime;
            }
        }
    }
    return nullptr;
}

Result<void> probe_seccomp_user_notification()
{
    uint32_t action = SECCOMP_RET_USER_NOTIF;
    struct seccomp_notif_sizes sizes { };
    if (::syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) != 0
        || ::syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0) {
        return tl::unexpected(
            Error::from_errno("the kernel has no seccomp user notification", errno));
    }
    return {};
}

Result<HostFeatures> probe_host(ProbeRoots const& roots)
{
    HostFeatures features;
    if (auto boot_id = read_text(roots.proc + "/sys/kernel/random/boot_id")) {
        features.boot_id = std::string(trim(*boot_id));
    }
    features.build = lumos_build();
    features.cgroup = probe_cgroups(roots);
    features.cap_sys_resource = probe_cap_sys_resource(roots);
    std::string const path = search_path(roots);
    for (char const* name : { "crun", "runc" }) {
        features.oci_runtimes.push_back(probe_oci_runtime(name, path, features.cgroup));
    }
    features.btrfs = probe_filesystem(roots, "btrfs", "btrfs", path);
    features.zfs = probe_filesystem(roots, "zfs", "zfs", path);
    features.kvm = probe_kvm(roots);
    probe_network(roots, path, features);
    return features;
}

} // namespace lumos::sys
