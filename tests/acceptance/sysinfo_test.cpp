// SPDX-License-Identifier: MPL-2.0
// The sysinfo binary as a SmartOS user runs it on this host: `sysinfo | jq .`, -p, -u, -f, bad
// options, and the host identity it shares with `vmadm get`.
#include "support/vmadm_fixture.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <regex>

namespace lumos::test {
namespace {

std::string sysinfo_path()
{
    const char* override_path = std::getenv("LUMOS_SYSINFO_BIN");
    return override_path != nullptr && *override_path != '\0' ? override_path : LUMOS_SYSINFO_BIN;
}

class SysinfoTest : public VmadmTest {
protected:
    RunResult sysinfo(const std::vector<std::string>& args, RunOptions options = {}) const
    {
        std::vector<std::string> argv { sysinfo_path() };
        argv.insert(argv.end(), args.begin(), args.end());
        options.env.emplace_back("LUMOS_ROOT", root().str());
        return run(argv, options);
    }
    json sysinfo_json() const
    {
        RunResult const r = sysinfo({});
        EXPECT_EQ(r.exit_code, 0) << r.describe();
        EXPECT_EQ(r.err, "");
        json parsed = json::parse(r.out, nullptr, false);
        EXPECT_FALSE(parsed.is_discarded()) << r.out;
        return parsed;
    }
    std::filesystem::path cache_file() const { return root().path() / "run/lumos/sysinfo.json"; }
};

TEST_F(SysinfoTest, PrintsSmartOSJson)
{
    RunResult const r = sysinfo({});
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_TRUE(r.out.starts_with("{\n  \"Live Image\": \"")) << r.out;
    EXPECT_TRUE(r.out.ends_with("\n}\n"));
    json const info = json::parse(r.out, nullptr, false);
    ASSERT_TRUE(info.is_object()) << r.out;
    EXPECT_EQ(info["System Type"], "Linux");
    EXPECT_TRUE(info["Boot Time"].is_string());
    EXPECT_TRUE(is_lower_uuid(info["UUID"].get<std::string>()));
    EXPECT_TRUE(info["CPU Total Cores"].is_number_unsigned());
    EXPECT_GE(info["CPU Online Count"].get<int>(), 1);
    EXPECT_TRUE(info["MiB of Memory"].is_string());
    EXPECT_TRUE(info["VM Capable"].is_boolean());
    EXPECT_TRUE(info["Bhyve Capable"].is_boolean());
    EXPECT_TRUE(info["HVM API"].is_boolean());
    EXPECT_TRUE(info["Network Interfaces"].is_object());
    EXPECT_EQ(info["Virtual Network Interfaces"], json::object());
    // The fixture's pool: the implicit dir pool "zones" under the temp root.
    EXPECT_EQ(info["Zpool"], "zones");
    EXPECT_TRUE(info["Zpool Size in GiB"].is_number());
    EXPECT_EQ(info["Setup"], "true");
}

TEST_F(SysinfoTest, ServerUuidAndBuildstampAreVmadmGets)
{
    std::string const uuid = create_ok(os_payload());
    json const vm = get(uuid);
    json const info = sysinfo_json();
    EXPECT_EQ(vm["server_uuid"], info["UUID"]);
    EXPECT_EQ(vm["platform_buildstamp"], info["Live Image"]);
}

TEST_F(SysinfoTest, ParsableIsKeyValueLines)
{
    json const info = sysinfo_json();
    RunResult const r = sysinfo({ "-p" });
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(r.err, "");
    static const std::regex line_re("^[A-Za-z0-9_]+=('([^']|'\\\\'')*'|[A-Za-z0-9_.,:/-]*)$");
    for (auto const& line : split_lines(r.out)) {
        EXPECT_TRUE(std::regex_match(line, line_re)) << line;
    }
    EXPECT_NE(r.out.find("\nUUID='" + info["UUID"].get<std::string>() + "'\n"), std::string::npos);
    EXPECT_NE(r.out.find(
                  "\nCPU_Total_Cores=" + std::to_string(info["CPU Total Cores"].get<int>()) + "\n"),
        std::string::npos);
    // SmartOS lists the tags of links (nictagadm list -L), not the etherstubs.
    EXPECT_NE(r.out.find("\nNic_Tags=admin,external\n"), std::string::npos) << r.out;
}

TEST_F(SysinfoTest, UpdateOnlyPrintsNothingAndWritesTheCache)
{
    ASSERT_FALSE(std::filesystem::exists(cache_file()));
    RunResult const r = sysinfo({ "-u" });
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "");
    ASSERT_TRUE(std::filesystem::exists(cache_file()));
    EXPECT_EQ(sysinfo({}).out, read_file(cache_file()));
    EXPECT_EQ(sysinfo({ "-p" }).out, read_file(root().path() / "run/lumos/sysinfo.parsable"));
}

TEST_F(SysinfoTest, CacheIsServedUntilForced)
{
    ASSERT_EQ(sysinfo({ "-u" }).exit_code, 0);
    std::string const fresh = read_file(cache_file());
    root().write_file("run/lumos/sysinfo.json", "{\"Cached\": true}\n");
    EXPECT_EQ(sysinfo({}).out, "{\"Cached\": true}\n");
    RunResult const forced = sysinfo({ "-f" });
    EXPECT_EQ(forced.exit_code, 0) << forced.describe();
    EXPECT_EQ(forced.out, fresh);
    EXPECT_EQ(read_file(cache_file()), fresh);
}

TEST_F(SysinfoTest, NicNamesAreTheTagsOfTheHostNicsMac)
{
    std::string nic;
    std::string mac;
    std::error_code ec;
    for (auto const& entry : std::filesystem::directory_iterator("/sys/class/net", ec)) {
        if (std::filesystem::exists(entry.path() / "device", ec)) {
            nic = entry.path().filename().string();
            mac = read_file(entry.path() / "address");
            mac = mac.substr(0, mac.find('\n'));
            break;
        }
    }
    if (nic.empty()) {
        GTEST_SKIP() << "this host has no physical network interface";
    }
    ASSERT_EQ(sysinfo({ "-u" }).exit_code, 0);
    // An edited host config is seen without -u.
    root().write_file("etc/lumos/config",
        "admin_nic=" + mac + "\nexternal_nic=00:00:00:00:00:02\ncgroup_parent=" + cgroup_parent()
            + "\n");
    json const info = sysinfo_json();
    EXPECT_EQ(info["Network Interfaces"][nic]["NIC Names"], json::array({ "admin" }));
    EXPECT_EQ(info["Network Interfaces"][nic]["MAC Address"], mac);
    RunResult const parsable = sysinfo({ "-p" });
    EXPECT_NE(parsable.out.find("\nNIC_admin='" + nic + "'\n"), std::string::npos) << parsable.out;
}

TEST_F(SysinfoTest, UnknownOptionPrintsUsageAndExits2)
{
    RunResult const r = sysinfo({ "-x" });
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.out, "Usage: " + sysinfo_path() + ": [-f] [-p] [-u]\n");
    EXPECT_EQ(r.err, sysinfo_path() + ": illegal option -- x\n");
    // getopts "fnpu?": -n and -? are known letters that only reach the usage.
    for (std::string const option : { "-n", "-?", "-pn" }) {
        RunResult const known = sysinfo({ option });
        EXPECT_EQ(known.exit_code, 2) << option;
        EXPECT_EQ(known.out, "Usage: " + sysinfo_path() + ": [-f] [-p] [-u]\n") << option;
        EXPECT_EQ(known.err, "") << option;
    }
    EXPECT_FALSE(std::filesystem::exists(cache_file()));
}

TEST_F(SysinfoTest, CombinedFlagsAndOperandsAsGetopts)
{
    RunResult const r = sysinfo({ "-fp", "ignored" });
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_TRUE(r.out.starts_with("Live_Image='")) << r.out;
    RunResult const quiet = sysinfo({ "-pu" });
    EXPECT_EQ(quiet.exit_code, 0);
    EXPECT_EQ(quiet.out, "");
}

TEST_F(SysinfoTest, OnlyRoot)
{
    RunOptions options;
    options.uid = 65534;
    RunResult const r = sysinfo({}, options);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "This program can only be run as root.\n");
}

} // namespace
} // namespace lumos::test
