// SPDX-License-Identifier: MPL-2.0
// Anti-spoofing for one VNIC, SmartOS's link protection (illumos dladm `protection=mac-nospoof,
// ip-nospoof,dhcp-nospoof,restricted`, set by vmadm from the allow_* NIC properties), as one
// nftables table per VNIC through libnftables' JSON API.
//
// The table (net::filter_table_name(host_link), family bridge) holds the checks in one chain,
// which two base chains jump to for frames that came in on the host link: prerouting (what the
// bridge forwards or delivers up) and input (link-local group destinations, 01:80:c2:00:00:0x,
// which the bridge hands to the host's stack without passing prerouting). Not the netdev family's
// per-device ingress hook: ingress shaping (net/shaping) redirects what the guest sends to an
// IFB with tc, which runs before that hook, and the IFB hands the frame back past it: the rules
// never saw it (AntispoofTest.FilteringHoldsWhenIngressIsRedirectedThroughAnIfb). The bridge
// hooks run after that round trip. A VNIC is always a port of its nic tag's bridge. The cost:
// every VNIC's table sees every bridged frame, and all but one let it go at their first rule.
// Unless allowed:
//   mac          frames whose source MAC is not the NIC's              (allow_mac_spoofing)
//   restricted   ethertypes other than IPv4, IPv6, ARP: 802.1Q too     (allow_restricted_traffic)
//   arp          ARP that is not Ethernet/IPv4, whose sender MAC is not the NIC's
//                (allow_mac_spoofing), or whose sender IP is not an allowed source or 0.0.0.0
//                (allow_ip_spoofing): gratuitous ARP for another IP
//   dhcp_server  UDP from port 67 (DHCP) or 547 (DHCPv6)     (allow_dhcp_spoofing, dhcp_server)
//   ip           IPv4 whose source is not allowed, except 0.0.0.0 from UDP 68 to 67 (a DHCP
//                client before its lease); IPv6 whose source is not allowed, not ::, not
//                fe80::<EUI-64 of the MAC> and (with addrconf) has not that interface id, and
//                IPv6 neighbour advertisements whose target is not such an address
//                (allow_ip_spoofing)
// Each drop goes through the table's named counter of its kind, read by vnic_filter_counters.
#pragma once

#include "base/result.hpp"
#include "net/address.hpp"
#include "net/netns.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lumos::net {

struct VnicFilter {
    std::string host_link {}; // host end of the VNIC (net::host_link_name)
    MacAddress mac {}; // the NIC's MAC
    std::vector<IpAddress> ips {}; // the NIC's own addresses (ips), each exactly, v4 and v6
    std::vector<IpPrefix> allowed_ips {}; // allowed_ips: whole networks ("10.0.0.0/24" allows all)
    bool addrconf = false; // IPv6 SLAAC: any v6 source whose interface id is the MAC's EUI-64
    bool allow_ip_spoofing = false;
    bool allow_mac_spoofing = false;
    bool allow_dhcp_spoofing = false;
    bool allow_restricted_traffic = false;
    bool dhcp_server = false; // nics.*.dhcp_server: it may answer DHCP
};

// Creates the VNIC's table, or replaces its rules in one transaction (no moment without rules).
// The counters keep their counts across a replace. The rules match the host link by name: it
// need not exist yet, and applying them before it joins the bridge leaves no moment unfiltered.
Result<void> apply_vnic_filter(Netns const& host, VnicFilter const& filter);
// Removes the VNIC's table. One that is gone is success. The table does not go with the link:
// remove it when the link goes (or with remove_vnic_filters, a VM's leftovers).
Result<void> remove_vnic_filter(Netns const& host, std::string_view host_link);
// Removes the table of every host link whose name starts with link_prefix (a VM's leftovers:
// net::vm_link_prefix(uuid)).
Result<void> remove_vnic_filters(Netns const& host, std::string_view link_prefix);

// Packets dropped, per kind of rule, since the table was made.
struct VnicFilterCounters {
    std::uint64_t mac = 0;
    std::uint64_t ip = 0;
    std::uint64_t arp = 0;
    std::uint64_t dhcp_server = 0;
    std::uint64_t restricted = 0;
};
// NotFound when the VNIC has no table.
Result<VnicFilterCounters> vnic_filter_counters(Netns const& host, std::string_view host_link);

// The filter as JSON and back, for the DHCP event program (lumos-dhcp-event), which adds a
// lease's address to a NIC's rules: {"host_link", "mac", "ips", "allowed_ips", "addrconf",
// "allow_*", "dhcp_server"}. from_json checks every value as a payload's.
nlohmann::json vnic_filter_to_json(VnicFilter const& filter);
Result<VnicFilter> vnic_filter_from_json(nlohmann::json const& text);

// The pure parts, for tests.
namespace detail {
inline constexpr std::string_view FILTER_FAMILY = "bridge";
// The IPv6 link-local address fe80::<modified EUI-64 of mac> (RFC 4291 appendix A).
IpAddress link_local_address(MacAddress const& mac);
// The libnftables JSON commands that create or replace the filter's table.
Result<nlohmann::json> vnic_filter_commands(VnicFilter const& filter);
// The counters in the JSON output of `list table` for the table of host_link.
VnicFilterCounters counters_from_listing(nlohmann::json const& listing);
} // namespace detail

} // namespace lumos::net
