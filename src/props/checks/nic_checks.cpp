// SPDX-License-Identifier: MPL-2.0
#include "props/checks/nic_checks.hpp"

#include "base/strings.hpp"
#include "props/checks/common.hpp"
#include "props/detail/ip.hpp"
#include "props/detail/json_access.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lumos::props::checks {

using detail::array_member;
using detail::has;
using detail::invalid;
using detail::json_integer;
using detail::member;
using detail::stringify;

std::string nic_mac(Json const& nic)
{
    return detail::canonical_mac(has(nic, "mac") ? js_string(nic["mac"]) : "");
}

// The key VM.js files a NIC under: its MAC, or the VRRP MAC of its VRID.
std::optional<std::string> nic_key(Json const& nic)
{
    if (has(nic, "mac")) {
        return nic_mac(nic);
    }
    if (has(nic, "vrrp_vrid")) {
        if (auto vrid = json_integer(nic["vrrp_vrid"])) {
            return detail::vrrp_mac(*vrid);
        }
    }
    return std::nullopt;
}

namespace {

enum class Slash { Refused, Allowed };

bool matches(std::string_view text, Slash slash)
{
    if (text.empty()) {
        return false;
    }
    return std::all_of(text.begin(), text.end(), [slash](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || c == '_' || (slash == Slash::Allowed && c == '/');
    });
}

bool is_blank_model(Json const& nic)
{
    Json const* model = member(nic, "model");
    return model == nullptr || !js_truthy(*model) || *model == "undefined";
}

// VM.js validateIPlist, for allowed_ips.
Result<void> check_allowed_ips(std::vector<std::string> const& list)
{
    std::vector<std::string> bad;
    for (auto const& ip : list) {
        if (detail::is_ipv4(ip) || detail::is_ipv6(ip)) {
            continue;
        }
        auto const parts = split(ip, '/');
        if (parts.size() != 2) {
            bad.push_back(ip);
            continue;
        }
        auto const bits = parse_integer(parts[1]);
        if (detail::is_ipv4(parts[0])) {
            if (!bits || *bits > 32 || *bits < 1) {
                bad.push_back(ip);
            }
        } else if (detail::is_ipv6(parts[0])) {
            if (!bits || *bits > 128 || *bits < 1) {
                bad.push_back(ip);
            }
        } else {
            bad.push_back(ip);
        }
    }
    if (!bad.empty()) {
        return invalid("invalid allowed_ips: " + join(bad, ", "));
    }
    if (list.size() > 13) {
        return invalid("Maximum of 13 allowed_ips per nic");
    }
    return {};
}

} // namespace

long long vlan_of(Json const& nic)
{
    Json const* vlan = member(nic, "vlan_id");
    return vlan == nullptr ? 0 : json_integer(*vlan).value_or(0);
}

NicState current_nics(Json const& payload, Json const& vm)
{
    NicState state;
    std::map<std::string, Json const*> updates;
    for (auto const& update : array_member(payload, "update_nics")) {
        if (auto key = nic_key(update)) {
            updates[*key] = &update;
        }
    }
    for (auto const& nic : array_member(vm, "nics")) {
        if (!nic.is_object()) {
            continue;
        }
        Json const* update = nullptr;
        if (auto key = nic_key(nic)) {
            if (state.find(*key) == nullptr) {
                state.nics.push_back(nic);
            }
            auto const found = updates.find(*key);
            update = found == updates.end() ? nullptr : found->second;
        }
        if ((update == nullptr || !update->contains("ips")) && nic.contains("ips")) {
            for (auto const& ip : entries(nic["ips"])) {
                if (!detail::is_autoconfig(ip)) {
                    state.current_ips.push_back(ip);
                }
            }
        }
        if (nic.contains("mac")) {
            state.current_macs.push_back(nic_mac(nic));
        }
        // A NIC changing its own VRID does not collide with its old one.
        if (nic.contains("vrrp_vrid") && !(update != nullptr && update->contains("vrrp_vrid"))) {
            if (auto vrid = json_integer(nic["vrrp_vrid"])) {
                state.current_vrids.push_back(*vrid);
            }
        }
    }
    return state;
}

Result<void> check_payload_nic(Json const& nic, NicChange change, Brand brand, NicState& state)
{
    bool const adding = change == NicChange::Added;
    if (nic.contains("vrrp_vrid")) {
        if (auto vrid = json_integer(nic["vrrp_vrid"])) {
            if (contains(state.current_vrids, *vrid) || contains(state.vrids, *vrid)) {
                return invalid(
                    "Cannot add multiple NICs with the same VRID: " + std::to_string(*vrid));
            }
            state.vrids.push_back(*vrid);
        }
    }
    // On update the MAC is the key, so it always matches an existing one.
    if (adding && nic.contains("mac")) {
        std::string const mac = nic_mac(nic);
        if (contains(state.macs, mac) || contains(state.current_macs, mac)) {
            return invalid("Cannot add multiple NICs with the same MAC: " + mac);
        }
        state.macs.push_back(mac);
    }
    if (nic.contains("primary")) {
        if (nic["primary"] != true) {
            return invalid("invalid value for NIC's primary flag: " + js_string(nic["primary"])
                + " (must be true)");
        }
        ++state.primary_count;
    }
    state.changed.push_back(&nic);
    if (nic.contains("gateways")) {
        for (auto const& gateway : entries(nic["gateways"])) {
            if (!detail::is_ipv4(gateway)) {
                return invalid("Static gateways must be IPv4 addresses: " + gateway);
            }
        }
    }
    if (nic.contains("ips")) {
        Json const& ips = nic["ips"];
        size_t const count = ips.is_array() ? ips.size() : entries(ips).size();
        if (count > 20) {
            return invalid(
                "nic.*.ips contains " + std::to_string(count) + " addresses, but is limited to 20");
        }
        // The network an update claims its addresses on is the NIC's after the update.
        Json effective = Json::object();
        if (auto key = nic_key(nic); key && !adding) {
            if (Json const* existing = state.find(*key)) {
                effective = *existing;
            }
        }
        for (auto const& [key, value] : nic.items()) {
            effective[key] = value;
        }
        for (auto const& element : ips.is_array() ? ips : Json(entries(ips))) {
            if (element.is_string()
                && detail::is_autoconfig(element.get_ref<std::string const&>())) {
                continue;
            }
            if (!element.is_string()
                || !detail::is_cidr_input(element.get_ref<std::string const&>())) {
                return invalid("Invalid IP for NIC: " + stringify(nic));
            }
            std::string const ip = element.get<std::string>();
            bool const taken = std::any_of(state.ips.begin(), state.ips.end(),
                [&](ClaimedIp const& claimed) { return claimed.ip == ip; });
            if (taken || contains(state.current_ips, ip)) {
                return invalid("Cannot add multiple NICs with the same IP: " + ip);
            }
            state.ips.push_back(
                ClaimedIp { ip, detail::member_or_null(effective, "nic_tag"), vlan_of(effective) });
        }
    }
    if (adding && nic.contains("vrrp_vrid")) {
        auto const vrid = json_integer(nic["vrrp_vrid"]);
        if (!vrid || nic_mac(nic) != detail::vrrp_mac(*vrid)) {
            return invalid("Cannot set both mac and vrrp_vrid");
        }
    }
    if (features(brand).model_required && adding && is_blank_model(nic)) {
        return invalid("missing .model option for NIC: " + stringify(nic));
    }
    if (adding) {
        Json const* tag = member(nic, "nic_tag");
        if (tag == nullptr || !tag->is_string()
            || !matches(tag->get_ref<std::string const&>(), Slash::Allowed)) {
            return invalid("invalid or missing .nic_tag option for NIC: " + stringify(nic));
        }
    } else {
        if (nic.contains("model") && is_blank_model(nic)) {
            return invalid("invalid .model option for NIC: " + stringify(nic));
        }
        if (nic.contains("nic_tag")
            && !(nic["nic_tag"].is_string()
                && matches(nic["nic_tag"].get_ref<std::string const&>(), Slash::Refused))) {
            return invalid("invalid .nic_tag option for NIC: " + stringify(nic));
        }
    }
    if (auto key = nic_key(nic)) {
        if (Json* existing = state.find(*key)) {
            for (auto const& [field, value] : nic.items()) {
                (*existing)[field] = value;
            }
        } else {
            state.nics.push_back(nic);
        }
    }
    if (nic.contains("allowed_ips")) {
        TRY(check_allowed_ips(entries(nic["allowed_ips"])));
    }
    if (nic.contains("allowed_dhcp_cids")) {
        auto const cids = entries(nic["allowed_dhcp_cids"]);
        if (cids.size() > 20) {
            return invalid("nics.*.allowed_dhcp_cids contains " + std::to_string(cids.size())
                + " Client Identifiers, but is limited to 20");
        }
        if (join(cids, ",").size() >= 1024) {
            return invalid("nics.*.allowed_dhcp_cids contains too many long Client Identifiers");
        }
    }
    return {};
}

void remove_nics(Json const& payload, NicState& state)
{
    Json const* removals = member(payload, "remove_nics");
    if (removals == nullptr) {
        return;
    }
    for (auto const& mac : entries(*removals)) {
        std::string const key = detail::canonical_mac(mac);
        auto const found = std::find_if(state.nics.begin(), state.nics.end(),
            [&](Json const& nic) { return nic_key(nic) == key; });
        if (found == state.nics.end()) {
            continue; // VM.js warns and skips an unknown MAC.
        }
        if (found->contains("ips")) {
            for (auto const& ip : entries((*found)["ips"])) {
                if (detail::is_autoconfig(ip)) {
                    continue;
                }
                auto const claimed = std::find_if(state.ips.begin(), state.ips.end(),
                    [&](ClaimedIp const& entry) { return entry.ip == ip; });
                if (claimed != state.ips.end()) {
                    state.ips.erase(claimed);
                }
                auto const current
                    = std::find(state.current_ips.begin(), state.current_ips.end(), ip);
                if (current != state.current_ips.end()) {
                    state.current_ips.erase(current);
                }
            }
        }
        state.nics.erase(found);
    }
}

// The VRRP rules and the 32-address limit, on the NICs as they will be.
Result<void> check_final_nics(NicState const& state)
{
    std::vector<std::string> primary_ips;
    for (auto const& nic : state.nics) {
        if (nic.contains("vrrp_primary_ip")) {
            primary_ips.push_back(js_string(nic["vrrp_primary_ip"]));
        }
    }
    bool only_vrrp = true;
    for (auto const& nic : state.nics) {
        std::vector<std::string> const ips
            = nic.contains("ips") ? entries(nic["ips"]) : std::vector<std::string> {};
        if (nic.contains("vrrp_vrid")) {
            for (auto const& ip : ips) {
                if (contains(primary_ips, detail::split_cidr(ip).ip)) {
                    return invalid("Cannot set vrrp_primary_ip to the IP of a VRRP nic");
                }
            }
            if (!nic.contains("vrrp_primary_ip")) {
                return invalid("vrrp_vrid set but not vrrp_primary_ip");
            }
        } else {
            only_vrrp = false;
        }
        size_t const allowed = nic.contains("allowed_ips") ? entries(nic["allowed_ips"]).size() : 0;
        if (allowed + (nic.contains("vrrp_primary_ip") ? 1U : 0U) + ips.size() > 32) {
            return invalid("More than 32 IPs cannot be associated with a NIC");
        }
    }
    if (only_vrrp && !state.nics.empty()) {
        return invalid("VM cannot contain only VRRP nics");
    }
    for (auto const& primary : primary_ips) {
        bool found = false;
        for (auto const& ip : state.current_ips) {
            found = found || detail::split_cidr(ip).ip == primary;
        }
        for (auto const& claimed : state.ips) {
            found = found || detail::split_cidr(claimed.ip).ip == primary;
        }
        if (!found) {
            return invalid("vrrp_primary_ip must belong to the same VM");
        }
    }
    if (state.primary_count > 1) {
        return invalid("payload specifies more than 1 primary NIC");
    }
    return {};
}

} // namespace lumos::props::checks
