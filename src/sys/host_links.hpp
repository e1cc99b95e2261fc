// SPDX-License-Identifier: MPL-2.0
// The network links of the host, as /sys/class/net shows them: what nictagadm's LINK column and
// sysinfo's "Network Interfaces" read. sysfs shows the links of the network namespace it was
// mounted in (ip netns exec mounts one for its namespace).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lumos::sys {

struct HostLink {
    std::string name;
    std::string mac; // normalized (lumos::normalize_mac); "" when it has none
    std::string operstate; // the kernel's: up, down, unknown, lowerlayerdown, ...
    bool physical { false }; // a bus device is behind it (/sys/class/net/<link>/device)
    bool bridge { false };
    bool loopback { false };
};

// Every link under <sys_root>/class/net, sorted by name (unit tests pass a fake tree).
std::vector<HostLink> host_links(std::string const& sys_root = "/sys");

// The link a nic tag's MAC names: of the links with that MAC that are neither a bridge (a bridge
// takes its first port's MAC) nor loopback, the first physical one by name, else the first;
// nullptr when there is none.
HostLink const* link_with_mac(std::vector<HostLink> const& links, std::string_view mac);

} // namespace lumos::sys
