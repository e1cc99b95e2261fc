// SPDX-License-Identifier: MPL-2.0
#include "props/checks/host_conflicts.hpp"

#include "base/strings.hpp"
#include "props/checks/common.hpp"
#include "props/detail/json_access.hpp"

#include <string>

namespace lumos::props::checks {

using detail::array_member;
using detail::has;
using detail::invalid;
using detail::json_integer;
using detail::json_number;
using detail::member;

namespace {

bool nic_tag_exists(std::string const& tag, HostFacts const& host)
{
    if (contains(host.nic_tags, tag)) {
        return true;
    }
    // An overlay NIC's tag is "<overlay rule>/<vnet id>"; nictagadm checks the rule.
    size_t const slash = tag.find('/');
    return slash != std::string::npos && contains(host.nic_tags, tag.substr(0, slash));
}

} // namespace

// VM.js lookupConflicts: MACs, static IPs (same nic_tag and vlan_id), VRIDs and the VNC port
// must not be in use by another VM; failed VMs that are not running do not count.
Result<void> check_conflicts(
    NicState const& state, std::optional<double> vnc_port, Json const& vm, HostFacts const& host)
{
    if (state.macs.empty() && state.ips.empty() && state.vrids.empty() && !vnc_port) {
        return {};
    }
    // The VMs that may hold any of these (the store's index): only they are read.
    std::vector<Claim> claims;
    for (auto const& mac : state.macs) {
        claims.push_back(Claim { ClaimKind::Mac, mac });
    }
    for (auto const& claimed : state.ips) {
        claims.push_back(Claim { ClaimKind::Ip, claimed.ip });
    }
    for (auto const vrid : state.vrids) {
        claims.push_back(Claim { ClaimKind::Vrid, vrid_key(vrid) });
    }
    if (vnc_port) {
        claims.push_back(Claim { ClaimKind::VncPort, vnc_port_key(*vnc_port) });
    }
    TRY_ASSIGN(others, vms_claiming(host, claims));
    Json const* own_uuid = member(vm, "uuid");
    for (auto const& other : others) {
        if (!other.is_object()) {
            continue;
        }
        if (own_uuid != nullptr && detail::member_or_null(other, "uuid") == *own_uuid) {
            continue;
        }
        if (detail::member_or_null(other, "state") == "failed"
            && detail::member_or_null(other, "zone_state") != "running") {
            continue;
        }
        bool conflict = false;
        for (auto const& nic : array_member(other, "nics")) {
            if (!nic.is_object()) {
                continue;
            }
            for (auto const& claimed : state.ips) {
                if (detail::member_or_null(nic, "nic_tag") == claimed.nic_tag
                    && vlan_of(nic) == claimed.vlan_id && nic.contains("ips")
                    && contains(entries(nic["ips"]), claimed.ip)) {
                    conflict = true;
                }
            }
            if (nic.contains("mac") && contains(state.macs, nic_mac(nic))) {
                conflict = true;
            }
            if (nic.contains("vrrp_vrid")) {
                auto const vrid = json_integer(nic["vrrp_vrid"]);
                conflict = conflict || (vrid && contains(state.vrids, *vrid));
            }
        }
        if (vnc_port && has(other, "vnc_port")) {
            auto const port = json_number(other["vnc_port"]);
            conflict = conflict || (port && *port == *vnc_port);
        }
        if (conflict) {
            return invalid("Conflict detected with another vm, please check the MAC, IP, and VRID");
        }
    }
    return {};
}

// VM.js validateNicTags: lookupInvalidNicTags, then lookupInvalidNicTagMTUs. Every host tag is
// taken to be a "normal" tag (HostFacts carries no tag types).
Result<void> check_nic_tags(std::vector<Json const*> const& nics, HostFacts const& host)
{
    std::vector<std::string> bad;
    for (auto const* nic : nics) {
        if (nic->contains("nic_tag")) {
            std::string const tag = js_string((*nic)["nic_tag"]);
            if (!nic_tag_exists(tag, host) && !contains(bad, tag)) {
                bad.push_back(tag);
            }
        }
    }
    if (!bad.empty()) {
        std::vector<std::string> lines;
        lines.reserve(bad.size());
        for (auto const& tag : bad) {
            lines.push_back("Invalid nic tag \"" + tag + "\"");
        }
        return invalid(join(lines, "\n"));
    }
    struct Lowest {
        double mtu = 0;
        size_t index = 0;
        std::string mac;
    };
    std::map<std::string, Lowest> lowest;
    for (size_t i = 0; i < nics.size(); ++i) {
        Json const& nic = *nics[i];
        if (!nic.contains("nic_tag") || !nic.contains("mtu")) {
            continue;
        }
        auto const mtu = json_number(nic["mtu"]);
        if (!mtu) {
            continue;
        }
        std::string const tag = js_string(nic["nic_tag"]);
        auto const found = lowest.find(tag);
        if (found == lowest.end() || *mtu < found->second.mtu) {
            lowest[tag] = Lowest { *mtu, i, has(nic, "mac") ? js_string(nic["mac"]) : "undefined" };
        }
    }
    std::vector<std::string> lines;
    for (auto const& tag : host.nic_tags) {
        auto const found = lowest.find(tag);
        if (found != lowest.end() && found->second.mtu < 1500) {
            lines.push_back("nic " + std::to_string(found->second.index) + " (" + found->second.mac
                + "): MTU is below the supported MTU (1500) of nic tag \"" + tag + "\"");
        }
    }
    if (!lines.empty()) {
        return invalid(join(lines, "\n"));
    }
    return {};
}

} // namespace lumos::props::checks
