// SPDX-License-Identifier: MPL-2.0
// Traffic control requests: a root tbf, the ingress qdisc and a u32 match-all filter whose
// mirred action redirects to another link, as raw rtnetlink messages built with libnl
// (libnl-route 3.7's tbf takes a 32-bit int rate and sends neither TCA_TBF_RATE64 nor
// TCA_TBF_BURST).
#include "net/detail/netlink.hpp"
#include "net/rtnl.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_mirred.h>
#include <netlink/attr.h>

namespace lumos::net {
namespace {

constexpr int REPLACE_FLAGS = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE;
constexpr std::uint32_t INGRESS_HANDLE = TC_H_MAKE(TC_H_INGRESS, 0); // ffff:
constexpr std::uint32_t REDIRECT_PRIO = 1;
constexpr std::uint32_t REDIRECT_HANDLE
    = 0x80000800; // 800::800, the first node of u32's root table
// The kernel's scheduler clock ticks (PSCHED_SHIFT): 64 ns.
constexpr std::uint64_t NS_PER_TICK = 64;
constexpr std::uint64_t NS_PER_SECOND = 1'000'000'000;

tcmsg tc_header(int ifindex, std::uint32_t parent, std::uint32_t handle)
{
    tcmsg header {};
    header.tcm_family = AF_UNSPEC;
    header.tcm_ifindex = ifindex;
    header.tcm_parent = parent;
    header.tcm_handle = handle;
    return header;
}

tc_tbf_qopt tbf_options(TokenBucket const& bucket)
{
    tc_tbf_qopt options {};
    options.rate.rate = static_cast<std::uint32_t>(std::min<std::uint64_t>(
        bucket.bytes_per_second, std::numeric_limits<std::uint32_t>::max()));
    // Ethernet: the kernel needs no rate table to learn the link layer.
    options.rate.linklayer = TC_LINKLAYER_ETHERNET;
    options.limit = bucket.limit;
    // The bucket as the time it takes to fill, in ticks; TCA_TBF_BURST below gives it in bytes,
    // which the kernel prefers.
    std::uint64_t const ticks = bucket.bytes_per_second == 0
        ? 0
        : std::uint64_t { bucket.burst } * (NS_PER_SECOND / NS_PER_TICK) / bucket.bytes_per_second;
    options.buffer = static_cast<std::uint32_t>(
        std::min<std::uint64_t>(ticks, std::numeric_limits<std::uint32_t>::max()));
    return options;
}

bool put_tbf(nl_msg* msg, TokenBucket const& bucket)
{
    tc_tbf_qopt const options = tbf_options(bucket);
    if (nla_put_string(msg, TCA_KIND, "tbf") < 0) {
        return false;
    }
    nlattr* nest = nla_nest_start(msg, TCA_OPTIONS);
    if (nest == nullptr || nla_put(msg, TCA_TBF_PARMS, sizeof(options), &options) < 0
        || nla_put_u32(msg, TCA_TBF_BURST, bucket.burst) < 0) {
        return false;
    }
    if (bucket.bytes_per_second > std::numeric_limits<std::uint32_t>::max()
        && nla_put_u64(msg, TCA_TBF_RATE64, bucket.bytes_per_second) < 0) {
        return false;
    }
    nla_nest_end(msg, nest);
    return true;
}

// u32's selector with one key matching every packet (mask 0), terminal: its action decides.
bool put_match_all(nl_msg* msg)
{
    std::array<unsigned char, sizeof(tc_u32_sel) + sizeof(tc_u32_key)> bytes {};
    tc_u32_sel selector {};
    selector.flags = TC_U32_TERMINAL;
    selector.nkeys = 1;
    std::memcpy(bytes.data(), &selector, sizeof(selector));
    return nla_put(msg, TCA_U32_SEL, static_cast<int>(bytes.size()), bytes.data()) >= 0;
}

bool put_redirect_action(nl_msg* msg, int target_index)
{
    tc_mirred mirred {};
    mirred.action = TC_ACT_STOLEN;
    mirred.eaction = TCA_EGRESS_REDIR;
    mirred.ifindex = static_cast<std::uint32_t>(target_index);
    nlattr* actions = nla_nest_start(msg, TCA_U32_ACT);
    nlattr* first = actions != nullptr ? nla_nest_start(msg, 1) : nullptr;
    if (first == nullptr || nla_put_string(msg, TCA_ACT_KIND, "mirred") < 0) {
        return false;
    }
    nlattr* options = nla_nest_start(msg, TCA_ACT_OPTIONS);
    if (options == nullptr || nla_put(msg, TCA_MIRRED_PARMS, sizeof(mirred), &mirred) < 0) {
        return false;
    }
    nla_nest_end(msg, options);
    nla_nest_end(msg, first);
    nla_nest_end(msg, actions);
    return true;
}

} // namespace

Result<void> Rtnl::replace_root_tbf(std::string_view link, TokenBucket const& bucket)
{
    std::string const what = "replace root tbf of " + std::string(link);
    if (bucket.bytes_per_second == 0 || bucket.burst == 0 || bucket.limit < bucket.burst) {
        return make_error(ErrorCode::InvalidArgument,
            what + ": a token bucket needs a rate, a burst and a limit of at least the burst");
    }
    TRY_ASSIGN(index, index_of(link, what));
    // Handle 0 with CREATE|REPLACE: a tbf already at the root is changed in place, any other
    // root qdisc is replaced.
    detail::Msg msg
        = detail::new_request(RTM_NEWQDISC, REPLACE_FLAGS, tc_header(index, TC_H_ROOT, 0));
    bool const built = msg && put_tbf(msg.get(), bucket);
    return request(built ? msg.release() : nullptr, what);
}

Result<void> Rtnl::delete_root_qdisc(std::string_view link)
{
    std::string const what = "delete root qdisc of " + std::string(link);
    TRY_ASSIGN(index, index_of(link, what));
    detail::Msg msg
        = detail::new_request(RTM_DELQDISC, NLM_F_REQUEST, tc_header(index, TC_H_ROOT, 0));
    return request(msg.release(), what);
}

Result<void> Rtnl::replace_ingress_qdisc(std::string_view link)
{
    std::string const what = "replace ingress qdisc of " + std::string(link);
    TRY_ASSIGN(index, index_of(link, what));
    detail::Msg msg = detail::new_request(
        RTM_NEWQDISC, REPLACE_FLAGS, tc_header(index, TC_H_INGRESS, INGRESS_HANDLE));
    bool const built = msg && nla_put_string(msg.get(), TCA_KIND, "ingress") >= 0;
    return request(built ? msg.release() : nullptr, what);
}

Result<void> Rtnl::delete_ingress_qdisc(std::string_view link)
{
    std::string const what = "delete ingress qdisc of " + std::string(link);
    TRY_ASSIGN(index, index_of(link, what));
    // Handle 0: with ffff: the kernel answers EINVAL when there is no ingress qdisc, with 0 it
    // answers ENOENT.
    detail::Msg msg
        = detail::new_request(RTM_DELQDISC, NLM_F_REQUEST, tc_header(index, TC_H_INGRESS, 0));
    return request(msg.release(), what);
}

Result<void> Rtnl::replace_ingress_redirect(std::string_view link, std::string_view target)
{
    std::string const what
        = "redirect what " + std::string(link) + " receives to " + std::string(target);
    TRY_ASSIGN(index, index_of(link, what));
    TRY_ASSIGN(target_index, index_of(target, what));
    tcmsg header = tc_header(index, INGRESS_HANDLE, REDIRECT_HANDLE);
    header.tcm_info = TC_H_MAKE(REDIRECT_PRIO << 16U, htons(ETH_P_ALL));
    detail::Msg msg = detail::new_request(RTM_NEWTFILTER, REPLACE_FLAGS, header);
    bool built = msg && nla_put_string(msg.get(), TCA_KIND, "u32") >= 0;
    nlattr* options = built ? nla_nest_start(msg.get(), TCA_OPTIONS) : nullptr;
    built = options != nullptr && put_match_all(msg.get())
        && put_redirect_action(msg.get(), target_index);
    if (built) {
        nla_nest_end(msg.get(), options);
    }
    return request(built ? msg.release() : nullptr, what);
}

} // namespace lumos::net
