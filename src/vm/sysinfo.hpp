// SPDX-License-Identifier: MPL-2.0
// SmartOS's sysinfo for a Linux host: the facts gathered from /proc, /sys, the host's pools and
// the nic tags of $LUMOS_ROOT/etc/lumos/config, printed as SmartOS's src/sysinfo prints them
// (JSON, or -p's Key='value' lines), and the cache under $LUMOS_ROOT/run/lumos.
#pragma once

#include "base/paths.hpp"
#include "base/result.hpp"
#include "sys/host_probe.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace lumos::vm {

// The host trees sysinfo reads; unit tests point them at fake trees.
struct HostRoots {
    std::string proc { "/proc" };
    std::string sys { "/sys" };
    std::string etc { "/etc" }; // machine-id
    std::string dev { "/dev" }; // kvm
};

struct SysinfoSources {
    HostRoots roots;
    // The IPv4 address of a host interface, "" when it has none (default: getifaddrs).
    std::function<std::string(std::string const& interface)> ipv4_address;
    // The host probe's result (default: sys::host_features, cached for this boot; refresh
    // re-probes, as -f and -u do).
    std::function<Result<sys::HostFeatures>(Paths const& paths, bool refresh)> host_features;
};

struct SysinfoPool {
    std::string name;
    bool encrypted { false };
    std::string disks; // comma-separated device names
    std::string profile { "striped" };
    int64_t creation { 0 }; // epoch seconds
    uint64_t size_gib { 0 }; // used + available, as SmartOS sums zfs used and available
};

struct SysinfoNic {
    std::string name;
    std::string mac;
    std::string ip4addr;
    std::string link_status; // up, down, unknown
    std::vector<std::string> nic_names; // the nic tags mapped to this MAC
};

using KeyValues = std::vector<std::pair<std::string, std::string>>;

// One host's facts, with SmartOS's meaning for each (man sysinfo(8)).
struct Sysinfo {
    std::string live_image;
    std::string system_type;
    std::string boot_time; // epoch seconds, a string as SmartOS prints it
    std::string datacenter_name; // left out when empty
    std::string manufacturer;
    std::string product;
    std::string serial_number;
    std::string sku_number;
    std::string hw_version;
    std::string hw_family;
    bool setup { false };
    bool vm_capable { false };
    bool bhyve_capable { false };
    uint32_t bhyve_max_vcpus { 0 };
    bool hvm_api { false };
    std::string cpu_type;
    std::string cpu_virtualization { "none" };
    uint64_t cpu_socket_count { 0 };
    uint64_t cpu_core_count { 0 };
    uint64_t cpu_online_count { 0 };
    uint64_t cpu_count { 0 };
    std::string admin_nic_tag { "admin" };
    std::string admin_ip;
    std::string uuid;
    std::string hostname;
    uint64_t mib_of_memory { 0 };
    std::optional<SysinfoPool> zpool;
    std::vector<std::pair<std::string, uint64_t>> disks; // name, size in GB (10^9)
    KeyValues boot_parameters;
    KeyValues psrinfo;
    std::vector<std::string> nic_tags; // every tag the host config defines
    KeyValues nic_tag_interfaces; // tag -> the interface carrying it
    std::vector<SysinfoNic> network_interfaces;
    nlohmann::json host_features; // "Lumos Host Features": the probe's result (sys/host_probe)
};

// refresh_probe: probe the host again instead of this boot's cached probe (-f, -u).
Result<Sysinfo> gather_sysinfo(
    Paths const& paths, SysinfoSources const& sources, bool refresh_probe = false);

// The object in SmartOS's key order (nlohmann's ordered_json keeps insertion order).
nlohmann::ordered_json sysinfo_object(Sysinfo const& info);
// `sysinfo`: the object as SmartOS prints it, 2-space indented, each interface on one line.
std::string format_sysinfo_json(nlohmann::ordered_json const& object);
// `sysinfo -p`: SmartOS's Key='value' lines (nested keys flattened as Network_Interface_<nic>_*).
std::string format_sysinfo_parsable(Sysinfo const& info);

enum class SysinfoRefresh {
    IfStale, // the cache unless a new boot, pools.json, the host config or this lumos changed
    Always, // -f, -u
};

struct SysinfoTexts {
    std::string json;
    std::string parsable;
    std::optional<Error> cache_error; // the output is right, but it could not be cached
};

// The texts from $LUMOS_ROOT/run/lumos/sysinfo.{json,parsable}, gathered again (and cached)
// when stale or asked to.
Result<SysinfoTexts> load_sysinfo(
    Paths const& paths, SysinfoSources const& sources, SysinfoRefresh refresh);

} // namespace lumos::vm
