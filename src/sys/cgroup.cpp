// SPDX-License-Identifier: MPL-2.0
#include "sys/cgroup.hpp"

#include "base/file.hpp"
#include "base/strings.hpp"
#include "sys/detail/cgroup_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lumos::sys {

namespace {

// A v1 limit this large means none.
constexpr uint64_t UNLIMITED_V1 = 1ULL << 62;

bool exists(std::string const& path)
{
    struct stat st { };
    return ::stat(path.c_str(), &st) == 0;
}

Result<void> write_value(std::string const& file, std::string const& value)
{
    return detail::write_cgroup_value(file, value);
}

Result<std::string> read_value(std::string const& file)
{
    TRY_ASSIGN(text, read_file(file));
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
        text.pop_back();
    }
    return text;
}

uint64_t number(std::string const& text)
{
    return std::strtoull(text.c_str(), nullptr, 10);
}

// "key value" lines (cpu.stat, memory.events, memory.oom_control): the value of key, or 0.
uint64_t keyed(std::string const& text, std::string const& key)
{
    size_t at = 0;
    while (at < text.size()) {
        size_t end = text.find('\n', at);
        if (end == std::string::npos) {
            end = text.size();
        }
        std::string line = text.substr(at, end - at);
        if (line.rfind(key + " ", 0) == 0) {
            return number(line.substr(key.size() + 1));
        }
        at = end + 1;
    }
    return 0;
}

// runc's mapping of v1 shares [2, 262144] onto v2 weight [1, 10000].
uint64_t shares_to_weight(uint64_t shares)
{
    shares = std::max<uint64_t>(2, std::min<uint64_t>(shares, 262144));
    return 1 + ((shares - 2) * 9999) / 262142;
}

} // namespace

Cgroups::Cgroups(CgroupFeatures features, CgroupLayout layout)
    : m_features(std::move(features))
    , m_layout(layout)
{
}

Result<Cgroups> Cgroups::from_features(CgroupFeatures features)
{
    if (features.controller("memory") == nullptr) {
        return make_error(ErrorCode::Unsupported,
            "no cgroup hierarchy with the memory controller under " + features.root);
    }
    CgroupLayout const layout = features.layout == "v2" ? CgroupLayout::V2 : CgroupLayout::V1;
    return Cgroups(std::move(features), layout);
}

Result<Cgroups> Cgroups::detect(std::string mount_root)
{
    ProbeRoots roots;
    roots.cgroup = std::move(mount_root);
    return from_features(probe_cgroups(roots));
}

std::vector<std::string> const& Cgroups::controllers()
{
    static std::vector<std::string> const NAMES { "memory", "cpu", "cpuacct", "pids", "blkio" };
    return NAMES;
}

std::string Cgroups::dir(std::string const& controller, std::string const& path) const
{
    if (m_layout == CgroupLayout::V2) {
        return m_features.root + path;
    }
    auto const* found = m_features.controller(controller);
    return (found != nullptr ? found->dir : m_features.root + "/" + controller) + path;
}

bool Cgroups::has(std::string const& controller, std::string const& file) const
{
    auto const* found = m_features.controller(controller);
    return found != nullptr && found->has(file);
}

Result<void> Cgroups::create(std::string const& path) const
{
    auto make = [](std::string const& dir) -> Result<void> {
        std::string partial;
        size_t at = 0;
        while (at != std::string::npos) {
            at = dir.find('/', at + 1);
            partial = dir.substr(0, at);
            if (::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) {
                return tl::unexpected(Error::from_errno("mkdir " + partial, errno));
            }
        }
        return {};
    };
    if (m_layout == CgroupLayout::V2) {
        return make(dir("", path));
    }
    for (auto const& controller : m_features.controllers) {
        TRY(make(controller.dir + path));
    }
    return {};
}

Result<void> Cgroups::apply(std::string const& path, CgroupLimits const& limits) const
{
    if (m_layout == CgroupLayout::V2) {
        std::string const d = dir("", path);
        TRY(write_value(d + "/memory.max", limits.memory ? std::to_string(*limits.memory) : "max"));
        if (has("memory", "memory.swap.max")) {
            std::string swap = "max";
            if (limits.memory_swap) {
                uint64_t memory = limits.memory.value_or(0);
                swap = std::to_string(
                    *limits.memory_swap > memory ? *limits.memory_swap - memory : 0);
            }
            TRY(write_value(d + "/memory.swap.max", swap));
        }
        TRY(write_value(d + "/cpu.max",
            (limits.cpu_quota_us ? std::to_string(*limits.cpu_quota_us) : "max") + " "
                + std::to_string(limits.cpu_period_us)));
        TRY(write_value(
            d + "/cpu.weight", std::to_string(shares_to_weight(limits.cpu_shares.value_or(1024)))));
        TRY(write_value(d + "/pids.max", limits.pids ? std::to_string(*limits.pids) : "max"));
        if (limits.io_weight && io_weight_file() == "io.bfq.weight") {
            TRY(write_value(d + "/io.bfq.weight", std::to_string(*limits.io_weight)));
        } else if (limits.io_weight && io_weight_file() == "io.weight") {
            TRY(write_value(d + "/io.weight", "default " + std::to_string(*limits.io_weight)));
        }
        return {};
    }

    std::string const memory = dir("memory", path);
    std::string const new_memory = limits.memory ? std::to_string(*limits.memory) : "-1";
    std::string const memsw_file = memory + "/memory.memsw.limit_in_bytes";
    if (m_features.memsw) {
        // memory <= memory+swap at every moment: raise memsw first, lower it last.
        std::string const new_memsw
            = limits.memory_swap ? std::to_string(*limits.memory_swap) : "-1";
        TRY_ASSIGN(current_memsw, read_value(memsw_file));
        uint64_t const wanted_memory = limits.memory ? *limits.memory : UINT64_MAX;
        if (wanted_memory > number(current_memsw)) {
            TRY(write_value(memsw_file, new_memsw));
            TRY(write_value(memory + "/memory.limit_in_bytes", new_memory));
        } else {
            TRY(write_value(memory + "/memory.limit_in_bytes", new_memory));
            TRY(write_value(memsw_file, new_memsw));
        }
    } else {
        TRY(write_value(memory + "/memory.limit_in_bytes", new_memory));
    }
    std::string const cpu = dir("cpu", path);
    TRY(write_value(cpu + "/cpu.cfs_period_us", std::to_string(limits.cpu_period_us)));
    TRY(write_value(cpu + "/cpu.cfs_quota_us",
        limits.cpu_quota_us ? std::to_string(*limits.cpu_quota_us) : "-1"));
    TRY(write_value(cpu + "/cpu.shares", std::to_string(limits.cpu_shares.value_or(1024))));
    TRY(write_value(
        dir("pids", path) + "/pids.max", limits.pids ? std::to_string(*limits.pids) : "max"));
    if (limits.io_weight && !io_weight_file().empty()) {
        TRY(write_value(
            dir("blkio", path) + "/" + io_weight_file(), std::to_string(*limits.io_weight)));
    }
    return {};
}

Result<CgroupStats> Cgroups::stats(std::string const& path) const
{
    CgroupStats stats;
    if (m_layout == CgroupLayout::V2) {
        std::string const d = dir("", path);
        TRY_ASSIGN(current, read_value(d + "/memory.current"));
        stats.memory_bytes = number(current);
        TRY_ASSIGN(max, read_value(d + "/memory.max"));
        if (max != "max") {
            stats.memory_limit = number(max);
        }
        TRY_ASSIGN(cpu, read_value(d + "/cpu.stat"));
        stats.cpu_usage_ns = keyed(cpu, "usage_usec") * 1000;
        TRY_ASSIGN(pids, read_value(d + "/pids.current"));
        stats.processes = number(pids);
        if (auto events = has("memory", "memory.events") ? read_value(d + "/memory.events")
                                                         : Result<std::string>("")) {
            stats.oom_kills = keyed(*events, "oom_kill");
        }
        if (auto io = has("io", "io.stat") ? read_value(d + "/io.stat") : Result<std::string>("")) {
            // "<maj>:<min> rbytes=N wbytes=N ...", one line per device.
            for (auto const& line : split(*io, '\n')) {
                for (auto const& field : split(line, ' ')) {
                    if (field.starts_with("rbytes=")) {
                        stats.io_read_bytes += number(field.substr(7));
                    } else if (field.starts_with("wbytes=")) {
                        stats.io_write_bytes += number(field.substr(7));
                    }
                }
            }
        }
        return stats;
    }
    std::string const memory = dir("memory", path);
    TRY_ASSIGN(usage, read_value(memory + "/memory.usage_in_bytes"));
    stats.memory_bytes = number(usage);
    TRY_ASSIGN(limit, read_value(memory + "/memory.limit_in_bytes"));
    if (number(limit) < UNLIMITED_V1) {
        stats.memory_limit = number(limit);
    }
    if (auto oom = has("memory", "memory.oom_control") ? read_value(memory + "/memory.oom_control")
                                                       : Result<std::string>("")) {
        stats.oom_kills = keyed(*oom, "oom_kill");
    }
    TRY_ASSIGN(cpu, read_value(dir("cpuacct", path) + "/cpuacct.usage"));
    stats.cpu_usage_ns = number(cpu);
    TRY_ASSIGN(pids, read_value(dir("pids", path) + "/pids.current"));
    stats.processes = number(pids);
    if (auto io = has("blkio", "blkio.throttle.io_service_bytes")
            ? read_value(dir("blkio", path) + "/blkio.throttle.io_service_bytes")
            : Result<std::string>("")) {
        // "<maj>:<min> Read N" / "... Write N" per device, and a "Total N" line.
        for (auto const& line : split(*io, '\n')) {
            auto const fields = split(line, ' ');
            if (fields.size() == 3 && fields[1] == "Read") {
                stats.io_read_bytes += number(fields[2]);
            } else if (fields.size() == 3 && fields[1] == "Write") {
                stats.io_write_bytes += number(fields[2]);
            }
        }
    }
    return stats;
}

Result<std::vector<int>> Cgroups::processes(std::string const& path) const
{
    std::string const d = m_layout == CgroupLayout::V2 ? dir("", path) : dir("pids", path);
    TRY_ASSIGN(text, read_value(d + "/cgroup.procs"));
    std::vector<int> pids;
    for (auto const& line : split(text, '\n')) {
        if (auto pid = parse_integer(line); pid && *pid > 0) {
            pids.push_back(static_cast<int>(*pid));
        }
    }
    return pids;
}

Result<void> Cgroups::attach(std::string const& path, int pid) const
{
    std::string const value = std::to_string(pid);
    if (m_layout == CgroupLayout::V2) {
        return write_value(dir("", path) + "/cgroup.procs", value);
    }
    for (auto const& controller : m_features.controllers) {
        if (exists(controller.dir + path)) {
            TRY(write_value(controller.dir + path + "/cgroup.procs", value));
        }
    }
    return {};
}

std::vector<std::string> Cgroups::procs_files(std::string const& path) const
{
    if (m_layout == CgroupLayout::V2) {
        return { dir("", path) + "/cgroup.procs" };
    }
    std::vector<std::string> files;
    for (auto const& controller : m_features.controllers) {
        if (exists(controller.dir + path)) {
            files.push_back(controller.dir + path + "/cgroup.procs");
        }
    }
    return files;
}

Result<void> Cgroups::remove(std::string const& path) const
{
    auto remove_dir = [](std::string const& d) -> Result<void> {
        if (::rmdir(d.c_str()) != 0 && errno != ENOENT) {
            return tl::unexpected(Error::from_errno("rmdir " + d, errno));
        }
        return {};
    };
    if (m_layout == CgroupLayout::V2) {
        return remove_dir(dir("", path));
    }
    for (auto const& controller : m_features.controllers) {
        TRY(remove_dir(controller.dir + path));
    }
    return {};
}

} // namespace lumos::sys
