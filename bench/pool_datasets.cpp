// SPDX-License-Identifier: MPL-2.0
// Makes datasets and snapshots on $LUMOS_ROOT's pools through pools::Pool, the way vmadm
// does, for benchmarks that need a pool as full as a busy host's (bench/list_vs_cat.sh):
//
//   pool_datasets filesystems <dataset>...        create_filesystem of each (no quota)
//   pool_datasets snapshot <dataset@snap>...      each snapshot named
//   pool_datasets snapshots <count> <dataset>...  <dataset>@vmsnap-snap<N>, N = 1..count, each
//
// One process for all of them, so that the cost measured is the pool's, not process start-up.
// Exits 1 at the first failure, with the pool's message.
#include "base/paths.hpp"
#include "pools/pool.hpp"

#include <charconv>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

using lumos::Result;
using lumos::pools::Pool;

class Pools {
public:
    explicit Pools(lumos::Paths paths)
        : m_registry(std::move(paths))
    {
    }

    // The pool a dataset name starts with, opened once.
    Result<Pool*> of(std::string const& dataset)
    {
        std::string const name = dataset.substr(0, dataset.find('/'));
        auto found = m_open.find(name);
        if (found == m_open.end()) {
            TRY_ASSIGN(pool, m_registry.open(name));
            found = m_open.emplace(name, std::move(pool)).first;
        }
        return found->second.get();
    }

private:
    lumos::pools::PoolRegistry m_registry;
    std::map<std::string, std::unique_ptr<Pool>> m_open;
};

int usage()
{
    std::cerr << "usage: pool_datasets filesystems <dataset>...\n"
                 "       pool_datasets snapshot <dataset@snap>...\n"
                 "       pool_datasets snapshots <count> <dataset>...\n";
    return 2;
}

int fail(std::string const& what, lumos::Error const& error)
{
    std::cerr << "pool_datasets: " << what << ": " << error.message() << "\n";
    return 1;
}

} // namespace

int main(int argc, char** argv)
{
    std::vector<std::string> const args(argv + 1, argv + argc);
    if (args.size() < 2) {
        return usage();
    }
    Pools pools(lumos::Paths::from_environment());
    if (args[0] == "filesystems" || args[0] == "snapshot") {
        for (size_t i = 1; i < args.size(); ++i) {
            auto pool = pools.of(args[i]);
            if (!pool) {
                return fail(args[i], pool.error());
            }
            auto made = args[0] == "snapshot" ? (*pool)->snapshot(args[i])
                                              : (*pool)->create_filesystem(args[i], {});
            if (!made) {
                return fail(args[i], made.error());
            }
        }
        return 0;
    }
    if (args[0] != "snapshots" || args.size() < 3) {
        return usage();
    }
    int count = 0;
    auto const [end, parsed]
        = std::from_chars(args[1].data(), args[1].data() + args[1].size(), count);
    if (parsed != std::errc {} || end != args[1].data() + args[1].size() || count < 1) {
        return usage();
    }
    for (size_t i = 2; i < args.size(); ++i) {
        auto pool = pools.of(args[i]);
        if (!pool) {
            return fail(args[i], pool.error());
        }
        for (int n = 1; n <= count; ++n) {
            std::string const name = args[i] + "@vmsnap-snap" + std::to_string(n);
            if (auto made = (*pool)->snapshot(name); !made) {
                return fail(name, made.error());
            }
        }
    }
    return 0;
}
