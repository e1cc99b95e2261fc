// SPDX-License-Identifier: MPL-2.0
// What this host's kernel and tools offer lumos, probed once per boot and shared by every
// command (issue 12): machines differ (BFQ or not, swap accounting or not, a /dev/kvm that runs
// no guest), so nothing writes a control or reads a kernel file the probe has not found.
//
// The probe reads only below ProbeRoots (tests point it at a fake tree). What it may change on
// the host, and undoes at once: on v1/v2 it makes the zones' cgroup parent for a look when it is
// not there yet and removes it again (the weight files exist only below a hierarchy's root), it
// opens /dev/kvm and makes a VM that it closes, and it runs ip/tc/nft in a network namespace of
// its own that dies with the probing child: the host's namespace is never touched.
//
// Cache: $LUMOS_ROOT/run/lumos/host-features.json, valid for one boot (<proc>/sys/kernel/random/
// boot_id) and one lumos build (the project version and a digest of the probe's sources); a
// missing, corrupt or foreign cache is probed again and replaced, never an error.
#pragma once

#include "base/json.hpp"
#include "base/paths.hpp"
#include "base/result.hpp"

#include <optional>
#include <string>
#include <vector>

namespace lumos::sys {

// Every kernel path the probe reads is under one of these.
struct ProbeRoots {
    std::string cgroup = "/sys/fs/cgroup";
    std::string proc = "/proc";
    std::string sys = "/sys";
    std::string dev = "/dev";
    // PATH used to look for crun/runc/btrfs/zfs/nft/tc/ip ("" = getenv's, then the system
    // directories /usr/local/sbin ... /bin)
    std::string path_env;
    // The cgroup (within each hierarchy) the zones' cgroups go under: the weight and swap files
    // exist only below a hierarchy's root, so they are looked for here.
    std::string cgroup_parent = "/lumos";
};

// One cgroup controller as lumos uses it: where its hierarchy is mounted ("" when the host has
// none) and which of the files lumos writes or reads exist in a cgroup below the parent.
struct CgroupController {
    std::string name; // memory, cpu, cpuacct, pids, blkio (v1) | memory, cpu, pids, io (v2)
    std::string dir; // the hierarchy's root for this controller, e.g. /sys/fs/cgroup/memory
    std::vector<std::string> files;

    [[nodiscard]] bool has(std::string const& file) const;
};

struct CgroupFeatures {
    std::string layout; // "v1" | "hybrid" | "v2" | "none"
    std::string root; // <cgroup>: where the hierarchies are mounted
    std::string parent; // the zones' cgroup parent the files were looked for in
    std::vector<CgroupController> controllers; // those the host has
    // Hybrid only: the unified hierarchy holds controllers (crun 1.8 refuses such a host).
    bool unified_has_controllers { false };
    // "io.weight" | "io.bfq.weight" | "blkio.bfq.weight" | "blkio.weight" | "" (none).
    std::string io_weight_file;
    std::string io_weight_reason; // why there is none ("" when there is one)
    bool memsw { false }; // v1 memory.memsw.* (memory + swap limits)
    bool swap_accounting { false }; // a memory + swap limit can be set (v1 memsw, v2 swap.max)
    std::string swap_reason; // why not ("" when it can)

    [[nodiscard]] CgroupController const* controller(std::string const& name) const;
};

// An OCI runtime that "works" here: found in PATH, `<runtime> --version` runs and exits 0 (the
// binary loads and is one we can drive), and the host's cgroup layout is one it accepts (crun
// 1.8 refuses a hybrid layout whose unified hierarchy holds controllers: "cgroups in hybrid mode
// not supported"). Running a container is the host tests' to prove; this is what is cheap to
// prove for every command.
struct OciRuntime {
    std::string name; // crun | runc
    std::string path; // "" when not found
    std::string version; // first line of --version
    bool works { false };
    std::string reason; // why not ("" when it works)
};

// A filesystem lumos can use for pools: the kernel has it (<proc>/filesystems) and its tool is
// in PATH.
struct FilesystemSupport {
    bool kernel { false };
    std::string tool; // path of btrfs / zfs, "" when not found
    [[nodiscard]] bool available() const { return kernel && !tool.empty(); }
};

// /dev/kvm can run a guest: it opens, KVM_GET_API_VERSION is 12, KVM_CREATE_VM succeeds, and the
// CPU has vmx or svm (a paravirtual /dev/kvm without them fails every BIOS guest).
struct KvmSupport {
    bool usable { false };
    std::string reason; // why not ("" when usable)
    int api_version { 0 };
    std::string cpu_flag; // "vmx" | "svm" | ""
    uint32_t max_vcpus { 0 }; // KVM_CAP_MAX_VCPUS (else KVM_CAP_NR_VCPUS) when the VM was made
};

// A networking facility, proved in a scratch network namespace with its tool: a bridge and a
// veth pair made there by ip, a tbf qdisc on its loopback by tc, a table by nft. kernel: the
// kernel has it (proved so, or its module is in <sys>/module — built-ins show there only when
// they have parameters — or, for tc, <proc>/net/psched exists).
struct NetworkFeature {
    bool usable { false };
    bool kernel { false };
    std::string tool; // path of ip / tc / nft, "" when not found
    std::string reason; // why not ("" when usable)
};

struct HostFeatures {
    std::string boot_id;
    std::string build; // the lumos build that probed
    CgroupFeatures cgroup;
    bool cap_sys_resource { false }; // in the probing process's effective set
    std::vector<OciRuntime> oci_runtimes; // crun, runc (in that order)
    FilesystemSupport btrfs;
    FilesystemSupport zfs;
    KvmSupport kvm;
    NetworkFeature bridge;
    NetworkFeature veth;
    NetworkFeature nftables;
    NetworkFeature tc;

    // The runtime to run zones with: crun when it works, else runc when it works.
    [[nodiscard]] OciRuntime const* oci_runtime() const;
};

// Probes now.
Result<HostFeatures> probe_host(ProbeRoots const& roots);
// Only the cgroup part of it.
CgroupFeatures probe_cgroups(ProbeRoots const& roots);

Json host_features_json(HostFeatures const& features);
Result<HostFeatures> host_features_from_json(Json const& json);

// Whether this kernel hands a filtered system call to a user-space listener (seccomp user
// notification, Linux 5.0): what answers uname(2) in lx zones. Probed each time it is asked (one
// system call), not cached.
Result<void> probe_seccomp_user_notification();

// This lumos build, as the cache records it.
std::string lumos_build();

// The host config's cgroup_parent=/name ($LUMOS_ROOT/etc/lumos/config), default /lumos.
std::string configured_cgroup_parent(Paths const& paths);

// Once, shared by every command (see the file comment); refresh re-probes.
Result<HostFeatures> host_features(Paths const& paths, bool refresh = false);
// The same with other roots (tests); the roots' cgroup_parent is taken as given.
Result<HostFeatures> host_features(Paths const& paths, ProbeRoots const& roots, bool refresh);

} // namespace lumos::sys
