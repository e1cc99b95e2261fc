// SPDX-License-Identifier: MPL-2.0
#include "net/shaping.hpp"

#include "net/address.hpp"
#include "net/names.hpp"

#include <algorithm>
#include <limits>

namespace lumos::net {
namespace {

constexpr std::uint64_t BITS_PER_BYTE = 8;
// The burst covers this many ms at the rate: more than a timer tick (4 ms at this kernel's
// HZ=250, 10 ms at HZ=100) and the scheduling delays of a busy host, so that a watchdog or a
// sender running late does not cost bandwidth. bench/net_cap.sh on 2 shared cores: 10 ms let
// single 5 s runs of a 100 Mbit/s cap fall to 0.98 of it, 25 ms kept them at 1.005-1.012.
constexpr std::uint64_t BURST_MS = 25;
// What is queued beyond the burst, in ms at the rate: room for TCP to keep the link busy.
constexpr std::uint64_t LATENCY_MS = 50;
constexpr std::uint64_t MS_PER_SECOND = 1000;
constexpr unsigned FRAME_OVERHEAD = 14 + 4; // Ethernet header + one VLAN tag
constexpr unsigned DEFAULT_MTU = 1500;

std::uint32_t clamp_u32(std::uint64_t value)
{
    return static_cast<std::uint32_t>(
        std::min<std::uint64_t>(value, std::numeric_limits<std::uint32_t>::max()));
}

std::string cap_text(std::uint64_t bits_per_second)
{
    return std::to_string(bits_per_second) + " bit/s";
}

Result<void> check_shaping(VnicShaping const& shaping)
{
    TRY(check_link_name(shaping.host_link));
    TRY(check_link_name(shaping.ifb_link));
    if (shaping.host_link == shaping.ifb_link) {
        return make_error(ErrorCode::InvalidArgument,
            "the IFB must be another link than the host link " + shaping.host_link);
    }
    if (shaping.bits_per_second < MIN_BANDWIDTH_CAP
        || shaping.bits_per_second > MAX_BANDWIDTH_CAP) {
        return make_error(ErrorCode::InvalidArgument,
            "a cap of " + cap_text(shaping.bits_per_second) + " is out of range ("
                + cap_text(MIN_BANDWIDTH_CAP) + " to " + cap_text(MAX_BANDWIDTH_CAP) + ")");
    }
    return {};
}

// The IFB named ifb_link, made (up) when missing: true when this call made it.
Result<bool> ensure_ifb(Rtnl& rtnl, std::string const& ifb_link)
{
    auto existing = rtnl.link(ifb_link);
    if (!existing) {
        if (existing.error().code() != ErrorCode::NotFound) {
            return tl::unexpected(std::move(existing).error());
        }
        TRY(rtnl.create_ifb(ifb_link));
        return true;
    }
    if (existing->kind != "ifb") {
        return make_error(ErrorCode::AlreadyExists,
            "link " + ifb_link + " exists and is a "
                + (existing->kind.empty() ? "device" : existing->kind) + ", not an IFB");
    }
    if (!existing->up) {
        TRY(rtnl.set_up(ifb_link, true));
    }
    return false;
}

// What an apply has done so far, for undoing a first one that failed.
struct Progress {
    bool made_ifb = false;
    bool set_ingress = false;
};

Result<void> apply(Rtnl& rtnl, VnicShaping const& shaping, Progress& progress)
{
    TRY_ASSIGN(host, rtnl.link(shaping.host_link));
    TokenBucket const bucket = token_bucket(shaping.bits_per_second, host.mtu);
    TRY_ASSIGN(made, ensure_ifb(rtnl, shaping.ifb_link));
    progress.made_ifb = made;
    // The IFB holds back before anything is sent to it; the guest's own link last.
    TRY(rtnl.replace_root_tbf(shaping.ifb_link, bucket));
    TRY(rtnl.replace_ingress_qdisc(shaping.host_link));
    progress.set_ingress = true;
    TRY(rtnl.replace_ingress_redirect(shaping.host_link, shaping.ifb_link));
    TRY(rtnl.replace_root_tbf(shaping.host_link, bucket));
    return {};
}

// Undoes a first apply that failed (best effort: the error to report is the one that stopped
// it): the ingress qdisc only when it set it (another one in its place, a clsact, is not
// ours), before the IFB it may redirect to.
void undo(Rtnl& rtnl, VnicShaping const& shaping, Progress const& progress)
{
    if (progress.set_ingress) {
        (void)rtnl.delete_ingress_qdisc(shaping.host_link);
    }
    (void)rtnl.delete_link(shaping.ifb_link);
}

Result<void> gone_is_fine(Result<void> result)
{
    if (!result && result.error().code() == ErrorCode::NotFound) {
        return {};
    }
    return result;
}

Result<void> remove(Rtnl& rtnl, std::string_view host_link, std::string_view ifb_link)
{
    // The redirect first: a filter left redirecting to a deleted IFB drops everything the
    // guest sends.
    TRY(gone_is_fine(rtnl.delete_ingress_qdisc(host_link)));
    TRY(gone_is_fine(rtnl.delete_root_qdisc(host_link)));
    auto ifb = rtnl.link(ifb_link);
    if (!ifb) {
        return gone_is_fine(tl::unexpected(std::move(ifb).error()));
    }
    if (ifb->kind != "ifb") {
        return make_error(ErrorCode::InvalidArgument,
            "link " + std::string(ifb_link) + " is not an IFB; it is left alone");
    }
    return gone_is_fine(rtnl.delete_link(ifb_link));
}

} // namespace

TokenBucket token_bucket(std::uint64_t bits_per_second, unsigned mtu)
{
    std::uint64_t const rate = std::max<std::uint64_t>(bits_per_second / BITS_PER_BYTE, 1);
    std::uint64_t const frame = std::uint64_t { mtu == 0 ? DEFAULT_MTU : mtu } + FRAME_OVERHEAD;
    std::uint64_t const burst = std::max(rate * BURST_MS / MS_PER_SECOND, frame);
    std::uint64_t const limit = burst + rate * LATENCY_MS / MS_PER_SECOND;
    return TokenBucket {
        .bytes_per_second = rate, .burst = clamp_u32(burst), .limit = clamp_u32(limit)
    };
}

Result<void> apply_vnic_shaping(Netns const& host, VnicShaping const& shaping)
{
    std::string const what = "set bandwidth cap on " + shaping.host_link;
    auto const context = [&](Error e) { return std::move(e).with_context(what); };
    TRY(check_shaping(shaping).map_error(context));
    TRY_ASSIGN(rtnl, Rtnl::in(host).map_error(context));
    Progress progress;
    auto applied = apply(rtnl, shaping, progress);
    if (!applied && progress.made_ifb) {
        undo(rtnl, shaping, progress);
    }
    return applied.map_error(context);
}

Result<void> remove_vnic_shaping(
    Netns const& host, std::string_view host_link, std::string_view ifb_link)
{
    auto const context = [&](Error e) {
        return std::move(e).with_context("remove bandwidth cap from " + std::string(host_link));
    };
    TRY(check_link_name(host_link).map_error(context));
    TRY(check_link_name(ifb_link).map_error(context));
    TRY_ASSIGN(rtnl, Rtnl::in(host).map_error(context));
    return remove(rtnl, host_link, ifb_link).map_error(context);
}

Result<void> remove_vnic_shapings(Netns const& host, std::string_view uuid)
{
    std::string const prefix = vm_link_prefix(uuid, 'i');
    auto const context = [&](Error e) {
        return std::move(e).with_context("remove the bandwidth caps of VM " + std::string(uuid));
    };
    TRY_ASSIGN(rtnl, Rtnl::in(host).map_error(context));
    TRY_ASSIGN(links, rtnl.links().map_error(context));
    for (auto const& link : links) {
        if (link.kind != "ifb" || !link.name.starts_with(prefix)) {
            continue;
        }
        std::string const host_link = vm_link_prefix(uuid, 'z') + link.name.substr(prefix.size());
        TRY(remove(rtnl, host_link, link.name).map_error(context));
    }
    return {};
}

} // namespace lumos::net
