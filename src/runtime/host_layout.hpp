// SPDX-License-Identifier: MPL-2.0
// The host side of a zone's root (host_layout.cpp): what a sparse root borrows from this host
// and how the root is readied for the OCI runtime before a boot. zone_spec.hpp turns a VM
// object and a HostLayout into the zone's config; this file is the part that looks at and
// writes to the host.
#pragma once

#include "base/result.hpp"
#include "sys/host_probe.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace lumos::runtime {

// How the host lays out what a sparse root borrows from it, and which controls it can enforce
// (from the host probe, sys::HostFeatures).
struct HostLayout {
    std::vector<std::string> bind_dirs { "/usr" }; // real directories, bound read-only
    // Top-level symlinks to mirror in the zone's root, e.g. {"/bin", "usr/bin"}.
    std::vector<std::pair<std::string, std::string>> symlinks;
    // The highest RLIMIT_MEMLOCK the runtime can give a zone: its own hard limit when it lacks
    // CAP_SYS_RESOURCE (as in a host that is itself a container), none otherwise.
    std::optional<uint64_t> memlock_ceiling;
    // Whether a zone's cgroup can take an IO weight (zfs_io_priority): kernels without BFQ
    // have the blkio/io controller but no weight file, and runc fails a config that asks.
    bool io_weight { true };
    std::string io_weight_reason; // why not, as the probe says
    // Whether a memory + swap limit (max_swap) can be set: the kernel accounts swap.
    bool swap { true };
    std::string swap_reason;
};

struct ZoneSpec;

// This host's layout: /usr, and each of /bin /sbin /lib /lib32 /lib64 /libx32 that is a real
// directory (bound) or a symlink (mirrored); the controls the probe found a zone's cgroup can
// take, and the memlock ceiling (the probe's CAP_SYS_RESOURCE and this process's hard limit).
HostLayout host_layout(sys::HostFeatures const& features);

// Readies <zonepath>/root for the runtime: the host's symlinks (where the root has nothing or
// an empty directory of that name) and, when the zone has resolvers, the host's copy of
// resolv.conf (ZoneHostPaths::resolv_conf, outside the zone's dataset and quota: a tenant who
// fills the zone cannot stop it from booting) plus an /etc/resolv.conf in the root to bind it
// over when the image has none.
Result<void> prepare_root(ZoneSpec const& spec);

} // namespace lumos::runtime
