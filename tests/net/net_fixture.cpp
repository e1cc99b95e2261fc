// SPDX-License-Identifier: MPL-2.0
#include "net_fixture.hpp"

#include <cstdlib>

#include <unistd.h>

namespace lumos::net::test {

void NetTest::SetUp()
{
    if (::geteuid() != 0 || std::getenv("LUMOS_HOST_TESTS") == nullptr) {
        GTEST_SKIP() << "network namespaces need root and LUMOS_HOST_TESTS=1";
    }
    m_root.emplace();
}

void NetTest::TearDown()
{
    for (auto it = m_netns.rbegin(); it != m_netns.rend(); ++it) {
        auto removed = Netns::remove_persistent(*it);
        EXPECT_TRUE(removed.has_value()) << removed.error().message();
    }
    m_netns.clear();
    m_root.reset();
}

std::string NetTest::make_netns(std::string const& name)
{
    std::string const path = root() + "/" + name;
    auto made = Netns::create_persistent(path);
    EXPECT_TRUE(made.has_value()) << made.error().message();
    if (made) {
        m_netns.push_back(path);
    }
    return path;
}

Result<Rtnl> NetTest::session(std::string const& path)
{
    TRY_ASSIGN(netns, Netns::open(path));
    return Rtnl::in(netns);
}

lumos::test::RunResult NetTest::in(std::string const& path, std::vector<std::string> argv)
{
    argv.insert(argv.begin(), { "/usr/bin/nsenter", "--net=" + path, "--" });
    return lumos::test::run(argv);
}

nlohmann::json NetTest::ip_json(std::string const& path, std::vector<std::string> args)
{
    args.insert(args.begin(), { "ip", "-j" });
    auto const result = in(path, args);
    EXPECT_EQ(result.exit_code, 0) << result.describe();
    return nlohmann::json::parse(result.out, nullptr, false);
}

bool NetTest::pings(std::string const& path, std::string const& ip)
{
    return in(path, { "busybox", "ping", "-c", "1", "-W", "2", ip }).exit_code == 0;
}

void NetTest::plug_zone(std::string const& host, std::string const& zone,
    std::string const& host_link, std::string const& bridge, std::string const& mac,
    std::string const& address)
{
    auto host_rtnl = session(host);
    ASSERT_OK(host_rtnl);
    auto zone_ns = Netns::open(zone);
    ASSERT_OK(zone_ns);
    auto zone_mac = MacAddress::parse(mac);
    ASSERT_OK(zone_mac);
    ASSERT_OK(host_rtnl->create_veth({ .name = host_link,
        .peer_name = "net0",
        .peer_netns = &*zone_ns,
        .peer_mac = *zone_mac,
        .mtu = 1500,
        .owner = zone }));
    ASSERT_OK(host_rtnl->set_master(host_link, bridge));
    ASSERT_OK(host_rtnl->set_up(host_link, true));
    auto zone_rtnl = Rtnl::in(*zone_ns);
    ASSERT_OK(zone_rtnl);
    ASSERT_OK(zone_rtnl->set_up("lo", true));
    ASSERT_OK(zone_rtnl->set_up("net0", true));
    auto prefix = IpPrefix::parse(address);
    ASSERT_OK(prefix);
    ASSERT_OK(zone_rtnl->add_address("net0", *prefix));
}

} // namespace lumos::net::test
