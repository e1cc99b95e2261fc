// SPDX-License-Identifier: MPL-2.0
#include "props/claims.hpp"

#include "props/checks/common.hpp"
#include "props/checks/nic_checks.hpp"
#include "props/datasets.hpp"
#include "props/detail/javascript.hpp"
#include "props/detail/json_access.hpp"
#include "props/host_facts.hpp"

#include <algorithm>
#include <charconv>

namespace lumos::props {

std::string vrid_key(long long vrid)
{
    return std::to_string(vrid);
}

std::string vnc_port_key(double port)
{
    // Shortest round-trip text: equal doubles give equal keys (0 and -0 are never claimed: a
    // port must be positive to be checked).
    char buffer[32];
    auto const [end, error] = std::to_chars(buffer, buffer + sizeof buffer, port);
    return error == std::errc() ? std::string(buffer, end) : std::string();
}

std::vector<Claim> claims_of(Json const& vm)
{
    std::vector<Claim> claims;
    auto const add = [&](ClaimKind kind, std::string key) {
        claims.push_back(Claim { kind, std::move(key) });
    };
    if (Json const* nics = json_member(vm, "nics"); nics != nullptr && nics->is_array()) {
        for (auto const& nic : *nics) {
            if (!nic.is_object()) {
                continue;
            }
            // host_conflicts compares nic_mac; lookup's filter compares String(nic.mac).
            if (nic.contains("mac")) {
                add(ClaimKind::Mac, checks::nic_mac(nic));
                add(ClaimKind::Mac, detail::js_to_string(nic["mac"]));
            }
            if (nic.contains("ips")) {
                for (auto& ip : checks::entries(nic["ips"])) {
                    add(ClaimKind::Ip, std::move(ip));
                }
            }
            if (nic.contains("ip") && !nic["ip"].is_null()) {
                add(ClaimKind::Ip, detail::js_to_string(nic["ip"]));
            }
            if (nic.contains("vrrp_vrid")) {
                if (auto const vrid = detail::json_integer(nic["vrrp_vrid"])) {
                    add(ClaimKind::Vrid, vrid_key(*vrid));
                }
            }
        }
    }
    if (detail::has(vm, "vnc_port")) {
        if (auto const port = detail::json_number(vm["vnc_port"])) {
            add(ClaimKind::VncPort, vnc_port_key(*port));
        }
    }
    for (auto& dataset : owned_datasets(vm)) {
        add(ClaimKind::Dataset, std::move(dataset));
    }
    std::sort(claims.begin(), claims.end());
    claims.erase(std::unique(claims.begin(), claims.end()), claims.end());
    return claims;
}

Result<std::vector<Json>> vms_claiming(HostFacts const& host, std::vector<Claim> const& claims)
{
    if (claims.empty()) {
        return std::vector<Json> {};
    }
    if (host.vms_claiming) {
        return host.vms_claiming(claims);
    }
    return host.other_vms;
}

} // namespace lumos::props
