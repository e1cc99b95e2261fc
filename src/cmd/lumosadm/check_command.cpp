// SPDX-License-Identifier: MPL-2.0
// lumosadm pool check [-n] [pool]: lists and removes what killed commands left on the pools —
// partial datasets and cached manifests of killed installs (image/orphans.hpp), datasets of
// killed creates without a VM record (vm/orphans.hpp). The create lock is held throughout, so a
// create in progress is never taken for an orphan; an install in progress holds its import
// lock, so its partial dataset is not one either.
#include "cmd/lumosadm/pool_command.hpp"
#include "image/orphans.hpp"
#include "store/vm_store.hpp"
#include "vm/orphans.hpp"

#include <algorithm>
#include <optional>
#include <ostream>

namespace lumos::lumosadm {

int run_pool_check(
    std::vector<std::string> const& args, Paths const& paths, std::ostream& out, std::ostream& err)
{
    bool dry_run = false;
    std::optional<std::string> pool;
    for (auto const& arg : args) {
        if (arg == "-n") {
            dry_run = true;
        } else if (arg.starts_with("-") || pool) {
            err << "lumosadm: error: pool check takes [-n] and at most one pool name\n";
            print_usage(err);
            return EXIT_USAGE;
        } else {
            pool = arg;
        }
    }
    pools::PoolRegistry const pools(paths);
    if (pool) {
        auto names = pools.names();
        if (std::find(names.begin(), names.end(), *pool) == names.end()) {
            err << "lumosadm: error: no such pool: " << *pool << "\n";
            return 1;
        }
    }
    store::VmStore const store(paths);
    auto lock = store.lock_create();
    if (!lock) {
        err << "lumosadm: error: " << lock.error().message() << "\n";
        return 1;
    }
    // What a killed command left half-made in a pool's journal goes first.
    for (auto const& name : pools.names()) {
        if (pool && *pool != name) {
            continue;
        }
        if (auto opened = pools.open(name)) {
            if (auto recovered = (*opened)->recover(); !recovered) {
                err << "lumosadm: error: pool " << name << ": " << recovered.error().message()
                    << "\n";
                return 1;
            }
        }
    }
    auto vm_orphans = vm::find_vm_orphans(store, pools, pool);
    if (!vm_orphans) {
        err << "lumosadm: error: " << vm_orphans.error().message() << "\n";
        return 1;
    }
    auto const image_orphans = image::find_image_orphans(paths, pools, pool);
    if (vm_orphans->empty() && image_orphans.empty()) {
        out << "No orphans found\n";
        return 0;
    }
    int status = 0;
    char const* const verb = dry_run ? "Would remove " : "Removed ";
    for (auto const& orphan : *vm_orphans) {
        std::string const what = "dataset " + orphan.dataset + " (no VM " + orphan.uuid + ")";
        if (!dry_run) {
            if (auto removed = vm::remove_vm_orphan(pools, orphan); !removed) {
                err << "lumosadm: error: cannot remove " << what << ": "
                    << removed.error().message() << "\n";
                status = 1;
                continue;
            }
        }
        out << verb << what << "\n";
    }
    for (auto const& orphan : image_orphans) {
        std::string const what
            = orphan.describe() + " (image " + orphan.uuid + " is not installed)";
        if (!dry_run) {
            auto removed = image::remove_image_orphan(paths, pools, orphan);
            if (!removed) {
                err << "lumosadm: error: cannot remove " << what << ": "
                    << removed.error().message() << "\n";
                status = 1;
                continue;
            }
            if (!*removed) {
                continue; // an install of it started meanwhile
            }
        }
        out << verb << what << "\n";
    }
    return status;
}

} // namespace lumos::lumosadm
