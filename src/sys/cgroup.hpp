// SPDX-License-Identifier: MPL-2.0
// A zone's cgroup, on either layout the host has: cgroup v2 when the unified hierarchy holds the
// controllers (pure v2 hosts), v1 per-controller hierarchies otherwise (our machines: v1
// controllers, a tracking-only v2). What the runtime creates at start (runc's cgroupsPath),
// this changes live (`vmadm update` of a running zone) and reads (zonestat).
//
//   limit            v1 file                              v2 file
//   memory           memory/memory.limit_in_bytes         memory.max
//   memory + swap    memory/memory.memsw.limit_in_bytes   memory.swap.max (swap alone)
//   CPU cap          cpu/cpu.cfs_quota_us, cfs_period_us  cpu.max ("quota period" | "max")
//   CPU shares       cpu/cpu.shares                       cpu.weight (shares mapped)
//   processes        pids/pids.max                        pids.max
//   IO weight        blkio/blkio.bfq.weight|blkio.weight  io.bfq.weight|io.weight (left out
//                                                         when the kernel has neither)
//
// Which of these files exist is the host probe's (sys/host_probe.hpp): a file the probe did not
// find is never written (the IO weight, memory + swap) and a figure it did not find reads 0.
#pragma once

#include "base/result.hpp"
#include "sys/host_probe.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lumos::sys {

enum class CgroupLayout { V1, V2 };

struct CgroupLimits {
    std::optional<uint64_t> memory; // bytes
    std::optional<uint64_t> memory_swap; // bytes, memory + swap
    std::optional<int64_t> cpu_quota_us; // nullopt: no cap
    uint64_t cpu_period_us { 100000 };
    std::optional<uint64_t> cpu_shares; // v1 units (1024 = default)
    std::optional<int64_t> pids; // nullopt: no limit
    std::optional<uint16_t> io_weight; // 10..1000
};

struct CgroupStats {
    uint64_t memory_bytes { 0 };
    std::optional<uint64_t> memory_limit; // nullopt: unlimited
    uint64_t cpu_usage_ns { 0 };
    uint64_t processes { 0 };
    uint64_t oom_kills { 0 };
    uint64_t io_read_bytes { 0 };
    uint64_t io_write_bytes { 0 };
};

class Cgroups {
public:
    // The hierarchies the probe found (Unsupported when it found none with the controllers).
    static Result<Cgroups> from_features(CgroupFeatures features);
    // Probes the cgroups mounted at mount_root now (the zones' parent /lumos).
    static Result<Cgroups> detect(std::string mount_root = "/sys/fs/cgroup");

    CgroupLayout layout() const { return m_layout; }
    // The controllers limits and figures use (v1: their hierarchies' names).
    static std::vector<std::string> const& controllers();

    // path is absolute within the hierarchy, e.g. "/lumos/<uuid>".
    Result<void> create(std::string const& path) const;
    Result<void> apply(std::string const& path, CgroupLimits const& limits) const;
    Result<CgroupStats> stats(std::string const& path) const;
    // The processes in it (pids as the host sees them).
    Result<std::vector<int>> processes(std::string const& path) const;
    // Moves a process in (every controller).
    Result<void> attach(std::string const& path, int pid) const;
    // The cgroup.procs files a process writes its pid to, to join the (created) cgroup in every
    // controller: what a child does before exec (lumos-zoned's QEMU).
    std::vector<std::string> procs_files(std::string const& path) const;
    // Removes the (empty) cgroup; absent is fine.
    Result<void> remove(std::string const& path) const;

    // The file a zone's IO weight goes to ("" when the kernel has none: without BFQ, or CFQ,
    // or iocost on v2, the controller has no weight file, and the OCI runtime fails a
    // container whose config asks for one).
    std::string const& io_weight_file() const { return m_features.io_weight_file; }
    CgroupFeatures const& features() const { return m_features; }

private:
    Cgroups(CgroupFeatures features, CgroupLayout layout);
    std::string dir(std::string const& controller, std::string const& path) const;
    // Whether the probe found file in controller's cgroups.
    bool has(std::string const& controller, std::string const& file) const;

    CgroupFeatures m_features;
    CgroupLayout m_layout;
};

} // namespace lumos::sys
