// SPDX-License-Identifier: MPL-2.0
// nictagadm in-process (nictagadm::run over the CliTest root, whose host config has admin_nic,
// external_nic and etherstub=stub0,stub1): SmartOS's src/nictagadm output, messages and exit
// codes, its edits of etc/lumos/config, and vms/delete over VMs made by vmadm in the same root.
// The links are a fake /sys/class/net tree; tests/acceptance/nictagadm_test.cpp runs the binary
// against a real network namespace.
#include "base/paths.hpp"
#include "cli/cli_fixture.hpp"
#include "cmd/nictagadm/cli.hpp"
#include "vm/host.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace lumos::test {

namespace {

std::string const ADMIN_CONFIG = "# test host config\n"
                                 "admin_nic=00:00:00:00:00:01\n"
                                 "external_nic=00:00:00:00:00:02\n"
                                 "etherstub=stub0,stub1\n";

class NictagadmTest : public CliTest {
protected:
    void SetUp() override
    {
        CliTest::SetUp();
        if (HasFatalFailure()) {
            return;
        }
        // eth0 carries admin; external's MAC is on no link; veth9 is a link without a device
        // (a tag may name it); br0 is a bridge with eth0's MAC (never a tag's link).
        link("eth0", "00:00:00:00:00:01", true);
        link("veth9", "02:00:00:00:00:09", false);
        link("br0", "00:00:00:00:00:01", false);
        root().write_file("sys/class/net/br0/bridge/bridge_id", "8000.000000000001\n");
    }

    void link(std::string const& name, std::string const& mac, bool physical) const
    {
        root().write_file("sys/class/net/" + name + "/address", mac + "\n");
        root().write_file("sys/class/net/" + name + "/operstate", "up\n");
        if (physical) {
            root().write_file("sys/class/net/" + name + "/device/vendor", "0x8086\n");
        }
    }

    RunResult nictagadm(std::vector<std::string> const& args) const
    {
        std::vector<std::string> argv { "/usr/sbin/nictagadm" };
        argv.insert(argv.end(), args.begin(), args.end());
        std::ostringstream out;
        std::ostringstream err;
        nictagadm::Io io { out, err };
        nictagadm::Host host { Paths(root().str()), root().str() + "/sys", {} };
        host.vms_using = [&host](std::string const& tag) -> Result<std::vector<std::string>> {
            TRY_ASSIGN(vm_host, vm::Host::open(host.paths));
            return nictagadm::vms_using_tag(vm_host->engine(), tag);
        };
        RunResult result;
        result.exit_code = nictagadm::run(argv, io, host);
        result.out = out.str();
        result.err = err.str();
        return result;
    }

    std::string config() const { return read_file(root().path() / "etc/lumos/config"); }
    std::string config_without_cgroup() const
    {
        std::string text = config();
        auto const at = text.find("cgroup_parent=");
        return at == std::string::npos ? text : text.erase(at, text.find('\n', at) + 1 - at);
    }

    std::string usage_text() const
    {
        RunResult const r = nictagadm({ "help" });
        return r.err;
    }
};

::testing::AssertionResult fails(RunResult const& r, std::string const& message)
{
    if (r.exit_code == 1 && r.out.empty() && r.err == "Error: " + message + "\n") {
        return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure()
        << "exit " << r.exit_code << "\nstdout: " << r.out << "\nstderr: " << r.err;
}

} // namespace

TEST_F(NictagadmTest, ListShowsEachTagsMacLinkAndType)
{
    RunResult const r = nictagadm({ "list" });
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(r.out,
        "NAME           MACADDRESS         LINK           TYPE            \n"
        "admin          00:00:00:00:00:01  eth0           normal          \n"
        "external       00:00:00:00:00:02  -              normal          \n"
        "stub0          -                  -              etherstub       \n"
        "stub1          -                  -              etherstub       \n");
}

TEST_F(NictagadmTest, ParsableListEscapesColonsOnlyWithTheDefaultDelimiter)
{
    EXPECT_EQ(nictagadm({ "list", "-p" }).out,
        "admin:00\\:00\\:00\\:00\\:00\\:01:eth0:normal\n"
        "external:00\\:00\\:00\\:00\\:00\\:02:-:normal\n"
        "stub0:-:-:etherstub\n"
        "stub1:-:-:etherstub\n");
    // VM.js reads `nictagadm list -p -d ,` to check NIC MTUs against each tag's type.
    EXPECT_EQ(nictagadm({ "list", "-p", "-d", "," }).out,
        "admin,00:00:00:00:00:01,eth0,normal\n"
        "external,00:00:00:00:00:02,-,normal\n"
        "stub0,-,-,etherstub\n"
        "stub1,-,-,etherstub\n");
    // sysinfo's form: -L (no etherstubs), combined flags, the delimiter glued to -d.
    EXPECT_EQ(nictagadm({ "list", "-pL", "-d=" }).out,
        "admin=00:00:00:00:00:01=eth0=normal\n"
        "external=00:00:00:00:00:02=-=normal\n");
    EXPECT_EQ(nictagadm({ "list", "-l", "-p" }).out, "stub0:-:-:etherstub\nstub1:-:-:etherstub\n");
}

TEST_F(NictagadmTest, ListOptionConflicts)
{
    EXPECT_TRUE(fails(
        nictagadm({ "list", "-l", "-L" }), "Cannot specify both local and non-local options"));
    EXPECT_TRUE(fails(
        nictagadm({ "list", "-d", "," }), "Delimiter option requires parsable option to be set"));
}

TEST_F(NictagadmTest, UsageAndHelpAsTheScriptPrintsThem)
{
    std::string const usage = usage_text();
    EXPECT_TRUE(usage.starts_with(
        "Manage nic tags\n\nUsage:\n        nictagadm [OPTIONS] <subcommand> <args...> ...\n"))
        << usage;
    EXPECT_NE(usage.find("        list            [-l | -L] [-p] [-d delim]\n"), std::string::npos);
    EXPECT_TRUE(usage.ends_with("See nictagadm(8) for more information\n"));

    RunResult r = nictagadm({});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.out, "no subcommand given\n");
    EXPECT_EQ(r.err, usage);

    r = nictagadm({ "-h" });
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, usage);

    r = nictagadm({ "-?" });
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, usage);

    // bash's getopts diagnostic (with $0 as invoked), then the usage.
    r = nictagadm({ "-x", "list" });
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "/usr/sbin/nictagadm: illegal option -- x\n" + usage);

    // A subcommand's bad option: the script's "invalid option: $OPTARG" with OPTARG unset.
    r = nictagadm({ "list", "-e" });
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.out, "invalid option: \n");
    EXPECT_EQ(r.err, "/usr/sbin/nictagadm: illegal option -- e\n" + usage);

    r = nictagadm({ "list", "-p", "-d" });
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, "/usr/sbin/nictagadm: option requires an argument -- d\n" + usage);

    EXPECT_TRUE(fails(nictagadm({ "frobnicate" }), "unknown command frobnicate"));
    for (auto const& command : { "add", "update", "delete", "vms" }) {
        r = nictagadm({ command });
        EXPECT_EQ(r.exit_code, 2) << command;
        EXPECT_EQ(r.out, "") << command;
        EXPECT_EQ(r.err, usage) << command;
    }
}

TEST_F(NictagadmTest, AddWritesTheNicAndMtuLinesKeepingTheRest)
{
    std::string const before = config();
    RunResult const r = nictagadm({ "add", "-p", "mtu=9000", "storage", "2:0:0:0:0:9" });
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "MTU changes will not take effect until next reboot\n");
    EXPECT_EQ(config(), before + "storage_nic=02:00:00:00:00:09\nstorage_mtu=9000\n");
    EXPECT_EQ(nictagadm({ "list", "-p", "-L", "-d", "," }).out,
        "admin,00:00:00:00:00:01,eth0,normal\n"
        "external,00:00:00:00:00:02,-,normal\n"
        "storage,02:00:00:00:00:09,veth9,normal\n");
    // -p mac= is the operand's other spelling.
    ASSERT_EQ(nictagadm({ "add", "-p", "mac=00:00:00:00:00:01", "admin2" }).exit_code, 0);
    EXPECT_TRUE(config().ends_with("admin2_nic=00:00:00:00:00:01\n"));
}

TEST_F(NictagadmTest, AddRefusalsInTheScriptsOrder)
{
    std::string const before = config();
    EXPECT_TRUE(fails(nictagadm({ "add", "-p", "mac=00:00:00:00:00:01", "t", "00:00:00:00:00:01" }),
        "mac address specified twice"));
    EXPECT_TRUE(
        fails(nictagadm({ "add", "t" }), "create non-local tag, but no mac address specified"));
    EXPECT_TRUE(fails(nictagadm({ "add", "-l", "t0", "00:00:00:00:00:01" }),
        "create local tag, but mac address specified"));
    EXPECT_TRUE(fails(nictagadm({ "add", "-l", "-p", "mtu=1500", "t0" }),
        "Cannot specify MTU for local nic tag"));
    EXPECT_TRUE(fails(
        nictagadm({ "add", "-p", "mtu=15x0", "t", "00:00:00:00:00:01" }), "invalid mtu: 15x0"));
    EXPECT_TRUE(fails(nictagadm({ "add", "-p", "mtu=1499", "t", "00:00:00:00:00:01" }),
        "mtu must be between 1500-9000"));
    EXPECT_TRUE(fails(nictagadm({ "add", "-p", "mtu=9001", "t", "00:00:00:00:00:01" }),
        "mtu must be between 1500-9000"));
    EXPECT_TRUE(fails(nictagadm({ "add", "-p", "mtu", "t" }), "invalid property: mtu"));
    EXPECT_TRUE(fails(
        nictagadm({ "add", "admin", "00:00:00:00:00:01" }), "nic tag 'admin' already exists"));
    EXPECT_TRUE(fails(nictagadm({ "add", "-l", "stub0" }), "nic tag 'stub0' already exists"));
    EXPECT_TRUE(fails(
        nictagadm({ "add", "t", "00:00:00:00:00" }), "MAC address '00:00:00:00:00' is invalid"));
    EXPECT_TRUE(fails(nictagadm({ "add", "t", "0:0:0:0:0:AB" }),
        "No physical nic found with MAC address '00:00:00:00:00:ab'"));
    EXPECT_TRUE(fails(nictagadm({ "add", "t", "aggr0" }), "aggregation 'aggr0' does not exist"));
    EXPECT_TRUE(
        fails(nictagadm({ "add", "bad-name", "00:00:00:00:00:01" }), "nic tag name is invalid"));
    EXPECT_TRUE(fails(nictagadm({ "add", std::string(31, 'n'), "00:00:00:00:00:01" }),
        "nic tag name is invalid"));
    EXPECT_TRUE(fails(nictagadm({ "add", "-l", "nodigit" }), "nic tag name is invalid"));
    EXPECT_TRUE(
        fails(nictagadm({ "add", "-l", std::string(31, 's') + "0" }), "nic tag name is invalid"));
    EXPECT_EQ(config(), before);
    // The longest names each rule takes.
    EXPECT_EQ(nictagadm({ "add", std::string(30, 'n'), "00:00:00:00:00:01" }).exit_code, 0);
    EXPECT_EQ(nictagadm({ "add", "-l", std::string(30, 's') + "0" }).exit_code, 0);
}

TEST_F(NictagadmTest, AddOverAnAggregationAndEtherstubs)
{
    root().write_file("etc/lumos/config", ADMIN_CONFIG + "aggr0_aggr=eth0,eth1\n");
    ASSERT_EQ(nictagadm({ "add", "trunk", "aggr0" }).exit_code, 0);
    ASSERT_EQ(nictagadm({ "add", "-l", "stub2" }).exit_code, 0);
    EXPECT_EQ(config(),
        "# test host config\n"
        "admin_nic=00:00:00:00:00:01\n"
        "external_nic=00:00:00:00:00:02\n"
        "etherstub=stub0,stub1,stub2\n"
        "aggr0_aggr=eth0,eth1\n"
        "trunk_nic=aggr0\n");
    EXPECT_EQ(nictagadm({ "list", "-p" }).out,
        "admin:00\\:00\\:00\\:00\\:00\\:01:eth0:normal\n"
        "external:00\\:00\\:00\\:00\\:00\\:02:-:normal\n"
        "trunk:-:aggr0:aggr\n"
        "stub0:-:-:etherstub\n"
        "stub1:-:-:etherstub\n"
        "stub2:-:-:etherstub\n");
}

TEST_F(NictagadmTest, UpdateChangesTheMacAndMtuInPlace)
{
    root().write_file("etc/lumos/config", ADMIN_CONFIG + "external_mtu=1500\nhostname=cn\n");
    RunResult r = nictagadm({ "update", "-p", "mtu=9000", "external", "02:00:00:00:00:09" });
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "MTU changes will not take effect until next reboot\n");
    EXPECT_EQ(config(),
        "# test host config\n"
        "admin_nic=00:00:00:00:00:01\n"
        "external_nic=02:00:00:00:00:09\n"
        "etherstub=stub0,stub1\n"
        "external_mtu=9000\n"
        "hostname=cn\n");
    r = nictagadm({ "update", "-p", "mac=0:0:0:0:0:1", "external" });
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_NE(config().find("\nexternal_nic=00:00:00:00:00:01\n"), std::string::npos);
}

TEST_F(NictagadmTest, UpdateRefusals)
{
    std::string const before = config();
    EXPECT_TRUE(fails(nictagadm({ "update", "-l", "stub0" }), "cannot update a local tag"));
    EXPECT_TRUE(fails(nictagadm({ "update", "external" }), "nothing to update"));
    EXPECT_TRUE(
        fails(nictagadm({ "update", "-p", "mtu=1", "external" }), "mtu must be between 1500-9000"));
    EXPECT_TRUE(fails(
        nictagadm({ "update", "nosuch", "00:00:00:00:00:01" }), "nic tag 'nosuch' does not exist"));
    EXPECT_TRUE(fails(nictagadm({ "update", "external", "00:00:00:00:00:77" }),
        "No physical nic found with MAC address '00:00:00:00:00:77'"));
    EXPECT_TRUE(
        fails(nictagadm({ "update", "-p", "mtu=9000", "stub0" }), "cannot update a local tag"));
    EXPECT_EQ(config(), before);
}

TEST_F(NictagadmTest, ExistsReportsEachMissingName)
{
    RunResult r = nictagadm({ "exists", "admin", "stub1" });
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out + r.err, "");
    r = nictagadm({ "exists", "admin", "nope", "no-pe" });
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "invalid tag: nope\ninvalid tag: no-pe\n");
    r = nictagadm({ "exists", "-l", "nope", "admin", "gone" });
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "nope\ngone\n");
    EXPECT_TRUE(fails(nictagadm({ "exists" }), "tag_exists: no tag specified"));
}

TEST_F(NictagadmTest, VmsAndDeleteOfATagInUse)
{
    json payload = os_payload();
    payload["nics"] = json::array(
        { { { "nic_tag", "external" }, { "ip", "10.0.0.5" }, { "netmask", "255.255.255.0" } } });
    std::string const uuid = create_ok(payload);
    create_ok(os_payload()); // no NICs

    RunResult r = nictagadm({ "vms", "external" });
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, uuid + "\n");
    r = nictagadm({ "vms", "admin" });
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "");

    std::string const before = config();
    EXPECT_TRUE(fails(nictagadm({ "delete", "external" }), "nic tag 'external' is in use"));
    EXPECT_EQ(config(), before);
    r = nictagadm({ "delete", "-f", "external" });
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out + r.err, "");
    EXPECT_EQ(config_without_cgroup(),
        "# test host config\n"
        "admin_nic=00:00:00:00:00:01\n"
        "etherstub=stub0,stub1\n");
}

TEST_F(NictagadmTest, DeleteRemovesTheTagsLinesOrItsEtherstub)
{
    root().write_file("etc/lumos/config", ADMIN_CONFIG + "admin_mtu=9000\n");
    EXPECT_EQ(nictagadm({ "delete", "stub0" }).exit_code, 0);
    EXPECT_EQ(nictagadm({ "delete", "admin" }).exit_code, 0);
    EXPECT_EQ(config(),
        "# test host config\n"
        "external_nic=00:00:00:00:00:02\n"
        "etherstub=stub1\n");
    EXPECT_TRUE(fails(nictagadm({ "delete", "admin" }), "nic tag 'admin' does not exist"));
    EXPECT_EQ(nictagadm({ "delete", "stub1" }).exit_code, 0);
    EXPECT_EQ(config(), "# test host config\nexternal_nic=00:00:00:00:00:02\n");
    RunResult const r = nictagadm({ "delete", "-x", "external" });
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.out, "invalid option: \n");
}

// -v (before the subcommand only, as the script's getopts reads it) traces on stderr.
TEST_F(NictagadmTest, VerboseTracesOnStderr)
{
    RunResult r = nictagadm({ "-v", "add", "-l", "stub2" });
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err,
        "+ Using config file: " + root().str()
            + "/etc/lumos/config\n"
              "+ adding nic tag: name='stub2', mac='', local='true'\n");
    r = nictagadm({ "list", "-v" });
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.out, "invalid option: \n");
}

// vmadm validates a NIC's nic_tag against the tags nictagadm manages.
TEST_F(NictagadmTest, VmadmSeesAddedAndDeletedTags)
{
    json payload = os_payload();
    payload["nics"] = json::array({ { { "nic_tag", "storage" }, { "ip", "dhcp" } } });
    RunResult r = create(payload);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("Invalid nic tag \"storage\""), std::string::npos) << r.err;
    ASSERT_EQ(nictagadm({ "add", "storage", "02:00:00:00:00:09" }).exit_code, 0);
    create_ok(payload);
    ASSERT_EQ(nictagadm({ "add", "-l", "internal0" }).exit_code, 0);
    payload["nics"][0]["nic_tag"] = "internal0";
    create_ok(payload);
}

} // namespace lumos::test
