// SPDX-License-Identifier: MPL-2.0
#pragma once

// What a VM holds that no other VM may hold: the keys of the store's conflict index
// (store/vm_index.hpp). VM.js lookupConflicts compares a new VM's MACs, static IPs (on the same
// nic_tag and vlan_id), VRIDs and VNC port with every other VM's; props/datasets refuses nested
// datasets. The checks keep those rules; the index only has to find every VM that MAY hold one
// of a VM's claims, so a claim is coarser than the rule (an IP on any tag and VLAN) and a
// superset of candidates changes no answer.

#include "base/json.hpp"

#include <string>
#include <tuple>
#include <vector>

namespace lumos::props {

// The numbers are stored in the index: never renumber, only add (and bump its format version).
enum class ClaimKind : int {
    Mac = 1, // a NIC's MAC, canonical (nic_mac) and as String() prints it (lookup's filter)
    Ip = 2, // each entry of a NIC's ips, and its ip (lookup's nics.*.ip)
    Vrid = 3, // a NIC's vrrp_vrid (an integer)
    VncPort = 4, // vnc_port (a number)
    Dataset = 5, // every dataset the VM owns (owned_datasets); matches nested names too
};

struct Claim {
    ClaimKind kind { ClaimKind::Mac };
    std::string key;

    bool operator==(Claim const&) const = default;
    bool operator<(Claim const& other) const
    {
        return std::tie(kind, key) < std::tie(other.kind, other.key);
    }
};

// Everything a VM object (or its record: the same members) claims, sorted, no duplicates.
// Independent of the VM's state: a failed VM keeps its claims, the checks decide what counts.
std::vector<Claim> claims_of(Json const& vm);

// The index keys of single values, as claims_of writes them.
std::string vrid_key(long long vrid);
std::string vnc_port_key(double port);

} // namespace lumos::props
