// SPDX-License-Identifier: MPL-2.0
// nictagadm: SmartOS's nic tag tool (cmd/nictagadm/cli.hpp); the VM host is opened only by the
// subcommands that ask about VMs (vms, delete).
#include "cmd/nictagadm/cli.hpp"
#include "vm/host.hpp"

#include <csignal>
#include <exception>
#include <iostream>

#include <unistd.h>

int main(int argc, char** argv)
{
    (void)std::signal(SIGPIPE, SIG_IGN);
    try {
        if (::geteuid() != 0) {
            std::cerr << "Error: This program can only be run as root.\n";
            return 1;
        }
        lumos::nictagadm::Host host { lumos::Paths::from_environment(), "/sys", {} };
        host.vms_using
            = [&host](std::string const& tag) -> lumos::Result<std::vector<std::string>> {
            TRY_ASSIGN(vm_host, lumos::vm::Host::open(host.paths));
            return lumos::nictagadm::vms_using_tag(vm_host->engine(), tag);
        };
        lumos::nictagadm::Io io { std::cout, std::cerr };
        std::vector<std::string> const args(argv, argv + argc);
        int const status = lumos::nictagadm::run(args, io, host);
        std::cout.flush();
        return status;
    } catch (std::exception const& error) {
        std::cerr << "nictagadm: internal error: " << error.what() << "\n";
        return 1;
    }
}
