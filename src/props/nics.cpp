// SPDX-License-Identifier: MPL-2.0
#include "props/nics.hpp"

#include "base/uuid.hpp"
#include "props/detail/ip.hpp"
#include "props/detail/json_access.hpp"
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
using detail::member;
using detail::require_objects;
using detail::string_member;
using detail::stringify;

bool is_blank_model(Json const& nic)
{
    Json const* model = member(nic, "model");
    return model == nullptr || !js_truthy(*model) || *model == "undefined";
}

// utils.generateMAC: first octet <1-f>2 (unicast, locally administered), then five random
// octets in 01-ff.
std::string generate_mac()
{
    std::array<unsigned char, 6> bytes {};
    random_bytes(bytes.data(), bytes.size());
    std::string mac;
    auto const hex = [](unsigned value) {
        constexpr std::string_view DIGITS = "0123456789abcdef";
        return std::string { DIGITS[(value >> 4U) & 0xfU], DIGITS[value & 0xfU] };
    };
    mac += hex((((bytes[0] % 15U) + 1U) << 4U) | 2U);
    for (size_t i = 1; i < bytes.size(); ++i) {
        mac += ":" + hex((bytes[i] % 255U) + 1U);
    }
    return mac;
}

// nic.js upgradeNic: legacy ip/netmask/gateway become ips/gateways.
Result<void> upgrade_nic(Json& nic)
{
    if (nic.contains("netmask")) {
        Json const& netmask = nic["netmask"];
        if (!netmask.is_string()
            || !detail::is_ipv4_netmask(netmask.get_ref<std::string const&>())) {
            return invalid("Specified netmask value is invalid: " + js_string(netmask));
        }
    }
    if (nic.contains("ip")) {
        if (!nic.contains("ips")) {
            std::string const ip = js_string(nic["ip"]);
            if (detail::is_autoconfig(ip)) {
                nic["ips"] = Json::array({ nic["ip"] });
            } else if (nic.contains("netmask")) {
                int const bits = detail::netmask_to_bits(nic["netmask"].get<std::string>());
                nic["ips"] = Json::array({ ip + "/" + std::to_string(bits) });
                nic.erase("netmask");
            } else {
                return invalid("Missing .netmask option for NIC: " + stringify(nic));
            }
        }
        nic.erase("ip");
    }
    if (nic.contains("gateway")) {
        if (!nic.contains("gateways")) {
            nic["gateways"] = Json::array({ nic["gateway"] });
        }
        nic.erase("gateway");
    }
    return {};
}

Result<void> normalize_added_nic(
    Json& nic, Json const& payload, Json const& vm, Brand brand, bool creating)
{
    if (!nic.contains("mac")) {
        std::optional<long long> vrid;
        if (nic.contains("vrrp_vrid")) {
            vrid = json_integer(nic["vrrp_vrid"]);
        }
        nic["mac"] = vrid ? detail::vrrp_mac(*vrid) : generate_mac();
    } else if (nic["mac"].is_string()) {
        nic["mac"] = detail::canonical_mac(nic["mac"].get_ref<std::string const&>());
    }
    nic.erase("index");
    if (nic.contains("interface")) {
        nic["physical"] = nic["interface"];
        nic.erase("interface");
    }
    if (nic.contains("primary")) {
        auto const flag = json_bool(nic["primary"]);
        if (flag.value_or(js_truthy(nic["primary"]))) {
            nic["primary"] = true;
        } else {
            nic.erase("primary");
        }
    }
    // The model fallbacks of applyZoneDefaults (create) and checkPayloadProperties (update).
    if (creating) {
        if (!nic.contains("model")) {
            if (auto driver = string_member(payload, "nic_driver")) {
                nic["model"] = *driver;
            }
        }
    } else if (features(brand).model_required && is_blank_model(nic)) {
        Json const& existing = array_member(vm, "nics");
        if (auto driver = string_member(vm, "nic_driver")) {
            nic["model"] = *driver;
        } else if (!existing.empty() && has(existing[0], "model")
            && js_truthy(existing[0]["model"])) {
            nic["model"] = existing[0]["model"];
        }
    }
    TRY(upgrade_nic(nic));
    if (!nic.contains("ips")) {
        nic["ips"] = Json::array();
    }
    return {};
}

struct ExistingAddress {
    std::string ip;
    std::optional<std::string> netmask;
};

// nic.js updateNic's getIP: the single IPv4 address a lone ip/netmask update applies to.
Result<ExistingAddress> existing_address(Json const& existing)
{
    if (existing.contains("ips")) {
        Json const& ips = existing["ips"];
        if (ips.is_array() && ips.size() == 1 && ips[0].is_string()
            && detail::is_cidr_v4(ips[0].get_ref<std::string const&>())) {
            auto const parts = detail::split_cidr(ips[0].get_ref<std::string const&>());
            ExistingAddress address { parts.ip, std::nullopt };
            if (parts.prefix) {
                address.netmask = detail::prefix_netmask(*parts.prefix);
            }
            return address;
        }
    } else if (existing.contains("ip")) {
        return ExistingAddress { js_string(existing["ip"]), string_member(existing, "netmask") };
    }
    return invalid("Need a single existing IPv4 address to update .ip or .netmask");
}

Result<void> normalize_updated_nic(Json& nic, Json const& vm)
{
    if (!nic.contains("mac")) {
        return invalid("NIC object needs a .mac property to update");
    }
    if (nic["mac"].is_string()) {
        nic["mac"] = detail::canonical_mac(nic["mac"].get_ref<std::string const&>());
    }
    std::string const mac = js_string(nic["mac"]);
    Json const* existing = nullptr;
    for (auto const& candidate : array_member(vm, "nics")) {
        if (candidate.is_object() && nic_mac(candidate) == mac) {
            existing = &candidate;
            break;
        }
    }
    if (existing == nullptr) {
        return invalid("There is no existing NIC with that mac address");
    }
    if (nic.contains("primary") && json_bool(nic["primary"]) == true) {
        nic["primary"] = true;
    }
    if (!nic.contains("ips")) {
        if (nic.contains("netmask")) {
            if (!nic.contains("ip")) {
                TRY_ASSIGN(address, existing_address(*existing));
                nic["ip"] = address.ip;
            }
        } else if (nic.contains("ip") && !detail::is_autoconfig(js_string(nic["ip"]))) {
            TRY_ASSIGN(address, existing_address(*existing));
            if (!address.netmask) {
                return invalid("Updating IP address of NIC, but there is currently no specified "
                               "netmask");
            }
            nic["netmask"] = *address.netmask;
        }
    }
    return upgrade_nic(nic);
}

// Lowest free <prefix><N>, counting the VM's NICs and the interfaces named in the payload.
void assign_interfaces(Json& nics, Json const& vm, Brand brand)
{
    std::string_view const prefix = features(brand).interface_prefix;
    std::set<long long> used;
    for (auto const& nic : array_member(vm, "nics")) {
        if (auto index = interface_index(nic_interface(nic), prefix)) {
            used.insert(*index);
        }
    }
    for (auto const& nic : nics) {
        if (auto index = interface_index(nic_interface(nic), prefix)) {
            used.insert(*index);
        }
    }
    long long next = 0;
    for (auto& nic : nics) {
        if (nic.contains("physical") || nic.contains("interface")) {
            continue;
        }
        while (used.contains(next)) {
            ++next;
        }
        nic["physical"] = std::string(prefix) + std::to_string(next);
        used.insert(next);
    }
}

} // namespace

std::optional<long long> interface_index(std::string_view name, std::string_view prefix)
{
    if (name.size() <= prefix.size() || name.substr(0, prefix.size()) != prefix) {
        return std::nullopt;
    }
    long long value = 0;
    for (char const c : name.substr(prefix.size())) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        if (value < 100000000) {
            value = value * 10 + (c - '0');
        }
    }
    return value;
}

std::string nic_interface(Json const& nic)
{
    if (auto name = string_member(nic, "interface")) {
        return *name;
    }
    return string_member(nic, "physical").value_or("");
}

std::string nic_mac(Json const& nic)
{
    return detail::canonical_mac(string_member(nic, "mac").value_or(""));
}

Result<void> normalize_nics(Json& payload, Json const& vm, Brand brand)
{
    if (!payload.is_object()) {
        return {};
    }
    TRY(require_objects(payload, "add_nics"));
    TRY(require_objects(payload, "update_nics"));
    bool const creating = is_create(vm);
    if (payload.contains("add_nics")) {
        Json nics = payload["add_nics"];
        for (auto& nic : nics) {
            TRY(normalize_added_nic(nic, payload, vm, brand, creating));
        }
        assign_interfaces(nics, vm, brand);
        // createZone: a new VM always gets a primary NIC.
        bool const any_primary = std::any_of(
            nics.begin(), nics.end(), [](Json const& nic) { return nic.contains("primary"); });
        if (creating && !any_primary && !nics.empty()) {
            nics[0]["primary"] = true;
        }
        payload["add_nics"] = std::move(nics);
    }
    if (payload.contains("update_nics")) {
        for (auto& nic : payload["update_nics"]) {
            TRY(normalize_updated_nic(nic, vm));
        }
    }
    return {};
}

} // namespace lumos::props
