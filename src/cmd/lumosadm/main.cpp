// SPDX-License-Identifier: MPL-2.0
// lumosadm: host setup. Subcommands: pool (create, list, destroy, check), autoboot,
// reindex.
#include "cmd/lumosadm/pool_command.hpp"

#include <exception>
#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv)
{
    try {
        std::vector<std::string> args(argv + 1, argv + argc);
        auto paths = lumos::Paths::from_environment();
        if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
            lumos::lumosadm::print_usage(args.empty() ? std::cerr : std::cout);
            return args.empty() ? lumos::lumosadm::EXIT_USAGE : 0;
        }
        if (args[0] == "pool") {
            return lumos::lumosadm::run_pool(std::vector<std::string>(args.begin() + 1, args.end()),
                paths, std::cout, std::cerr);
        }
        if (args[0] == "autoboot") {
            return lumos::lumosadm::run_autoboot(
                std::vector<std::string>(args.begin() + 1, args.end()), paths, std::cout,
                std::cerr);
        }
        if (args[0] == "reindex") {
            return lumos::lumosadm::run_reindex(
                std::vector<std::string>(args.begin() + 1, args.end()), paths, std::cout,
                std::cerr);
        }
        std::cerr << "lumosadm: error: unknown command: " << args[0] << "\n";
        lumos::lumosadm::print_usage(std::cerr);
        return lumos::lumosadm::EXIT_USAGE;
    } catch (std::exception const& error) {
        std::cerr << "lumosadm: error: " << error.what() << "\n";
        return 1;
    }
}
