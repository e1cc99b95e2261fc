// SPDX-License-Identifier: MPL-2.0
// A zone's NICs on the host (issue 14): what the VM's `nics` and `routes` ask for, planned as
// a pure function of the record and the nic tags, then made. Each NIC is a veth pair: its host
// end (net::host_link_name) on the bridge of its nic tag and VLAN (net::tag_bridge_name; a
// normal tag's link, found by its MAC, is that bridge's uplink; an etherstub has none), its zone
// end named after the NIC's interface (net0, eth0) with the NIC's MAC and MTU, inside the
// zone's own namespace (Paths::zone_netns, joined by the OCI config). The host sets the zone's
// static addresses, its routes and the primary NIC's default route: a zone has no
// CAP_NET_ADMIN, so nothing inside can change them.
#pragma once

#include "base/host_config.hpp"
#include "base/json.hpp"
#include "base/result.hpp"
#include "net/address.hpp"
#include "net/antispoof.hpp"
#include "net/netns.hpp"
#include "net/rtnl.hpp"
#include "net/shaping.hpp"

#include <optional>
#include <string>
#include <vector>

namespace lumos::vm {

struct VnicPlan {
    std::string interface; // inside the zone: net0, eth0
    std::string host_link; // its host end
    std::string tag;
    int vlan { 0 };
    std::string bridge;
    std::optional<net::MacAddress> uplink_mac; // a normal tag's link, plugged into the bridge
    net::MacAddress mac;
    unsigned mtu { 1500 };
    std::vector<net::IpPrefix> addresses; // static ones
    std::vector<net::IpAddress> gateways;
    bool dhcp { false };
    bool addrconf { false };
    bool primary { false };
    // Its anti-spoofing rules (net/antispoof): the NIC's MAC, static addresses, allowed_ips and
    // allow_* flags. A DHCP NIC's lease is added when it is known.
    net::VnicFilter filter;
    // nics.*.maxbw (Mbit/s): its cap in both directions (net/shaping), none when absent.
    std::optional<net::VnicShaping> shaping;
};

struct ZoneNetwork {
    std::vector<VnicPlan> vnics;
    std::vector<net::Route> routes; // default routes of the primary NIC, then `routes`
};

// The plan, or why this host cannot give the zone its NICs (a tag that no longer exists, an
// aggregation, a VLAN on a physical link without 802.1Q in the kernel).
Result<ZoneNetwork> plan_zone_network(Json const& vm, HostConfig const& config);

// The NICs whose address comes from DHCP, as the monitor's --dhcp flags name them ("net0",
// "net0:primary"). From the record alone: a running zone's clients do not depend on its tags.
std::vector<std::string> dhcp_interfaces(Json const& vm);

// The controls a zone's networking runs without, one line each ("maxbw 20 Mbit/s not applied to
// net0: <why>"): a bandwidth cap this host cannot set (no IFB or tbf in its kernel, or a link
// in the way) is reported, not a failed boot. Anti-spoofing is never among them: a NIC whose
// rules cannot be set is not made.
using Unenforced = std::vector<std::string>;

// Makes the zone's namespace at netns_path and everything of plan, in the namespace host.
// Anything already there from an earlier boot is removed first; on failure nothing is left.
Result<Unenforced> create_zone_network(net::Netns const& host, std::string const& uuid,
    std::string const& netns_path, ZoneNetwork const& plan);

// A running zone's NICs made to match plan: NICs no longer planned are removed (with their
// host end and rules), new ones made and addressed; the others keep their addresses and get
// their anti-spoofing rules again (update_nics may have changed an allow_* flag).
Result<Unenforced> update_zone_network(net::Netns const& host, std::string const& uuid,
    std::string const& netns_path, ZoneNetwork const& plan);

// The steps a zone's NICs share with an HVM guest's (vm/hvm_network.hpp).
// The nic tag's bridge of vnic, made when missing and kept (the tag's switch outlives its VMs),
// with a normal tag's link plugged in and up.
Result<void> ensure_tag_bridge(net::Rtnl& host, VnicPlan const& vnic);
// vnic's bandwidth cap (it has one), or the line in unenforced saying why it is not applied
// (net/shaping undoes what it made on failure).
void apply_bandwidth_cap(net::Netns const& host, VnicPlan const& vnic, Unenforced& unenforced);

} // namespace lumos::vm
