// SPDX-License-Identifier: MPL-2.0
// One dataset's create, snapshot and destroy through the Pool API with few and with many
// datasets in the pool: the pool's metadata is one row per dataset (storage/detail/dataset_db),
// so the cost must not grow with the pool. Usage (bench/dataset_ops.sh runs it):
//   dataset_ops_bench <dir|btrfs> <mountpoint> [SMALL=10] [LARGE=10000] [ROUNDS=25]
// Fills the pool with plain filesystems through the same API, times ROUNDS rounds of
// create + snapshot + recursive destroy of a fresh dataset at SMALL and at LARGE existing
// datasets, prints the medians and their ratio. Exits 1 when LARGE costs 20% more than SMALL.
#include "storage/backends.hpp"
#include "storage/pool.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using lumos::storage::Pool;
using Clock = std::chrono::steady_clock;

struct Timings {
    double create_ms { 0 };
    double snapshot_ms { 0 };
    double destroy_ms { 0 };
    double total() const { return create_ms + snapshot_ms + destroy_ms; }
};

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    return values.empty() ? 0 : values[values.size() / 2];
}

double ms_since(Clock::time_point start)
{
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

bool fill(Pool& pool, size_t& count, size_t target)
{
    for (; count < target; ++count) {
        if (auto made = pool.create_filesystem("zones/fill-" + std::to_string(count), {}); !made) {
            std::fprintf(stderr, "fill: %s\n", made.error().message().c_str());
            return false;
        }
    }
    return true;
}

bool measure(Pool& pool, int rounds, Timings& out)
{
    std::vector<double> create;
    std::vector<double> snapshot;
    std::vector<double> destroy;
    for (int i = 0; i < rounds; ++i) {
        auto const name = "zones/bench-" + std::to_string(i);
        auto start = Clock::now();
        auto made = pool.create_filesystem(name, {});
        create.push_back(ms_since(start));
        start = Clock::now();
        auto snapped = made ? pool.snapshot(name + "@s") : made;
        snapshot.push_back(ms_since(start));
        start = Clock::now();
        auto gone = snapped ? pool.destroy(name, lumos::storage::Recursive::Yes) : snapped;
        destroy.push_back(ms_since(start));
        if (!gone) {
            std::fprintf(stderr, "%s: %s\n", name.c_str(), gone.error().message().c_str());
            return false;
        }
    }
    out = { median(create), median(snapshot), median(destroy) };
    return true;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 3) {
        std::fprintf(
            stderr, "usage: dataset_ops_bench <dir|btrfs> <mountpoint> [SMALL] [LARGE] [ROUNDS]\n");
        return 2;
    }
    std::string const backend = argv[1];
    size_t const small = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 10;
    size_t const large = argc > 4 ? std::strtoul(argv[4], nullptr, 10) : 10000;
    int const rounds = argc > 5 ? std::atoi(argv[5]) : 25;
    lumos::storage::PoolConfig config;
    config.name = "zones";
    config.mountpoint = argv[2];
    config.quotas = false;
    config.backend
        = backend == "btrfs" ? lumos::storage::Backend::Btrfs : lumos::storage::Backend::Dir;
    auto pool = backend == "btrfs" ? lumos::storage::make_btrfs_pool(config)
                                   : lumos::storage::make_dir_pool(config);
    size_t count = 0;
    Timings at_small;
    Timings at_large;
    auto const fill_start = Clock::now();
    if (!fill(*pool, count, small) || !measure(*pool, rounds, at_small)) {
        return 2;
    }
    if (!fill(*pool, count, large)) {
        return 2;
    }
    auto const fill_s = ms_since(fill_start) / 1000;
    if (!measure(*pool, rounds, at_large)) {
        return 2;
    }
    auto row = [&](char const* what, double a, double b) {
        std::printf("  %-28s %8.2f ms %8.2f ms   x%.2f\n", what, a, b, a > 0 ? b / a : 0.0);
    };
    std::printf("%s pool, median of %d rounds (filled to %zu datasets in %.0f s)\n",
        backend.c_str(), rounds, large, fill_s);
    std::printf("  %-28s %11zu %11zu\n", "existing datasets", small, large);
    row("create", at_small.create_ms, at_large.create_ms);
    row("snapshot", at_small.snapshot_ms, at_large.snapshot_ms);
    row("destroy -r", at_small.destroy_ms, at_large.destroy_ms);
    row("create+snapshot+destroy", at_small.total(), at_large.total());
    double const ratio = at_large.total() / at_small.total();
    bool const ok = ratio <= 1.2;
    std::printf("  ratio %.2f: %s (target: within 20%%)\n", ratio, ok ? "ok" : "MISSED");
    return ok ? 0 : 1;
}
