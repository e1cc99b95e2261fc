// SPDX-License-Identifier: MPL-2.0
#include "pools/backend_under_test.hpp"

#include "base/sizes.hpp"
#include "pools/backends.hpp"
#include "pools/loop_btrfs_pool.hpp"
#include "support/cli_runner.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <unistd.h>

namespace lumos::test {

namespace fs = std::filesystem;

namespace {

class DirUnderTest final : public PoolUnderTest {
public:
    DirUnderTest()
    {
        pools::PoolConfig config;
        config.name = "zones";
        config.backend = pools::Backend::Dir;
        config.mountpoint = m_root.str() + "/zones";
        config.quotas = false;
        fs::create_directories(config.mountpoint);
        m_pool = pools::make_dir_pool(config);
    }
    pools::Pool& pool() override { return *m_pool; }

private:
    TempRoot m_root;
    std::unique_ptr<pools::Pool> m_pool;
};

class BtrfsUnderTest final : public PoolUnderTest {
public:
    Result<void> make()
    {
        TRY(m_loop.make({}));
        m_pool = m_loop.open();
        return {};
    }
    pools::Pool& pool() override { return *m_pool; }

private:
    LoopBtrfsPool m_loop;
    std::unique_ptr<pools::Pool> m_pool; // destroyed before the pool it stands for
};

// A zpool on a sparse file in a temp directory, mounted below it; destroyed afterwards.
class ZfsUnderTest final : public PoolUnderTest {
public:
    Result<void> make()
    {
        auto const file = m_root.str() + "/zpool.img";
        {
            std::ofstream(file).flush();
        }
        std::error_code ec;
        fs::resize_file(file, 512 * MIB, ec);
        if (ec) {
            return make_error(ErrorCode::System, "cannot size " + file + ": " + ec.message());
        }
        m_config.name = "lumostest" + std::to_string(::getpid());
        m_config.backend = pools::Backend::Zfs;
        m_config.mountpoint = m_root.str() + "/mnt";
        TRY(pools::run_checked(pools::system_command_runner(),
            { "zpool", "create", "-o", "cachefile=none", "-m", m_config.mountpoint, m_config.name,
                file }));
        m_made = true;
        m_pool = pools::make_zfs_pool(m_config);
        return {};
    }
    ~ZfsUnderTest() override
    {
        m_pool.reset();
        if (m_made) {
            auto destroyed = pools::system_command_runner().run(
                { "zpool", "destroy", "-f", m_config.name }, {});
            EXPECT_TRUE(destroyed && destroyed->status == 0) << "zpool destroy " << m_config.name;
        }
    }
    pools::Pool& pool() override { return *m_pool; }
    std::string volume_path(std::string const& name) override { return "/dev/zvol/" + name; }

private:
    TempRoot m_root;
    pools::PoolConfig m_config;
    bool m_made { false };
    std::unique_ptr<pools::Pool> m_pool;
};

std::string host_tests_unavailable(std::string const& backend)
{
    if (::geteuid() != 0 || std::getenv("LUMOS_HOST_TESTS") == nullptr) {
        return "a " + backend + " pool needs root and LUMOS_HOST_TESTS=1";
    }
    return {};
}

} // namespace

BackendCase const DIR_BACKEND {
    "dir",
    [] { return std::string(); },
    []() -> Result<std::unique_ptr<PoolUnderTest>> { return std::make_unique<DirUnderTest>(); },
};

BackendCase const BTRFS_BACKEND {
    "btrfs",
    [] {
        auto reason = host_tests_unavailable("btrfs");
        return reason.empty() ? LoopBtrfsPool::unavailable() : reason;
    },
    []() -> Result<std::unique_ptr<PoolUnderTest>> {
        auto made = std::make_unique<BtrfsUnderTest>();
        TRY(made->make());
        return made;
    },
};

BackendCase const ZFS_BACKEND {
    "zfs",
    [] {
        auto reason = host_tests_unavailable("zfs");
        if (!reason.empty()) {
            return reason;
        }
        if (read_file("/proc/filesystems").find("\tzfs\n") == std::string::npos) {
            return std::string("zfs is not loaded here (no zfs in /proc/filesystems)");
        }
        auto version = pools::system_command_runner().run({ "zpool", "version" }, {});
        if (!version || version->status != 0) {
            return std::string("zpool(8) does not run here");
        }
        return std::string();
    },
    []() -> Result<std::unique_ptr<PoolUnderTest>> {
        auto made = std::make_unique<ZfsUnderTest>();
        TRY(made->make());
        return made;
    },
};

} // namespace lumos::test
