// SPDX-License-Identifier: MPL-2.0
// The session: its socket, one request/acknowledge exchange, and reading links.
#include "net/rtnl.hpp"

#include "net/detail/netlink.hpp"

#include <cerrno>

#include <linux/if.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/socket.h>

namespace lumos::net {

namespace detail {

Error kernel_error(std::string const& what, int errno_value)
{
    Error error = Error::from_errno(what, errno_value);
    switch (errno_value) {
    case ENODEV:
    case ESRCH:
        return Error(ErrorCode::NotFound, error.message(), errno_value);
    case ERANGE:
    case EADDRNOTAVAIL:
    case ENETUNREACH:
        return Error(ErrorCode::InvalidArgument, error.message(), errno_value);
    case EOPNOTSUPP:
    case EAFNOSUPPORT:
        return Error(ErrorCode::Unsupported, error.message(), errno_value);
    default:
        return error;
    }
}

Error libnl_error(std::string const& what, int nle)
{
    int const code = nle < 0 ? -nle : nle;
    if (code == NLE_NODEV || code == NLE_OBJ_NOTFOUND) {
        return Error(ErrorCode::NotFound, what + ": " + nl_geterror(code));
    }
    return Error(ErrorCode::System, what + ": " + nl_geterror(code));
}

Error build_error(std::string const& what)
{
    return Error(ErrorCode::Internal, what + ": cannot build the netlink message");
}

} // namespace detail

namespace {

struct Exchange {
    int errno_value = 0;
    bool done = false;
};

int on_error(sockaddr_nl* /*peer*/, nlmsgerr* error, void* arg)
{
    auto* exchange = static_cast<Exchange*>(arg);
    exchange->errno_value = -error->error;
    exchange->done = true;
    return NL_STOP;
}

int on_ack(nl_msg* /*msg*/, void* arg)
{
    static_cast<Exchange*>(arg)->done = true;
    return NL_STOP;
}

struct CbFree {
    void operator()(nl_cb* cb) const { nl_cb_put(cb); }
};

struct LinkFree {
    void operator()(rtnl_link* link) const { rtnl_link_put(link); }
};

struct CacheFree {
    void operator()(nl_cache* cache) const { nl_cache_free(cache); }
};

LinkInfo link_info(rtnl_link* link)
{
    LinkInfo info;
    char const* name = rtnl_link_get_name(link);
    info.name = name != nullptr ? name : "";
    info.index = rtnl_link_get_ifindex(link);
    nl_addr* addr = rtnl_link_get_addr(link);
    if (addr != nullptr && nl_addr_get_len(addr) == info.mac.bytes.size()) {
        auto const* bytes = static_cast<std::uint8_t const*>(nl_addr_get_binary_addr(addr));
        std::copy(bytes, bytes + info.mac.bytes.size(), info.mac.bytes.begin());
    }
    info.mtu = rtnl_link_get_mtu(link);
    info.up = (rtnl_link_get_flags(link) & IFF_UP) != 0;
    info.master = rtnl_link_get_master(link);
    char const* kind = rtnl_link_get_type(link);
    info.kind = kind != nullptr ? kind : "";
    return info;
}

} // namespace

void Rtnl::SocketFree::operator()(nl_sock* sock) const
{
    nl_socket_free(sock);
}

Rtnl::Rtnl(std::unique_ptr<nl_sock, SocketFree> sock, Netns netns)
    : m_sock(std::move(sock))
    , m_netns(std::move(netns))
{
}

Rtnl::Rtnl(Rtnl&&) noexcept = default;
Rtnl& Rtnl::operator=(Rtnl&&) noexcept = default;
Rtnl::~Rtnl() = default;

Result<Rtnl> Rtnl::in(Netns const& netns)
{
    std::unique_ptr<nl_sock, SocketFree> sock(nl_socket_alloc());
    if (!sock) {
        return make_error(ErrorCode::System, "rtnetlink session: out of memory");
    }
    TRY(in_netns(netns, [&sock]() -> Result<void> {
        int const rc = nl_connect(sock.get(), NETLINK_ROUTE);
        if (rc < 0) {
            return tl::unexpected(detail::libnl_error("rtnetlink session: connect", rc));
        }
        return {};
    }));
    TRY_ASSIGN(own, netns.duplicate());
    return Rtnl(std::move(sock), std::move(own));
}

Result<void> Rtnl::request(nl_msg* raw, std::string const& what)
{
    detail::Msg msg(raw);
    if (!msg) {
        return tl::unexpected(detail::build_error(what));
    }
    std::unique_ptr<nl_cb, CbFree> cb(nl_cb_alloc(NL_CB_DEFAULT));
    if (!cb) {
        return make_error(ErrorCode::System, what + ": out of memory");
    }
    Exchange exchange;
    nl_cb_err(cb.get(), NL_CB_CUSTOM, on_error, &exchange);
    nl_cb_set(cb.get(), NL_CB_ACK, NL_CB_CUSTOM, on_ack, &exchange);
    nlmsg_hdr(msg.get())->nlmsg_flags |= NLM_F_ACK;
    int rc = nl_send_auto(m_sock.get(), msg.get());
    if (rc < 0) {
        return tl::unexpected(detail::libnl_error(what, rc));
    }
    while (!exchange.done) {
        rc = nl_recvmsgs(m_sock.get(), cb.get());
        if (rc < 0 && exchange.errno_value == 0) {
            return tl::unexpected(detail::libnl_error(what, rc));
        }
    }
    if (exchange.errno_value != 0) {
        return tl::unexpected(detail::kernel_error(what, exchange.errno_value));
    }
    return {};
}

Result<LinkInfo> Rtnl::link(std::string_view name)
{
    std::string const what = "link " + std::string(name);
    TRY(check_link_name(name).map_error([&](Error e) { return std::move(e).with_context(what); }));
    rtnl_link* raw = nullptr;
    int const rc = rtnl_link_get_kernel(m_sock.get(), 0, std::string(name).c_str(), &raw);
    std::unique_ptr<rtnl_link, LinkFree> link(raw);
    if (rc < 0) {
        return tl::unexpected(detail::libnl_error(what, rc));
    }
    return link_info(link.get());
}

Result<int> Rtnl::index_of(std::string_view name, std::string const& what)
{
    auto info = link(name);
    if (!info) {
        return tl::unexpected(std::move(info).error().with_context(what));
    }
    return info->index;
}

Result<std::vector<LinkInfo>> Rtnl::links()
{
    nl_cache* raw = nullptr;
    int const rc = rtnl_link_alloc_cache(m_sock.get(), AF_UNSPEC, &raw);
    std::unique_ptr<nl_cache, CacheFree> cache(raw);
    if (rc < 0) {
        return tl::unexpected(detail::libnl_error("list links", rc));
    }
    std::vector<LinkInfo> all;
    for (nl_object* obj = nl_cache_get_first(cache.get()); obj != nullptr;
         obj = nl_cache_get_next(obj)) {
        // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): libnl's object "subclass"
        all.push_back(link_info(reinterpret_cast<rtnl_link*>(obj)));
    }
    return all;
}

Result<std::optional<LinkInfo>> Rtnl::find_by_mac(MacAddress const& mac)
{
    std::string const what = "find link with MAC " + mac.str();
    nl_cache* raw = nullptr;
    int const rc = rtnl_link_alloc_cache(m_sock.get(), AF_UNSPEC, &raw);
    std::unique_ptr<nl_cache, CacheFree> cache(raw);
    if (rc < 0) {
        return tl::unexpected(detail::libnl_error(what, rc));
    }
    for (nl_object* obj = nl_cache_get_first(cache.get()); obj != nullptr;
         obj = nl_cache_get_next(obj)) {
        // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): libnl's object "subclass"
        auto info = link_info(reinterpret_cast<rtnl_link*>(obj));
        if (info.mac == mac) {
            return std::optional<LinkInfo>(std::move(info));
        }
    }
    return std::optional<LinkInfo>();
}

} // namespace lumos::net
