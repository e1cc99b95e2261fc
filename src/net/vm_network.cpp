// SPDX-License-Identifier: MPL-2.0
#include "net/vm_network.hpp"

#include "net/names.hpp"
#include "net/rtnl.hpp"

namespace lumos::net {

Result<void> remove_vm_network(
    Netns const& host, std::string_view uuid, std::string const& netns_path)
{
    Result<void> outcome = Netns::remove_persistent(netns_path);
    auto keep_first = [&outcome](Result<void> step) {
        if (!step && outcome) {
            outcome = std::move(step);
        }
    };
    auto session = Rtnl::in(host);
    if (!session) {
        keep_first(tl::unexpected(std::move(session).error()));
        return outcome;
    }
    auto links = session->links();
    if (!links) {
        keep_first(tl::unexpected(std::move(links).error()));
        return outcome;
    }
    std::string const veth = vm_link_prefix(uuid, 'z');
    std::string const ifb = vm_link_prefix(uuid, 'i');
    for (auto const& link : *links) {
        if (!link.name.starts_with(veth) && !link.name.starts_with(ifb)) {
            continue;
        }
        auto removed = session->delete_link(link.name);
        if (!removed && removed.error().code() != ErrorCode::NotFound) {
            keep_first(std::move(removed));
        }
    }
    return outcome;
}

} // namespace lumos::net
