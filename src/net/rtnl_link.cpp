// SPDX-License-Identifier: MPL-2.0
// Link requests: bridges, veth pairs, IFBs, state, masters and bridge VLANs, as raw rtnetlink
// messages built with libnl (libnl-route 3.7 has no bridge vlan_filtering or VLAN requests).
#include "net/detail/netlink.hpp"
#include "net/rtnl.hpp"

#include <linux/if.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <netlink/attr.h>

namespace lumos::net {
namespace {

constexpr int CREATE_FLAGS = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
constexpr int VID_MAX = 4094;
// Some kernels are built without CONFIG_BRIDGE_VLAN_FILTERING (these CI machines among them):
// the kernel's EOPNOTSUPP alone would not say what is missing.
constexpr char const* NO_VLAN_FILTERING
    = "this kernel has no bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING)";

Result<void> explain_vlan_error(Result<void> result)
{
    if (!result && result.error().code() == ErrorCode::Unsupported) {
        return tl::unexpected(Error(ErrorCode::Unsupported,
            result.error().message() + ": " + NO_VLAN_FILTERING, result.error().errno_value()));
    }
    return result;
}

Result<void> checked_name(std::string_view name, std::string const& what)
{
    return check_link_name(name).map_error(
        [&](Error e) { return std::move(e).with_context(what); });
}

// Nested IFLA_LINKINFO { IFLA_INFO_KIND kind, IFLA_INFO_DATA { fill() } }: false when the
// message has no room.
template <typename Fill>
bool put_link_info(nl_msg* msg, char const* kind, Fill const& fill)
{
    nlattr* info = nla_nest_start(msg, IFLA_LINKINFO);
    if (info == nullptr || nla_put_string(msg, IFLA_INFO_KIND, kind) < 0) {
        return false;
    }
    nlattr* data = nla_nest_start(msg, IFLA_INFO_DATA);
    if (data == nullptr || !fill(msg)) {
        return false;
    }
    nla_nest_end(msg, data);
    nla_nest_end(msg, info);
    return true;
}

bool put_name_mtu(nl_msg* msg, std::string const& name, unsigned mtu)
{
    return nla_put_string(msg, IFLA_IFNAME, name.c_str()) >= 0
        && (mtu == 0 || nla_put_u32(msg, IFLA_MTU, mtu) >= 0);
}

} // namespace

Result<void> Rtnl::create_bridge(BridgeSpec const& spec)
{
    std::string const what = "create bridge " + spec.name;
    TRY(checked_name(spec.name, what));
    ifinfomsg header {};
    header.ifi_family = AF_UNSPEC;
    if (spec.up) {
        header.ifi_flags = IFF_UP;
        header.ifi_change = IFF_UP;
    }
    detail::Msg msg = detail::new_request(RTM_NEWLINK, CREATE_FLAGS, header);
    bool const built = msg && put_name_mtu(msg.get(), spec.name, spec.mtu)
        && put_link_info(msg.get(), "bridge", [&](nl_msg* m) {
               // Off is the default: the attribute is sent only to turn it on, since a kernel
               // without VLAN filtering refuses it even as 0.
               return !spec.vlan_filtering || nla_put_u8(m, IFLA_BR_VLAN_FILTERING, 1) >= 0;
           });
    auto created = request(built ? msg.release() : nullptr, what);
    return spec.vlan_filtering ? explain_vlan_error(std::move(created)) : created;
}

Result<void> Rtnl::create_veth(VethSpec const& spec)
{
    std::string const what
        = "create veth " + spec.name + (spec.owner.empty() ? "" : " for " + spec.owner);
    TRY(checked_name(spec.name, what));
    TRY(checked_name(spec.peer_name, what));
    if (spec.peer_mac && (spec.peer_mac->is_multicast() || spec.peer_mac->is_zero())) {
        return make_error(ErrorCode::InvalidArgument,
            what + ": " + spec.peer_mac->str() + " is not a unicast MAC address");
    }
    ifinfomsg header {};
    header.ifi_family = AF_UNSPEC;
    detail::Msg msg = detail::new_request(RTM_NEWLINK, CREATE_FLAGS, header);
    auto const fill_peer = [&](nl_msg* m) {
        nlattr* peer = nla_nest_start(m, VETH_INFO_PEER);
        ifinfomsg peer_header {};
        peer_header.ifi_family = AF_UNSPEC;
        if (peer == nullptr || nlmsg_append(m, &peer_header, sizeof(peer_header), NLMSG_ALIGNTO) < 0
            || !put_name_mtu(m, spec.peer_name, spec.mtu)) {
            return false;
        }
        if (spec.peer_mac
            && nla_put(m, IFLA_ADDRESS, static_cast<int>(spec.peer_mac->bytes.size()),
                   spec.peer_mac->bytes.data())
                < 0) {
            return false;
        }
        if (spec.peer_netns != nullptr
            && nla_put_u32(m, IFLA_NET_NS_FD, static_cast<std::uint32_t>(spec.peer_netns->fd()))
                < 0) {
            return false;
        }
        nla_nest_end(m, peer);
        return true;
    };
    bool const built = msg && put_name_mtu(msg.get(), spec.name, spec.mtu)
        && put_link_info(msg.get(), "veth", fill_peer);
    return request(built ? msg.release() : nullptr, what);
}

Result<void> Rtnl::create_ifb(std::string_view name)
{
    std::string const what = "create ifb " + std::string(name);
    TRY(checked_name(name, what));
    ifinfomsg header {};
    header.ifi_family = AF_UNSPEC;
    header.ifi_flags = IFF_UP;
    header.ifi_change = IFF_UP;
    detail::Msg msg = detail::new_request(RTM_NEWLINK, CREATE_FLAGS, header);
    bool built = msg && put_name_mtu(msg.get(), std::string(name), 0);
    nlattr* info = built ? nla_nest_start(msg.get(), IFLA_LINKINFO) : nullptr;
    built = info != nullptr && nla_put_string(msg.get(), IFLA_INFO_KIND, "ifb") >= 0;
    if (built) {
        nla_nest_end(msg.get(), info);
    }
    return request(built ? msg.release() : nullptr, what);
}

Result<void> Rtnl::delete_link(std::string_view name)
{
    std::string const what = "delete link " + std::string(name);
    TRY(checked_name(name, what));
    ifinfomsg header {};
    header.ifi_family = AF_UNSPEC;
    detail::Msg msg = detail::new_request(RTM_DELLINK, NLM_F_REQUEST, header);
    bool const built
        = msg && nla_put_string(msg.get(), IFLA_IFNAME, std::string(name).c_str()) >= 0;
    return request(built ? msg.release() : nullptr, what);
}

Result<void> Rtnl::set_up(std::string_view name, bool up)
{
    std::string const what = "set link " + std::string(name) + (up ? " up" : " down");
    TRY(checked_name(name, what));
    ifinfomsg header {};
    header.ifi_family = AF_UNSPEC;
    header.ifi_flags = up ? static_cast<unsigned>(IFF_UP) : 0U;
    header.ifi_change = IFF_UP;
    detail::Msg msg = detail::new_request(RTM_NEWLINK, NLM_F_REQUEST, header);
    bool const built
        = msg && nla_put_string(msg.get(), IFLA_IFNAME, std::string(name).c_str()) >= 0;
    return request(built ? msg.release() : nullptr, what);
}

Result<void> Rtnl::set_mtu(std::string_view name, unsigned mtu)
{
    std::string const what = "set mtu of link " + std::string(name) + " to " + std::to_string(mtu);
    TRY(checked_name(name, what));
    ifinfomsg header {};
    header.ifi_family = AF_UNSPEC;
    detail::Msg msg = detail::new_request(RTM_NEWLINK, NLM_F_REQUEST, header);
    bool const built = msg && nla_put_string(msg.get(), IFLA_IFNAME, std::string(name).c_str()) >= 0
        && nla_put_u32(msg.get(), IFLA_MTU, mtu) >= 0;
    return request(built ? msg.release() : nullptr, what);
}

Result<void> Rtnl::set_master(std::string_view name, std::string_view master)
{
    std::string const what = master.empty()
        ? "release link " + std::string(name) + " from its bridge"
        : "enslave link " + std::string(name) + " to " + std::string(master);
    TRY(checked_name(name, what));
    int master_index = 0;
    if (!master.empty()) {
        TRY_ASSIGN(index, index_of(master, what));
        master_index = index;
    }
    ifinfomsg header {};
    header.ifi_family = AF_UNSPEC;
    detail::Msg msg = detail::new_request(RTM_NEWLINK, NLM_F_REQUEST, header);
    bool const built = msg && nla_put_string(msg.get(), IFLA_IFNAME, std::string(name).c_str()) >= 0
        && nla_put_u32(msg.get(), IFLA_MASTER, static_cast<std::uint32_t>(master_index)) >= 0;
    return request(built ? msg.release() : nullptr, what);
}

namespace {

detail::Msg bridge_vlan_request(int type, int port_index, int vid, bool pvid_untagged)
{
    ifinfomsg header {};
    header.ifi_family = AF_BRIDGE;
    header.ifi_index = port_index;
    detail::Msg msg = detail::new_request(type, NLM_F_REQUEST, header);
    if (!msg) {
        return msg;
    }
    bridge_vlan_info vlan {};
    vlan.vid = static_cast<std::uint16_t>(vid);
    vlan.flags = pvid_untagged ? BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED : 0;
    nlattr* spec = nla_nest_start(msg.get(), IFLA_AF_SPEC);
    if (spec == nullptr || nla_put(msg.get(), IFLA_BRIDGE_VLAN_INFO, sizeof(vlan), &vlan) < 0) {
        msg.reset();
        return msg;
    }
    nla_nest_end(msg.get(), spec);
    return msg;
}

} // namespace

Result<void> Rtnl::add_bridge_vlan(std::string_view port, int vid, bool pvid_untagged)
{
    std::string const what
        = "add vlan " + std::to_string(vid) + " to bridge port " + std::string(port);
    if (vid < 1 || vid > VID_MAX) {
        return make_error(ErrorCode::InvalidArgument, what + ": a VLAN id is 1 to 4094");
    }
    TRY_ASSIGN(index, index_of(port, what));
    return explain_vlan_error(
        request(bridge_vlan_request(RTM_SETLINK, index, vid, pvid_untagged).release(), what));
}

Result<void> Rtnl::remove_bridge_vlan(std::string_view port, int vid)
{
    std::string const what
        = "remove vlan " + std::to_string(vid) + " from bridge port " + std::string(port);
    if (vid < 1 || vid > VID_MAX) {
        return make_error(ErrorCode::InvalidArgument, what + ": a VLAN id is 1 to 4094");
    }
    TRY_ASSIGN(index, index_of(port, what));
    return explain_vlan_error(
        request(bridge_vlan_request(RTM_DELLINK, index, vid, false).release(), what));
}

} // namespace lumos::net
