// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "pools/command_runner.hpp"
#include "pools/pool.hpp"

#include <memory>

namespace lumos::pools {

// Backends, for PoolRegistry::open and tests. The runner must outlive the pool.
std::unique_ptr<Pool> make_dir_pool(
    PoolConfig const& config, CommandRunner& runner = system_command_runner());
std::unique_ptr<Pool> make_btrfs_pool(
    PoolConfig const& config, CommandRunner& runner = system_command_runner());
// config.name is the zpool (or parent dataset) name; every dataset operation is a zfs(8) command.
std::unique_ptr<Pool> make_zfs_pool(
    PoolConfig const& config, CommandRunner& runner = system_command_runner());

} // namespace lumos::pools
