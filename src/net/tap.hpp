// SPDX-License-Identifier: MPL-2.0
// Persistent taps: the host end of an HVM guest's NIC (kvm, bhyve), made by the host before QEMU
// starts and attached to by QEMU (`-netdev tap,ifname=<tap>`), which runs without any
// capability. The kernel lets a process attach to an existing tap without CAP_NET_ADMIN when the
// tap's owner and group match its credentials (tun_not_capable): the tap is made with an owner
// and a group, root's by default, so a capability-less QEMU running as root may attach and no
// other user may. A tap made without an owner would let anyone who can open /dev/net/tun attach.
//
// The tap's flags beyond IFF_TAP | IFF_NO_PI are chosen by whoever attaches (TUNSETIFF on an
// existing tap replaces IFF_VNET_HDR, IFF_NAPI...): QEMU asks for IFF_VNET_HDR and gets it. Only
// IFF_MULTI_QUEUE must match, and these taps are single-queue (QEMU's queues=1, the default).
#pragma once

#include "base/result.hpp"
#include "net/netns.hpp"

#include <cstdint>
#include <string>

namespace lumos::net {

struct TapSpec {
    std::string name {};
    std::uint32_t owner_uid = 0; // who may attach without CAP_NET_ADMIN (TUNSETOWNER)
    std::uint32_t owner_gid = 0; // and with which group (TUNSETGROUP): both must match
    std::string owner {}; // for messages: "create tap <name> for <owner>"
};

// Makes a persistent tap in netns (opened there, so the link is that namespace's): down, not
// enslaved, the kernel's default MTU and a random MAC. AlreadyExists when a link of that name
// is there already. It outlives every process: delete it as any link (Rtnl::delete_link), also
// while a QEMU is attached. On failure nothing is left.
Result<void> create_tap(Netns const& netns, TapSpec const& spec);

} // namespace lumos::net
