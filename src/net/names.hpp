// SPDX-License-Identifier: MPL-2.0
// The names lumos gives the host-side kernel objects of a VM's NIC, in one place, so that
// setup, teardown (by a monitor, a later vmadm, a delete) and tests agree. Linux link names
// are at most 15 bytes (IFNAMSIZ - 1). Pure.
//
//   host end of a zone's veth / a VM's tap   z<8 hex of the uuid>_<interface>   z1a30fbd7_net0
//   its IFB (ingress shaping)                i<8 hex of the uuid>_<interface>   i1a30fbd7_net0
//   its nftables table (bridge family)       lumos_<host link> lumos_z1a30fbd7_net0
//
// An interface name longer than 5 bytes is replaced by 4 hex digits of its hash. Every name of
// one VM starts with vm_link_prefix(uuid), which is how leftovers are found.
#pragma once

#include <string>
#include <string_view>

namespace lumos::net {

// "z1a30fbd7_" (kind 'z') or "i1a30fbd7_" (kind 'i').
std::string vm_link_prefix(std::string_view uuid, char kind = 'z');
std::string host_link_name(std::string_view uuid, std::string_view interface);
std::string ifb_link_name(std::string_view uuid, std::string_view interface);
std::string filter_table_name(std::string_view host_link);
// The bridge a nic tag's NICs are plugged into, one per (tag, VLAN) (vlan 0: untagged); a name
// that would not fit is "t_" + 8 hex digits of its hash.
std::string tag_bridge_name(std::string_view tag, int vlan);
inline constexpr std::string_view FILTER_TABLE_PREFIX = "lumos_";

} // namespace lumos::net
