// SPDX-License-Identifier: MPL-2.0
#include "vm/sysinfo.hpp"

#include "base/file.hpp"
#include "base/host_config.hpp"
#include "base/host_identity.hpp"
#include "base/strings.hpp"
#include "pools/pool.hpp"
#include "pools/pool_setup.hpp"
#include "sys/host_links.hpp"
#include "sys/host_probe.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <set>

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/stat.h>

namespace lumos::vm {

namespace {

constexpr size_t MAX_HOST_FILE = size_t { 1024 } * 1024; // /proc/cpuinfo of a large host fits

// dir/name, built by appending (a loop of a + "/" + b makes a temporary per step).
std::string child(std::string_view dir, std::string_view name)
{
    std::string path;
    path.reserve(dir.size() + 1 + name.size());
    path.append(dir).append("/").append(name);
    return path;
}

std::string read_text(std::string const& path)
{
    auto text = read_file_bounded(path, MAX_HOST_FILE);
    return text ? std::string(trim(*text)) : std::string();
}

uint64_t to_unsigned(std::string_view text)
{
    auto value = parse_integer(trim(text));
    return value && *value > 0 ? static_cast<uint64_t>(*value) : 0;
}

// A kernel CPU list ("0-3,8,10-11"): how many CPUs it names.
uint64_t cpu_list_count(std::string const& list)
{
    uint64_t count = 0;
    for (auto const& part : split(list, ',')) {
        std::string_view const range = trim(part);
        if (range.empty()) {
            continue;
        }
        size_t const dash = range.find('-');
        if (dash == std::string_view::npos) {
            count += parse_integer(range) ? 1 : 0;
            continue;
        }
        auto first = parse_integer(range.substr(0, dash));
        auto last = parse_integer(range.substr(dash + 1));
        if (first && last && *last >= *first) {
            count += static_cast<uint64_t>(*last - *first + 1);
        }
    }
    return count;
}

std::vector<uint64_t> cpu_list_ids(std::string const& list)
{
    std::vector<uint64_t> ids;
    for (auto const& part : split(list, ',')) {
        std::string_view const range = trim(part);
        size_t const dash = range.find('-');
        auto first = parse_integer(range.substr(0, dash));
        auto last = dash == std::string_view::npos ? first : parse_integer(range.substr(dash + 1));
        if (!first || !last || *first < 0 || *last < *first || *last - *first > 65536) {
            continue;
        }
        for (long long id = *first; id <= *last; ++id) {
            ids.push_back(static_cast<uint64_t>(id));
        }
    }
    return ids;
}

// "key<tab>: value" lines of /proc/cpuinfo and /proc/meminfo: the first value of key.
std::string field_of(std::string const& text, std::string_view key)
{
    for (auto const& line : split(text, '\n')) {
        size_t const colon = line.find(':');
        if (colon != std::string::npos && trim(std::string_view(line).substr(0, colon)) == key) {
            return std::string(trim(std::string_view(line).substr(colon + 1)));
        }
    }
    return {};
}

void add_cpu_info(Sysinfo& info, HostRoots const& roots)
{
    std::string const cpuinfo = read_text(roots.proc + "/cpuinfo");
    info.cpu_type = field_of(cpuinfo, "model name");
    if (info.cpu_type.empty()) {
        info.cpu_type = "Unknown";
    }

    std::string const cpu_dir = roots.sys + "/devices/system/cpu";
    std::string const online = read_text(cpu_dir + "/online");
    info.cpu_count = cpu_list_count(read_text(cpu_dir + "/present"));
    info.cpu_online_count = cpu_list_count(online);
    if (info.cpu_count < info.cpu_online_count) {
        info.cpu_count = info.cpu_online_count;
    }
    // Sockets and cores from the online CPUs' topology (an offline CPU has none to read).
    std::set<std::string> sockets;
    std::set<std::string> cores;
    for (uint64_t const id : cpu_list_ids(online)) {
        std::string const topology = cpu_dir + "/cpu" + std::to_string(id) + "/topology/";
        std::string const package = read_text(topology + "physical_package_id");
        std::string const core = read_text(topology + "core_id");
        if (package.empty() || core.empty()) {
            continue;
        }
        sockets.insert(package);
        cores.insert(child(package, core));
    }
    info.cpu_socket_count = sockets.empty() ? 1 : sockets.size();
    info.cpu_core_count = cores.empty() ? info.cpu_online_count : cores.size();

    std::string const smt = read_text(cpu_dir + "/smt/active");
    if (!smt.empty()) {
        info.psrinfo.emplace_back("smt_enabled", smt == "1" ? "true" : "false");
    }
}

void add_dmi(Sysinfo& info, HostRoots const& roots)
{
    std::string const dmi = roots.sys + "/class/dmi/id/";
    info.manufacturer = read_text(dmi + "sys_vendor");
    info.product = read_text(dmi + "product_name");
    info.serial_number = read_text(dmi + "product_serial");
    info.sku_number = read_text(dmi + "product_sku");
    info.hw_version = read_text(dmi + "product_version");
    info.hw_family = read_text(dmi + "product_family");
}

std::vector<std::string> directory_names(std::string const& path)
{
    std::vector<std::string> names;
    std::error_code ec;
    for (auto const& entry : std::filesystem::directory_iterator(path, ec)) {
        names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

// A physical device (a NIC or disk with a bus device behind it), not lo, a bridge, a veth, a
// loop device or a device-mapper target.
bool has_device(std::string const& path)
{
    std::error_code ec;
    return std::filesystem::exists(path + "/device", ec);
}

void add_disks(Sysinfo& info, HostRoots const& roots)
{
    std::string const block = roots.sys + "/block";
    for (auto const& name : directory_names(block)) {
        if (!has_device(child(block, name))) {
            continue;
        }
        uint64_t const sectors = to_unsigned(read_text(child(child(block, name), "size")));
        info.disks.emplace_back(name, sectors / (1000000000 / 512));
    }
}

// The kernel's words: separated by blanks, a double-quoted part may hold blanks, and "--" ends
// the kernel's parameters (what follows goes to init).
std::vector<std::string> cmdline_words(std::string_view cmdline)
{
    std::vector<std::string> words;
    std::string word;
    bool quoted = false;
    bool in_word = false;
    for (char const c : cmdline) {
        if (c == '"') {
            quoted = !quoted;
            in_word = true;
        } else if (!quoted && std::isspace(static_cast<unsigned char>(c)) != 0) {
            if (in_word) {
                words.push_back(std::move(word));
                word.clear();
            }
            in_word = false;
        } else {
            word += c;
            in_word = true;
        }
    }
    if (in_word) {
        words.push_back(std::move(word));
    }
    auto end = std::find(words.begin(), words.end(), "--");
    words.erase(end, words.end());
    return words;
}

void add_boot_parameters(Sysinfo& info, HostRoots const& roots)
{
    for (auto const& token : cmdline_words(read_text(roots.proc + "/cmdline"))) {
        size_t const equals = token.find('=');
        std::string key = token.substr(0, equals);
        std::string value = equals == std::string::npos ? "" : token.substr(equals + 1);
        for (char& c : key) {
            if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '_') {
                c = '_';
            }
        }
        auto existing = std::find_if(info.boot_parameters.begin(), info.boot_parameters.end(),
            [&key](auto const& entry) { return entry.first == key; });
        if (existing != info.boot_parameters.end()) {
            existing->second = value; // the kernel, too, takes the last of a repeated parameter
        } else {
            info.boot_parameters.emplace_back(key, value);
        }
    }
}

// key=value lines of the host config (SmartOS's node.config shape), values unquoted.
KeyValues config_values(std::string const& text)
{
    KeyValues values;
    for (auto const& raw_line : split(text, '\n')) {
        std::string_view const line = trim(raw_line);
        size_t const equals = line.find('=');
        if (line.empty() || line.front() == '#' || equals == std::string_view::npos) {
            continue;
        }
        std::string_view value = trim(line.substr(equals + 1));
        if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'')
            && value.back() == value.front()) {
            value = value.substr(1, value.size() - 2);
        }
        values.emplace_back(trim(line.substr(0, equals)), value);
    }
    return values;
}

std::string config_value(KeyValues const& values, std::string_view key)
{
    std::string found;
    for (auto const& [name, value] : values) {
        if (name == key) {
            found = value;
        }
    }
    return found;
}

std::string link_status(std::string const& operstate)
{
    if (operstate == "up") {
        return "up";
    }
    if (operstate == "down" || operstate == "lowerlayerdown" || operstate == "notpresent") {
        return "down";
    }
    return "unknown";
}

void add_network(Sysinfo& info, Paths const& paths, SysinfoSources const& sources)
{
    std::string const config_text = HostConfig::read_text(paths);
    KeyValues const config = config_values(config_text);
    HostConfig const host_config = HostConfig::parse(config_text);
    // Nic_Tags: SmartOS's `nictagadm list -p -L`, the tags of links (etherstubs left out).
    for (auto const& tag : host_config.tags) {
        if (tag.kind != NicTagKind::Etherstub) {
            info.nic_tags.push_back(tag.name);
        }
    }
    info.datacenter_name = config_value(config, "datacenter_name");
    if (std::string tag = config_value(config, "admin_tag"); !tag.empty()) {
        info.admin_nic_tag = tag;
    }

    // The host's NICs: links with a device behind them, and any other link a nic tag names by
    // its MAC (in a test's network namespace, the "physical" NIC is one end of a veth pair).
    auto const links = sys::host_links(sources.roots.sys);
    for (auto const& link : links) {
        bool const tagged = std::any_of(host_config.tags.begin(), host_config.tags.end(),
            [&](NicTag const& tag) { return sys::link_with_mac(links, tag.mac) == &link; });
        if (!link.physical && !tagged) {
            continue;
        }
        SysinfoNic nic;
        nic.name = link.name;
        nic.mac = link.mac;
        nic.link_status = link_status(link.operstate);
        if (sources.ipv4_address) {
            nic.ip4addr = sources.ipv4_address(link.name);
        }
        for (auto const& tag : host_config.tags) {
            if (tag.kind == NicTagKind::Normal && !nic.mac.empty() && tag.mac == nic.mac) {
                info.nic_tag_interfaces.emplace_back(tag.name, link.name);
                nic.nic_names.push_back(tag.name);
            }
        }
        info.network_interfaces.push_back(std::move(nic));
    }

    info.admin_ip = config_value(config, info.admin_nic_tag + "_ip");
    if (info.admin_ip.empty()) {
        for (auto const& nic : info.network_interfaces) {
            if (std::find(nic.nic_names.begin(), nic.nic_names.end(), info.admin_nic_tag)
                != nic.nic_names.end()) {
                info.admin_ip = nic.ip4addr;
                break;
            }
        }
    }
}

int64_t creation_time(std::string const& path)
{
    struct statx stx { };
    if (::statx(AT_FDCWD, path.c_str(), 0, STATX_BTIME | STATX_CTIME, &stx) != 0) {
        return 0;
    }
    return (stx.stx_mask & STATX_BTIME) != 0 ? stx.stx_btime.tv_sec : stx.stx_ctime.tv_sec;
}

// The system pool: "zones" when there is one (SmartOS's default), else the first configured.
Result<void> add_zpool(Sysinfo& info, Paths const& paths)
{
    pools::PoolRegistry const registry(paths);
    TRY_ASSIGN(configs, registry.configs());
    if (configs.empty()) {
        return {};
    }
    auto chosen = std::find_if(configs.begin(), configs.end(),
        [](pools::PoolConfig const& config) { return config.name == "zones"; });
    pools::PoolConfig const& config = chosen != configs.end() ? *chosen : configs.front();
    std::error_code ec;
    bool const present = config.backend == pools::Backend::Dir
        ? std::filesystem::is_directory(config.mountpoint, ec)
        : pools::is_mountpoint(config.mountpoint);
    if (!present) {
        // As SmartOS (OS-8558): a configured pool that is not there is left out.
        return {};
    }
    SysinfoPool pool;
    pool.name = config.name;
    if (!config.device.empty()) {
        pool.disks = std::filesystem::path(config.device).filename().string();
    }
    pool.creation = creation_time(config.mountpoint);
    if (auto usage = pools::pool_usage(config.mountpoint)) {
        pool.size_gib = (usage->used_bytes + usage->available_bytes) >> 30;
    }
    info.zpool = std::move(pool);
    info.setup = true;
    return {};
}

std::string host_ipv4_address(std::string const& interface)
{
    struct ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) {
        return {};
    }
    std::string address;
    for (struct ifaddrs const* entry = list; entry != nullptr; entry = entry->ifa_next) {
        if (entry->ifa_addr == nullptr || entry->ifa_addr->sa_family != AF_INET
            || interface != entry->ifa_name) {
            continue;
        }
        sockaddr_in address_in {};
        std::memcpy(&address_in, entry->ifa_addr, sizeof(address_in));
        std::array<char, INET_ADDRSTRLEN> text {};
        if (::inet_ntop(AF_INET, &address_in.sin_addr, text.data(), text.size()) != nullptr) {
            address = text.data();
            break;
        }
    }
    ::freeifaddrs(list);
    return address;
}

} // namespace

Result<Sysinfo> gather_sysinfo(
    Paths const& paths, SysinfoSources const& sources, bool refresh_probe)
{
    HostRoots const& roots = sources.roots;
    Sysinfo info;
    info.live_image = platform_buildstamp();
    info.system_type = read_text(roots.proc + "/sys/kernel/ostype");
    for (auto const& line : split(read_text(roots.proc + "/stat"), '\n')) {
        if (line.starts_with("btime ")) {
            info.boot_time = std::string(trim(std::string_view(line).substr(6)));
        }
    }
    add_dmi(info, roots);

    HostIdentitySources identity;
    identity.product_uuid_file = roots.sys + "/class/dmi/id/product_uuid";
    identity.machine_id_file = roots.etc + "/machine-id";
    TRY_ASSIGN(uuid, server_uuid(paths, identity));
    info.uuid = uuid;
    info.hostname = read_text(roots.proc + "/sys/kernel/hostname");

    // VM Capable, HVM API and Bhyve Capable: the host probe's KVM, which created a VM on it.
    auto features = sources.host_features ? sources.host_features(paths, refresh_probe)
                                          : sys::host_features(paths, refresh_probe);
    if (!features) {
        return tl::unexpected(std::move(features).error());
    }
    sys::KvmSupport const& kvm = features->kvm;
    info.vm_capable = kvm.usable;
    info.hvm_api = kvm.usable;
    info.bhyve_capable = kvm.usable;
    info.bhyve_max_vcpus = kvm.usable ? kvm.max_vcpus : 0;
    if (!kvm.cpu_flag.empty()) {
        info.cpu_virtualization = kvm.cpu_flag; // the probe read the CPU's vmx/svm flag
    }
    info.host_features = sys::host_features_json(*features);

    add_cpu_info(info, roots);
    // "MemTotal:       16318580 kB"
    std::string const mem_total = field_of(read_text(roots.proc + "/meminfo"), "MemTotal");
    info.mib_of_memory = to_unsigned(mem_total.substr(0, mem_total.find(' '))) / 1024;
    TRY(add_zpool(info, paths));
    add_disks(info, roots);
    add_boot_parameters(info, roots);
    SysinfoSources with_addresses = sources;
    if (!with_addresses.ipv4_address) {
        with_addresses.ipv4_address = host_ipv4_address;
    }
    add_network(info, paths, with_addresses);
    return info;
}

} // namespace lumos::vm
