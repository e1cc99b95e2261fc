// SPDX-License-Identifier: MPL-2.0
#include "vm/hvm_network.hpp"

#include "base/rollback.hpp"
#include "net/names.hpp"
#include "net/tap.hpp"
#include "net/vm_network.hpp"

#include <algorithm>
#include <map>

namespace lumos::vm {

namespace {

// One NIC: its rules, its tap (persistent, root's), its MTU and cap, enslaved and up. The tap
// and its rules are removed again when a later step fails.
Result<void> create_tap_nic(
    net::Rtnl& host, std::string const& uuid, VnicPlan const& vnic, Unenforced& unenforced)
{
    Unenforced lines;
    net::VnicFilter const filter = hvm_filter(vnic, lines);
    TRY(ensure_tag_bridge(host, vnic));
    // The rules match the tap by name: in place before it exists, so no frame it ever carries
    // goes unchecked.
    TRY(net::apply_vnic_filter(host.netns(), filter));
    Rollback undo;
    undo.push([&host, &vnic] { (void)net::remove_vnic_filter(host.netns(), vnic.host_link); });
    TRY(net::create_tap(host.netns(), { .name = vnic.host_link, .owner = uuid }));
    undo.push([&host, &vnic] { (void)host.delete_link(vnic.host_link); });
    // Before the cap: its bucket holds at least one frame of the link's MTU.
    TRY(host.set_mtu(vnic.host_link, vnic.mtu));
    if (vnic.shaping) {
        apply_bandwidth_cap(host.netns(), vnic, lines);
        undo.push([&host, &vnic] {
            (void)net::remove_vnic_shaping(host.netns(), vnic.host_link, vnic.shaping->ifb_link);
        });
    }
    TRY(host.set_master(vnic.host_link, vnic.bridge));
    TRY(host.set_up(vnic.host_link, true));
    undo.disarm();
    unenforced.insert(unenforced.end(), lines.begin(), lines.end());
    return {};
}

// A tap still planned: its rules and cap again (update_nics may have changed an allow_* flag or
// maxbw), its bridge (nic_tag, vlan_id) and MTU. QEMU stays attached.
Result<void> refresh_tap_nic(net::Rtnl& host, std::string const& uuid, VnicPlan const& vnic,
    net::LinkInfo const& link, Unenforced& unenforced)
{
    TRY(net::apply_vnic_filter(host.netns(), hvm_filter(vnic, unenforced)));
    if (link.mtu != vnic.mtu) {
        TRY(host.set_mtu(vnic.host_link, vnic.mtu));
    }
    if (vnic.shaping) {
        apply_bandwidth_cap(host.netns(), vnic, unenforced);
    } else {
        TRY(net::remove_vnic_shaping(
            host.netns(), vnic.host_link, net::ifb_link_name(uuid, vnic.interface)));
    }
    TRY(ensure_tag_bridge(host, vnic));
    TRY_ASSIGN(bridge, host.link(vnic.bridge));
    if (link.master != bridge.index) {
        TRY(host.set_master(vnic.host_link, vnic.bridge));
    }
    if (!link.up) {
        TRY(host.set_up(vnic.host_link, true));
    }
    return {};
}

// A tap no longer planned: the link first, then its cap's IFB (named as it is, 'i' for 'z':
// net/names.hpp) and its rules, so that it never carries a frame unchecked.
Result<void> remove_tap_nic(net::Rtnl& host, std::string const& tap)
{
    auto removed = host.delete_link(tap);
    if (!removed && removed.error().code() != ErrorCode::NotFound) {
        return removed;
    }
    TRY(net::remove_vnic_shaping(host.netns(), tap, "i" + tap.substr(1)));
    TRY(net::remove_vnic_filter(host.netns(), tap));
    return {};
}

} // namespace

std::vector<std::string> hvm_taps(ZoneNetwork const& plan)
{
    std::vector<std::string> taps;
    taps.reserve(plan.vnics.size());
    for (auto const& vnic : plan.vnics) {
        taps.push_back(vnic.host_link);
    }
    return taps;
}

net::VnicFilter hvm_filter(VnicPlan const& vnic, Unenforced& unenforced)
{
    net::VnicFilter filter = vnic.filter;
    bool const bounded = std::any_of(filter.allowed_ips.begin(), filter.allowed_ips.end(),
        [](net::IpPrefix const& prefix) { return prefix.address.family == net::IpFamily::V4; });
    if (!vnic.dhcp || filter.allow_ip_spoofing || bounded) {
        return filter;
    }
    // FIXME: learn the lease as illumos does, from the DHCP ACK the tap carries to the guest
    // (an nftables rule on the tap's egress adding yiaddr to a set the IPv4 check uses).
    filter.allowed_ips.push_back(
        net::IpPrefix { .address = { .family = net::IpFamily::V4, .bytes = {} }, .length = 0 });
    unenforced.push_back("ip-nospoof not applied to the IPv4 sources of " + vnic.interface
        + ": its DHCP lease is the guest's own, which the host does not learn (allowed_ips "
          "would bound them)");
    return filter;
}

Result<HvmNetwork> create_hvm_network(
    net::Netns const& host, std::string const& uuid, ZoneNetwork const& plan)
{
    HvmNetwork made { .taps = hvm_taps(plan), .unenforced = {} };
    // What an earlier boot left (QEMU and its monitor killed) goes first.
    TRY(net::remove_vm_links(host, uuid));
    Rollback undo;
    undo.push([&host, &uuid] { (void)net::remove_vm_links(host, uuid); });
    TRY_ASSIGN(session, net::Rtnl::in(host));
    for (auto const& vnic : plan.vnics) {
        TRY(create_tap_nic(session, uuid, vnic, made.unenforced));
    }
    undo.disarm();
    return made;
}

Result<HvmNetwork> update_hvm_network(
    net::Netns const& host, std::string const& uuid, ZoneNetwork const& plan)
{
    HvmNetwork made { .taps = hvm_taps(plan), .unenforced = {} };
    TRY_ASSIGN(session, net::Rtnl::in(host));
    TRY_ASSIGN(links, session.links());
    std::string const prefix = net::vm_link_prefix(uuid);
    std::map<std::string, net::LinkInfo> present;
    for (auto& link : links) {
        if (!link.name.starts_with(prefix)) {
            continue;
        }
        if (std::find(made.taps.begin(), made.taps.end(), link.name) != made.taps.end()) {
            present.emplace(link.name, std::move(link));
        } else {
            TRY(remove_tap_nic(session, link.name));
        }
    }
    for (auto const& vnic : plan.vnics) {
        if (auto const it = present.find(vnic.host_link); it != present.end()) {
            TRY(refresh_tap_nic(session, uuid, vnic, it->second, made.unenforced));
        } else {
            TRY(create_tap_nic(session, uuid, vnic, made.unenforced));
        }
    }
    return made;
}

Result<void> remove_hvm_network(net::Netns const& host, std::string const& uuid)
{
    return net::remove_vm_links(host, uuid);
}

} // namespace lumos::vm
