// SPDX-License-Identifier: MPL-2.0
#include "props/checks/route_checks.hpp"

#include "base/strings.hpp"
#include "props/checks/common.hpp"
#include "props/checks/nic_checks.hpp"
#include "props/detail/ip.hpp"
#include "props/detail/json_access.hpp"

#include <optional>
#include <string>

namespace lumos::props::checks {

using detail::invalid;
using detail::member;

namespace {

// A route gateway naming a NIC (nics[N] or macs[<mac>]) must name one with a static address.
struct LocalRoute {
    bool is_nic = false;
    bool valid = false;
};

LocalRoute local_route(std::string const& gateway, std::vector<Json> const& nics)
{
    LocalRoute result;
    std::optional<size_t> index;
    if (gateway.starts_with("macs[") && gateway.ends_with("]") && gateway.size() > 6) {
        auto const mac = detail::parse_mac(gateway.substr(5, gateway.size() - 6));
        if (!mac) {
            return result;
        }
        for (size_t i = 0; i < nics.size(); ++i) {
            if (nic_mac(nics[i]) == *mac) {
                index = i;
                break;
            }
        }
    } else if (gateway.starts_with("nics[") && gateway.ends_with("]") && gateway.size() > 6) {
        std::string_view const digits = std::string_view(gateway).substr(5, gateway.size() - 6);
        if (!std::all_of(
                digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            return result;
        }
        auto const number = parse_integer(digits);
        if (number && *number >= 0) {
            index = static_cast<size_t>(*number);
        }
    } else {
        return result;
    }
    result.is_nic = true;
    if (!index || *index >= nics.size() || !nics[*index].contains("ips")) {
        return result;
    }
    for (auto const& ip : entries(nics[*index]["ips"])) {
        if (!detail::is_autoconfig(ip)) {
            result.valid = true;
        }
    }
    return result;
}

std::string non_existent_nic(std::string const& gateway)
{
    return "Route gateway: \"" + gateway + "\" refers to non-existent or DHCP nic";
}

} // namespace

Result<void> check_routes(Json const& payload, Json const& vm, std::vector<Json> const& nics)
{
    std::map<std::string, std::string> routes;
    if (Json const* existing = member(vm, "routes"); existing != nullptr && existing->is_object()) {
        for (auto const& [destination, gateway] : existing->items()) {
            routes[destination] = js_string(gateway);
        }
    }
    for (char const* field : { "routes", "set_routes" }) {
        Json const* given = member(payload, field);
        if (given == nullptr || !given->is_object()) {
            continue;
        }
        for (auto const& [destination, value] : given->items()) {
            if (!detail::is_ipv4(destination) && !detail::is_cidr_v4(destination)) {
                return invalid("Invalid route destination: \"" + destination
                    + "\" (must be IP address or CIDR)");
            }
            std::string const gateway = js_string(value);
            if (!detail::is_ipv4(gateway)) {
                auto const local = local_route(gateway, nics);
                if (!local.valid) {
                    return invalid(local.is_nic ? non_existent_nic(gateway)
                                                : "Invalid route gateway: \"" + gateway
                                + "\" (must be IP address, MAC address, or nic)");
                }
            }
            routes[destination] = gateway;
        }
    }
    if (Json const* removals = member(payload, "remove_routes")) {
        for (auto const& destination : entries(*removals)) {
            routes.erase(destination);
        }
    }
    // After the changes every route through a NIC must still have its NIC.
    for (auto const& [destination, gateway] : routes) {
        if (!detail::is_ipv4(gateway) && !local_route(gateway, nics).valid) {
            return invalid(non_existent_nic(gateway));
        }
    }
    return {};
}

} // namespace lumos::props::checks
