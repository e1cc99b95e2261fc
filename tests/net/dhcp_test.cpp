// SPDX-License-Identifier: MPL-2.0
// DHCP for zone NICs, run by the host (net/dhcp_client.hpp, lumos-dhcp-event): a dnsmasq in an
// "outside" namespace on the host's bridge hands the zone's MAC a fixed lease; busybox udhcpc,
// run by the host in the zone's namespace, gets it and the event program applies it there. A
// hostile lease is refused whole; a client dies with its owner and is restarted after it died.
#include "net/dhcp_client.hpp"
#include "net/dhcp_lease.hpp"
#include "net_fixture.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace lumos::net::test {
namespace {

namespace fs = std::filesystem;
using lumos::test::Process;
using lumos::test::read_file;
using lumos::test::RunOptions;

std::string const ZONE_MAC = "02:08:20:00:d0:01";
std::string const ZONE_IP = "10.97.0.20";

// Waits (at most 30 s, which no passing run comes near) until done() holds.
bool eventually(std::function<bool()> const& done)
{
    auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

// Whether the process pid has ended (zombie included), waiting for it at most 30 s.
bool ends(int pid)
{
    int const pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd < 0) {
        return errno == ESRCH;
    }
    struct pollfd poll_fd {
        pidfd, POLLIN, 0
    };
    bool const ended = ::poll(&poll_fd, 1, 30000) == 1;
    ::close(pidfd);
    return ended;
}

class DhcpTest : public NetTest {
protected:
    void SetUp() override
    {
        NetTest::SetUp();
        if (IsSkipped()) {
            return;
        }
        m_host = make_netns("host");
        m_outside = make_netns("outside");
        // Where lumos-zoned finds it: <run dir>/netns, the run dir being the test's root.
        m_zone = make_netns("netns");
        auto rtnl = session(m_host);
        ASSERT_OK(rtnl);
        ASSERT_OK(rtnl->create_bridge({ .name = "br0" }));
        plug_zone(m_host, m_outside, "vout", "br0", "02:08:20:00:d0:fe", "10.97.0.1/24");
        // The zone's NIC as the lead's wiring leaves it for DHCP: up, no address.
        auto zone_ns = Netns::open(m_zone);
        ASSERT_OK(zone_ns);
        ASSERT_OK(rtnl->create_veth({ .name = "vzone",
            .peer_name = "net0",
            .peer_netns = &*zone_ns,
            .peer_mac = MacAddress::parse(ZONE_MAC).value(),
            .mtu = 1500,
            .owner = "zone" }));
        ASSERT_OK(rtnl->set_master("vzone", "br0"));
        ASSERT_OK(rtnl->set_up("vzone", true));
        auto zone_rtnl = Rtnl::in(*zone_ns);
        ASSERT_OK(zone_rtnl);
        ASSERT_OK(zone_rtnl->set_up("lo", true));
        ASSERT_OK(zone_rtnl->set_up("net0", true));
        std::ofstream(resolv()).flush(); // the lead makes it, empty, before the zone boots
    }

    void TearDown() override
    {
        if (m_init > 0) {
            ::kill(m_init, SIGKILL);
        }
        if (m_monitor) {
            m_monitor->kill(SIGKILL);
            (void)m_monitor->wait();
            m_monitor.reset();
        }
        m_clients.clear();
        if (m_dnsmasq) {
            m_dnsmasq->kill(SIGTERM);
            (void)m_dnsmasq->wait();
            m_dnsmasq.reset();
        }
        NetTest::TearDown();
    }

    // dnsmasq in the outside namespace: the zone's MAC gets ZONE_IP, with these options.
    void serve(std::vector<std::string> const& options)
    {
        std::vector<std::string> argv { "/usr/bin/nsenter", "--net=" + m_outside, "--", "dnsmasq",
            "--conf-file=/dev/null", "--keep-in-foreground", "--port=0", "--bind-interfaces",
            "--interface=net0", "--except-interface=lo", "--user=root",
            "--dhcp-range=10.97.0.0,static,255.255.255.0,1h",
            "--dhcp-host=" + ZONE_MAC + "," + ZONE_IP, "--dhcp-leasefile=" + root() + "/leases",
            "--pid-file=" + root() + "/dnsmasq.pid", "--log-facility=" + root() + "/dnsmasq.log" };
        argv.insert(argv.end(), options.begin(), options.end());
        m_dnsmasq.emplace(Process::spawn(argv, RunOptions {}));
    }

    dhcp::ClientSpec spec() const
    {
        return { .netns = m_zone,
            .nic = { .interface = "net0", .primary = true },
            .event_program = LUMOS_LUMOS_DHCP_EVENT_BIN,
            .lease_dir = root(),
            .resolv_file = resolv(),
            .log_file = log(),
            .hostname = "dhcp-zone",
            .host_netns = {},
            .nsenter = "/usr/bin/nsenter",
            .busybox = dhcp::find_busybox() };
    }

    dhcp::Client& start_client()
    {
        m_clients.emplace_back(spec());
        EXPECT_TRUE(m_clients.back().start());
        return m_clients.back();
    }

    std::string resolv() const { return root() + "/resolv.conf"; }
    std::string log() const { return root() + "/dhcp.log"; }
    std::string lease_file() const { return root() + "/net0.lease"; }

    // The IPv4 addresses of the zone's net0 ("10.97.0.20/24").
    std::vector<std::string> zone_addresses()
    {
        std::vector<std::string> out;
        auto const links = ip_json(m_zone, { "-4", "addr", "show", "dev", "net0" });
        for (auto const& link : links) {
            for (auto const& info : link["addr_info"]) {
                out.push_back(info["local"].get<std::string>() + "/"
                    + std::to_string(info["prefixlen"].get<int>()));
            }
        }
        return out;
    }

    std::string zone_gateway()
    {
        auto const routes = ip_json(m_zone, { "-4", "route", "show", "default" });
        return routes.size() == 1 ? routes[0].value("gateway", "") : "";
    }

    // Runs the event program in the zone's namespace as udhcpc would, with this environment.
    lumos::test::RunResult event(
        std::string const& name, std::vector<std::pair<std::string, std::string>> env)
    {
        env.insert(env.end(),
            { { dhcp::ENV_DIR, root() }, { dhcp::ENV_PRIMARY, "1" }, { dhcp::ENV_RESOLV, resolv() },
                { dhcp::ENV_LOG, log() } });
        RunOptions options;
        options.env = std::move(env);
        return lumos::test::run(
            { "/usr/bin/nsenter", "--net=" + m_zone, "--", LUMOS_LUMOS_DHCP_EVENT_BIN, name },
            options);
    }

    // A monitor over a stand-in OCI runtime whose "zone" is a sleep: what the monitor does
    // around the zone is real (subreaper, reaping, --dhcp), the zone is not.
    void start_monitor(std::string const& program)
    {
        std::string const runtime = root() + "/fake-oci-runtime";
        std::ofstream(runtime) << R"(#!/bin/sh
while [ $# -gt 0 ]; do
    case "$1" in
        --pid-file) pid_file=$2; shift ;;
        run) run=1 ;;
    esac
    shift
done
if [ -n "$run" ]; then
    sleep 600 </dev/null >/dev/null 2>&1 &
    echo $! >"$pid_file"
fi
)";
        fs::permissions(runtime, fs::perms::owner_all);
        fs::create_directories(root() + "/zonepath");
        // Its log (stderr) goes to monitor.log, as the monitor's launcher sends it.
        m_monitor.emplace(Process::spawn(
            { "/bin/sh", "-c", "exec \"$@\" 2>>\"$0\"", root() + "/monitor.log", program, "--id",
                "dhcp-zone", "--dir", root(), "--oci-runtime", runtime, "--oci-runtime-root",
                root() + "/oci", "--zonepath", root() + "/zonepath", "--dhcp", "net0:primary",
                "--dhcp-event", LUMOS_LUMOS_DHCP_EVENT_BIN, "--dhcp-resolv", resolv(),
                "--dhcp-hostname", "dhcp-zone" },
            RunOptions {}));
        ASSERT_TRUE(eventually([&] { return fs::exists(root() + "/status"); }))
            << read_file(root() + "/monitor.log");
        m_init = std::stoi(read_file(root() + "/init.pid"));
    }

    // The monitor's children running busybox (its udhcpc).
    std::vector<int> monitor_clients() const
    {
        std::vector<int> out;
        for (auto const& entry : fs::directory_iterator("/proc")) {
            std::string const name = entry.path().filename();
            if (name.find_first_not_of("0123456789") != std::string::npos) {
                continue;
            }
            std::string const stat = read_file(entry.path() / "stat");
            size_t const close = stat.rfind(')');
            if (close == std::string::npos || stat.find("(busybox)") == std::string::npos) {
                continue;
            }
            int ppid = 0;
            char state = 0;
            if (std::sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) == 2
                && ppid == m_monitor->pid()) {
                out.push_back(std::stoi(name));
            }
        }
        return out;
    }

    std::string m_host;
    std::string m_outside;
    std::string m_zone;
    std::optional<Process> m_dnsmasq;
    std::optional<Process> m_monitor;
    int m_init = -1;
    std::vector<dhcp::Client> m_clients;
};

TEST_F(DhcpTest, ZoneGetsItsFixedLeaseFromTheOutsideServer)
{
    serve({ "--dhcp-option=option:router,10.97.0.1",
        "--dhcp-option=option:dns-server,10.97.0.53,10.97.0.54",
        "--dhcp-option=option:domain-name,zone.test" });
    auto& client = start_client();
    ASSERT_TRUE(eventually([&] { return fs::exists(lease_file()); })) << read_file(log());

    EXPECT_EQ(zone_addresses(), std::vector<std::string> { ZONE_IP + "/24" });
    EXPECT_EQ(zone_gateway(), "10.97.0.1");
    EXPECT_TRUE(pings(m_zone, "10.97.0.1"));
    auto const lease = nlohmann::json::parse(read_file(lease_file()));
    EXPECT_EQ(lease["interface"], "net0");
    EXPECT_EQ(lease["ip"], ZONE_IP);
    EXPECT_EQ(lease["prefix"], 24);
    EXPECT_EQ(lease["routers"], nlohmann::json::array({ "10.97.0.1" }));
    EXPECT_EQ(lease["dns"], nlohmann::json::array({ "10.97.0.53", "10.97.0.54" }));
    EXPECT_EQ(lease["lease"], 3600);
    EXPECT_EQ(read_file(resolv()),
        "# lumos: from the DHCP lease of net0\nsearch zone.test\nnameserver 10.97.0.53\n"
        "nameserver 10.97.0.54\n");
    // dnsmasq recorded the hostname the client sent.
    EXPECT_NE(read_file(root() + "/leases").find("dhcp-zone"), std::string::npos);

    int const pid = client.pid();
    ASSERT_GT(pid, 0);
    client.stop();
    EXPECT_EQ(client.pid(), -1);
    EXPECT_TRUE(ends(pid));
    EXPECT_EQ(::kill(pid, 0), -1); // stopped and reaped: no process left
}

TEST_F(DhcpTest, LeaseWithARouterOffTheSubnetIsRefusedWhole)
{
    serve(
        { "--dhcp-option=option:router,192.0.2.1", "--dhcp-option=option:dns-server,10.97.0.53" });
    start_client();
    ASSERT_TRUE(eventually([&] {
        return read_file(log()).find("lease refused") != std::string::npos;
    })) << read_file(log());
    EXPECT_NE(read_file(log()).find("invalid router \"192.0.2.1\""), std::string::npos)
        << read_file(log());
    EXPECT_TRUE(zone_addresses().empty());
    EXPECT_EQ(zone_gateway(), "");
    EXPECT_FALSE(fs::exists(lease_file()));
    EXPECT_EQ(read_file(resolv()), "");
}

TEST_F(DhcpTest, LeaseWithTooManyNameServersIsRefusedWhole)
{
    std::string servers = "--dhcp-option=option:dns-server";
    for (int i = 1; i <= 9; ++i) {
        servers += ",10.97.0." + std::to_string(50 + i);
    }
    serve({ "--dhcp-option=option:router,10.97.0.1", servers });
    start_client();
    ASSERT_TRUE(eventually([&] {
        return read_file(log()).find("lease refused") != std::string::npos;
    })) << read_file(log());
    EXPECT_NE(read_file(log()).find("invalid dns: more than 8 addresses"), std::string::npos)
        << read_file(log());
    EXPECT_TRUE(zone_addresses().empty());
    EXPECT_FALSE(fs::exists(lease_file()));
    EXPECT_EQ(read_file(resolv()), "");
}

TEST_F(DhcpTest, EventProgramRefusesCraftedEnvironments)
{
    std::vector<std::pair<std::string, std::string>> const good { { "interface", "net0" },
        { "ip", ZONE_IP }, { "mask", "24" }, { "router", "10.97.0.1" }, { "dns", "10.97.0.53" },
        { "domain", "zone.test" }, { "lease", "60" } };
    auto with = [&](std::string const& key, std::string const& value) {
        auto env = good;
        for (auto& [name, old] : env) {
            if (name == key) {
                old = value;
            }
        }
        return env;
    };
    struct Case {
        std::string key;
        std::string value;
    };
    std::vector<Case> const hostile { { "domain", "zone.test\nnameserver 6.6.6.6" },
        { "dns", "10.97.0.53\nnameserver 6.6.6.6" }, { "ip", "127.0.0.1" }, { "ip", "10.97.0.255" },
        { "ip", "10.97.0.20; reboot" }, { "mask", "0" }, { "mask", "33" },
        { "router", "10.97.0.20" }, { "lease", "-1" }, { "domain", std::string(300, 'a') },
        { "interface", "../../etc" } };
    for (auto const& [key, value] : hostile) {
        auto const result = event("bound", with(key, value));
        EXPECT_EQ(result.exit_code, key == "interface" ? 2 : 1) << key << ": " << result.describe();
    }
    EXPECT_TRUE(zone_addresses().empty());
    EXPECT_EQ(zone_gateway(), "");
    EXPECT_FALSE(fs::exists(lease_file()));
    EXPECT_EQ(read_file(resolv()), "");
    // Shown to the log without its control characters.
    EXPECT_NE(
        read_file(log()).find("invalid domain \"zone.test?nameserver 6.6.6.6\""), std::string::npos)
        << read_file(log());

    // The same event with a good lease applies it, a renew with another address replaces it,
    // and deconfig takes it away.
    auto bound = event("bound", good);
    ASSERT_EQ(bound.exit_code, 0) << bound.describe() << read_file(log());
    EXPECT_EQ(zone_addresses(), std::vector<std::string> { ZONE_IP + "/24" });
    EXPECT_EQ(zone_gateway(), "10.97.0.1");
    auto moved = with("ip", "10.97.0.21");
    auto renew = event("renew", moved);
    ASSERT_EQ(renew.exit_code, 0) << renew.describe() << read_file(log());
    EXPECT_EQ(zone_addresses(), std::vector<std::string> { "10.97.0.21/24" });
    EXPECT_EQ(zone_gateway(), "10.97.0.1");
    auto deconfig = event("deconfig", { { "interface", "net0" } });
    ASSERT_EQ(deconfig.exit_code, 0) << deconfig.describe() << read_file(log());
    EXPECT_TRUE(zone_addresses().empty());
    EXPECT_EQ(zone_gateway(), "");
    EXPECT_FALSE(fs::exists(lease_file()));
}

TEST_F(DhcpTest, ClientDiesWithItsOwner)
{
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    pid_t const owner = ::fork();
    ASSERT_GE(owner, 0);
    if (owner == 0) {
        ::close(pipe_fds[0]);
        dhcp::Client client(spec());
        int const pid = client.start() ? client.pid() : -1;
        (void)::write(pipe_fds[1], &pid, sizeof pid);
        for (;;) {
            ::pause();
        }
    }
    ::close(pipe_fds[1]);
    int client_pid = -1;
    ASSERT_EQ(::read(pipe_fds[0], &client_pid, sizeof client_pid),
        static_cast<ssize_t>(sizeof client_pid));
    ::close(pipe_fds[0]);
    ASSERT_GT(client_pid, 0);
    int const pidfd = static_cast<int>(::syscall(SYS_pidfd_open, client_pid, 0));
    ASSERT_GE(pidfd, 0);
    ::kill(owner, SIGKILL);
    ASSERT_EQ(::waitpid(owner, nullptr, 0), owner);
    struct pollfd poll_fd {
        pidfd, POLLIN, 0
    };
    EXPECT_EQ(::poll(&poll_fd, 1, 30000), 1) << "udhcpc outlived its owner";
    ::close(pidfd);
}

TEST_F(DhcpTest, ClientThatDiesIsRestarted)
{
    serve({ "--dhcp-option=option:router,10.97.0.1" });
    auto& client = start_client();
    ASSERT_TRUE(eventually([&] { return fs::exists(lease_file()); })) << read_file(log());
    int const first = client.pid();
    ::kill(first, SIGKILL);
    ASSERT_EQ(::waitpid(first, nullptr, 0), first);
    EXPECT_TRUE(client.exited(first));
    EXPECT_EQ(client.pid(), -1);
    EXPECT_GE(client.restart_due(), dhcp::monotonic_ms());
    fs::remove(lease_file());
    ASSERT_TRUE(eventually([&] {
        client.tick();
        return client.pid() > 0;
    }));
    EXPECT_NE(client.pid(), first);
    // The new client starts with deconfig, then is bound again.
    ASSERT_TRUE(eventually([&] { return fs::exists(lease_file()); })) << read_file(log());
    EXPECT_EQ(zone_addresses(), std::vector<std::string> { ZONE_IP + "/24" });
}

} // namespace
} // namespace lumos::net::test

namespace lumos::net::test {
namespace {

// The sum of the Private_* lines of /proc/<pid>/smaps_rollup in KiB.
long private_kib(int pid)
{
    std::istringstream in(read_file("/proc/" + std::to_string(pid) + "/smaps_rollup"));
    long total = 0;
    std::string line;
    while (std::getline(in, line)) {
        if (line.starts_with("Private_")) {
            total += std::stol(line.substr(line.find(':') + 1));
        }
    }
    return total;
}

TEST_F(DhcpTest, MonitorRunsTheClientsWhileTheZoneRuns)
{
    serve(
        { "--dhcp-option=option:router,10.97.0.1", "--dhcp-option=option:dns-server,10.97.0.53" });
    // The monitor as it ships (static, no sanitizer): its memory per zone stays under 1 MiB
    // with a client running.
    start_monitor(LUMOS_LUMOS_ZONED_UNSANITIZED_BIN);
    ASSERT_TRUE(eventually([&] { return fs::exists(lease_file()); }))
        << read_file(root() + "/monitor.log");
    EXPECT_EQ(zone_addresses(), std::vector<std::string> { ZONE_IP + "/24" });
    EXPECT_EQ(zone_gateway(), "10.97.0.1");
    EXPECT_EQ(read_file(resolv()), "# lumos: from the DHCP lease of net0\nnameserver 10.97.0.53\n");
    EXPECT_NE(
        read_file(root() + "/monitor.log").find("net0: bound 10.97.0.20/24"), std::string::npos);
    long const kib = private_kib(m_monitor->pid());
    RecordProperty("monitor_private_kib", static_cast<int>(kib));
    EXPECT_LT(kib, 1024);

    // A client that dies is started again.
    auto clients = monitor_clients();
    ASSERT_EQ(clients.size(), 1U);
    ::kill(clients[0], SIGKILL);
    ASSERT_TRUE(eventually([&] {
        auto const now = monitor_clients();
        return now.size() == 1 && now[0] != clients[0];
    })) << read_file(root() + "/monitor.log");
    EXPECT_NE(read_file(root() + "/monitor.log").find("the DHCP client of net0 exited"),
        std::string::npos);

    // The zone's end stops it, and the monitor exits.
    clients = monitor_clients();
    ASSERT_EQ(clients.size(), 1U);
    int const pidfd = static_cast<int>(::syscall(SYS_pidfd_open, clients[0], 0));
    ASSERT_GE(pidfd, 0);
    ::kill(m_init, SIGKILL);
    m_init = -1;
    auto const ended = m_monitor->wait();
    m_monitor.reset();
    EXPECT_EQ(ended.exit_code, 0) << ended.describe();
    struct pollfd poll_fd {
        pidfd, POLLIN, 0
    };
    EXPECT_EQ(::poll(&poll_fd, 1, 0), 1) << "udhcpc outlived the zone";
    ::close(pidfd);
}

TEST_F(DhcpTest, MonitorRefusesAMalformedDhcpNic)
{
    auto const result = lumos::test::run({ LUMOS_LUMOS_ZONED_BIN, "--id", "x", "--dir", root(),
        "--oci-runtime", "/bin/true", "--oci-runtime-root", root(), "--zonepath", root(), "--dhcp",
        "net0:secondary", "--dhcp-event", "/bin/true" });
    EXPECT_EQ(result.exit_code, 2) << result.describe();
    EXPECT_NE(result.err.find("usage: lumos-zoned"), std::string::npos);
}

} // namespace
} // namespace lumos::net::test
