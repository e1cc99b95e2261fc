// SPDX-License-Identifier: MPL-2.0
// HostFeatures as JSON (sysinfo's "Lumos Host Features" and the per-boot cache) and the cache.
#include "base/file.hpp"
#include "base/host_config.hpp"
#include "base/strings.hpp"
#include "sys/host_probe.hpp"

#include <exception>

namespace lumos::sys {

namespace {

constexpr size_t MAX_CACHE_BYTES = size_t { 1024 } * 1024;

Json network_json(NetworkFeature const& feature)
{
    return { { "usable", feature.usable }, { "kernel", feature.kernel }, { "tool", feature.tool },
        { "reason", feature.reason } };
}

NetworkFeature network_from(Json const& json)
{
    return { json.at("usable").get<bool>(), json.at("kernel").get<bool>(),
        json.at("tool").get<std::string>(), json.at("reason").get<std::string>() };
}

Json filesystem_json(FilesystemSupport const& support)
{
    return { { "kernel", support.kernel }, { "tool", support.tool },
        { "available", support.available() } };
}

FilesystemSupport filesystem_from(Json const& json)
{
    return { json.at("kernel").get<bool>(), json.at("tool").get<std::string>() };
}

std::string cache_file(Paths const& paths)
{
    return paths.run_dir() + "/host-features.json";
}

std::string current_boot_id(ProbeRoots const& roots)
{
    auto text = read_file_bounded(roots.proc + "/sys/kernel/random/boot_id", 4096);
    return text ? std::string(trim(*text)) : std::string();
}

// The cached features when they are this boot's, this build's and for these roots.
std::optional<HostFeatures> cached(Paths const& paths, ProbeRoots const& roots)
{
    auto text = read_file_bounded(cache_file(paths), MAX_CACHE_BYTES);
    if (!text) {
        return std::nullopt;
    }
    auto json = parse_json(*text);
    if (!json) {
        return std::nullopt;
    }
    auto features = host_features_from_json(*json);
    if (!features) {
        return std::nullopt;
    }
    std::string const boot_id = current_boot_id(roots);
    if (boot_id.empty() || features->boot_id != boot_id || features->build != lumos_build()
        || features->cgroup.root != roots.cgroup
        || features->cgroup.parent != roots.cgroup_parent) {
        return std::nullopt;
    }
    return std::move(*features);
}

} // namespace

std::string lumos_build()
{
    return std::string(LUMOS_VERSION) + "+probe." + LUMOS_PROBE_DIGEST;
}

Json host_features_json(HostFeatures const& features)
{
    auto const& cgroup = features.cgroup;
    Json controllers = Json::object();
    for (auto const& controller : cgroup.controllers) {
        controllers[controller.name] = { { "dir", controller.dir }, { "files", controller.files } };
    }
    Json runtimes = Json::object();
    for (auto const& runtime : features.oci_runtimes) {
        runtimes[runtime.name] = { { "path", runtime.path }, { "version", runtime.version },
            { "works", runtime.works }, { "reason", runtime.reason } };
    }
    auto const* chosen = features.oci_runtime();
    return {
        { "boot_id", features.boot_id },
        { "build", features.build },
        { "cgroup",
            {
                { "layout", cgroup.layout },
                { "root", cgroup.root },
                { "parent", cgroup.parent },
                { "controllers", controllers },
                { "unified_has_controllers", cgroup.unified_has_controllers },
                { "io_weight_file",
                    cgroup.io_weight_file.empty() ? Json(nullptr) : Json(cgroup.io_weight_file) },
                { "io_weight_reason", cgroup.io_weight_reason },
                { "memsw", cgroup.memsw },
                { "swap_accounting", cgroup.swap_accounting },
                { "swap_reason", cgroup.swap_reason },
            } },
        { "cap_sys_resource", features.cap_sys_resource },
        { "oci_runtimes", runtimes },
        { "oci_runtime", chosen != nullptr ? Json(chosen->name) : Json(nullptr) },
        { "btrfs", filesystem_json(features.btrfs) },
        { "zfs", filesystem_json(features.zfs) },
        { "kvm",
            { { "usable", features.kvm.usable }, { "reason", features.kvm.reason },
                { "api_version", features.kvm.api_version }, { "cpu_flag", features.kvm.cpu_flag },
                { "max_vcpus", features.kvm.max_vcpus } } },
        { "network",
            { { "bridge", network_json(features.bridge) }, { "veth", network_json(features.veth) },
                { "nftables", network_json(features.nftables) },
                { "tc", network_json(features.tc) } } },
    };
}

// Derived members ("oci_runtime", "available") are recomputed, not read.
Result<HostFeatures> host_features_from_json(Json const& json)
{
    try {
        HostFeatures features;
        features.boot_id = json.at("boot_id").get<std::string>();
        features.build = json.at("build").get<std::string>();
        Json const& cgroup = json.at("cgroup");
        features.cgroup.layout = cgroup.at("layout").get<std::string>();
        features.cgroup.root = cgroup.at("root").get<std::string>();
        features.cgroup.parent = cgroup.at("parent").get<std::string>();
        for (auto const& [name, controller] : cgroup.at("controllers").items()) {
            features.cgroup.controllers.push_back({ name, controller.at("dir").get<std::string>(),
                controller.at("files").get<std::vector<std::string>>() });
        }
        features.cgroup.unified_has_controllers = cgroup.at("unified_has_controllers").get<bool>();
        Json const& weight = cgroup.at("io_weight_file");
        features.cgroup.io_weight_file = weight.is_null() ? "" : weight.get<std::string>();
        features.cgroup.io_weight_reason = cgroup.at("io_weight_reason").get<std::string>();
        features.cgroup.memsw = cgroup.at("memsw").get<bool>();
        features.cgroup.swap_accounting = cgroup.at("swap_accounting").get<bool>();
        features.cgroup.swap_reason = cgroup.at("swap_reason").get<std::string>();
        features.cap_sys_resource = json.at("cap_sys_resource").get<bool>();
        for (char const* name : { "crun", "runc" }) {
            Json const& runtime = json.at("oci_runtimes").at(name);
            features.oci_runtimes.push_back({ name, runtime.at("path").get<std::string>(),
                runtime.at("version").get<std::string>(), runtime.at("works").get<bool>(),
                runtime.at("reason").get<std::string>() });
        }
        features.btrfs = filesystem_from(json.at("btrfs"));
        features.zfs = filesystem_from(json.at("zfs"));
        Json const& kvm = json.at("kvm");
        features.kvm = { kvm.at("usable").get<bool>(), kvm.at("reason").get<std::string>(),
            kvm.at("api_version").get<int>(), kvm.at("cpu_flag").get<std::string>(),
            kvm.value("max_vcpus", uint32_t { 0 }) };
        Json const& network = json.at("network");
        features.bridge = network_from(network.at("bridge"));
        features.veth = network_from(network.at("veth"));
        features.nftables = network_from(network.at("nftables"));
        features.tc = network_from(network.at("tc"));
        return features;
    } catch (std::exception const& error) {
        return make_error(
            ErrorCode::InvalidArgument, std::string("not a host features object: ") + error.what());
    }
}

std::string configured_cgroup_parent(Paths const& paths)
{
    return HostConfig::load(paths).cgroup_parent;
}

Result<HostFeatures> host_features(Paths const& paths, bool refresh)
{
    ProbeRoots roots;
    roots.cgroup_parent = configured_cgroup_parent(paths);
    return host_features(paths, roots, refresh);
}

Result<HostFeatures> host_features(Paths const& paths, ProbeRoots const& roots, bool refresh)
{
    if (!refresh) {
        if (auto features = cached(paths, roots)) {
            return std::move(*features);
        }
    }
    TRY_ASSIGN(features, probe_host(roots));
    // A cache that cannot be written (a read-only root) costs a probe per command, nothing more.
    // Not synced: it describes this boot only, and a torn file is probed again.
    if (make_directories(paths.run_dir(), 0755)) {
        (void)write_file_replace(
            cache_file(paths), dump_pretty(host_features_json(features)), 0644);
    }
    return features;
}

} // namespace lumos::sys
