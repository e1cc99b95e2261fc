// SPDX-License-Identifier: MPL-2.0
// A DHCPv4 lease for a zone NIC, as busybox udhcpc hands it to its event program
// (lumos-dhcp-event) in the environment: checked value by value before the host acts on it,
// recorded as JSON, turned into a resolv.conf, and applied to (or removed from) the zone's
// namespace through Rtnl. Everything a DHCP server says is hostile: a lease with one bad value is
// refused whole (InvalidArgument naming the value), never applied in part.
#pragma once

#include "base/json.hpp"
#include "base/result.hpp"
#include "net/address.hpp"
#include "net/rtnl.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace lumos::net {

// What the checks allow: more routers or name servers than this is a hostile lease, not a
// network (resolv.conf's resolver reads 3 name servers).
inline constexpr std::size_t DHCP_MAX_ROUTERS = 8;
inline constexpr std::size_t DHCP_MAX_DNS = 8;
// Longer environment values are refused before they are parsed.
inline constexpr std::size_t DHCP_MAX_VALUE = 1024;

struct DhcpLease {
    std::string interface {
    };
    IpPrefix address {}; // ip with the subnet mask's length, 1..32
    std::vector<IpAddress> routers {}; // in the address's subnet, the first is the gateway
    std::vector<IpAddress> dns {};
    std::string domain {}; // "" none
    std::uint32_t lease_seconds = 0; // 0: none given
    std::optional<IpAddress> server {};

    friend bool operator==(DhcpLease const&, DhcpLease const&) = default;
};

// udhcpc's variables (interface, ip, mask, subnet, router, dns, domain, lease, serverid); any
// other is ignored.
using DhcpEnvironment = std::map<std::string, std::string, std::less<>>;

// The lease of a bound or renew event. Refused: a missing or malformed interface or ip; an ip
// that is not a unicast host address (0/8, loopback, link-local, multicast, class E, broadcast)
// or is its subnet's network or broadcast address; no mask; a mask (prefix length) outside
// 1..32 or a subnet (dotted) that is not contiguous or disagrees with it; a router or name
// server that is not a unicast IPv4 address, a router outside the subnet or equal to ip; more
// than DHCP_MAX_ROUTERS routers or DHCP_MAX_DNS name servers; a domain that is not a DNS name;
// a lease that is not a decimal number of seconds; any value longer than DHCP_MAX_VALUE or with
// a control character.
Result<DhcpLease> parse_dhcp_lease(DhcpEnvironment const& env);

// {"interface", "ip", "prefix", "routers", "dns", "domain", "lease", "server"}; read back through
// the same checks (a lease file is the host's, but a lease is a lease).
Json dhcp_lease_json(DhcpLease const& lease);
Result<DhcpLease> dhcp_lease_from_json(Json const& json);

// "# lumos: DHCP lease of <if>\nsearch <domain>\nnameserver <dns>\n..." for the zone.
std::string dhcp_resolv_conf(DhcpLease const& lease);

// Puts lease on its link in the session's namespace: removes previous's address (and, for the
// primary NIC, its default route) when they differ, adds the address, and for the primary NIC
// the default route via the first router. Already present is fine (a renew).
Result<void> apply_dhcp_lease(
    Rtnl& rtnl, DhcpLease const& lease, DhcpLease const* previous, bool primary);
// Takes lease's address (and for the primary NIC its default route) away; gone is fine.
Result<void> remove_dhcp_lease(Rtnl& rtnl, DhcpLease const& lease, bool primary);

} // namespace lumos::net
