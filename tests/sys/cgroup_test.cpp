// SPDX-License-Identifier: MPL-2.0
// A zone's cgroup on this host's real hierarchy (root): created, limited, changed live in both
// directions, a process attached and counted, and removed without a trace.
#include "base/file.hpp"
#include "sys/cgroup.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

namespace lumos::sys {
namespace {

namespace fs = std::filesystem;

class CgroupTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (::geteuid() != 0) {
            GTEST_SKIP() << "cgroups need root";
        }
        auto detected = Cgroups::detect();
        ASSERT_TRUE(detected.has_value()) << detected.error().message();
        m_cgroups.emplace(std::move(*detected));
        m_parent = "/lumos-test-" + std::to_string(::getpid());
        m_path = m_parent + "/zone";
        ASSERT_TRUE(m_cgroups->create(m_path).has_value());
    }
    void TearDown() override
    {
        if (m_child > 0) {
            ::kill(m_child, SIGKILL);
            ::waitpid(m_child, nullptr, 0);
        }
        if (m_cgroups) {
            EXPECT_TRUE(m_cgroups->remove(m_path).has_value());
            EXPECT_TRUE(m_cgroups->remove(m_parent).has_value());
            for (auto const& controller : Cgroups::controllers()) {
                EXPECT_FALSE(fs::exists(file(controller, "")));
            }
        }
    }

    // A file of the zone's cgroup ("" for its directory).
    std::string file(std::string const& controller, std::string const& name) const
    {
        std::string dir = m_cgroups->layout() == CgroupLayout::V2
            ? "/sys/fs/cgroup" + m_path
            : "/sys/fs/cgroup/" + controller + m_path;
        return name.empty() ? dir : dir + "/" + name;
    }
    std::string value(std::string const& controller, std::string const& name) const
    {
        auto text = read_file(file(controller, name));
        EXPECT_TRUE(text.has_value()) << file(controller, name);
        std::string v = text ? *text : "";
        while (!v.empty() && v.back() == '\n') {
            v.pop_back();
        }
        return v;
    }

    std::optional<Cgroups> m_cgroups;
    std::string m_parent;
    std::string m_path;
    pid_t m_child { -1 };
};

TEST_F(CgroupTest, LimitsApplyAndChangeLiveInBothDirections)
{
    CgroupLimits limits;
    limits.memory = 256ULL << 20;
    limits.memory_swap = 512ULL << 20;
    limits.cpu_quota_us = 50000;
    limits.cpu_shares = 2048;
    limits.pids = 100;
    ASSERT_TRUE(m_cgroups->apply(m_path, limits).has_value());
    if (m_cgroups->layout() == CgroupLayout::V1) {
        EXPECT_EQ(value("memory", "memory.limit_in_bytes"), std::to_string(256ULL << 20));
        EXPECT_EQ(value("memory", "memory.memsw.limit_in_bytes"), std::to_string(512ULL << 20));
        EXPECT_EQ(value("cpu", "cpu.cfs_quota_us"), "50000");
        EXPECT_EQ(value("cpu", "cpu.shares"), "2048");
        EXPECT_EQ(value("pids", "pids.max"), "100");
    } else {
        EXPECT_EQ(value("", "memory.max"), std::to_string(256ULL << 20));
        EXPECT_EQ(value("", "cpu.max"), "50000 100000");
        EXPECT_EQ(value("", "pids.max"), "100");
    }

    // Up above the old memory+swap, then down below the old memory: the order of writes keeps
    // memory <= memory+swap, so neither is refused.
    limits.memory = 1024ULL << 20;
    limits.memory_swap = 2048ULL << 20;
    auto raised = m_cgroups->apply(m_path, limits);
    ASSERT_TRUE(raised.has_value()) << raised.error().message();
    limits.memory = 64ULL << 20;
    limits.memory_swap = 128ULL << 20;
    auto lowered = m_cgroups->apply(m_path, limits);
    ASSERT_TRUE(lowered.has_value()) << lowered.error().message();

    // No cap, no process limit (vmadm update cpu_cap=0 / max_lwps removed).
    limits.cpu_quota_us.reset();
    limits.pids.reset();
    ASSERT_TRUE(m_cgroups->apply(m_path, limits).has_value());
    if (m_cgroups->layout() == CgroupLayout::V1) {
        EXPECT_EQ(value("memory", "memory.limit_in_bytes"), std::to_string(64ULL << 20));
        EXPECT_EQ(value("cpu", "cpu.cfs_quota_us"), "-1");
        EXPECT_EQ(value("pids", "pids.max"), "max");
    } else {
        EXPECT_EQ(value("", "cpu.max"), "max 100000");
        EXPECT_EQ(value("", "pids.max"), "max");
    }
}

TEST_F(CgroupTest, StatsCountTheAttachedProcess)
{
    CgroupLimits limits;
    limits.memory = 128ULL << 20;
    ASSERT_TRUE(m_cgroups->apply(m_path, limits).has_value());
    m_child = ::fork();
    if (m_child == 0) {
        for (;;) {
            ::pause();
        }
    }
    ASSERT_TRUE(m_cgroups->attach(m_path, m_child).has_value());
    auto stats = m_cgroups->stats(m_path);
    ASSERT_TRUE(stats.has_value()) << stats.error().message();
    EXPECT_EQ(stats->processes, 1U);
    EXPECT_EQ(stats->memory_limit, 128ULL << 20);
    EXPECT_EQ(stats->oom_kills, 0U);

    ::kill(m_child, SIGKILL);
    ::waitpid(m_child, nullptr, 0);
    m_child = -1;
    stats = m_cgroups->stats(m_path);
    ASSERT_TRUE(stats.has_value());
    EXPECT_EQ(stats->processes, 0U);
}

TEST(Cgroups, DetectRefusesAHierarchyWithoutMemory)
{
    auto detected = Cgroups::detect("/nonexistent-cgroup-root");
    ASSERT_FALSE(detected.has_value());
    EXPECT_EQ(detected.error().code(), ErrorCode::Unsupported);
}

// Live writes follow the probe: over a fake v1 tree, the IO weight goes to the file the probe
// found, and nothing is written where it found none (a kernel without BFQ has no such file,
// and a write there would fail the whole update), nor memory+swap without swap accounting.
class FakeCgroupTreeTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char dir[] = "/tmp/lumos-cgroups-XXXXXX";
        ASSERT_NE(::mkdtemp(dir), nullptr);
        m_dir = dir;
        for (char const* controller : { "memory", "cpu", "cpuacct", "pids", "blkio" }) {
            put(std::string(controller) + "/cgroup.procs");
            put(std::string(controller) + "/lumos/cgroup.procs");
            put(std::string(controller) + "/lumos/zone/cgroup.procs");
        }
        for (char const* file : { "memory/lumos/zone/memory.limit_in_bytes",
                 "cpu/lumos/zone/cpu.cfs_period_us", "cpu/lumos/zone/cpu.cfs_quota_us",
                 "cpu/lumos/zone/cpu.shares", "pids/lumos/zone/pids.max" }) {
            put(file);
        }
        put("memory/lumos/memory.limit_in_bytes");
    }
    void TearDown() override
    {
        std::error_code ignored;
        fs::remove_all(m_dir, ignored);
    }
    void put(std::string const& relative, std::string const& content = "")
    {
        fs::path const path = m_dir + "/" + relative;
        fs::create_directories(path.parent_path());
        std::ofstream(path) << content;
    }
    std::string content(std::string const& relative) const
    {
        auto text = read_file(m_dir + "/" + relative);
        return text ? *text : "(none)";
    }
    Cgroups cgroups() const
    {
        auto detected = Cgroups::detect(m_dir);
        EXPECT_TRUE(detected.has_value());
        return std::move(*detected);
    }
    static CgroupLimits limits()
    {
        CgroupLimits limits;
        limits.memory = 256ULL << 20;
        limits.memory_swap = 512ULL << 20;
        limits.io_weight = 500;
        return limits;
    }

    std::string m_dir;
};

TEST_F(FakeCgroupTreeTest, NoIoWeightFileNoMemswNothingWrittenThere)
{
    // The zone's own cgroup has the files, the probe (which looks in the parent) found none:
    // only what the probe found is written.
    put("blkio/lumos/zone/blkio.weight", "unchanged");
    put("memory/lumos/zone/memory.memsw.limit_in_bytes", "unchanged");
    auto const cg = cgroups();
    EXPECT_EQ(cg.io_weight_file(), "");
    EXPECT_FALSE(cg.features().memsw);
    auto applied = cg.apply("/lumos/zone", limits());
    ASSERT_TRUE(applied.has_value()) << applied.error().message();
    EXPECT_EQ(content("memory/lumos/zone/memory.limit_in_bytes"), std::to_string(256ULL << 20));
    EXPECT_EQ(content("blkio/lumos/zone/blkio.weight"), "unchanged");
    EXPECT_EQ(content("memory/lumos/zone/memory.memsw.limit_in_bytes"), "unchanged");
}

TEST_F(FakeCgroupTreeTest, BfqWeightAndMemswWrittenWhereFound)
{
    put("blkio/lumos/blkio.bfq.weight", "100");
    put("blkio/lumos/zone/blkio.bfq.weight", "100");
    put("memory/lumos/memory.memsw.limit_in_bytes", "9223372036854771712");
    put("memory/lumos/zone/memory.memsw.limit_in_bytes", "0"); // regular files: no truncation
    auto const cg = cgroups();
    EXPECT_EQ(cg.io_weight_file(), "blkio.bfq.weight");
    auto applied = cg.apply("/lumos/zone", limits());
    ASSERT_TRUE(applied.has_value()) << applied.error().message();
    EXPECT_EQ(content("blkio/lumos/zone/blkio.bfq.weight"), "500");
    EXPECT_EQ(
        content("memory/lumos/zone/memory.memsw.limit_in_bytes"), std::to_string(512ULL << 20));
}

} // namespace
} // namespace lumos::sys
