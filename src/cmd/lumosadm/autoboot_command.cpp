// SPDX-License-Identifier: MPL-2.0
// lumosadm autoboot: what SmartOS's zones service does at host start (vm::Engine::autoboot):
// every VM whose zone still runs without a monitor gets one again; every stopped VM with
// autoboot true is started. Run once at boot (dist/lumos-autoboot.service), and safe to run
// again at any time.
#include "cmd/lumosadm/pool_command.hpp"
#include "vm/host.hpp"

#include <ostream>

namespace lumos::lumosadm {

// Prints the engine's autoboot outcomes (vm::Engine::autoboot decides what to do).
int run_autoboot(
    std::vector<std::string> const& args, Paths const& paths, std::ostream& out, std::ostream& err)
{
    if (!args.empty()) {
        err << "lumosadm: error: autoboot takes no arguments\n";
        print_usage(err);
        return EXIT_USAGE;
    }
    auto host = vm::Host::open(paths);
    if (!host) {
        err << "lumosadm: error: " << host.error().message() << "\n";
        return 1;
    }
    auto outcomes = (*host)->engine().autoboot();
    if (!outcomes) {
        err << "lumosadm: error: " << outcomes.error().message() << "\n";
        return 1;
    }
    int status = 0;
    for (auto const& outcome : *outcomes) {
        bool const reattach = outcome.action == vm::AutobootAction::Reattach;
        if (outcome.failure) {
            status = 1;
            if (reattach) {
                err << "lumosadm: error: cannot re-attach a monitor to VM " << outcome.uuid << "\n";
            } else {
                err << "lumosadm: error: cannot start VM " << outcome.uuid << ": "
                    << outcome.failure->message() << "\n";
            }
            continue;
        }
        out << (reattach ? "Re-attached a monitor to VM " : "Started VM ") << outcome.uuid << "\n";
    }
    return status;
}

} // namespace lumos::lumosadm
