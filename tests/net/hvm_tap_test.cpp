// SPDX-License-Identifier: MPL-2.0
// An HVM guest's taps (vm/hvm_network.hpp, net/tap.hpp) in a namespace the test makes, playing
// the host: a tap per NIC on its tag's bridge, which a process without any capability attaches
// to as QEMU does under its monitor; the NIC's anti-spoofing rules and cap keyed on the tap;
// leftovers of a crash replaced; removal leaving nothing. The "guest" is the attached tap
// descriptor: what it writes is what the guest sends, and a second namespace on the same bridge
// (a zone's veth, net0) sees what crossed.
#include "net/antispoof.hpp"
#include "net/names.hpp"
#include "net_fixture.hpp"
#include "raw_frames.hpp"
#include "vm/hvm_network.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace lumos::net::test {
namespace {

std::string const VM = "1a30fbd7-5f1c-4c6e-9d2a-2b1f6e8c0a11";
std::string const TAP0 = host_link_name(VM, "net0"); // z1a30fbd7_net0
std::string const TAP1 = host_link_name(VM, "net1");
std::string const IFB0 = ifb_link_name(VM, "net0");
std::string const IFB1 = ifb_link_name(VM, "net1");
std::string const BRIDGE = tag_bridge_name("stub0", 0); // t_stub0
MacAddress const MAC1 = MacAddress::parse("02:08:20:97:00:02").value();
MacAddress const MAC2 = MacAddress::parse("02:08:20:97:00:03").value();
IpAddress const IP1 = IpAddress::parse("10.97.0.2").value();
IpAddress const OTHER_IP = IpAddress::parse("10.97.0.66").value();
IpAddress const SUBNET_BROADCAST = IpAddress::parse("10.97.0.255").value();
constexpr uid_t NOBODY = 65534;

#define EXPECT_OK(expr)                                                                            \
    do {                                                                                           \
        auto const& lumos_ok_ = (expr);                                                            \
        EXPECT_TRUE(lumos_ok_.has_value()) << lumos_ok_.error().message();                         \
    } while (0)

// What a child process got when it attached to a tap: the attached descriptor (passed back
// over a socket), or the errno of the step that failed.
struct Attached {
    UniqueFd fd;
    int error = 0;
    std::string step;
};

// Steps of the child, for messages: the index is its exit status.
constexpr std::array<char const*, 7> CHILD_STEPS { "passed the descriptor back", "setns",
    "set its ids", "drop capabilities", "find a capability left", "open /dev/net/tun",
    "TUNSETIFF" };

// In the child (after fork, before _exit): only system calls.
[[noreturn]] void attach_in_child(
    int netns_fd, int reply, std::string const& tap, uid_t uid, gid_t gid)
{
    auto fail = [&](int step) {
        int const error = errno;
        (void)::write(reply, &error, sizeof error);
        ::_exit(step);
    };
    if (::setns(netns_fd, CLONE_NEWNET) != 0) {
        fail(1);
    }
    // Opened before the ids change: on these hosts /dev/net/tun is root's alone (0600), and it is
    // the tap's owner, not the device's mode, that this is about. As root it is opened after the
    // capabilities are gone, as QEMU opens it.
    int tun = -1;
    if (uid != 0 || gid != 0) {
        tun = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC);
        if (tun < 0) {
            fail(5);
        }
        if (::setgroups(0, nullptr) != 0 || ::setresgid(gid, gid, gid) != 0
            || ::setresuid(uid, uid, uid) != 0) {
            fail(2);
        }
    }
    // What lumos-zoned does before it runs QEMU: no capability in any set, none to gain.
    for (int cap = 0; cap <= 63; ++cap) {
        if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL && errno != EPERM) {
            fail(3);
        }
    }
    (void)::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    __user_cap_header_struct header { _LINUX_CAPABILITY_VERSION_3, 0 };
    std::array<__user_cap_data_struct, 2> caps {};
    if (::syscall(SYS_capset, &header, caps.data()) != 0
        || ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        fail(3);
    }
    if (::syscall(SYS_capget, &header, caps.data()) != 0 || caps[0].effective != 0
        || caps[1].effective != 0 || caps[0].permitted != 0 || caps[1].permitted != 0) {
        errno = EPERM;
        fail(4);
    }
    if (tun < 0) {
        tun = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC);
        if (tun < 0) {
            fail(5);
        }
    }
    ifreq request {};
    std::memcpy(request.ifr_name, tap.data(), tap.size());
    request.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (::ioctl(tun, TUNSETIFF, &request) != 0) {
        fail(6);
    }
    int none = 0;
    alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int))> control {};
    iovec data { &none, sizeof none };
    msghdr message {};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control.data();
    message.msg_controllen = control.size();
    cmsghdr* cmsg = CMSG_FIRSTHDR(&message);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(cmsg), &tun, sizeof tun);
    ::_exit(::sendmsg(reply, &message, 0) == sizeof none ? 0 : 6);
}

// Attaches to tap in the namespace at path from a child process running as uid/gid with no
// capability at all, and hands the attached descriptor back.
Attached attach_without_capabilities(
    std::string const& path, std::string const& tap, uid_t uid = 0, gid_t gid = 0)
{
    Attached attached;
    auto netns = Netns::open(path);
    std::array<int, 2> pair {};
    if (!netns || ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair.data()) != 0) {
        attached.error = EINVAL;
        attached.step = "prepare";
        return attached;
    }
    UniqueFd mine(pair[0]);
    UniqueFd theirs(pair[1]);
    pid_t const child = ::fork();
    if (child == 0) {
        attach_in_child(netns->fd(), theirs.get(), tap, uid, gid);
    }
    theirs = UniqueFd();
    int received = 0;
    alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int))> control {};
    iovec data { &received, sizeof received };
    msghdr message {};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control.data();
    message.msg_controllen = control.size();
    ssize_t const got = ::recvmsg(mine.get(), &message, MSG_CMSG_CLOEXEC);
    int status = 0;
    (void)::waitpid(child, &status, 0);
    int const step = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
    cmsghdr* cmsg = CMSG_FIRSTHDR(&message);
    if (step == 0 && got == sizeof received && cmsg != nullptr && cmsg->cmsg_type == SCM_RIGHTS) {
        int fd = -1;
        std::memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
        attached.fd = UniqueFd(fd);
        return attached;
    }
    attached.error = got == sizeof received ? received : EIO;
    attached.step = step < static_cast<int>(CHILD_STEPS.size()) ? CHILD_STEPS.at(step) : "exit";
    return attached;
}

Json nic(std::string const& mac, Json extra = Json::object())
{
    Json nic { { "mac", mac }, { "nic_tag", "stub0" } };
    nic.update(extra);
    return nic;
}

class HvmTapTest : public NetTest {
protected:
    void SetUp() override
    {
        NetTest::SetUp();
        if (IsSkipped()) {
            return;
        }
        m_host_path = make_netns("host");
        auto host = Netns::open(m_host_path);
        ASSERT_OK(host);
        m_host.emplace(std::move(*host));
    }

    static vm::ZoneNetwork plan(Json nics, std::string const& config = "etherstub=stub0\n")
    {
        Json const vm { { "uuid", VM }, { "brand", "kvm" }, { "nics", std::move(nics) } };
        auto planned = vm::plan_zone_network(vm, HostConfig::parse(config));
        EXPECT_TRUE(planned) << planned.error().message();
        return planned.value_or(vm::ZoneNetwork {});
    }

    Netns const& host() const { return *m_host; }

    // `ip -d -j link show dev <link>`'s object, null when there is no such link.
    nlohmann::json link(std::string const& name)
    {
        auto const result = in(m_host_path, { "ip", "-d", "-j", "link", "show", "dev", name });
        if (result.exit_code != 0) {
            return nullptr;
        }
        auto const parsed = nlohmann::json::parse(result.out, nullptr, false);
        return parsed.is_array() && parsed.size() == 1 ? parsed[0] : nlohmann::json();
    }

    // The names of the host's links that carry the VM's prefixes, sorted.
    std::vector<std::string> vm_links()
    {
        std::vector<std::string> names;
        for (auto const& link : ip_json(m_host_path, { "link", "show" })) {
            std::string const name = link.value("ifname", "");
            if (name.starts_with(vm_link_prefix(VM, 'z'))
                || name.starts_with(vm_link_prefix(VM, 'i'))) {
                names.push_back(name);
            }
        }
        std::sort(names.begin(), names.end());
        return names;
    }

    // The qdisc of this kind on link ({} when none).
    nlohmann::json qdisc(std::string const& link, std::string const& kind)
    {
        auto const result = in(m_host_path, { "tc", "-j", "qdisc", "show", "dev", link });
        for (auto const& q : nlohmann::json::parse(result.out, nullptr, false)) {
            if (q.value("kind", "") == kind) {
                return q;
            }
        }
        return {};
    }

    bool has_rules(std::string const& tap) { return vnic_filter_counters(host(), tap).has_value(); }

    // A zone on the tag's bridge, to see what the guest's frames do.
    std::string plug_witness()
    {
        std::string const zone = make_netns("witness");
        plug_zone(m_host_path, zone, "zwitness_net0", BRIDGE, MAC2.str(), "10.97.0.3/24");
        return zone;
    }

    // Writes frame (carrying tag) as the guest on guest, then a legitimate marker frame, and
    // says whether the witness zone got the first.
    static bool crosses(int guest, std::string const& witness, Frame const& frame, Tag const& tag)
    {
        auto receiver = packet_socket(Netns::open(witness).value(), "net0", true);
        EXPECT_OK(receiver);
        if (!receiver) {
            return false;
        }
        Tag const marker = make_tag();
        Frame const legitimate = ethernet(
            broadcast_mac(), MAC1, ETH_TYPE_IPV4, ipv4_udp(IP1, SUBNET_BROADCAST, 9, 9, marker));
        EXPECT_EQ(::write(guest, frame.data(), frame.size()), static_cast<ssize_t>(frame.size()));
        EXPECT_EQ(::write(guest, legitimate.data(), legitimate.size()),
            static_cast<ssize_t>(legitimate.size()));
        Seen const seen = wait_for(receiver->get(), tag, marker);
        EXPECT_NE(seen, Seen::Nothing) << "neither the frame nor the marker reached the witness";
        return seen == Seen::Tagged;
    }

    static Frame udp_from(MacAddress const& mac, IpAddress const& source, Tag const& tag)
    {
        return ethernet(
            broadcast_mac(), mac, ETH_TYPE_IPV4, ipv4_udp(source, SUBNET_BROADCAST, 9, 9, tag));
    }

    std::string m_host_path;
    std::optional<Netns> m_host;
};

TEST_F(HvmTapTest, AGuestWithoutCapabilitiesAttachesToItsTapAndItsFramesMeetTheNicsRules)
{
    auto made = vm::create_hvm_network(
        host(), VM, plan({ nic(MAC1.str(), { { "ips", { "10.97.0.2/24" } }, { "mtu", 1400 } }) }));
    ASSERT_OK(made);
    EXPECT_EQ(made->taps, (std::vector<std::string> { TAP0 }));
    EXPECT_TRUE(made->unenforced.empty());

    auto const tap = link(TAP0);
    ASSERT_FALSE(tap.is_null());
    EXPECT_EQ(tap["linkinfo"]["info_kind"], "tun");
    auto const& data = tap["linkinfo"]["info_data"];
    EXPECT_EQ(data["type"], "tap");
    EXPECT_EQ(data["persist"], true);
    EXPECT_EQ(data["user"], "root");
    EXPECT_EQ(data["group"], "root");
    EXPECT_EQ(data["multi_queue"], false);
    EXPECT_EQ(tap["master"], BRIDGE);
    EXPECT_EQ(tap["mtu"], 1400);
    EXPECT_NE(std::find(tap["flags"].begin(), tap["flags"].end(), "UP"), tap["flags"].end());
    EXPECT_TRUE(has_rules(TAP0));

    std::string const witness = plug_witness();
    Attached guest = attach_without_capabilities(m_host_path, TAP0);
    ASSERT_TRUE(guest.fd.valid()) << guest.step << ": " << std::strerror(guest.error);
    // The guest's own frame crosses the bridge; one from an address that is not its own does
    // not, and the tap's table counts it.
    Tag const own = make_tag();
    EXPECT_TRUE(crosses(guest.fd.get(), witness, udp_from(MAC1, IP1, own), own));
    Tag const spoofed = make_tag();
    EXPECT_FALSE(crosses(guest.fd.get(), witness, udp_from(MAC1, OTHER_IP, spoofed), spoofed));
    Tag const other_mac = make_tag();
    EXPECT_FALSE(crosses(guest.fd.get(), witness, udp_from(MAC2, IP1, other_mac), other_mac));
    auto counters = vnic_filter_counters(host(), TAP0);
    ASSERT_OK(counters);
    EXPECT_GE(counters->ip, 1U);
    EXPECT_GE(counters->mac, 1U);
    guest.fd = UniqueFd();
    EXPECT_OK(vm::remove_hvm_network(host(), VM));
}

TEST_F(HvmTapTest, OnlyRootWithRootsGroupMayAttachWithoutCapabilities)
{
    ASSERT_OK(vm::create_hvm_network(host(), VM, plan({ nic(MAC1.str()) })));
    Attached const nobody = attach_without_capabilities(m_host_path, TAP0, NOBODY, NOBODY);
    EXPECT_FALSE(nobody.fd.valid());
    EXPECT_EQ(nobody.step, "TUNSETIFF");
    EXPECT_EQ(nobody.error, EPERM) << std::strerror(nobody.error);
    Attached const other_group = attach_without_capabilities(m_host_path, TAP0, 0, NOBODY);
    EXPECT_FALSE(other_group.fd.valid());
    EXPECT_EQ(other_group.step, "TUNSETIFF");
    EXPECT_EQ(other_group.error, EPERM) << std::strerror(other_group.error);
    Attached const root = attach_without_capabilities(m_host_path, TAP0);
    EXPECT_TRUE(root.fd.valid()) << root.step << ": " << std::strerror(root.error);
    EXPECT_OK(vm::remove_hvm_network(host(), VM));
}

TEST_F(HvmTapTest, ADhcpNicsGuestUsesItsLeaseWhileItsMacIsStillChecked)
{
    auto made
        = vm::create_hvm_network(host(), VM, plan({ nic(MAC1.str(), { { "ips", { "dhcp" } } }) }));
    ASSERT_OK(made);
    ASSERT_EQ(made->unenforced.size(), 1U);
    EXPECT_NE(made->unenforced[0].find("ip-nospoof not applied to the IPv4 sources of net0"),
        std::string::npos);
    std::string const witness = plug_witness();
    Attached guest = attach_without_capabilities(m_host_path, TAP0);
    ASSERT_TRUE(guest.fd.valid()) << guest.step << ": " << std::strerror(guest.error);
    Tag const leased = make_tag();
    EXPECT_TRUE(crosses(guest.fd.get(), witness, udp_from(MAC1, OTHER_IP, leased), leased));
    Tag const other_mac = make_tag();
    EXPECT_FALSE(crosses(guest.fd.get(), witness, udp_from(MAC2, OTHER_IP, other_mac), other_mac));
    guest.fd = UniqueFd();
    EXPECT_OK(vm::remove_hvm_network(host(), VM));
}

TEST_F(HvmTapTest, ACreateAfterACrashReplacesWhatTheLastBootLeft)
{
    ASSERT_OK(vm::create_hvm_network(
        host(), VM, plan({ nic(MAC1.str()), nic(MAC2.str(), { { "maxbw", 100 } }) })));
    int const first_index = link(TAP0).value("ifindex", 0);
    EXPECT_FALSE(link(IFB1).is_null());
    // QEMU and its monitor killed: nothing was removed. The next boot has one NIC.
    auto again = vm::create_hvm_network(host(), VM, plan({ nic(MAC2.str()) }));
    ASSERT_OK(again);
    EXPECT_EQ(again->taps, (std::vector<std::string> { TAP0 }));
    EXPECT_EQ(vm_links(), (std::vector<std::string> { TAP0 }));
    EXPECT_NE(link(TAP0).value("ifindex", 0), first_index); // made again
    EXPECT_TRUE(has_rules(TAP0));
    EXPECT_FALSE(has_rules(TAP1));
    EXPECT_OK(vm::remove_hvm_network(host(), VM));
}

TEST_F(HvmTapTest, RemovalLeavesNoLinkRuleOrQdiscAndMayRunAgain)
{
    auto made = vm::create_hvm_network(host(), VM,
        plan({ nic(MAC1.str(), { { "maxbw", 50 } }), nic(MAC2.str(), { { "ips", { "dhcp" } } }) }));
    ASSERT_OK(made);
    if (!made->unenforced.empty() && made->unenforced[0].starts_with("maxbw")) {
        GTEST_SKIP() << "this kernel cannot cap bandwidth: " << made->unenforced[0];
    }
    EXPECT_EQ(vm_links(), (std::vector<std::string> { IFB0, TAP0, TAP1 }));
    EXPECT_FALSE(qdisc(TAP0, "tbf").is_null());
    EXPECT_FALSE(qdisc(TAP0, "ingress").is_null());
    EXPECT_FALSE(qdisc(IFB0, "tbf").is_null());
    EXPECT_TRUE(has_rules(TAP0));
    EXPECT_TRUE(has_rules(TAP1));

    ASSERT_OK(vm::remove_hvm_network(host(), VM));
    EXPECT_TRUE(vm_links().empty());
    for (auto const& tap : { TAP0, TAP1 }) {
        auto const gone = vnic_filter_counters(host(), tap);
        ASSERT_FALSE(gone);
        EXPECT_EQ(gone.error().code(), ErrorCode::NotFound) << gone.error().message();
    }
    EXPECT_FALSE(link(BRIDGE).is_null()); // the tag's switch stays
    EXPECT_OK(vm::remove_hvm_network(host(), VM));
}

TEST_F(HvmTapTest, ALiveUpdateAddsAndRemovesTapsAndKeepsTheAttachedOne)
{
    ASSERT_OK(vm::create_hvm_network(host(), VM, plan({ nic(MAC1.str()) })));
    Attached guest = attach_without_capabilities(m_host_path, TAP0);
    ASSERT_TRUE(guest.fd.valid()) << guest.step << ": " << std::strerror(guest.error);
    int const index = link(TAP0).value("ifindex", 0);

    auto added = vm::update_hvm_network(
        host(), VM, plan({ nic(MAC1.str(), { { "allow_ip_spoofing", true } }), nic(MAC2.str()) }));
    ASSERT_OK(added);
    EXPECT_EQ(added->taps, (std::vector<std::string> { TAP0, TAP1 }));
    auto const kept = link(TAP0);
    EXPECT_EQ(kept.value("ifindex", 0), index);
    EXPECT_NE(std::find(kept["flags"].begin(), kept["flags"].end(), "LOWER_UP"),
        kept["flags"].end()); // still attached: carrier
    EXPECT_EQ(link(TAP1)["master"], BRIDGE);
    EXPECT_TRUE(has_rules(TAP1));
    // The new allow_ip_spoofing holds on the kept tap.
    std::string const witness = plug_witness();
    Tag const spoofed = make_tag();
    EXPECT_TRUE(crosses(guest.fd.get(), witness, udp_from(MAC1, OTHER_IP, spoofed), spoofed));

    auto removed = vm::update_hvm_network(
        host(), VM, plan({ nic(MAC2.str(), { { "interface", "net1" } }) }));
    ASSERT_OK(removed);
    EXPECT_EQ(removed->taps, (std::vector<std::string> { TAP1 }));
    EXPECT_EQ(vm_links(), (std::vector<std::string> { TAP1 }));
    EXPECT_FALSE(has_rules(TAP0));
    guest.fd = UniqueFd();
    EXPECT_OK(vm::remove_hvm_network(host(), VM));
}

TEST_F(HvmTapTest, AFailedCreateLeavesNothing)
{
    // The second NIC's tag names a link this host does not have.
    auto made = vm::create_hvm_network(host(), VM,
        plan({ nic(MAC1.str(), { { "maxbw", 50 } }),
                 nic(MAC2.str(), { { "nic_tag", "external" } }) },
            "etherstub=stub0\nexternal_nic=02:08:20:00:00:99\n"));
    ASSERT_FALSE(made);
    EXPECT_EQ(made.error().code(), ErrorCode::NotFound) << made.error().message();
    EXPECT_TRUE(vm_links().empty());
    EXPECT_FALSE(has_rules(TAP0));
    EXPECT_FALSE(has_rules(TAP1));
}

TEST_F(HvmTapTest, QemuWithoutCapabilitiesAttachesToTheTap)
{
    if (::access("/usr/bin/qemu-system-x86_64", X_OK) != 0
        || ::access("/usr/bin/setpriv", X_OK) != 0) {
        GTEST_SKIP() << "qemu-system-x86_64 or setpriv is not installed";
    }
    ASSERT_OK(vm::create_hvm_network(host(), VM, plan({ nic(MAC1.str()) })));
    EXPECT_EQ(link(TAP0)["linkinfo"]["info_data"]["vnet_hdr"], false);
    // As the monitor runs it: root, no capability in any set, no new privileges (nsenter execs
    // setpriv, which execs QEMU: the pid is QEMU's). Stopped (-S) before its first instruction.
    lumos::test::RunOptions options;
    options.timeout = std::chrono::seconds(20);
    auto qemu = lumos::test::Process::spawn(
        { "/usr/bin/nsenter", "--net=" + m_host_path, "--", "/usr/bin/setpriv", "--inh-caps=-all",
            "--ambient-caps=-all", "--bounding-set=-all", "--no-new-privs",
            "/usr/bin/qemu-system-x86_64", "-accel", "tcg", "-nodefaults", "-display", "none",
            "-monitor", "none", "-S", "-netdev",
            "tap,id=n0,ifname=" + TAP0 + ",script=no,downscript=no,vhost=off", "-device",
            "virtio-net-pci,netdev=n0,mac=" + MAC1.str() },
        options);
    // Attached: the tap has carrier, with the virtio header QEMU asked for.
    bool attached = false;
    for (int i = 0; i < 100 && !attached; ++i) {
        auto const tap = link(TAP0);
        attached = tap["linkinfo"]["info_data"]["vnet_hdr"] == true
            && std::find(tap["flags"].begin(), tap["flags"].end(), "LOWER_UP")
                != tap["flags"].end();
        if (!attached) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
    std::string const status
        = lumos::test::read_file("/proc/" + std::to_string(qemu.pid()) + "/status");
    qemu.kill(SIGKILL);
    auto const ended = qemu.wait();
    EXPECT_TRUE(attached) << ended.describe();
    EXPECT_NE(status.find("CapEff:\t0000000000000000"), std::string::npos) << status;
    EXPECT_NE(status.find("CapBnd:\t0000000000000000"), std::string::npos) << status;
    // QEMU gone, the tap stays for the next boot until removed.
    EXPECT_FALSE(link(TAP0).is_null());
    EXPECT_OK(vm::remove_hvm_network(host(), VM));
    EXPECT_TRUE(vm_links().empty());
}

} // namespace
} // namespace lumos::net::test
