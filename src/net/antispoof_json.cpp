// SPDX-License-Identifier: MPL-2.0
// A VnicFilter as JSON and back (net/antispoof.hpp). Pure.
#include "net/antispoof.hpp"

namespace lumos::net {

using nlohmann::json;

json vnic_filter_to_json(VnicFilter const& filter)
{
    json ips = json::array();
    for (auto const& ip : filter.ips) {
        ips.push_back(ip.str());
    }
    json allowed = json::array();
    for (auto const& prefix : filter.allowed_ips) {
        allowed.push_back(prefix.str());
    }
    return { { "host_link", filter.host_link }, { "mac", filter.mac.str() }, { "ips", ips },
        { "allowed_ips", allowed }, { "addrconf", filter.addrconf },
        { "allow_ip_spoofing", filter.allow_ip_spoofing },
        { "allow_mac_spoofing", filter.allow_mac_spoofing },
        { "allow_dhcp_spoofing", filter.allow_dhcp_spoofing },
        { "allow_restricted_traffic", filter.allow_restricted_traffic },
        { "dhcp_server", filter.dhcp_server } };
}

Result<VnicFilter> vnic_filter_from_json(json const& text)
{
    auto bad
        = [] { return make_error(ErrorCode::InvalidArgument, "malformed anti-spoofing filter"); };
    if (!text.is_object()) {
        return bad();
    }
    VnicFilter filter;
    auto const link = text.find("host_link");
    auto const mac = text.find("mac");
    if (link == text.end() || !link->is_string() || mac == text.end() || !mac->is_string()) {
        return bad();
    }
    filter.host_link = link->get<std::string>();
    TRY(check_link_name(filter.host_link));
    TRY_ASSIGN(parsed_mac, MacAddress::parse(mac->get<std::string>()));
    filter.mac = parsed_mac;
    auto strings = [&](char const* key) -> Result<std::vector<std::string>> {
        auto const list = text.find(key);
        if (list == text.end() || !list->is_array()) {
            return bad();
        }
        std::vector<std::string> out;
        for (auto const& item : *list) {
            if (!item.is_string()) {
                return bad();
            }
            out.push_back(item.get<std::string>());
        }
        return out;
    };
    TRY_ASSIGN(ips, strings("ips"));
    for (auto const& ip : ips) {
        TRY_ASSIGN(address, IpAddress::parse(ip));
        filter.ips.push_back(address);
    }
    TRY_ASSIGN(allowed, strings("allowed_ips"));
    for (auto const& entry : allowed) {
        TRY_ASSIGN(prefix, IpPrefix::parse(entry));
        filter.allowed_ips.push_back(prefix);
    }
    auto flag = [&](char const* key) {
        auto const value = text.find(key);
        return value != text.end() && value->is_boolean() && value->get<bool>();
    };
    filter.addrconf = flag("addrconf");
    filter.allow_ip_spoofing = flag("allow_ip_spoofing");
    filter.allow_mac_spoofing = flag("allow_mac_spoofing");
    filter.allow_dhcp_spoofing = flag("allow_dhcp_spoofing");
    filter.allow_restricted_traffic = flag("allow_restricted_traffic");
    filter.dhcp_server = flag("dhcp_server");
    return filter;
}

} // namespace lumos::net
