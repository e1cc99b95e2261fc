// SPDX-License-Identifier: MPL-2.0
// Sets or removes a VNIC's bandwidth cap through net/shaping.hpp, the code zone start runs, for
// bench/net_cap.sh:
//
//   net_cap_apply set <host netns path> <host link> <ifb link> <bits per second>
//   net_cap_apply remove <host netns path> <host link> <ifb link>
//
// Exits 1 with the library's message when it fails, 2 on bad usage.
#include "net/netns.hpp"
#include "net/shaping.hpp"

#include <charconv>
#include <cstdint>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace {

int usage()
{
    std::cerr << "usage: net_cap_apply set <netns path> <host link> <ifb link> <bits/s>\n"
                 "       net_cap_apply remove <netns path> <host link> <ifb link>\n";
    return 2;
}

} // namespace

int main(int argc, char** argv)
{
    std::vector<std::string> const args(argv + 1, argv + argc);
    bool const set = args.size() == 5 && args[0] == "set";
    if (!set && !(args.size() == 4 && args[0] == "remove")) {
        return usage();
    }
    std::uint64_t bits = 0;
    if (set) {
        std::string_view const text = args[4];
        auto const [end, ec] = std::from_chars(text.data(), text.data() + text.size(), bits);
        if (ec != std::errc() || end != text.data() + text.size()) {
            return usage();
        }
    }
    auto host = lumos::net::Netns::open(args[1]);
    if (!host) {
        std::cerr << "net_cap_apply: " << host.error().message() << "\n";
        return 1;
    }
    auto const done = set ? lumos::net::apply_vnic_shaping(*host, { args[2], args[3], bits })
                          : lumos::net::remove_vnic_shaping(*host, args[2], args[3]);
    if (!done) {
        std::cerr << "net_cap_apply: " << done.error().message() << "\n";
        return 1;
    }
    return 0;
}
