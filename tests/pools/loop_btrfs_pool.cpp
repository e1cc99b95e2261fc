// SPDX-License-Identifier: MPL-2.0
#include "pools/loop_btrfs_pool.hpp"

#include "pools/backends.hpp"
#include "pools/pool_setup.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

namespace lumos::test {

std::string LoopBtrfsPool::unavailable()
{
    if (::geteuid() != 0) {
        return "needs root (loop devices, mkfs.btrfs, mount)";
    }
    return {};
}

LoopBtrfsPool::~LoopBtrfsPool()
{
    destroy();
}

Result<void> LoopBtrfsPool::make(Options const& options)
{
    pools::PoolRegistry::CreateRequest request;
    request.name = options.name;
    request.backend = pools::Backend::Btrfs;
    request.file = m_root.str() + "/" + options.name + ".img";
    request.size_bytes = options.size_bytes;
    request.quotas = options.quotas;
    TRY_ASSIGN(config, pools::create_pool(m_paths, request, pools::system_command_runner()));
    m_config = config;
    m_made = true;
    return {};
}

void LoopBtrfsPool::destroy()
{
    if (!m_made) {
        return;
    }
    m_made = false;
    auto destroyed = pools::destroy_pool(m_paths, m_config.name, pools::system_command_runner());
    EXPECT_TRUE(destroyed) << destroyed.error().message();
    if (!destroyed) {
        // Last resort, so that the host is left clean.
        (void)pools::system_command_runner().run({ "umount", "-l", m_config.mountpoint }, {});
        for (auto const& device :
            pools::loop_devices_of(pools::system_command_runner(), m_config.file)) {
            (void)pools::system_command_runner().run({ "losetup", "-d", device }, {});
        }
    }
}

std::unique_ptr<pools::Pool> LoopBtrfsPool::open() const
{
    return pools::make_btrfs_pool(m_config);
}

} // namespace lumos::test
