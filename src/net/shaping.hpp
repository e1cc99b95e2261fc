// SPDX-License-Identifier: MPL-2.0
// Bandwidth caps on a VM NIC's host link: what illumos's `dladm set-linkprop -p maxbw` gives a
// VNIC, the same limit on what the guest receives and on what it sends (full duplex), with tc.
//
//   to the guest    leaves the host through the host link: a root tbf there
//   from the guest  arrives on the host link: its ingress qdisc has a u32 match-all filter whose
//                   mirred action redirects everything to the NIC's IFB (host namespace, up),
//                   whose root tbf holds it back; the IFB then hands each packet back to the
//                   host link's receive path (to the bridge)
//
// Both tbfs get the same bucket (token_bucket below). This kernel has no police action and no
// matchall classifier, hence IFB + u32 + mirred.
//
// What the IFB hands back skips the host link's tc ingress and netfilter *netdev* ingress hooks
// (the kernel marks it tc_skip_classify), and the IFB's netdev egress hook does not see it
// either (tried on 6.18): rules that must see every packet a capped guest sends (anti-spoofing)
// belong in the bridge family (prerouting, iifname <host link>), which does.
#pragma once

#include "base/result.hpp"
#include "net/netns.hpp"
#include "net/rtnl.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace lumos::net {

struct VnicShaping {
    std::string host_link {}; // host end of the VNIC (net::host_link_name)
    std::string ifb_link {}; // its IFB (net::ifb_link_name)
    std::uint64_t bits_per_second = 0; // the cap, MIN_BANDWIDTH_CAP to MAX_BANDWIDTH_CAP
};

inline constexpr std::uint64_t MIN_BANDWIDTH_CAP = 8'000; // 1 kB/s
inline constexpr std::uint64_t MAX_BANDWIDTH_CAP = 1'000'000'000'000; // 1 Tbit/s

// The bucket for a cap on a link of this MTU: the rate in bytes; a burst of 25 ms at that rate
// (timer granularity and scheduling delays) but at least one full frame (MTU + Ethernet header +
// VLAN tag); a queue of 50 ms at that rate on top of the burst. Pure.
TokenBucket token_bucket(std::uint64_t bits_per_second, unsigned mtu);

// Sets the cap, or changes it in place (the qdiscs are replaced, the links stay up and keep
// their traffic). The host link must exist; the IFB is created when missing. A first apply that
// fails leaves nothing behind. Errors: "set bandwidth cap on <host link>: <reason>";
// InvalidArgument for a cap out of range or a bad link name.
Result<void> apply_vnic_shaping(Netns const& host, VnicShaping const& shaping);

// Takes the cap away: the host link keeps its default qdisc and no ingress qdisc, the IFB is
// deleted. Whatever is already gone (the link with its zone's namespace, the IFB, the qdiscs)
// is success.
Result<void> remove_vnic_shaping(
    Netns const& host, std::string_view host_link, std::string_view ifb_link);

// Every cap of one VM (its leftovers after a crash): each IFB named
// vm_link_prefix(uuid, 'i')... is deleted, after the tc of its host link (the same name with
// 'z', net/names.hpp) when that link is still there.
Result<void> remove_vnic_shapings(Netns const& host, std::string_view uuid);

} // namespace lumos::net
