// SPDX-License-Identifier: MPL-2.0
// Addresses, routes and the IPv6 addrconf switches of the session's namespace.
#include "base/unique_fd.hpp"
#include "net/detail/netlink.hpp"
#include "net/rtnl.hpp"

#include <cerrno>

#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <unistd.h>

namespace lumos::net {
namespace {

unsigned char af_of(IpFamily family)
{
    return family == IpFamily::V4 ? AF_INET : AF_INET6;
}

bool put_ip(nl_msg* msg, int type, IpAddress const& address)
{
    return nla_put(msg, type, static_cast<int>(address.size()), address.bytes.data()) >= 0;
}

std::string route_text(Route const& route)
{
    std::string text = route.destination ? route.destination->network().str() : "default";
    if (route.gateway) {
        text += " via " + route.gateway->str();
    }
    if (!route.link.empty()) {
        text += " dev " + route.link;
    }
    return text;
}

} // namespace

Result<void> Rtnl::add_address(std::string_view link, IpPrefix const& address)
{
    return address_request(
        RTM_NEWADDR, link, address, "add address " + address.str() + " to " + std::string(link));
}

Result<void> Rtnl::remove_address(std::string_view link, IpPrefix const& address)
{
    return address_request(RTM_DELADDR, link, address,
        "remove address " + address.str() + " from " + std::string(link));
}

Result<void> Rtnl::address_request(
    int type, std::string_view link, IpPrefix const& address, std::string const& what)
{
    TRY_ASSIGN(index, index_of(link, what));
    ifaddrmsg header {};
    header.ifa_family = af_of(address.address.family);
    header.ifa_prefixlen = static_cast<unsigned char>(address.length);
    header.ifa_scope = RT_SCOPE_UNIVERSE;
    header.ifa_index = static_cast<unsigned>(index);
    int const flags
        = type == RTM_NEWADDR ? NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL : NLM_F_REQUEST;
    detail::Msg msg = detail::new_request(type, flags, header);
    bool const built = msg && put_ip(msg.get(), IFA_LOCAL, address.address)
        && put_ip(msg.get(), IFA_ADDRESS, address.address);
    auto done = request(built ? msg.release() : nullptr, what);
    // The kernel's answer to removing an address the link does not have.
    if (!done && type == RTM_DELADDR && done.error().errno_value() == EADDRNOTAVAIL) {
        return tl::unexpected(Error(ErrorCode::NotFound, done.error().message(), EADDRNOTAVAIL));
    }
    return done;
}

Result<void> Rtnl::add_route(Route const& route)
{
    return route_request(RTM_NEWROUTE, route, "add route " + route_text(route));
}

Result<void> Rtnl::remove_route(Route const& route)
{
    return route_request(RTM_DELROUTE, route, "remove route " + route_text(route));
}

Result<void> Rtnl::route_request(int type, Route const& route, std::string const& what)
{
    if (!route.destination && !route.gateway) {
        return make_error(ErrorCode::InvalidArgument, what + ": a default route needs a gateway");
    }
    if (!route.gateway && route.link.empty()) {
        return make_error(ErrorCode::InvalidArgument, what + ": an on-link route needs a link");
    }
    IpFamily const family
        = route.destination ? route.destination->address.family : route.gateway->family;
    if (route.gateway && route.gateway->family != family) {
        return make_error(ErrorCode::InvalidArgument,
            what + ": the gateway is not of the destination's address family");
    }
    int oif = 0;
    if (!route.link.empty()) {
        TRY_ASSIGN(index, index_of(route.link, what));
        oif = index;
    }
    rtmsg header {};
    header.rtm_family = af_of(family);
    header.rtm_dst_len
        = static_cast<unsigned char>(route.destination ? route.destination->length : 0);
    header.rtm_table = RT_TABLE_MAIN;
    if (type == RTM_NEWROUTE) {
        header.rtm_protocol = RTPROT_STATIC;
        header.rtm_scope = route.gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
        header.rtm_type = RTN_UNICAST;
    } else {
        // As `ip route del`: any protocol, scope and type, so a route the kernel made goes too.
        header.rtm_scope = RT_SCOPE_NOWHERE;
    }
    int const flags
        = type == RTM_NEWROUTE ? NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL : NLM_F_REQUEST;
    detail::Msg msg = detail::new_request(type, flags, header);
    bool built = static_cast<bool>(msg);
    if (built && route.destination && route.destination->length > 0) {
        built = put_ip(msg.get(), RTA_DST, route.destination->network().address);
    }
    if (built && route.gateway) {
        built = put_ip(msg.get(), RTA_GATEWAY, *route.gateway);
    }
    if (built && oif != 0) {
        built = nla_put_u32(msg.get(), RTA_OIF, static_cast<std::uint32_t>(oif)) >= 0;
    }
    return request(built ? msg.release() : nullptr, what);
}

Result<void> Rtnl::set_ipv6_addrconf(std::string_view link, bool autoconf, bool accept_ra)
{
    std::string const what = "set IPv6 addrconf of " + std::string(link);
    TRY(index_of(link, what)); // also refuses a name with '/' before it reaches a path
    // /proc/sys/net answers for the namespace of the thread that opens it.
    return in_netns(m_netns, [&]() -> Result<void> {
        for (auto const& [key, on] :
            { std::pair { "autoconf", autoconf }, std::pair { "accept_ra", accept_ra } }) {
            std::string const path
                = "/proc/sys/net/ipv6/conf/" + std::string(link) + "/" + std::string(key);
            std::string const sysctl
                = "net.ipv6.conf." + std::string(link) + "." + std::string(key);
            UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
            if (!fd.valid()) {
                return tl::unexpected(detail::kernel_error(what + ": " + sysctl, errno));
            }
            char const value = on ? '1' : '0';
            if (::write(fd.get(), &value, 1) != 1) {
                return tl::unexpected(detail::kernel_error(what + ": " + sysctl, errno));
            }
        }
        return {};
    });
}

} // namespace lumos::net
