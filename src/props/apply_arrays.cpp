// SPDX-License-Identifier: MPL-2.0
#include "props/apply_arrays.hpp"

#include "props/detail/ip.hpp"
#include "props/detail/json_access.hpp"
#include "props/nics.hpp"
#include "props/property_table.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace lumos::props {

namespace {

using detail::array_member;
using detail::has;
using detail::invalid;
using detail::is_create;
using detail::json_bool;
using detail::json_integer;
using detail::json_list;
using detail::member;
using detail::require_objects;
using detail::string_member;

bool sub_key_updatable(std::string_view array, std::string const& key)
{
    Property const* property = find_property(std::string(array) + ".*." + key);
    return property != nullptr && property->has_flag(FLAG_UPDATABLE);
}

bool nic_updatable(std::string const& key)
{
    // allowed_ips / allowed_dhcp_cids go through the live-VNIC path in VM.js and persist.
    return sub_key_updatable("nics", key) || key == "allowed_ips" || key == "allowed_dhcp_cids";
}

bool disk_updatable(std::string const& key)
{
    // compression, refreservation and size are zfs properties set on the zvol.
    return sub_key_updatable("disks", key) || key == "compression" || key == "refreservation"
        || key == "size";
}

// The list of keys of a remove_* field: an array, or a comma-separated string.
std::vector<std::string> remove_keys(Json const& payload, std::string const& field)
{
    Json const* value = member(payload, field);
    return value == nullptr ? std::vector<std::string> {} : json_list(*value);
}

Result<Json*> ensure_array(Json& vm, std::string const& name)
{
    if (!vm.contains(name) || vm[name].is_null()) {
        vm[name] = Json::array();
    }
    if (!vm[name].is_array()) {
        return invalid("Invalid value(s) for: " + name);
    }
    for (auto const& element : vm[name]) {
        if (!element.is_object()) {
            return invalid("Invalid value(s) for: " + name);
        }
    }
    return &vm[name];
}

bool has_array_changes(Json const& payload, std::string const& plural)
{
    return has(payload, "add_" + plural) || has(payload, "update_" + plural)
        || has(payload, "remove_" + plural);
}

Result<void> check_primary_flag(Json const& nic)
{
    if (nic.contains("primary") && json_bool(nic["primary"]) != true) {
        return invalid("invalid value for NIC's primary flag: " + js_string(nic["primary"])
            + " (must be true)");
    }
    return {};
}

// buildNicZonecfg: when the primary NIC goes and no new one is named, the lowest-index
// remaining NIC with a non-RFC1918 address wins, else the lowest with a private one.
std::optional<std::string> elect_primary(Json const& nics, std::vector<std::string> const& removed)
{
    std::optional<std::string> chosen;
    for (auto const& mac : removed) {
        bool should_choose = false;
        std::optional<std::string> public_candidate;
        std::optional<std::string> private_candidate;
        for (auto const& old_nic : nics) {
            std::string const old_mac = nic_mac(old_nic);
            if (old_mac == mac && json_bool(detail::member_or_null(old_nic, "primary")) == true) {
                should_choose = true;
                continue;
            }
            if (std::find(removed.begin(), removed.end(), old_mac) != removed.end()
                || !old_nic.contains("ips")) {
                continue;
            }
            for (auto const& cidr : json_list(old_nic["ips"])) {
                std::string const ip = detail::split_cidr(cidr).ip;
                bool const is_private = detail::is_private_ip(ip);
                if (!private_candidate && is_private) {
                    private_candidate = old_mac;
                    break;
                }
                if (!public_candidate && !is_private) {
                    public_candidate = old_mac;
                    break;
                }
            }
        }
        if (should_choose) {
            if (public_candidate) {
                chosen = public_candidate;
            } else if (private_candidate) {
                chosen = private_candidate;
            }
        }
    }
    return chosen;
}

void set_integer(Json& object, char const* key)
{
    if (object.contains(key)) {
        if (auto value = json_integer(object[key])) {
            object[key] = *value;
        }
    }
}

void set_boolean(Json& object, char const* key)
{
    if (object.contains(key)) {
        if (auto value = json_bool(object[key])) {
            object[key] = *value;
        }
    }
}

// The NIC as the loader presents it (vmadm get).
void shape_nic(Json& nic)
{
    if (nic.contains("physical")) {
        if (!nic.contains("interface")) {
            nic["interface"] = nic["physical"];
        }
        nic.erase("physical");
    }
    nic.erase("index");
    if (nic.contains("mac") && nic["mac"].is_string()) {
        nic["mac"] = detail::canonical_mac(nic["mac"].get_ref<std::string const&>());
    }
    if (nic.contains("ips")) {
        auto const ips = json_list(nic["ips"]);
        nic.erase("ip");
        nic.erase("netmask");
        if (ips.empty()) {
            nic.erase("ips");
        } else {
            nic["ips"] = ips;
            for (auto const& ip : ips) {
                if (ip == "dhcp" || detail::is_cidr_v4(ip)) {
                    auto const parts = detail::split_cidr(ip);
                    if (parts.prefix) {
                        nic["netmask"] = detail::prefix_netmask(*parts.prefix);
                    }
                    nic["ip"] = parts.ip;
                    break;
                }
            }
        }
    }
    if (nic.contains("gateways")) {
        auto const gateways = json_list(nic["gateways"]);
        nic.erase("gateway");
        if (gateways.empty()) {
            nic.erase("gateways");
        } else {
            nic["gateways"] = gateways;
            for (auto const& gateway : gateways) {
                if (detail::is_ipv4(gateway)) {
                    nic["gateway"] = gateway;
                    break;
                }
            }
        }
    }
    // buildNicZonecfg writes vlan-id unless the value is the string '0', so a number 0 is kept
    // and read back as 0 (test-update.js "add net0"); "0" as a string is dropped.
    if (nic.contains("vlan_id") && (nic["vlan_id"].is_null() || nic["vlan_id"] == "0")) {
        nic.erase("vlan_id");
    }
    set_integer(nic, "vlan_id");
    set_integer(nic, "mtu");
    set_integer(nic, "maxbw");
    set_integer(nic, "vrrp_vrid");
    if (nic.contains("primary") && json_bool(nic["primary"]) != true) {
        nic.erase("primary");
    } else if (nic.contains("primary")) {
        nic["primary"] = true;
    }
    for (char const* key : { "allow_dhcp_spoofing", "allow_ip_spoofing", "allow_mac_spoofing",
             "allow_restricted_traffic", "allow_unfiltered_promisc", "dhcp_server" }) {
        set_boolean(nic, key);
    }
    if (nic.contains("blocked_outgoing_ports")) {
        Json ports = Json::array();
        for (auto const& port : json_list(nic["blocked_outgoing_ports"])) {
            if (auto number = json_integer(Json(port))) {
                ports.push_back(*number);
            }
        }
        nic["blocked_outgoing_ports"] = std::move(ports);
    }
    if (nic.contains("allowed_ips")) {
        nic["allowed_ips"] = json_list(nic["allowed_ips"]);
    }
    if (nic.contains("allowed_dhcp_cids")) {
        auto const cids = json_list(nic["allowed_dhcp_cids"]);
        if (cids.empty()) {
            nic.erase("allowed_dhcp_cids");
        } else {
            nic["allowed_dhcp_cids"] = cids;
        }
    }
}

void shape_disk(Json& disk)
{
    disk["boot"] = has(disk, "boot") && json_bool(disk["boot"]).value_or(false);
    set_boolean(disk, "notrim");
    for (char const* key : { "size", "block_size", "image_size", "refreservation" }) {
        set_integer(disk, key);
    }
    disk.erase("nocreate");
    disk.erase("dangerous_allow_shrink");
    disk.erase("image_name");
}

std::optional<long long> disk_index(std::string_view path, Brand brand)
{
    // createVolumes names zvols <pool>/<uuid>/disk<N> (bhyve) or <pool>/<uuid>-disk<N>.
    std::string_view const marker = brand == Brand::Bhyve ? "/disk" : "-disk";
    size_t const at = path.rfind(marker);
    if (at == std::string_view::npos) {
        return std::nullopt;
    }
    return interface_index(path.substr(at + 1), "disk");
}

// The zvol a new disk gets (createVolumes): the lowest free index, skipping cdroms and
// nocreate disks, which name an existing path.
void assign_disk_paths(Json& disks, size_t first_new, Json const& vm, Brand brand)
{
    auto const zpool = string_member(vm, "zpool");
    auto const uuid = string_member(vm, "uuid");
    std::set<long long> used;
    for (auto const& disk : disks) {
        if (auto path = string_member(disk, "path")) {
            if (auto index = disk_index(*path, brand)) {
                used.insert(*index);
            }
        }
    }
    long long next = 0;
    for (size_t i = first_new; i < disks.size(); ++i) {
        Json& disk = disks[i];
        bool const nocreate = has(disk, "nocreate") && json_bool(disk["nocreate"]).value_or(false);
        if (disk.contains("path") || nocreate || string_member(disk, "media") == "cdrom") {
            continue;
        }
        std::string const pool = string_member(disk, "zpool").value_or(zpool.value_or(""));
        if (pool.empty() || !uuid) {
            continue;
        }
        while (used.contains(next)) {
            ++next;
        }
        used.insert(next);
        std::string const dataset = brand == Brand::Bhyve
            ? pool + "/" + *uuid + "/disk" + std::to_string(next)
            : pool + "/" + *uuid + "-disk" + std::to_string(next);
        disk["zpool"] = pool;
        disk["zfs_filesystem"] = dataset;
        disk["path"] = "/dev/zvol/rdsk/" + dataset;
        if (!disk.contains("size") && disk.contains("image_size")) {
            disk["size"] = disk["image_size"];
        }
        if (!disk.contains("block_size") && !disk.contains("image_uuid")) {
            disk["block_size"] = 8192;
        }
        if (!disk.contains("refreservation") && disk.contains("size")) {
            disk["refreservation"] = disk["size"];
        }
        // vmload reads the zvol's compression as it is, off included (test-update-kvm.js).
        if (!disk.contains("compression")) {
            disk["compression"] = "off";
        }
    }
}

template <typename Key>
void stable_sort_by(Json& array, Key key)
{
    if (!array.is_array()) {
        return;
    }
    std::vector<Json> items(array.begin(), array.end());
    std::stable_sort(
        items.begin(), items.end(), [&](Json const& a, Json const& b) { return key(a) < key(b); });
    array = Json(std::move(items));
}

// Merges update_<plural> (only updatable keys), drops remove_<plural>, appends add_<plural>.
// Returns the index of the first appended element.
template <typename Updatable>
Result<size_t> merge_array(Json& target, Json const& payload, std::string const& plural,
    std::string const& key, Updatable updatable)
{
    std::string const update_key = "update_" + plural;
    if (Json const* updates = member(payload, update_key); updates != nullptr) {
        TRY(require_objects(payload, update_key));
        for (auto const& update : *updates) {
            Json const* wanted = member(update, key);
            if (wanted == nullptr) {
                continue;
            }
            for (auto& old : target) {
                if (has(old, key) && old[key] == *wanted) {
                    for (auto const& [field, value] : update.items()) {
                        if (updatable(field)) {
                            old[field] = value;
                        }
                    }
                }
            }
        }
    }
    auto const removed = remove_keys(payload, "remove_" + plural);
    if (!removed.empty()) {
        Json kept = Json::array();
        for (auto& element : target) {
            std::string const value = has(element, key) ? js_string(element[key]) : "";
            if (std::find(removed.begin(), removed.end(), value) == removed.end()) {
                kept.push_back(std::move(element));
            }
        }
        target = std::move(kept);
    }
    size_t const first_new = target.size();
    std::string const add_key = "add_" + plural;
    if (Json const* additions = member(payload, add_key); additions != nullptr) {
        TRY(require_objects(payload, add_key));
        for (auto const& element : *additions) {
            target.push_back(element);
        }
    }
    return first_new;
}

Result<void> apply_nics(Json& vm, Json const& payload, Brand brand)
{
    TRY(require_objects(payload, "add_nics"));
    TRY(require_objects(payload, "update_nics"));
    TRY_ASSIGN(nics_pointer, ensure_array(vm, "nics"));
    Json& nics = *nics_pointer;
    bool const had_nics = !is_create(vm);

    std::optional<std::string> new_primary;
    for (auto const& nic : array_member(payload, "add_nics")) {
        TRY(check_primary_flag(nic));
        if (nic.contains("primary")) {
            new_primary = nic_mac(nic);
        }
    }
    for (auto const& nic : array_member(payload, "update_nics")) {
        TRY(check_primary_flag(nic));
        if (!nic.contains("mac")) {
            return invalid("NIC object needs a .mac property to update");
        }
        std::string const mac = nic_mac(nic);
        bool const known = std::any_of(nics.begin(), nics.end(),
            [&](Json const& existing) { return nic_mac(existing) == mac; });
        if (!known) {
            return invalid("There is no existing NIC with that mac address");
        }
        if (nic.contains("primary")) {
            new_primary = mac;
        }
    }
    std::vector<std::string> removed;
    for (auto const& mac : remove_keys(payload, "remove_nics")) {
        removed.push_back(detail::canonical_mac(mac));
    }
    if (had_nics && !new_primary && !removed.empty()) {
        new_primary = elect_primary(nics, removed);
    }

    // Existing NICs are keyed by their canonical MAC, whatever case they were stored in.
    for (auto& nic : nics) {
        if (nic.contains("mac")) {
            nic["mac"] = nic_mac(nic);
        }
    }
    Json canonical_payload = Json::object();
    if (Json const* updates = member(payload, "update_nics")) {
        canonical_payload["update_nics"] = *updates;
        for (auto& nic : canonical_payload["update_nics"]) {
            nic["mac"] = nic_mac(nic);
        }
    }
    if (Json const* additions = member(payload, "add_nics")) {
        canonical_payload["add_nics"] = *additions;
    }
    canonical_payload["remove_nics"] = removed;
    std::set<std::string> touched;
    for (auto const& nic : array_member(canonical_payload, "update_nics")) {
        touched.insert(nic_mac(nic));
    }
    TRY_ASSIGN(first_new, merge_array(nics, canonical_payload, "nics", "mac", nic_updatable));

    std::string_view const prefix = features(brand).interface_prefix;
    std::set<long long> used;
    for (auto const& nic : nics) {
        if (auto index = interface_index(nic_interface(nic), prefix)) {
            used.insert(*index);
        }
    }
    long long next = 0;
    for (size_t i = 0; i < nics.size(); ++i) {
        Json& nic = nics[i];
        if (i >= first_new && !nic.contains("physical") && !nic.contains("interface")) {
            while (used.contains(next)) {
                ++next;
            }
            nic["physical"] = std::string(prefix) + std::to_string(next);
            used.insert(next);
        }
    }
    if (new_primary) {
        for (auto& nic : nics) {
            if (nic_mac(nic) == *new_primary) {
                nic["primary"] = true;
            } else {
                nic.erase("primary");
            }
        }
    }
    // The VRID is encoded in the MAC, so changing it changes the MAC (buildNicZonecfg).
    for (size_t i = 0; i < nics.size(); ++i) {
        Json& nic = nics[i];
        bool const changed = i >= first_new || touched.contains(nic_mac(nic));
        if (changed && nic.contains("vrrp_vrid")) {
            if (auto vrid = json_integer(nic["vrrp_vrid"])) {
                nic["mac"] = detail::vrrp_mac(*vrid);
            }
        }
    }
    for (auto& nic : nics) {
        shape_nic(nic);
    }
    stable_sort_by(nics, [prefix](Json const& nic) {
        return interface_index(nic_interface(nic), prefix).value_or(0);
    });
    return {};
}

// resizeDisks sets the new volume's refreservation when the old one reserved the whole volume,
// so a disk whose refreservation was its size keeps it so after a resize.
Json with_resized_refreservations(Json const& disks, Json const& payload)
{
    Json resized = payload;
    Json* updates = payload.contains("update_disks") && payload["update_disks"].is_array()
        ? &resized["update_disks"]
        : nullptr;
    if (updates == nullptr) {
        return resized;
    }
    for (auto& update : *updates) {
        if (!update.is_object() || !update.contains("size") || update.contains("refreservation")
            || !update.contains("path")) {
            continue;
        }
        for (auto const& disk : disks) {
            if (has(disk, "path") && disk["path"] == update["path"] && has(disk, "size")
                && has(disk, "refreservation") && disk["refreservation"] == disk["size"]) {
                update["refreservation"] = update["size"];
            }
        }
    }
    return resized;
}

Result<void> apply_disks(Json& vm, Json const& payload, Brand brand)
{
    TRY_ASSIGN(disks_pointer, ensure_array(vm, "disks"));
    Json& disks = *disks_pointer;
    TRY_ASSIGN(first_new,
        merge_array(
            disks, with_resized_refreservations(disks, payload), "disks", "path", disk_updatable));
    for (size_t i = first_new; i < disks.size(); ++i) {
        if (!disks[i].contains("media")) {
            disks[i]["media"] = "disk";
        }
    }
    assign_disk_paths(disks, first_new, vm, brand);
    for (auto& disk : disks) {
        shape_disk(disk);
    }
    stable_sort_by(disks, [brand](Json const& disk) {
        std::string const path = string_member(disk, "path").value_or("");
        // vmload-xml sorts on /^.*[-/]disk(\d+)$/ whatever the brand.
        auto index = disk_index(path, brand);
        if (!index) {
            index = disk_index(path, brand == Brand::Bhyve ? Brand::Kvm : Brand::Bhyve);
        }
        return index.value_or(0);
    });
    return {};
}

Result<void> apply_filesystems(Json& vm, Json const& payload)
{
    TRY_ASSIGN(filesystems_pointer, ensure_array(vm, "filesystems"));
    Json& filesystems = *filesystems_pointer;
    TRY(merge_array(filesystems, payload, "filesystems", "target",
        [](std::string const& key) { return sub_key_updatable("filesystems", key); }));
    for (auto& filesystem : filesystems) {
        if (filesystem.contains("options")) {
            filesystem["options"] = json_list(filesystem["options"]);
        }
    }
    stable_sort_by(filesystems,
        [](Json const& filesystem) { return string_member(filesystem, "target").value_or(""); });
    return {};
}

Result<void> apply_pci_devices(Json& vm, Json const& payload)
{
    TRY_ASSIGN(devices_pointer, ensure_array(vm, "pci_devices"));
    TRY(merge_array(*devices_pointer, payload, "pci_devices", "path",
        [](std::string const& key) { return sub_key_updatable("pci_devices", key); }));
    return {};
}

} // namespace

Result<void> apply_object_arrays(Json& vm, Json const& payload, Brand brand)
{
    if (!vm.is_object()) {
        return invalid("Invalid VM object");
    }
    if (!payload.is_object()) {
        return {};
    }
    if (has_array_changes(payload, "nics") || vm.contains("nics")) {
        TRY(apply_nics(vm, payload, brand));
    }
    if (has_array_changes(payload, "disks") || vm.contains("disks")) {
        TRY(apply_disks(vm, payload, brand));
    }
    if (has_array_changes(payload, "filesystems") || vm.contains("filesystems")) {
        TRY(apply_filesystems(vm, payload));
    }
    if (has_array_changes(payload, "pci_devices")) {
        TRY(apply_pci_devices(vm, payload));
    }
    return {};
}

} // namespace lumos::props
