// SPDX-License-Identifier: MPL-2.0
// net/dhcp_client.hpp: the NIC flags lumos-zoned takes, the udhcpc command line and the
// environment its event program gets.
#include "net/dhcp_client.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <sys/wait.h>

using namespace lumos::net::dhcp;

TEST(DhcpClient, NicFlags)
{
    auto const primary = parse_nic("net0:primary");
    ASSERT_TRUE(primary.has_value());
    EXPECT_EQ(primary->interface, "net0");
    EXPECT_TRUE(primary->primary);
    EXPECT_EQ(format_nic(*primary), "net0:primary");
    auto const other = parse_nic("eth1");
    ASSERT_TRUE(other.has_value());
    EXPECT_FALSE(other->primary);
    EXPECT_EQ(format_nic(*other), "eth1");
    for (std::string const bad : { "", ":primary", "net0:secondary", "net0:primary:primary",
             "../net0", "net 0", "net0\n", "sixteen-bytes-xx", ".", ".." }) {
        EXPECT_FALSE(parse_nic(bad).has_value()) << bad;
    }
}

TEST(DhcpClient, CommandLineRunsUdhcpcInTheZoneNetns)
{
    ClientSpec spec;
    spec.netns = "/run/lumos/zones/u/netns";
    spec.nic = { "net0", true };
    spec.event_program = "/usr/lib/lumos/lumos-dhcp-event";
    spec.lease_dir = "/run/lumos/zones/u";
    spec.resolv_file = "/run/lumos/zones/u/resolv.conf";
    spec.log_file = "/run/lumos/zones/u/monitor.log";
    spec.hostname = "web-0";
    EXPECT_EQ(client_argv(spec),
        (std::vector<std::string> { "/usr/bin/nsenter", "--net=/run/lumos/zones/u/netns", "--",
            "/bin/busybox", "udhcpc", "-f", "-i", "net0", "-s", "/usr/lib/lumos/lumos-dhcp-event",
            "-t", "3", "-T", "3", "-A", "20", "-x", "hostname:web-0" }));
    EXPECT_EQ(client_environment(spec),
        (std::vector<std::string> { "LUMOS_DHCP_DIR=/run/lumos/zones/u", "LUMOS_DHCP_PRIMARY=1",
            "LUMOS_DHCP_RESOLV=/run/lumos/zones/u/resolv.conf",
            "LUMOS_DHCP_LOG=/run/lumos/zones/u/monitor.log" }));

    // A hostname udhcpc would send as anything but a name is not sent at all.
    for (std::string const& bad :
        std::vector<std::string> { "", "a b", "x;reboot", "a.b", std::string(64, 'a') }) {
        spec.hostname = bad;
        auto const argv = client_argv(spec);
        EXPECT_EQ(argv.back(), "20") << bad;
    }
    spec.nic.primary = false;
    spec.resolv_file.clear();
    spec.log_file.clear();
    EXPECT_EQ(
        client_environment(spec), std::vector<std::string> { "LUMOS_DHCP_DIR=/run/lumos/zones/u" });
}

TEST(DhcpClient, NothingRunsUntilStarted)
{
    Client client(ClientSpec {});
    EXPECT_EQ(client.pid(), -1);
    EXPECT_EQ(client.restart_due(), 0);
    EXPECT_FALSE(client.exited(12345));
    client.tick();
    EXPECT_EQ(client.pid(), -1);
    client.stop();
}

// What udhcpc and its event program get: the owner's environment without ours and without the
// lower-case names udhcpc passes a lease in, plus the client's own variables.
TEST(DhcpClient, ChildEnvironmentHoldsNoInheritedLeaseValues)
{
    char dir_template[] = "/tmp/lumos-dhcp-client-XXXXXX";
    ASSERT_NE(::mkdtemp(dir_template), nullptr);
    std::string const dir = dir_template;
    // A stand-in for nsenter that records its environment beside itself.
    std::string const recorder = dir + "/nsenter";
    {
        std::ofstream script(recorder);
        script << "#!/bin/sh\nenv >\"$0.env\"\n";
    }
    ASSERT_EQ(::chmod(recorder.c_str(), 0700), 0);
    ::setenv("dns", "6.6.6.6", 1);
    ::setenv("LUMOS_DHCP_PRIMARY", "1", 1);
    ::setenv("LUMOS_DHCP_TEST_KEPT", "no", 1);
    ClientSpec spec;
    spec.nsenter = recorder;
    spec.nic = { "net0", false };
    spec.lease_dir = dir;
    Client client(spec);
    ASSERT_TRUE(client.start());
    int const pid = client.pid();
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(client.exited(pid));
    EXPECT_GT(client.restart_due(), 0);
    client.stop(); // no restart follows
    EXPECT_EQ(client.restart_due(), 0);
    ::unsetenv("dns");
    ::unsetenv("LUMOS_DHCP_PRIMARY");
    ::unsetenv("LUMOS_DHCP_TEST_KEPT");

    std::ifstream in(recorder + ".env");
    std::string line;
    std::vector<std::string> env;
    while (std::getline(in, line)) {
        env.push_back(line);
    }
    auto has = [&](std::string const& entry) {
        return std::find(env.begin(), env.end(), entry) != env.end();
    };
    EXPECT_TRUE(has("LUMOS_DHCP_DIR=" + dir));
    EXPECT_FALSE(has("dns=6.6.6.6"));
    EXPECT_FALSE(has("LUMOS_DHCP_PRIMARY=1")); // not the primary NIC: the owner's is dropped
    EXPECT_FALSE(has("LUMOS_DHCP_TEST_KEPT=no"));
    EXPECT_TRUE(std::any_of(env.begin(), env.end(),
        [](std::string const& entry) { return entry.starts_with("PATH="); }));
    std::filesystem::remove_all(dir);
}
