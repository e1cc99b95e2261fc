// SPDX-License-Identifier: MPL-2.0
// lumos-netdown <uuid> <netns path>: removes a VM's networking from the host namespace it runs
// in (net::remove_vm_network: the VM's namespace mount, its veth ends, taps and IFBs, its
// anti-spoofing tables). The zone's monitor runs it when the zone has ended for good; it is
// safe to run again, and on a VM that has nothing left. Not for users: lib/lumos.
#include "base/uuid.hpp"
#include "net/netns.hpp"
#include "net/vm_network.hpp"

#include <cstdio>
#include <string>

int main(int argc, char** argv)
{
    if (argc != 3 || !lumos::is_uuid(argv[1])) {
        (void)std::fprintf(stderr, "usage: lumos-netdown <uuid> <netns path>\n");
        return 2;
    }
    auto host = lumos::net::Netns::current();
    if (!host) {
        (void)std::fprintf(stderr, "lumos-netdown: %s\n", host.error().message().c_str());
        return 1;
    }
    if (auto removed = lumos::net::remove_vm_network(*host, argv[1], argv[2]); !removed) {
        (void)std::fprintf(stderr, "lumos-netdown: %s\n", removed.error().message().c_str());
        return 1;
    }
    return 0;
}
