// SPDX-License-Identifier: MPL-2.0
#include "net/dhcp_lease.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <optional>

namespace lumos::net {
namespace {

Error refused(std::string const& what, std::string_view value)
{
    std::string shown(value.substr(0, 64));
    for (char& c : shown) {
        auto const byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f) {
            c = '?';
        }
    }
    return Error(ErrorCode::InvalidArgument,
        "invalid " + what + " \"" + shown + (value.size() > 64 ? "...\"" : "\""));
}

bool has_control(std::string_view value)
{
    return std::any_of(value.begin(), value.end(), [](char c) {
        auto const byte = static_cast<unsigned char>(c);
        return byte < 0x20 || byte == 0x7f;
    });
}

// The value of key, checked for length and control characters; nullopt when absent or empty.
Result<std::optional<std::string_view>> value_of(DhcpEnvironment const& env, std::string_view key)
{
    auto const it = env.find(key);
    if (it == env.end() || it->second.empty()) {
        return std::optional<std::string_view> {};
    }
    std::string_view const value = it->second;
    if (value.size() > DHCP_MAX_VALUE || has_control(value)) {
        return tl::unexpected(refused(std::string(key), value));
    }
    return std::optional<std::string_view> { value };
}

template <typename T>
std::optional<T> decimal(std::string_view text)
{
    T value {};
    auto const* const end = text.data() + text.size();
    auto const [stop, error] = std::from_chars(text.data(), end, value, 10);
    if (text.empty() || text.size() > 10 || error != std::errc() || stop != end) {
        return std::nullopt;
    }
    return value;
}

std::uint32_t bits_of(IpAddress const& address)
{
    return (std::uint32_t { address.bytes[0] } << 24U) | (std::uint32_t { address.bytes[1] } << 16U)
        | (std::uint32_t { address.bytes[2] } << 8U) | std::uint32_t { address.bytes[3] };
}

std::uint32_t mask_of(int length)
{
    return length == 0 ? 0U : ~std::uint32_t { 0 } << static_cast<unsigned>(32 - length);
}

// A unicast IPv4 address a host may have or talk to: not 0/8, loopback, link-local, multicast,
// class E or the limited broadcast.
Result<IpAddress> unicast_v4(std::string const& what, std::string_view text)
{
    auto const parsed = IpAddress::parse(text);
    if (!parsed || parsed->family != IpFamily::V4) {
        return tl::unexpected(refused(what, text));
    }
    std::uint32_t const bits = bits_of(*parsed);
    std::uint32_t const first = bits >> 24U;
    bool const link_local = (bits >> 16U) == 0xa9feU;
    if (first == 0 || first == 127 || first >= 224 || link_local) {
        return tl::unexpected(refused(what, text));
    }
    return *parsed;
}

Result<std::vector<IpAddress>> address_list(
    std::string const& what, std::string_view text, std::size_t max)
{
    std::vector<IpAddress> out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t const space = std::min(text.find(' ', pos), text.size());
        std::string_view const item = text.substr(pos, space - pos);
        pos = space + 1;
        if (item.empty()) {
            continue;
        }
        if (out.size() == max) {
            return make_error(ErrorCode::InvalidArgument,
                "invalid " + what + ": more than " + std::to_string(max) + " addresses");
        }
        TRY_ASSIGN(address, unicast_v4(what, item));
        out.push_back(address);
    }
    return out;
}

// A DNS name as a resolver takes it: dot-separated labels of letters, digits and '-' (not at a
// label's ends), 1..63 bytes each, 253 in all, one trailing dot allowed.
bool dns_name(std::string_view name)
{
    if (!name.empty() && name.back() == '.') {
        name.remove_suffix(1);
    }
    if (name.empty() || name.size() > 253) {
        return false;
    }
    std::size_t pos = 0;
    while (pos <= name.size()) {
        std::size_t const dot = std::min(name.find('.', pos), name.size());
        std::string_view const label = name.substr(pos, dot - pos);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
            return false;
        }
        bool const ok = std::all_of(label.begin(), label.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '-';
        });
        if (!ok) {
            return false;
        }
        pos = dot + 1;
    }
    return true;
}

// The prefix length of mask (a length) and subnet (dotted), which must agree when both are
// given.
Result<int> prefix_length(
    std::optional<std::string_view> mask, std::optional<std::string_view> subnet)
{
    std::optional<int> length;
    if (mask) {
        auto const value = decimal<int>(*mask);
        if (!value || *value < 1 || *value > 32) {
            return tl::unexpected(refused("mask", *mask));
        }
        length = *value;
    }
    if (subnet) {
        auto const parsed = IpAddress::parse(*subnet);
        if (!parsed || parsed->family != IpFamily::V4) {
            return tl::unexpected(refused("subnet", *subnet));
        }
        std::uint32_t const bits = bits_of(*parsed);
        auto const ones = static_cast<int>(std::countl_one(bits));
        if (ones < 1 || bits != mask_of(ones) || (length && *length != ones)) {
            return tl::unexpected(refused("subnet", *subnet));
        }
        length = ones;
    }
    if (!length) {
        return make_error(ErrorCode::InvalidArgument, "invalid lease: no subnet mask");
    }
    return *length;
}

bool in_subnet(IpAddress const& address, IpPrefix const& subnet)
{
    std::uint32_t const mask = mask_of(subnet.length);
    return (bits_of(address) & mask) == (bits_of(subnet.address) & mask);
}

bool gone(Result<void> const& done)
{
    return done || done.error().code() == ErrorCode::NotFound
        || done.error().errno_value() == ESRCH;
}

Route default_route(DhcpLease const& lease)
{
    return Route { .gateway = lease.routers.front(), .link = lease.interface };
}

} // namespace

Result<DhcpLease> parse_dhcp_lease(DhcpEnvironment const& env)
{
    DhcpLease lease;
    TRY_ASSIGN(interface, value_of(env, "interface"));
    if (!interface || !check_link_name(*interface)) {
        return tl::unexpected(refused("interface", interface.value_or("")));
    }
    lease.interface = *interface;
    TRY_ASSIGN(ip, value_of(env, "ip"));
    if (!ip) {
        return make_error(ErrorCode::InvalidArgument, "invalid lease: no ip");
    }
    TRY_ASSIGN(address, unicast_v4("ip", *ip));
    TRY_ASSIGN(mask, value_of(env, "mask"));
    TRY_ASSIGN(subnet, value_of(env, "subnet"));
    TRY_ASSIGN(length, prefix_length(mask, subnet));
    lease.address = IpPrefix { address, length };
    std::uint32_t const host = bits_of(address) & ~mask_of(length);
    if (length <= 30 && (host == 0 || host == ~mask_of(length))) {
        return tl::unexpected(refused("ip", std::string(*ip) + "/" + std::to_string(length)));
    }
    TRY_ASSIGN(routers, value_of(env, "router"));
    if (routers) {
        TRY_ASSIGN(list, address_list("router", *routers, DHCP_MAX_ROUTERS));
        for (auto const& router : list) {
            if (router == address || !in_subnet(router, lease.address)) {
                return tl::unexpected(refused("router", router.str()));
            }
        }
        lease.routers = std::move(list);
    }
    TRY_ASSIGN(dns, value_of(env, "dns"));
    if (dns) {
        TRY_ASSIGN(list, address_list("dns", *dns, DHCP_MAX_DNS));
        lease.dns = std::move(list);
    }
    TRY_ASSIGN(domain, value_of(env, "domain"));
    if (domain) {
        if (!dns_name(*domain)) {
            return tl::unexpected(refused("domain", *domain));
        }
        lease.domain = *domain;
    }
    TRY_ASSIGN(seconds, value_of(env, "lease"));
    if (seconds) {
        auto const value = decimal<std::uint32_t>(*seconds);
        if (!value) {
            return tl::unexpected(refused("lease", *seconds));
        }
        lease.lease_seconds = *value;
    }
    TRY_ASSIGN(server, value_of(env, "serverid"));
    if (server) {
        TRY_ASSIGN(server_address, unicast_v4("serverid", *server));
        lease.server = server_address;
    }
    return lease;
}

Json dhcp_lease_json(DhcpLease const& lease)
{
    Json routers = Json::array();
    for (auto const& router : lease.routers) {
        routers.push_back(router.str());
    }
    Json dns = Json::array();
    for (auto const& server : lease.dns) {
        dns.push_back(server.str());
    }
    Json json { { "interface", lease.interface }, { "ip", lease.address.address.str() },
        { "prefix", lease.address.length }, { "routers", routers }, { "dns", dns },
        { "domain", lease.domain }, { "lease", lease.lease_seconds } };
    if (lease.server) {
        json["server"] = lease.server->str();
    }
    return json;
}

Result<DhcpLease> dhcp_lease_from_json(Json const& json)
{
    if (!json.is_object()) {
        return make_error(ErrorCode::InvalidArgument, "invalid lease file: not an object");
    }
    auto joined = [&](char const* key) -> Result<std::string> {
        Json const* list = json_member(json, key);
        std::string text;
        if (list == nullptr) {
            return text;
        }
        if (!list->is_array()) {
            return make_error(ErrorCode::InvalidArgument,
                "invalid lease file: " + std::string(key) + " is not a list");
        }
        for (auto const& item : *list) {
            if (!item.is_string()) {
                return make_error(ErrorCode::InvalidArgument,
                    "invalid lease file: " + std::string(key) + " holds a non-string");
            }
            text += (text.empty() ? "" : " ") + item.get<std::string>();
        }
        return text;
    };
    DhcpEnvironment env { { "interface", string_or(json, "interface") },
        { "ip", string_or(json, "ip") }, { "mask", std::to_string(int_or(json, "prefix", 0)) },
        { "domain", string_or(json, "domain") },
        { "lease", std::to_string(int_or(json, "lease", 0)) },
        { "serverid", string_or(json, "server") } };
    TRY_ASSIGN(routers, joined("routers"));
    TRY_ASSIGN(dns, joined("dns"));
    env["router"] = routers;
    env["dns"] = dns;
    return parse_dhcp_lease(env);
}

std::string dhcp_resolv_conf(DhcpLease const& lease)
{
    std::string text = "# lumos: from the DHCP lease of " + lease.interface + "\n";
    if (!lease.domain.empty()) {
        text += "search " + lease.domain + "\n";
    }
    for (auto const& server : lease.dns) {
        text += "nameserver " + server.str() + "\n";
    }
    return text;
}

Result<void> apply_dhcp_lease(
    Rtnl& rtnl, DhcpLease const& lease, DhcpLease const* previous, bool primary)
{
    if (previous != nullptr) {
        bool const same_address
            = previous->address == lease.address && previous->interface == lease.interface;
        bool const same_route = same_address && previous->routers.empty() == lease.routers.empty()
            && (lease.routers.empty() || previous->routers.front() == lease.routers.front());
        if (primary && !previous->routers.empty() && !same_route) {
            auto removed = rtnl.remove_route(default_route(*previous));
            if (!gone(removed)) {
                return removed;
            }
        }
        if (!same_address) {
            auto removed = rtnl.remove_address(previous->interface, previous->address);
            if (!gone(removed)) {
                return removed;
            }
        }
    }
    auto added = rtnl.add_address(lease.interface, lease.address);
    if (!added && added.error().code() != ErrorCode::AlreadyExists) {
        return added;
    }
    if (primary && !lease.routers.empty()) {
        auto routed = rtnl.add_route(default_route(lease));
        if (!routed && routed.error().code() != ErrorCode::AlreadyExists) {
            return routed;
        }
    }
    return {};
}

Result<void> remove_dhcp_lease(Rtnl& rtnl, DhcpLease const& lease, bool primary)
{
    if (primary && !lease.routers.empty()) {
        auto removed = rtnl.remove_route(default_route(lease));
        if (!gone(removed)) {
            return removed;
        }
    }
    auto removed = rtnl.remove_address(lease.interface, lease.address);
    if (!gone(removed)) {
        return removed;
    }
    return {};
}

} // namespace lumos::net
