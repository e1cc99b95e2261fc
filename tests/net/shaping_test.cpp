// SPDX-License-Identifier: MPL-2.0
// Bandwidth caps (net/shaping.hpp) on a zone's host link in namespaces the tests make: what tc
// shows after apply, change and remove, and that a cap really limits traffic both ways (iperf3
// between two zones on one bridge: a functional check, far apart figures, no exact timing).
#include "net/names.hpp"
#include "net/shaping.hpp"
#include "net_fixture.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nftables/libnftables.h>

namespace lumos::net::test {
namespace {

constexpr char const* VM1 = "1a30fbd7-0000-4000-8000-000000000001";
constexpr char const* VM2 = "2b41ace8-0000-4000-8000-000000000002";
constexpr std::uint64_t MBIT = 1'000'000;

TEST(TokenBucket, BurstCoversTheTimerAndOneFrame)
{
    auto const b100 = token_bucket(100 * MBIT, 1500);
    EXPECT_EQ(b100.bytes_per_second, 12'500'000U);
    EXPECT_EQ(b100.burst, 312'500U); // 25 ms
    EXPECT_EQ(b100.limit, 312'500U + 625'000U); // + 50 ms
    auto const b1 = token_bucket(1 * MBIT, 1500);
    EXPECT_EQ(b1.bytes_per_second, 125'000U);
    EXPECT_EQ(b1.burst, 3'125U);
    EXPECT_EQ(b1.limit, 3'125U + 6'250U);
    // A low cap still lets a full frame through at once.
    EXPECT_EQ(token_bucket(100'000, 1500).burst, 1518U);
    EXPECT_EQ(token_bucket(100'000, 9000).burst, 9018U);
    // Rates past 32 bits of bytes/s keep their value (sent as TCA_TBF_RATE64).
    auto const b100g = token_bucket(100'000 * MBIT, 1500);
    EXPECT_EQ(b100g.bytes_per_second, 12'500'000'000U);
    EXPECT_EQ(b100g.burst, 312'500'000U);
    auto const top = token_bucket(MAX_BANDWIDTH_CAP, 1500);
    EXPECT_GE(top.limit, top.burst);
}

class ShapingTest : public NetTest {
protected:
    void SetUp() override
    {
        NetTest::SetUp();
        if (IsSkipped()) {
            return;
        }
        m_host = make_netns("host");
        m_z1 = make_netns("z1");
        m_z2 = make_netns("z2");
        auto rtnl = session(m_host);
        ASSERT_OK(rtnl);
        // A kernel without IFB links or the tbf qdisc cannot cap bandwidth: lumos reports that
        // (zones:ZoneNetwork.AMaxbwTheHostCannotSetIsReportedNotFatal) and there is nothing
        // to measure here.
        if (auto ifb = rtnl->create_ifb("probe0"); !ifb) {
            GTEST_SKIP() << "no IFB links on this kernel: " << ifb.error().message();
        }
        auto tbf = rtnl->replace_root_tbf("probe0", token_bucket(8 * MBIT, 1500));
        ASSERT_OK(rtnl->delete_link("probe0"));
        if (!tbf) {
            GTEST_SKIP() << "no tbf qdisc on this kernel: " << tbf.error().message();
        }
        ASSERT_OK(rtnl->create_bridge({ .name = "br0" }));
        plug_zone(m_host, m_z1, m_link1, "br0", "02:08:20:00:00:01", "10.97.0.2/24");
        plug_zone(m_host, m_z2, m_link2, "br0", "02:08:20:00:00:02", "10.97.0.3/24");
        auto netns = Netns::open(m_host);
        ASSERT_OK(netns);
        m_netns.emplace(std::move(*netns));
    }

    Netns const& host() const { return *m_netns; }

    nlohmann::json tc_json(std::vector<std::string> args)
    {
        args.insert(args.begin(), { "tc", "-j" });
        auto const result = in(m_host, args);
        EXPECT_EQ(result.exit_code, 0) << result.describe();
        auto json = nlohmann::json::parse(result.out, nullptr, false);
        return json.is_discarded() ? nlohmann::json::array() : json;
    }

    // The qdisc of this kind on link ({} when none).
    nlohmann::json qdisc(std::string const& link, std::string const& kind)
    {
        for (auto const& q : tc_json({ "qdisc", "show", "dev", link })) {
            if (q.value("kind", "") == kind) {
                return q;
            }
        }
        return {};
    }

    bool has_link(std::string const& name)
    {
        return in(m_host, { "ip", "link", "show", "dev", name }).exit_code == 0;
    }

    // iperf3 from zone `from` to the server in zone `server_zone` at server_ip for 2 s (reverse:
    // the server sends), in bits per second as the receiver counted them; -1 when it failed.
    double iperf(std::string const& from, std::string const& server_zone,
        std::string const& server_ip, bool reverse)
    {
        auto server = lumos::test::Process::spawn(
            { "/usr/bin/nsenter", "--net=" + server_zone, "--", "iperf3", "-s", "-1" }, {});
        std::vector<std::string> client { "iperf3", "-c", server_ip, "-t", "2", "-J",
            "--connect-timeout", "1000" };
        if (reverse) {
            client.emplace_back("-R");
        }
        // The server may not listen yet: a refused connection is tried again (iperf3 3.12
        // reports it in its JSON, with exit status 0).
        lumos::test::RunResult result;
        nlohmann::json received;
        for (int attempt = 0; attempt < 20; ++attempt) {
            result = in(from, client);
            auto const json = nlohmann::json::parse(result.out, nullptr, false);
            if (json.is_object()
                && json.contains("/end/sum_received/bits_per_second"_json_pointer)) {
                received = json["end"]["sum_received"];
                break;
            }
            if (result.out.find("refused") == std::string::npos) {
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        EXPECT_TRUE(received.is_object()) << result.describe();
        if (!received.is_object()) {
            return -1;
        }
        server.wait(); // it exits after its one test
        return received.value("bits_per_second", -1.0);
    }

    std::string m_host;
    std::string m_z1;
    std::string m_z2;
    std::string m_link1 = host_link_name(VM1, "net0");
    std::string m_ifb1 = ifb_link_name(VM1, "net0");
    std::string m_link2 = host_link_name(VM2, "net0");
    std::string m_ifb2 = ifb_link_name(VM2, "net0");
    std::optional<Netns> m_netns;
};

TEST_F(ShapingTest, ApplyPutsTbfsIngressRedirectAndIfbInPlace)
{
    ASSERT_OK(apply_vnic_shaping(host(), { m_link1, m_ifb1, 8 * MBIT }));

    auto const root = qdisc(m_link1, "tbf");
    ASSERT_FALSE(root.is_null()) << tc_json({ "qdisc", "show", "dev", m_link1 }).dump();
    EXPECT_TRUE(root.value("root", false));
    EXPECT_EQ(root["options"]["rate"], 1'000'000); // bytes/s
    EXPECT_EQ(root["options"]["burst"], 25'000);
    EXPECT_FALSE(qdisc(m_link1, "ingress").is_null());

    bool redirects = false;
    for (auto const& filter : tc_json({ "filter", "show", "dev", m_link1, "ingress" })) {
        if (!filter.contains("options") || !filter["options"].contains("actions")) {
            continue;
        }
        EXPECT_EQ(filter["kind"], "u32");
        EXPECT_EQ(filter["protocol"], "all");
        EXPECT_EQ(filter["options"]["match"]["mask"], "0");
        auto const& action = filter["options"]["actions"][0];
        EXPECT_EQ(action["kind"], "mirred");
        EXPECT_EQ(action["mirred_action"], "redirect");
        EXPECT_EQ(action["direction"], "egress");
        EXPECT_EQ(action["to_dev"], m_ifb1);
        redirects = true;
    }
    EXPECT_TRUE(redirects) << tc_json({ "filter", "show", "dev", m_link1, "ingress" }).dump();

    auto const ifb = ip_json(m_host, { "-d", "link", "show", "dev", m_ifb1 });
    ASSERT_EQ(ifb.size(), 1U);
    EXPECT_EQ(ifb[0]["linkinfo"]["info_kind"], "ifb");
    auto const flags = ifb[0]["flags"].get<std::vector<std::string>>();
    EXPECT_NE(std::find(flags.begin(), flags.end(), "UP"), flags.end());
    auto const ifb_root = qdisc(m_ifb1, "tbf");
    ASSERT_FALSE(ifb_root.is_null());
    EXPECT_EQ(ifb_root["options"]["rate"], 1'000'000);

    // The other zone's link is untouched, and both zones still talk.
    EXPECT_TRUE(qdisc(m_link2, "tbf").is_null());
    EXPECT_TRUE(pings(m_z1, "10.97.0.3"));
    EXPECT_TRUE(pings(m_z2, "10.97.0.2"));
}

TEST_F(ShapingTest, LowCapLimitsWhatTheGuestSendsAndReceives)
{
    double const free_up = iperf(m_z1, m_z2, "10.97.0.3", false);
    ASSERT_OK(apply_vnic_shaping(host(), { m_link1, m_ifb1, 8 * MBIT }));
    double const capped_up = iperf(m_z1, m_z2, "10.97.0.3", false); // through the IFB
    double const capped_down = iperf(m_z1, m_z2, "10.97.0.3", true); // the host link's tbf

    double const cap = 8.0 * MBIT;
    std::string const figures = "uncapped " + std::to_string(free_up) + ", guest sends "
        + std::to_string(capped_up) + ", guest receives " + std::to_string(capped_down) + " bit/s";
    EXPECT_GT(free_up, 20 * cap) << figures;
    EXPECT_GT(capped_up, 0.0) << figures;
    EXPECT_LT(capped_up, 2 * cap) << figures;
    EXPECT_GT(capped_down, 0.0) << figures;
    EXPECT_LT(capped_down, 2 * cap) << figures;
}

TEST_F(ShapingTest, ChangeReplacesTheCapInPlace)
{
    ASSERT_OK(apply_vnic_shaping(host(), { m_link1, m_ifb1, 8 * MBIT }));
    auto const before = qdisc(m_link1, "tbf");
    auto const ifb_tbf_before = qdisc(m_ifb1, "tbf");
    auto const ifb_before = ip_json(m_host, { "link", "show", "dev", m_ifb1 });
    auto const link_before = ip_json(m_host, { "link", "show", "dev", m_link1 });

    ASSERT_OK(apply_vnic_shaping(host(), { m_link1, m_ifb1, 80 * MBIT }));
    auto const after = qdisc(m_link1, "tbf");
    ASSERT_FALSE(after.is_null());
    EXPECT_EQ(after["options"]["rate"], 10'000'000);
    EXPECT_EQ(qdisc(m_ifb1, "tbf")["options"]["rate"], 10'000'000);
    // Changed, not made again: same qdisc handles, same IFB, the link never went down.
    EXPECT_EQ(after["handle"], before["handle"]);
    EXPECT_EQ(qdisc(m_ifb1, "tbf")["handle"], ifb_tbf_before["handle"]);
    EXPECT_EQ(
        ip_json(m_host, { "link", "show", "dev", m_ifb1 })[0]["ifindex"], ifb_before[0]["ifindex"]);
    EXPECT_EQ(ip_json(m_host, { "link", "show", "dev", m_link1 })[0]["ifindex"],
        link_before[0]["ifindex"]);
    std::size_t redirects = 0;
    for (auto const& filter : tc_json({ "filter", "show", "dev", m_link1, "ingress" })) {
        redirects += filter.contains("options") && filter["options"].contains("actions") ? 1 : 0;
    }
    EXPECT_EQ(redirects, 1U); // replaced, not added a second time
    EXPECT_TRUE(pings(m_z1, "10.97.0.3"));
}

TEST_F(ShapingTest, RemoveLeavesTheDefaultQdiscAndNoIfb)
{
    ASSERT_OK(apply_vnic_shaping(host(), { m_link1, m_ifb1, 8 * MBIT }));
    ASSERT_OK(remove_vnic_shaping(host(), m_link1, m_ifb1));

    EXPECT_TRUE(qdisc(m_link1, "tbf").is_null());
    EXPECT_TRUE(qdisc(m_link1, "ingress").is_null());
    EXPECT_TRUE(tc_json({ "filter", "show", "dev", m_link1, "ingress" }).empty());
    EXPECT_FALSE(has_link(m_ifb1));
    EXPECT_TRUE(pings(m_z1, "10.97.0.3")); // what the guest sends is not redirected to nowhere
    // Nothing left to remove: success.
    ASSERT_OK(remove_vnic_shaping(host(), m_link1, m_ifb1));
    ASSERT_OK(remove_vnic_shaping(host(), m_link2, m_ifb2));
}

TEST_F(ShapingTest, RemoveWhenTheHostLinkIsGoneStillDeletesTheIfb)
{
    ASSERT_OK(apply_vnic_shaping(host(), { m_link1, m_ifb1, 8 * MBIT }));
    auto rtnl = session(m_host);
    ASSERT_OK(rtnl);
    ASSERT_OK(rtnl->delete_link(m_link1)); // as when the zone's namespace died

    ASSERT_OK(remove_vnic_shaping(host(), m_link1, m_ifb1));
    EXPECT_FALSE(has_link(m_ifb1));
}

TEST_F(ShapingTest, RemoveByVmTakesEveryCapOfThatVmOnly)
{
    // A second NIC of VM1 in zone z1.
    std::string const link1b = host_link_name(VM1, "net1");
    std::string const ifb1b = ifb_link_name(VM1, "net1");
    auto rtnl = session(m_host);
    ASSERT_OK(rtnl);
    ASSERT_OK(rtnl->create_veth({ .name = link1b, .peer_name = "vp1b" }));
    ASSERT_OK(apply_vnic_shaping(host(), { m_link1, m_ifb1, 8 * MBIT }));
    ASSERT_OK(apply_vnic_shaping(host(), { link1b, ifb1b, 16 * MBIT }));
    ASSERT_OK(apply_vnic_shaping(host(), { m_link2, m_ifb2, 8 * MBIT }));
    ASSERT_OK(rtnl->delete_link(link1b)); // one of its links is already gone

    ASSERT_OK(remove_vnic_shapings(host(), VM1));
    EXPECT_FALSE(has_link(m_ifb1));
    EXPECT_FALSE(has_link(ifb1b));
    EXPECT_TRUE(qdisc(m_link1, "tbf").is_null());
    EXPECT_TRUE(qdisc(m_link1, "ingress").is_null());
    EXPECT_TRUE(pings(m_z1, "10.97.0.3"));
    // VM2's cap stays.
    EXPECT_TRUE(has_link(m_ifb2));
    EXPECT_FALSE(qdisc(m_link2, "tbf").is_null());
    EXPECT_FALSE(qdisc(m_link2, "ingress").is_null());
    // Nothing left: success.
    ASSERT_OK(remove_vnic_shapings(host(), VM1));
}

TEST_F(ShapingTest, LowAndHighCapsApply)
{
    ASSERT_OK(apply_vnic_shaping(host(), { m_link1, m_ifb1, 1 * MBIT }));
    EXPECT_EQ(qdisc(m_link1, "tbf")["options"]["rate"], 125'000);
    EXPECT_TRUE(pings(m_z1, "10.97.0.3"));
    ASSERT_OK(apply_vnic_shaping(host(), { m_link1, m_ifb1, 10'000 * MBIT }));
    EXPECT_EQ(qdisc(m_link1, "tbf")["options"]["rate"], 1'250'000'000);
    // Past 32 bits of bytes per second (34 Gbit/s): TCA_TBF_RATE64.
    ASSERT_OK(apply_vnic_shaping(host(), { m_link1, m_ifb1, 100'000 * MBIT }));
    EXPECT_EQ(qdisc(m_link1, "tbf")["options"]["rate"], 12'500'000'000);
    EXPECT_EQ(qdisc(m_ifb1, "tbf")["options"]["rate"], 12'500'000'000);
    EXPECT_TRUE(pings(m_z1, "10.97.0.3"));
}

TEST_F(ShapingTest, BadValuesAreRefusedAndLeaveNothing)
{
    auto const refused = [&](VnicShaping const& shaping, ErrorCode code, std::string const& text) {
        auto const result = apply_vnic_shaping(host(), shaping);
        ASSERT_FALSE(result.has_value()) << shaping.host_link << " " << shaping.bits_per_second;
        EXPECT_EQ(result.error().code(), code) << result.error().message();
        EXPECT_NE(result.error().message().find(text), std::string::npos)
            << result.error().message();
    };
    std::string const prefix = "set bandwidth cap on " + m_link1 + ": ";
    refused({ m_link1, m_ifb1, 0 }, ErrorCode::InvalidArgument,
        prefix + "a cap of 0 bit/s is out of range (8000 bit/s to 1000000000000 bit/s)");
    refused({ m_link1, m_ifb1, 7'999 }, ErrorCode::InvalidArgument, "out of range");
    refused({ m_link1, m_ifb1, MAX_BANDWIDTH_CAP + 1 }, ErrorCode::InvalidArgument, "out of range");
    refused({ m_link1, "bad name", MBIT }, ErrorCode::InvalidArgument, "invalid link name");
    refused({ m_link1, m_link1, MBIT }, ErrorCode::InvalidArgument, "another link");
    refused({ "zdeadbeef_net0", m_ifb1, MBIT }, ErrorCode::NotFound,
        "set bandwidth cap on zdeadbeef_net0: link zdeadbeef_net0");
    // The IFB's name taken by a link that is not an IFB: left alone.
    refused({ m_link1, m_link2, MBIT }, ErrorCode::AlreadyExists, "is a veth, not an IFB");
    auto const removed = remove_vnic_shaping(host(), m_link1, m_link2);
    ASSERT_FALSE(removed.has_value());
    EXPECT_TRUE(has_link(m_link2));

    EXPECT_FALSE(has_link(m_ifb1));
    EXPECT_TRUE(qdisc(m_link1, "tbf").is_null());
    EXPECT_TRUE(qdisc(m_link1, "ingress").is_null());
    EXPECT_TRUE(qdisc(m_link2, "tbf").is_null());
}

// A first apply that fails half-way leaves nothing of its own, and what was there before: here
// the host link's ingress slot holds a clsact qdisc (another tool's), which "ingress" cannot
// replace, after the IFB was made.
TEST_F(ShapingTest, AFailedFirstApplyLeavesNothingOfItsOwn)
{
    auto const added = in(m_host, { "tc", "qdisc", "add", "dev", m_link1, "clsact" });
    ASSERT_EQ(added.exit_code, 0) << added.describe();

    auto const result = apply_vnic_shaping(host(), { m_link1, m_ifb1, 8 * MBIT });
    ASSERT_FALSE(result.has_value());
    EXPECT_NE(result.error().message().find(
                  "set bandwidth cap on " + m_link1 + ": replace ingress qdisc of " + m_link1),
        std::string::npos)
        << result.error().message();
    EXPECT_FALSE(has_link(m_ifb1));
    EXPECT_FALSE(qdisc(m_link1, "clsact").is_null());
    EXPECT_TRUE(qdisc(m_link1, "tbf").is_null());
    EXPECT_TRUE(pings(m_z1, "10.97.0.3"));
}

struct NftFree {
    void operator()(nft_ctx* ctx) const { nft_ctx_free(ctx); }
};

// Runs nft commands in the namespace at path (libnftables; there is no nft program here).
Result<void> nft(Netns const& netns, std::string const& commands)
{
    return in_netns(netns, [&]() -> Result<void> {
        std::unique_ptr<nft_ctx, NftFree> ctx(nft_ctx_new(NFT_CTX_DEFAULT));
        if (!ctx || nft_ctx_buffer_error(ctx.get()) != 0) {
            return make_error(ErrorCode::System, "nft: no context");
        }
        if (nft_run_cmd_from_buffer(ctx.get(), commands.c_str()) != 0) {
            return make_error(
                ErrorCode::System, "nft " + commands + ": " + nft_ctx_get_error_buffer(ctx.get()));
        }
        return {};
    });
}

// What shaping.hpp says anti-spoofing must know: a capped guest's packets, handed back by the
// IFB, meet nftables' bridge family (prerouting, by input interface) but no netdev ingress
// chain on the host link. Here both drop the guest's pings; without the cap the netdev chain
// drops them first, with it only the bridge chain sees them.
TEST_F(ShapingTest, BridgeFamilyRulesSeeWhatACappedGuestSends)
{
    std::string const netdev_drop = "add table netdev lumos_test\n"
                                    "add chain netdev lumos_test in { type filter hook ingress "
                                    "device \""
        + m_link1
        + "\" priority 0; policy accept; }\n"
          "add rule netdev lumos_test in ip protocol icmp drop\n";
    ASSERT_OK(nft(host(), netdev_drop));
    EXPECT_FALSE(pings(m_z1, "10.97.0.3"));
    ASSERT_OK(nft(host(), "delete table netdev lumos_test\n"));

    ASSERT_OK(apply_vnic_shaping(host(), { m_link1, m_ifb1, 8 * MBIT }));
    ASSERT_OK(nft(host(), netdev_drop));
    EXPECT_TRUE(pings(m_z1, "10.97.0.3")); // the netdev chain never sees them
    ASSERT_OK(nft(host(),
        "add table bridge lumos_test\n"
        "add chain bridge lumos_test pre { type filter hook prerouting priority -200; policy "
        "accept; }\n"
        "add rule bridge lumos_test pre iifname \""
            + m_link1 + "\" ip protocol icmp drop\n"));
    EXPECT_FALSE(pings(m_z1, "10.97.0.3"));
}

} // namespace
} // namespace lumos::net::test
