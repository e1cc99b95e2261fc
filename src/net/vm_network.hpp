// SPDX-License-Identifier: MPL-2.0
// The removal of a VM's networking, whoever finds it left: the monitor when its zone ends,
// vmadm before a start (a zone whose monitor was killed), delete. It works from names alone
// (net/names.hpp), so nothing recorded is needed and it may run any number of times. An OS
// zone's NICs are veths whose host ends carry the VM's prefix; an HVM guest's (kvm, bhyve) are
// persistent taps named the same way, which nothing but this removes.
#pragma once

#include "base/result.hpp"
#include "net/netns.hpp"

#include <string>
#include <string_view>

namespace lumos::net {

// Detaches the VM's namespace at netns_path (its veths go with it once nothing runs in it),
// then deletes every link in host whose name carries the VM's prefix (a veth end whose zone
// end still lives, a tap, an IFB) and the anti-spoofing tables of its links. Gone is success; every
// step is tried, the first error is returned.
Result<void> remove_vm_network(
    Netns const& host, std::string_view uuid, std::string const& netns_path);

// What remove_vm_network does but the namespace, for a VM that has none (an HVM guest): every
// link of the VM in host (its taps, veth ends, IFBs), their bandwidth caps, then their
// anti-spoofing tables.
Result<void> remove_vm_links(Netns const& host, std::string_view uuid);

} // namespace lumos::net
