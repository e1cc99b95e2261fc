// SPDX-License-Identifier: MPL-2.0
// Pool setup below PoolRegistry, with the command runner injectable (tests, lumosadm).
#pragma once

#include "pools/command_runner.hpp"
#include "pools/pool.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace lumos::pools {

Result<PoolConfig> create_pool(
    Paths const& paths, PoolRegistry::CreateRequest const& request, CommandRunner& runner);
Result<void> destroy_pool(Paths const& paths, std::string const& name, CommandRunner& runner);

// Attaches a pool's loop file and mounts it when it is not mounted (after a reboot).
Result<void> ensure_pool_mounted(CommandRunner& runner, PoolConfig const& config);

bool is_mountpoint(std::string const& path);
std::vector<std::string> loop_devices_of(CommandRunner& runner, std::string const& file);

struct PoolUsage {
    uint64_t size_bytes { 0 };
    uint64_t used_bytes { 0 };
    uint64_t available_bytes { 0 };
};
// The filesystem under the mountpoint (statvfs).
Result<PoolUsage> pool_usage(std::string const& mountpoint);

} // namespace lumos::pools
