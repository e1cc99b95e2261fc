// SPDX-License-Identifier: MPL-2.0
// The nictagadm binary as root against the kernel: LINK and the MAC check read the links of the
// network namespace nictagadm runs in. Each test makes its own namespace (`unshare --net=<file>`
// under its temp root, unmounted in TearDown: `ip netns add` would leave /run/netns mounted for
// good) with a veth pair of known MACs, the "physical" NIC of a test host; nothing is
// added to the host's namespace. Also: concurrent runs each land their edit (the config lock).
#include "support/cli_runner.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

namespace lumos::test {
namespace {

std::string nictagadm_path()
{
    const char* override_path = std::getenv("LUMOS_NICTAGADM_BIN");
    return override_path != nullptr && *override_path != '\0' ? override_path : LUMOS_NICTAGADM_BIN;
}

// util-linux's and iproute2's tools (run() does not search PATH).
std::string tool_path(std::string const& name)
{
    for (char const* dir : { "/usr/bin/", "/usr/sbin/", "/bin/", "/sbin/" }) {
        if (std::filesystem::exists(dir + name)) {
            return dir + name;
        }
    }
    return name;
}

class NictagadmNetnsTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (::geteuid() != 0) {
            GTEST_SKIP() << "needs root (a network namespace of its own)";
        }
        m_root = std::make_unique<TempRoot>();
        m_root->write_file("etc/lumos/config", "# test\netherstub=stub0\n");
        m_netns = (m_root->path() / "netns").string();
        m_root->write_file("netns", "");
        RunResult const added = run({ tool_path("unshare"), "--net=" + m_netns, "true" });
        ASSERT_EQ(added.exit_code, 0) << added.describe();
        m_netns_added = true;
        in_netns({ tool_path("ip"), "link", "add", "nt0", "address", "02:aa:bb:cc:dd:01", "type",
            "veth", "peer", "name", "nt1", "address", "02:aa:bb:cc:dd:02" });
        in_netns({ tool_path("ip"), "link", "set", "nt0", "up" });
        in_netns({ tool_path("ip"), "link", "set", "nt1", "up" });
    }

    void TearDown() override
    {
        if (m_netns_added) {
            RunResult const removed = run({ tool_path("umount"), m_netns });
            EXPECT_EQ(removed.exit_code, 0) << removed.describe();
        }
    }

    void in_netns(std::vector<std::string> const& command) const
    {
        std::vector<std::string> argv { tool_path("nsenter"), "--net=" + m_netns };
        argv.insert(argv.end(), command.begin(), command.end());
        RunResult const r = run(argv);
        ASSERT_EQ(r.exit_code, 0) << r.describe();
    }

    // A program of ours run inside the namespace, with a /sys of its own that shows the
    // namespace's links (what `ip netns exec` does).
    RunResult program_in_netns(
        std::string const& program, std::vector<std::string> const& args) const
    {
        std::vector<std::string> argv { tool_path("nsenter"), "--net=" + m_netns,
            tool_path("unshare"), "--mount", "--propagation", "private", "/bin/sh", "-c",
            "mount -t sysfs sysfs /sys && exec \"$@\"", "sh", program };
        argv.insert(argv.end(), args.begin(), args.end());
        RunOptions options;
        options.env.emplace_back("LUMOS_ROOT", m_root->str());
        return run(argv, options);
    }
    RunResult nictagadm_in_netns(std::vector<std::string> const& args) const
    {
        return program_in_netns(nictagadm_path(), args);
    }

    std::string config() const { return read_file(m_root->path() / "etc/lumos/config"); }

    std::string m_netns;
    bool m_netns_added { false };
    std::unique_ptr<TempRoot> m_root;
};

TEST_F(NictagadmNetnsTest, LinkIsTheNamespacesLinkWithTheTagsMac)
{
    RunResult r = nictagadm_in_netns({ "add", "external", "02:AA:BB:CC:DD:1" });
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(r.out + r.err, "");
    EXPECT_EQ(config(), "# test\netherstub=stub0\nexternal_nic=02:aa:bb:cc:dd:01\n");
    r = nictagadm_in_netns({ "list" });
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(r.out,
        "NAME           MACADDRESS         LINK           TYPE            \n"
        "external       02:aa:bb:cc:dd:01  nt0            normal          \n"
        "stub0          -                  -              etherstub       \n");
    // The peer's MAC moves the tag to nt1.
    r = nictagadm_in_netns({ "update", "external", "02:aa:bb:cc:dd:02" });
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(nictagadm_in_netns({ "list", "-p", "-L", "-d", "|" }).out,
        "external|02:aa:bb:cc:dd:02|nt1|normal\n");
    // A MAC no link of this namespace has.
    r = nictagadm_in_netns({ "add", "other", "02:aa:bb:cc:dd:99" });
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "Error: No physical nic found with MAC address '02:aa:bb:cc:dd:99'\n");
}

TEST_F(NictagadmNetnsTest, SysinfoShowsTheTaggedLinkAndItsNicNames)
{
    ASSERT_EQ(nictagadm_in_netns({ "add", "external", "02:aa:bb:cc:dd:01" }).exit_code, 0);
    RunResult const r = program_in_netns(LUMOS_SYSINFO_BIN, {});
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    nlohmann::json const info = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_TRUE(info.is_object()) << r.out;
    nlohmann::json const& nics = info["Network Interfaces"];
    ASSERT_TRUE(nics.contains("nt0")) << r.out;
    EXPECT_EQ(nics["nt0"]["MAC Address"], "02:aa:bb:cc:dd:01");
    EXPECT_EQ(nics["nt0"]["NIC Names"], nlohmann::json::array({ "external" }));
    EXPECT_EQ(nics["nt0"]["Link Status"], "up");
    EXPECT_FALSE(nics.contains("nt1")) << r.out; // a veth no tag names is not a NIC
}

// Each run reads, edits and replaces the file under the config's lock: none of eight concurrent
// adds is lost to another's read-modify-write.
TEST_F(NictagadmNetnsTest, ConcurrentAddsAllLand)
{
    std::vector<Process> runs;
    RunOptions options;
    options.env.emplace_back("LUMOS_ROOT", m_root->str());
    for (int i = 1; i <= 8; ++i) {
        runs.push_back(
            Process::spawn({ nictagadm_path(), "add", "-l", "stub" + std::to_string(i) }, options));
    }
    for (auto& process : runs) {
        RunResult const r = process.wait();
        EXPECT_EQ(r.exit_code, 0) << r.describe();
    }
    RunResult const listed = run({ nictagadm_path(), "list", "-l", "-p" }, options);
    std::string expected;
    for (int i = 0; i <= 8; ++i) {
        expected += "stub" + std::to_string(i) + ":-:-:etherstub\n";
    }
    EXPECT_EQ(listed.out, expected);
}

// SIGKILL at varying points of `add`: the config is always the old file or the new one, and
// what a killed writer left beside it is gone after the next edit.
TEST_F(NictagadmNetnsTest, KilledAddLeavesTheOldOrTheNewConfig)
{
    RunOptions options;
    options.env.emplace_back("LUMOS_ROOT", m_root->str());
    std::string stubs = "stub0";
    for (int i = 1; i <= 12; ++i) {
        std::string const name = "stub" + std::to_string(i);
        std::string const old_text = "# test\netherstub=" + stubs + "\n";
        std::string const new_text = "# test\netherstub=" + stubs + "," + name + "\n";
        Process process = Process::spawn({ nictagadm_path(), "add", "-l", name }, options);
        ::usleep(static_cast<useconds_t>(i * 5000)); // a different point each time, not a check
        process.kill(SIGKILL);
        (void)process.wait();
        std::string const text = config();
        ASSERT_TRUE(text == old_text || text == new_text) << text;
        if (text == new_text) {
            stubs += "," + name;
        }
    }
    RunResult const r = run({ nictagadm_path(), "add", "-l", "last0" }, options);
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    std::vector<std::string> names;
    for (auto const& entry : std::filesystem::directory_iterator(m_root->path() / "etc/lumos")) {
        names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string> { "config", "config.lock" }));
}

TEST(NictagadmBinary, RefusesAnyoneButRoot)
{
    if (::geteuid() != 0) {
        GTEST_SKIP() << "needs root to run as another user";
    }
    TempRoot root;
    RunOptions options;
    options.env.emplace_back("LUMOS_ROOT", root.str());
    options.uid = 65534;
    RunResult const r = run({ nictagadm_path(), "list" }, options);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "Error: This program can only be run as root.\n");
}

} // namespace
} // namespace lumos::test
