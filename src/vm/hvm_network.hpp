// SPDX-License-Identifier: MPL-2.0
// An HVM guest's NICs on the host (kvm, bhyve; issue 16): a persistent tap per NIC (net/tap.hpp),
// made before QEMU starts and attached to by it (runtime::QemuHost::taps, `-netdev
// tap,ifname=<tap>,script=no,downscript=no,vhost=off`), on the bridge of its nic tag and VLAN
// exactly as a zone's veth host end is (vm/zone_network.hpp: the same plan, the same bridges,
// the same names), with the same anti-spoofing rules and bandwidth cap keyed on the tap. The
// taps are owned by root (uid 0, gid 0): QEMU, run as root without any capability by the VM's
// monitor, may attach to them, and no other user may.
//
// Unlike a zone there is no namespace of the VM's own and nothing inside is configured by the
// host: the guest sets its addresses and routes itself (the plan's routes are not used), and
// runs its own DHCP client. The host therefore never learns a DHCP NIC's lease, which a zone's
// monitor adds to the NIC's rules (illumos learns it by snooping DHCP): see hvm_filter.
#pragma once

#include "vm/zone_network.hpp"

#include <string>
#include <vector>

namespace lumos::vm {

struct HvmNetwork {
    // The tap of each NIC, in the order of the VM's nics (what runtime::QemuHost::taps takes).
    std::vector<std::string> taps;
    // The controls the guest's NICs run without, one line each, for the VM's log.
    Unenforced unenforced;
};

// The taps of plan, in NIC order: each NIC's host_link (net::host_link_name(uuid, "net<N>")).
// Pure.
std::vector<std::string> hvm_taps(ZoneNetwork const& plan);

// The anti-spoofing rules of an HVM guest's NIC: the zone NIC's (vnic.filter), except for a DHCP
// NIC without allow_ip_spoofing and without an IPv4 network in allowed_ips. Its lease is the
// guest's alone, so no IPv4 source could be allowed but 0.0.0.0 and the guest could not use
// its address: its IPv4 sources are not checked (allowed_ips 0.0.0.0/0), and the line saying
// so is appended to unenforced. Its MAC, IPv6, ARP's sender MAC, DHCP-server and restricted
// checks stay. With IPv4 allowed_ips the lease must be inside them. Pure.
net::VnicFilter hvm_filter(VnicPlan const& vnic, Unenforced& unenforced);

// Makes a tap for each NIC of plan in the namespace host (the host's own in production): its
// tag's bridge when missing, its rules (before the tap exists), the tap (persistent, owner root,
// the NIC's MTU), its cap, then enslaved and up. What an earlier boot left (a crash) is removed
// first; on failure nothing of the VM's is left.
Result<HvmNetwork> create_hvm_network(
    net::Netns const& host, std::string const& uuid, ZoneNetwork const& plan);

// A running guest's taps made to match plan (update add_nics, remove_nics, update_nics): the
// taps of NICs no longer planned are deleted with their rules and caps, new ones are made as
// create_hvm_network makes them, the others keep their tap (and QEMU's attachment) and get
// their rules, cap, bridge and MTU again. Detaching a removed NIC from QEMU and attaching a new
// one (QMP device_del / netdev_add, device_add) is the caller's.
Result<HvmNetwork> update_hvm_network(
    net::Netns const& host, std::string const& uuid, ZoneNetwork const& plan);

// Removes every tap of the VM with its rules and caps (net::remove_vm_links); the bridges stay.
// What is gone is success: it may run any number of times, also while QEMU is attached.
Result<void> remove_hvm_network(net::Netns const& host, std::string const& uuid);

} // namespace lumos::vm
