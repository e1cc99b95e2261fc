// SPDX-License-Identifier: MPL-2.0
// An rtnetlink session bound to one network namespace (libnl-3): links, bridges, veth pairs, IFBs,
// bridge VLANs, addresses, routes and the tc qdiscs and filters of bandwidth caps. The socket is
// made by a thread that entered the namespace and then ended (a netlink socket stays in the
// namespace it was made in), so no thread of the caller changes namespace. Every error names the
// operation and its object ("create veth vnic0 for <owner>: File exists") with the ErrorCode of
// the kernel's errno (EEXIST AlreadyExists, ENODEV/ENOENT NotFound, EINVAL/ERANGE
// InvalidArgument, EPERM PermissionDenied, EBUSY Busy, EOPNOTSUPP Unsupported, else System).
//
// A session holds a reference on its namespace: a namespace whose persistent mount is removed
// lives (with its links) until every session and Netns on it is gone.
#pragma once

#include "base/result.hpp"
#include "net/address.hpp"
#include "net/netns.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct nl_sock;
struct nl_msg;

namespace lumos::net {

struct LinkInfo {
    std::string name {};
    int index = 0;
    MacAddress mac {};
    unsigned mtu = 0;
    bool up = false; // administratively up (IFF_UP)
    int master = 0; // ifindex of the bridge it is enslaved to, 0 for none
    std::string kind {}; // "bridge", "veth", ... ("" for a device without one, like lo)
};

struct BridgeSpec {
    std::string name {};
    unsigned mtu = 0; // 0: the kernel's default
    bool vlan_filtering = false;
    bool up = true;
};

// A veth pair: name in the session's namespace, peer_name in peer_netns (the session's own when
// null), created there under its final name (IFLA_NET_NS_FD), with peer_mac and mtu on both ends.
// Both ends start down.
struct VethSpec {
    std::string name {};
    std::string peer_name {};
    Netns const* peer_netns = nullptr;
    std::optional<MacAddress> peer_mac {};
    unsigned mtu = 0; // 0: the kernel's default
    std::string owner {}; // for messages: "create veth <name> for <owner>"
};

// A token bucket filter (tbf qdisc): its rate, its bucket (the most sent at once at line rate)
// and the bytes it queues before dropping; burst and limit > 0, limit >= burst.
struct TokenBucket {
    std::uint64_t bytes_per_second = 0;
    std::uint32_t burst = 0;
    std::uint32_t limit = 0;
};

// A route in the main table. No destination: the default route of the gateway's family. With a
// gateway the route goes via it (link optional); without one it is on-link and link is required.
struct Route {
    std::optional<IpPrefix> destination {};
    std::optional<IpAddress> gateway {};
    std::string link {};
};

class Rtnl {
public:
    static Result<Rtnl> in(Netns const& netns);

    Rtnl(Rtnl&&) noexcept;
    Rtnl& operator=(Rtnl&&) noexcept;
    Rtnl(Rtnl const&) = delete;
    Rtnl& operator=(Rtnl const&) = delete;
    ~Rtnl();

    // Links (rtnl_link.cpp).
    Result<void> create_bridge(BridgeSpec const& spec);
    Result<void> create_veth(VethSpec const& spec);
    // An IFB device (what `ip link add <name> type ifb` makes), up.
    Result<void> create_ifb(std::string_view name);
    Result<void> delete_link(std::string_view name); // a veth pair goes with either end
    Result<void> set_up(std::string_view name, bool up);
    Result<void> set_mtu(std::string_view name, unsigned mtu);
    // Enslaves name to the bridge master; "" releases it.
    Result<void> set_master(std::string_view name, std::string_view master);
    Result<LinkInfo> link(std::string_view name);
    // Every link of the namespace.
    Result<std::vector<LinkInfo>> links();
    // The first link with this MAC that is not a bridge (how a nic tag's `<tag>_nic=<mac>` names
    // its link: a bridge takes its first port's MAC), or none.
    Result<std::optional<LinkInfo>> find_by_mac(MacAddress const& mac);

    // Bridge VLANs of a port of a vlan_filtering bridge: what `bridge vlan add dev <port> vid
    // <vid> [pvid untagged]` and `bridge vlan del dev <port> vid <vid>` do. vid 1..4094.
    Result<void> add_bridge_vlan(std::string_view port, int vid, bool pvid_untagged);
    Result<void> remove_bridge_vlan(std::string_view port, int vid);

    // Addresses and routes (rtnl_ip.cpp).
    Result<void> add_address(std::string_view link, IpPrefix const& address);
    Result<void> remove_address(std::string_view link, IpPrefix const& address);
    Result<void> add_route(Route const& route);
    // The route of this destination (default when none) through this gateway and link (any when
    // not given).
    Result<void> remove_route(Route const& route);
    // net.ipv6.conf.<link>.autoconf and .accept_ra of this namespace.
    Result<void> set_ipv6_addrconf(std::string_view link, bool autoconf, bool accept_ra);

    // Traffic control (rtnl_tc.cpp). What `tc qdisc replace dev <link> root tbf ...` does: a tbf
    // as the root qdisc, changed in place when one is there already.
    Result<void> replace_root_tbf(std::string_view link, TokenBucket const& bucket);
    // `tc qdisc del dev <link> root`: NotFound when the link has only its default qdisc (or is
    // gone).
    Result<void> delete_root_qdisc(std::string_view link);
    // `tc qdisc replace dev <link> ingress` and `tc qdisc del dev <link> ingress` (NotFound when
    // there is none); deleting it deletes its filters.
    Result<void> replace_ingress_qdisc(std::string_view link);
    Result<void> delete_ingress_qdisc(std::string_view link);
    // `tc filter replace dev <link> parent ffff: prio 1 handle 800::800 protocol all u32 match u32
    // 0 0 action mirred egress redirect dev <target>`: everything link receives goes out through
    // target instead (an IFB puts it back on link's receive path). Needs the ingress qdisc.
    Result<void> replace_ingress_redirect(std::string_view link, std::string_view target);

    Netns const& netns() const { return m_netns; }

private:
    struct SocketFree {
        void operator()(nl_sock* sock) const;
    };
    Rtnl(std::unique_ptr<nl_sock, SocketFree> sock, Netns netns);

    // Sends raw (owned from here on; null: it could not be built) and waits for the kernel's
    // answer; what names the operation in an error.
    Result<void> request(nl_msg* raw, std::string const& what);
    Result<int> index_of(std::string_view name, std::string const& what);
    Result<void> address_request(
        int type, std::string_view link, IpPrefix const& address, std::string const& what);
    Result<void> route_request(int type, Route const& route, std::string const& what);

    std::unique_ptr<nl_sock, SocketFree> m_sock;
    Netns m_netns;
};

} // namespace lumos::net
