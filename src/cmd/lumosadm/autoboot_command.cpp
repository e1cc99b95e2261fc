// SPDX-License-Identifier: MPL-2.0
// lumosadm autoboot: what SmartOS's zones service does at host start. Every VM whose zone still
// runs without a monitor gets one again; every stopped VM with autoboot true is started. Run
// once at boot (dist/lumos-autoboot.service), and safe to run again at any time.
#include "cmd/lumosadm/pool_command.hpp"

#include "store/vm_store.hpp"
#include "vm/engine.hpp"
#include "vm/zone_runtime.hpp"

#include <ostream>

namespace lumos::lumosadm {

int run_autoboot(std::vector<std::string> const& args, Paths const& paths, std::ostream& out,
    std::ostream& err)
{
    if (!args.empty()) {
        err << "lumosadm: error: autoboot takes no arguments\n";
        print_usage(err);
        return EXIT_USAGE;
    }
    store::VmStore store(paths);
    pools::PoolRegistry const pools(paths);
    vm::ZoneRuntime runtime(paths, pools);
    vm::Engine engine(store, runtime, pools);
    vm::ListQuery query;
    query.keys = std::set<std::string> { "uuid", "autoboot", "brand", "state" };
    auto vms = engine.find(query);
    if (!vms) {
        err << "lumosadm: error: " << vms.error().message() << "\n";
        return 1;
    }
    int status = 0;
    for (auto const& listed : *vms) {
        std::string const uuid = listed.value("uuid", "");
        if (auto live = runtime.live(uuid)) {
            if (!live->monitored) {
                auto vm = store.load(uuid);
                if (vm && runtime.reattach(*vm)) {
                    out << "Re-attached a monitor to VM " << uuid << "\n";
                } else {
                    err << "lumosadm: error: cannot re-attach a monitor to VM " << uuid << "\n";
                    status = 1;
                }
            }
            continue;
        }
        if (listed.value("autoboot", false) != true || listed.value("state", "") != "stopped") {
            continue;
        }
        if (auto bootable = engine.can_boot(listed.value("brand", "")); !bootable) {
            err << "lumosadm: error: cannot start VM " << uuid << ": " << bootable.error().message()
                << "\n";
            status = 1;
            continue;
        }
        if (auto started = engine.start(uuid); !started) {
            err << "lumosadm: error: cannot start VM " << uuid << ": " << started.error().message()
                << "\n";
            status = 1;
            continue;
        }
        out << "Started VM " << uuid << "\n";
    }
    return status;
}

} // namespace lumos::lumosadm
