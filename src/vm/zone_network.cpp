// SPDX-License-Identifier: MPL-2.0
#include "vm/zone_network.hpp"

#include "base/file.hpp"
#include "base/rollback.hpp"
#include "net/dhcp_client.hpp"
#include "net/dhcp_lease.hpp"
#include "net/names.hpp"
#include "net/vm_network.hpp"

#include <algorithm>
#include <set>

#include <unistd.h>

namespace lumos::vm {

namespace {

constexpr std::uint64_t BITS_PER_MBIT = 1000000; // nics.*.maxbw is in Mbit/s, as dladm's

constexpr unsigned DEFAULT_MTU = 1500;

std::vector<std::string> strings_of(Json const& nic, std::string_view key)
{
    std::vector<std::string> out;
    if (Json const* list = json_member(nic, key); list != nullptr && list->is_array()) {
        for (auto const& item : *list) {
            if (item.is_string()) {
                out.push_back(item.get<std::string>());
            }
        }
    }
    return out;
}

// SmartOS's link protection for the NIC: on unless its allow_* flags say otherwise.
Result<void> plan_filter(VnicPlan& vnic, Json const& nic, std::string const& what)
{
    net::VnicFilter& filter = vnic.filter;
    filter.host_link = vnic.host_link;
    filter.mac = vnic.mac;
    for (auto const& address : vnic.addresses) {
        filter.ips.push_back(address.address);
    }
    for (auto const& allowed : strings_of(nic, "allowed_ips")) {
        auto prefix = net::IpPrefix::parse(allowed);
        if (!prefix) {
            return tl::unexpected(std::move(prefix).error().with_context(what + " allowed_ips"));
        }
        filter.allowed_ips.push_back(prefix->network());
    }
    filter.addrconf = vnic.addrconf;
    filter.allow_ip_spoofing = bool_or(nic, "allow_ip_spoofing", false);
    filter.allow_mac_spoofing = bool_or(nic, "allow_mac_spoofing", false);
    filter.allow_dhcp_spoofing = bool_or(nic, "allow_dhcp_spoofing", false);
    filter.allow_restricted_traffic = bool_or(nic, "allow_restricted_traffic", false);
    filter.dhcp_server = bool_or(nic, "dhcp_server", false);
    return {};
}

// The NIC's name inside the zone: its interface (stored as "physical"), else net<N>/eth<N>.
std::string interface_of(Json const& nic, bool is_lx, size_t index)
{
    std::string interface = string_or(nic, "physical", string_or(nic, "interface"));
    if (interface.empty()) {
        interface = (is_lx ? "eth" : "net") + std::to_string(index);
    }
    return interface;
}

Result<VnicPlan> plan_vnic(
    Json const& nic, std::string const& uuid, HostConfig const& config, bool is_lx, size_t index)
{
    VnicPlan vnic;
    vnic.interface = interface_of(nic, is_lx, index);
    std::string const what = "NIC " + vnic.interface;
    vnic.host_link = net::host_link_name(uuid, vnic.interface);
    auto mac = net::MacAddress::parse(string_or(nic, "mac"));
    if (!mac) {
        return tl::unexpected(std::move(mac).error().with_context(what));
    }
    vnic.mac = *mac;
    vnic.tag = string_or(nic, "nic_tag", "admin");
    vnic.vlan = static_cast<int>(int_or(nic, "vlan_id", 0));
    NicTag const* tag = config.find_tag(vnic.tag);
    if (tag == nullptr) {
        return make_error(ErrorCode::NotFound,
            what + ": nic tag \"" + vnic.tag + "\" does not exist on this host (nictagadm list)");
    }
    switch (tag->kind) {
    case NicTagKind::Aggr:
        return make_error(ErrorCode::Unsupported,
            what + ": nic tag \"" + vnic.tag + "\" is on link aggregation " + tag->aggr
                + ", which lumos does not make");
    case NicTagKind::Normal: {
        auto uplink = net::MacAddress::parse(tag->mac);
        if (!uplink) {
            return make_error(ErrorCode::InvalidArgument,
                what + ": nic tag \"" + vnic.tag + "\" names no MAC address");
        }
        if (vnic.vlan != 0) {
            // A VLAN on a physical link is an 802.1Q sub-link, which these kernels lack (and
            // bridge VLAN filtering as well); an etherstub's VLANs are bridges of their own.
            return make_error(ErrorCode::Unsupported,
                what + ": vlan_id " + std::to_string(vnic.vlan) + " on nic tag \"" + vnic.tag
                    + "\" needs 802.1Q VLANs on its link, which this kernel does not offer");
        }
        vnic.uplink_mac = *uplink;
        break;
    }
    case NicTagKind::Etherstub:
        break;
    }
    vnic.bridge = net::tag_bridge_name(vnic.tag, vnic.vlan);
    int64_t const mtu = int_or(nic, "mtu", tag->mtu.value_or(DEFAULT_MTU));
    vnic.mtu = static_cast<unsigned>(std::clamp<int64_t>(mtu, 576, 9000));
    for (auto const& ip : strings_of(nic, "ips")) {
        if (ip == "dhcp") {
            vnic.dhcp = true;
        } else if (ip == "addrconf") {
            vnic.addrconf = true;
        } else {
            auto prefix = net::IpPrefix::parse(ip);
            if (!prefix) {
                return tl::unexpected(std::move(prefix).error().with_context(what));
            }
            vnic.addresses.push_back(*prefix);
        }
    }
    for (auto const& gateway : strings_of(nic, "gateways")) {
        auto address = net::IpAddress::parse(gateway);
        if (!address) {
            return tl::unexpected(std::move(address).error().with_context(what));
        }
        vnic.gateways.push_back(*address);
    }
    vnic.primary = bool_or(nic, "primary", false);
    TRY(plan_filter(vnic, nic, what));
    if (int64_t const maxbw = int_or(nic, "maxbw", 0); maxbw > 0) {
        vnic.shaping = net::VnicShaping { .host_link = vnic.host_link,
            .ifb_link = net::ifb_link_name(uuid, vnic.interface),
            .bits_per_second = static_cast<std::uint64_t>(maxbw) * BITS_PER_MBIT };
    }
    return vnic;
}

// A `routes` gateway: an address, "nics[<index>]" or "macs[<mac>]" (the route is then on-link
// through that NIC), as VM.js accepts them.
Result<net::Route> plan_route(
    std::string const& destination, std::string const& gateway, std::vector<VnicPlan> const& vnics)
{
    std::string const what = "route " + destination;
    net::Route route;
    auto target = net::IpPrefix::parse(destination);
    if (!target) {
        return tl::unexpected(std::move(target).error().with_context(what));
    }
    route.destination = target->network();
    auto inside = [&](std::string_view prefix) -> std::optional<std::string> {
        if (gateway.starts_with(prefix) && gateway.ends_with("]")) {
            return gateway.substr(prefix.size(), gateway.size() - prefix.size() - 1);
        }
        return std::nullopt;
    };
    if (auto index = inside("nics[")) {
        size_t const n = std::strtoul(index->c_str(), nullptr, 10);
        if (n >= vnics.size()) {
            return make_error(ErrorCode::InvalidArgument, what + ": the VM has no NIC " + *index);
        }
        route.link = vnics[n].interface;
    } else if (auto mac_text = inside("macs[")) {
        auto mac = net::MacAddress::parse(*mac_text);
        auto const it = std::find_if(vnics.begin(), vnics.end(),
            [&](VnicPlan const& vnic) { return mac && vnic.mac == *mac; });
        if (it == vnics.end()) {
            return make_error(
                ErrorCode::InvalidArgument, what + ": the VM has no NIC with MAC " + *mac_text);
        }
        route.link = it->interface;
    } else {
        auto address = net::IpAddress::parse(gateway);
        if (!address) {
            return tl::unexpected(std::move(address).error().with_context(what));
        }
        route.gateway = *address;
    }
    return route;
}

// The NIC's rules to apply now. A DHCP NIC's are also recorded where lumos-dhcp-event finds
// them (<zone dir>/<if>.filter.json), to add each lease's address; with the lease already
// applied (a live update), its address is kept.
Result<net::VnicFilter> filter_now(
    std::string const& zone_dir, VnicPlan const& vnic, bool keep_lease)
{
    net::VnicFilter filter = vnic.filter;
    if (!vnic.dhcp) {
        return filter;
    }
    TRY(write_file_replace(zone_dir + "/" + vnic.interface + net::dhcp::FILTER_SUFFIX,
        dump_compact(net::vnic_filter_to_json(filter)) + "\n", 0600));
    std::string const lease_file = zone_dir + "/" + vnic.interface + net::dhcp::LEASE_SUFFIX;
    if (!keep_lease) {
        (void)::unlink(lease_file.c_str()); // an earlier boot's
        return filter;
    }
    if (auto text = read_file_bounded(lease_file, 65536)) {
        if (auto json = parse_json(*text)) {
            if (auto lease = net::dhcp_lease_from_json(*json)) {
                filter.ips.push_back(lease->address.address);
            }
        }
    }
    return filter;
}

// One NIC: its veth pair, plugged and up, with its static addresses. Its host end is removed
// again when a later step fails.
Result<void> create_vnic(net::Rtnl& host, net::Rtnl& zone, std::string const& uuid,
    std::string const& zone_dir, VnicPlan const& vnic, Unenforced& unenforced)
{
    TRY_ASSIGN(filter, filter_now(zone_dir, vnic, false));
    TRY(ensure_tag_bridge(host, vnic));
    // The rules match the host end by name: in place before it exists, so no frame it ever
    // carries goes unchecked.
    TRY(net::apply_vnic_filter(host.netns(), filter));
    Rollback undo;
    undo.push([&host, &vnic] { (void)net::remove_vnic_filter(host.netns(), vnic.host_link); });
    TRY(host.create_veth({ .name = vnic.host_link,
        .peer_name = vnic.interface,
        .peer_netns = &zone.netns(),
        .peer_mac = vnic.mac,
        .mtu = vnic.mtu,
        .owner = uuid }));
    undo.push([&host, &vnic] { (void)host.delete_link(vnic.host_link); });
    if (vnic.shaping) {
        apply_bandwidth_cap(host.netns(), vnic, unenforced);
        undo.push([&host, &vnic] {
            (void)net::remove_vnic_shaping(host.netns(), vnic.host_link, vnic.shaping->ifb_link);
        });
    }
    TRY(host.set_master(vnic.host_link, vnic.bridge));
    TRY(host.set_up(vnic.host_link, true));
    // Before the link is up, so that no address is configured from a router advertisement the
    // NIC did not ask for.
    TRY(zone.set_ipv6_addrconf(vnic.interface, vnic.addrconf, vnic.addrconf));
    TRY(zone.set_up(vnic.interface, true));
    for (auto const& address : vnic.addresses) {
        TRY(zone.add_address(vnic.interface, address));
    }
    undo.disarm();
    return {};
}

Result<void> add_routes(net::Rtnl& zone, std::vector<net::Route> const& routes)
{
    for (auto const& route : routes) {
        auto added = zone.add_route(route);
        if (!added && added.error().code() != ErrorCode::AlreadyExists) {
            return added;
        }
    }
    return {};
}

} // namespace

Result<void> ensure_tag_bridge(net::Rtnl& host, VnicPlan const& vnic)
{
    auto existing = host.link(vnic.bridge);
    if (!existing) {
        if (existing.error().code() != ErrorCode::NotFound) {
            return tl::unexpected(std::move(existing).error());
        }
        auto made = host.create_bridge({ .name = vnic.bridge, .mtu = 0, .up = true });
        if (!made && made.error().code() != ErrorCode::AlreadyExists) {
            return made; // another zone's start made it first otherwise
        }
        TRY(host.set_up(vnic.bridge, true));
    }
    if (!vnic.uplink_mac) {
        return {};
    }
    TRY_ASSIGN(uplink, host.find_by_mac(*vnic.uplink_mac));
    if (!uplink) {
        return make_error(ErrorCode::NotFound,
            "nic tag \"" + vnic.tag + "\": no link has its MAC " + vnic.uplink_mac->str());
    }
    TRY_ASSIGN(bridge, host.link(vnic.bridge));
    if (uplink->master != bridge.index) {
        TRY(host.set_master(uplink->name, vnic.bridge));
    }
    if (!uplink->up) {
        TRY(host.set_up(uplink->name, true));
    }
    return {};
}

void apply_bandwidth_cap(net::Netns const& host, VnicPlan const& vnic, Unenforced& unenforced)
{
    if (auto shaped = net::apply_vnic_shaping(host, *vnic.shaping); !shaped) {
        unenforced.push_back("maxbw "
            + std::to_string(vnic.shaping->bits_per_second / BITS_PER_MBIT)
            + " Mbit/s not applied to " + vnic.interface + ": " + shaped.error().message());
    }
}

std::vector<std::string> dhcp_interfaces(Json const& vm)
{
    std::vector<std::string> interfaces;
    bool const is_lx = string_or(vm, "brand") == "lx";
    if (Json const* nics = json_member(vm, "nics"); nics != nullptr && nics->is_array()) {
        for (size_t i = 0; i < nics->size(); ++i) {
            Json const& nic = (*nics)[i];
            auto const ips = strings_of(nic, "ips");
            if (std::find(ips.begin(), ips.end(), "dhcp") != ips.end()) {
                interfaces.push_back(interface_of(nic, is_lx, i)
                    + (bool_or(nic, "primary", false) ? ":primary" : ""));
            }
        }
    }
    return interfaces;
}

Result<ZoneNetwork> plan_zone_network(Json const& vm, HostConfig const& config)
{
    ZoneNetwork plan;
    std::string const uuid = string_or(vm, "uuid");
    bool const is_lx = string_or(vm, "brand") == "lx";
    if (Json const* nics = json_member(vm, "nics"); nics != nullptr && nics->is_array()) {
        for (size_t i = 0; i < nics->size(); ++i) {
            TRY_ASSIGN(vnic, plan_vnic((*nics)[i], uuid, config, is_lx, i));
            plan.vnics.push_back(std::move(vnic));
        }
    }
    // The primary NIC's gateways are the default routes, one per address family.
    for (auto const& vnic : plan.vnics) {
        if (!vnic.primary) {
            continue;
        }
        std::set<net::IpFamily> families;
        for (auto const& gateway : vnic.gateways) {
            if (families.insert(gateway.family).second) {
                plan.routes.push_back(
                    { .destination = std::nullopt, .gateway = gateway, .link = vnic.interface });
            }
        }
    }
    if (Json const* routes = json_member(vm, "routes"); routes != nullptr && routes->is_object()) {
        for (auto const& [destination, gateway] : routes->items()) {
            if (!gateway.is_string()) {
                continue;
            }
            TRY_ASSIGN(route, plan_route(destination, gateway.get<std::string>(), plan.vnics));
            plan.routes.push_back(std::move(route));
        }
    }
    return plan;
}

Result<Unenforced> create_zone_network(net::Netns const& host, std::string const& uuid,
    std::string const& netns_path, ZoneNetwork const& plan)
{
    Unenforced unenforced;
    // What an earlier boot left (a monitor killed with its zone) goes first.
    TRY(net::remove_vm_network(host, uuid, netns_path));
    std::string const zone_dir = netns_path.substr(0, netns_path.rfind('/'));
    TRY_ASSIGN(zone_netns, net::Netns::create_persistent(netns_path));
    Rollback undo;
    undo.push(
        [&host, &uuid, &netns_path] { (void)net::remove_vm_network(host, uuid, netns_path); });
    TRY_ASSIGN(host_session, net::Rtnl::in(host));
    TRY_ASSIGN(zone_session, net::Rtnl::in(zone_netns));
    TRY(zone_session.set_up("lo", true));
    for (auto const& vnic : plan.vnics) {
        TRY(create_vnic(host_session, zone_session, uuid, zone_dir, vnic, unenforced));
    }
    TRY(add_routes(zone_session, plan.routes));
    undo.disarm();
    return unenforced;
}

Result<Unenforced> update_zone_network(net::Netns const& host, std::string const& uuid,
    std::string const& netns_path, ZoneNetwork const& plan)
{
    Unenforced unenforced;
    TRY_ASSIGN(zone_netns, net::Netns::open(netns_path));
    std::string const zone_dir = netns_path.substr(0, netns_path.rfind('/'));
    TRY_ASSIGN(host_session, net::Rtnl::in(host));
    TRY_ASSIGN(zone_session, net::Rtnl::in(zone_netns));
    TRY_ASSIGN(links, host_session.links());
    std::string const prefix = net::vm_link_prefix(uuid);
    std::set<std::string> present;
    for (auto const& link : links) {
        if (!link.name.starts_with(prefix)) {
            continue;
        }
        bool const planned = std::any_of(plan.vnics.begin(), plan.vnics.end(),
            [&](VnicPlan const& vnic) { return vnic.host_link == link.name; });
        if (planned) {
            present.insert(link.name);
            continue;
        }
        auto removed = host_session.delete_link(link.name);
        if (!removed && removed.error().code() != ErrorCode::NotFound) {
            return tl::unexpected(std::move(removed).error());
        }
        // Its IFB is named as it is, 'i' for 'z' (net/names.hpp).
        TRY(net::remove_vnic_shaping(host, link.name, "i" + link.name.substr(1)));
        TRY(net::remove_vnic_filter(host, link.name));
    }
    for (auto const& vnic : plan.vnics) {
        if (present.contains(vnic.host_link)) {
            TRY_ASSIGN(filter, filter_now(zone_dir, vnic, true));
            TRY(net::apply_vnic_filter(host, filter));
            if (vnic.shaping) {
                apply_bandwidth_cap(host, vnic, unenforced);
            } else {
                TRY(net::remove_vnic_shaping(
                    host, vnic.host_link, net::ifb_link_name(uuid, vnic.interface)));
            }
        } else {
            TRY(create_vnic(host_session, zone_session, uuid, zone_dir, vnic, unenforced));
        }
    }
    TRY(add_routes(zone_session, plan.routes));
    return unenforced;
}

} // namespace lumos::vm
