// SPDX-License-Identifier: MPL-2.0
#include "cmd/vmadm/cli.hpp"
#include "vm/host.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <exception>
#include <iostream>

#include <unistd.h>

int main(int argc, char** argv)
{
    // A closed pipe on stdout ends vmadm quietly with status 0, as SmartOS does.
    (void)std::signal(SIGPIPE, SIG_IGN);
    std::ios::sync_with_stdio(false);
    try {
        if (::geteuid() != 0) {
            std::cerr << "FATAL: cannot run because: must be run as root\n";
            return 2;
        }
        auto host = lumos::vm::Host::open(lumos::Paths::from_environment());
        if (!host) {
            std::cerr << "vmadm: " << host.error().message() << "\n";
            return 1;
        }
        lumos::vmadm::Io io { std::cin, std::cout, std::cerr, ::isatty(0) == 1 };
        std::vector<std::string> const args(argv, argv + argc);
        int const status = lumos::vmadm::run(args, io, (*host)->engine());
        std::cout.flush();
        if (std::cout.fail() && errno == EPIPE) {
            return 0;
        }
        return status;
    } catch (std::exception const& error) {
        std::cerr << "vmadm: internal error: " << error.what() << "\n";
        return 1;
    }
}
