// SPDX-License-Identifier: MPL-2.0
// The pools the contract suite (pool_contract_test.cpp) runs against, one per backend, each
// made only where this host can run it.
#pragma once

#include "base/result.hpp"
#include "pools/pool.hpp"

#include <memory>
#include <string>

namespace lumos::test {

// One pool a backend's cases share, and where its bytes are. Destroying it removes the pool
// and everything it made on the host (directories, loop device, mount, zpool).
class PoolUnderTest {
public:
    virtual ~PoolUnderTest() = default;
    virtual pools::Pool& pool() = 0;
    // The file or device holding a volume's bytes.
    virtual std::string volume_path(std::string const& name) { return pool().path_of(name); }
};

struct BackendCase {
    char const* name;
    // Why this host cannot run the backend's cases (empty: it can).
    std::string (*unavailable)();
    Result<std::unique_ptr<PoolUnderTest>> (*make)();
};

// dir: a pool in a temp directory, any user.
extern BackendCase const DIR_BACKEND;
// btrfs: a loop-backed pool (quotas on); root and LUMOS_HOST_TESTS=1.
extern BackendCase const BTRFS_BACKEND;
// zfs: a zpool on a sparse file; root, LUMOS_HOST_TESTS=1 and a working zfs.
extern BackendCase const ZFS_BACKEND;

} // namespace lumos::test
