// SPDX-License-Identifier: MPL-2.0
// zlogin: enter a running zone, as illumos's zlogin(1) does.
//   zlogin <uuid>              an interactive login shell in the zone (a pty when stdin is one)
//   zlogin <uuid> <command>    the command, joined by spaces, run by /bin/sh -c in the zone;
//                              zlogin exits with its status
//   zlogin -C <uuid>           the zone's console (detach with "~." at the start of a line)
// Commands run through `runc exec`, so they join the zone's namespaces, cgroup, capabilities and
// seccomp filter exactly as its init has them.
#include "base/paths.hpp"
#include "cmd/common/console_relay.hpp"
#include "vm/host.hpp"

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

int usage()
{
    std::cerr << "usage: zlogin [-CQ] [-e c] <zone> [command ...]\n";
    return 2;
}

} // namespace

int main(int argc, char** argv)
{
    using namespace lumos;
    bool console = false;
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; ++i) {
        std::string const option = argv[i];
        if (option == "--") {
            ++i;
            break;
        }
        for (size_t k = 1; k < option.size(); ++k) {
            char const c = option[k];
            if (c == 'C') {
                console = true;
            } else if (c == 'Q' || c == 'S') {
                // quiet / safe mode: nothing to change here
            } else if (c == 'e' || c == 'l') {
                // escape character / user: accepted, the defaults are used
                if (k + 1 == option.size()) {
                    ++i;
                }
                break;
            } else {
                std::cerr << "zlogin: illegal option -- " << c << "\n";
                return usage();
            }
        }
    }
    if (i >= argc) {
        return usage();
    }
    if (::geteuid() != 0) {
        std::cerr << "zlogin: You lack sufficient privilege to run this command.\n";
        return 1;
    }
    std::string const zone = argv[i++];
    std::vector<std::string> command(argv + i, argv + argc);
    if (console && !command.empty()) {
        std::cerr << "zlogin: -C cannot be used with a command\n";
        return usage();
    }
    try {
        auto host = vm::Host::open(Paths::from_environment());
        if (!host) {
            std::cerr << "zlogin: " << host.error().message() << "\n";
            return 1;
        }
        vm::Engine& engine = (*host)->engine();
        auto vm = engine.get(zone);
        if (!vm) {
            std::cerr << "zlogin: " << zone << ": No such zone configured\n";
            return 1;
        }
        engine.ensure_monitored(*vm);
        std::string const state = string_or(*vm, "state");
        if (state != "running") {
            std::cerr << "zlogin: login allowed only to running zones (" << zone << " is '"
                      << string_or(*vm, "zone_state", state) << "').\n";
            return 1;
        }
        if (console) {
            auto connection = engine.console(zone);
            if (!connection) {
                std::cerr << "zlogin: " << connection.error().cause.message() << "\n";
                return 1;
            }
            std::cout << "[Connected to zone '" << zone << "' console]" << std::endl;
            cmd::relay_console(connection->get(), STDIN_FILENO, STDOUT_FILENO);
            std::cout << "\n[Connection to zone '" << zone << "' console closed]" << std::endl;
            return 0;
        }
        // runc exec joins the zone's namespaces, cgroup, capabilities and seccomp filter.
        auto args = engine.runtime_for(*vm).exec_argv(*vm, command,
            ::isatty(STDIN_FILENO) == 1 ? vm::Terminal::Allocate : vm::Terminal::None);
        if (!args) {
            std::cerr << "zlogin: " << args.error().message() << "\n";
            return 1;
        }
        std::vector<char*> exec_args;
        for (auto& arg : *args) {
            exec_args.push_back(arg.data());
        }
        exec_args.push_back(nullptr);
        std::cout.flush();
        ::execv(exec_args[0], exec_args.data());
        std::perror("zlogin: exec runc");
        return 1;
    } catch (std::exception const& error) {
        std::cerr << "zlogin: internal error: " << error.what() << "\n";
        return 1;
    }
}
