// SPDX-License-Identifier: MPL-2.0
#include "net/vm_network.hpp"

#include "net/antispoof.hpp"
#include "net/names.hpp"
#include "net/rtnl.hpp"
#include "net/shaping.hpp"

#include <array>

namespace lumos::net {

namespace {

// Deletes every link of host whose name starts with one of the prefixes.
Result<void> remove_links(Netns const& host, std::string const& veth, std::string const& ifb)
{
    TRY_ASSIGN(session, Rtnl::in(host));
    TRY_ASSIGN(links, session.links());
    Result<void> outcome;
    for (auto const& link : links) {
        if (!link.name.starts_with(veth) && !link.name.starts_with(ifb)) {
            continue;
        }
        auto removed = session.delete_link(link.name);
        if (!removed && removed.error().code() != ErrorCode::NotFound && outcome) {
            outcome = std::move(removed);
        }
    }
    return outcome;
}

} // namespace

Result<void> remove_vm_network(
    Netns const& host, std::string_view uuid, std::string const& netns_path)
{
    Result<void> detached = Netns::remove_persistent(netns_path);
    Result<void> removed = remove_vm_links(host, uuid);
    return detached ? removed : detached;
}

Result<void> remove_vm_links(Netns const& host, std::string_view uuid)
{
    std::string const veth = vm_link_prefix(uuid, 'z');
    // The links before their rules: no moment where a link of the VM carries frames unchecked.
    std::array<Result<void>, 3> steps { remove_vnic_shapings(host, uuid),
        remove_links(host, veth, vm_link_prefix(uuid, 'i')), remove_vnic_filters(host, veth) };
    for (auto& step : steps) {
        if (!step) {
            return step;
        }
    }
    return {};
}

} // namespace lumos::net
