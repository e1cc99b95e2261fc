// SPDX-License-Identifier: MPL-2.0
// lumosadm reindex: the VMs' conflict index (store/vm_index.hpp) made whole again from the
// records: every record's MACs, IPs, VRIDs, VNC port and datasets added, rows no record claims
// removed. Needed only after records were put in place by hand (a restore); a missing index
// rebuilds itself.
#include "cmd/lumosadm/pool_command.hpp"
#include "store/vm_store.hpp"

#include <ostream>

namespace lumos::lumosadm {

int run_reindex(
    std::vector<std::string> const& args, Paths const& paths, std::ostream& out, std::ostream& err)
{
    if (!args.empty()) {
        err << "lumosadm: error: reindex takes no arguments\n";
        print_usage(err);
        return EXIT_USAGE;
    }
    store::VmStore const store(paths);
    auto settled = store.reindex();
    if (!settled) {
        err << "lumosadm: error: " << settled.error().message() << "\n";
        return 1;
    }
    out << "Reindexed the VMs (" << *settled << " with rows no record claims settled)\n";
    return 0;
}

} // namespace lumos::lumosadm
