// SPDX-License-Identifier: MPL-2.0
// Create-time defaults per brand: reference §2.5, §2.7 and upstream test-defaults.js,
// test-quota.js, test-tmpfs.js, test-firewall.js, test-autoboot.js.
#include "cli/cli_fixture.hpp"

#include <algorithm>
#include <set>

namespace lumos::test {
namespace {

const json NON_EMPTY = "<NON-EMPTY>";
const json OPTIONAL = "<OPTIONAL-NON-EMPTY>";
const std::string HVM_LIMIT_PRIV
    = "default,-file_link_any,-net_access,-proc_fork,-proc_info,-proc_session";
const std::string ZERO_UUID = "00000000-0000-0000-0000-000000000000";

bool is_hvm(const std::string& brand)
{
    return brand == "kvm" || brand == "bhyve";
}

// Expected `vmadm get` keys for a stopped VM created from payload_for(brand).
json expected_defaults(const std::string& brand, const std::string& uuid, const std::string& root)
{
    int max_physical = brand == "kvm" ? 1280 : brand == "bhyve" ? 1536 : 256;
    json d = {
        { "autoboot", false },
        { "billing_id", ZERO_UUID },
        { "owner_uuid", ZERO_UUID },
        { "brand", brand },
        { "cpu_shares", 100 },
        { "create_timestamp", NON_EMPTY },
        { "customer_metadata", json::object() },
        { "internal_metadata", json::object() },
        { "tags", json::object() },
        { "routes", json::object() },
        { "nics", json::array() },
        { "resolvers", json::array() },
        { "snapshots", json::array() },
        { "firewall_enabled", false },
        { "hvm", is_hvm(brand) },
        { "init_restarts", OPTIONAL },
        { "last_modified", NON_EMPTY },
        { "server_uuid", NON_EMPTY },
        { "platform_buildstamp", NON_EMPTY },
        { "datacenter_name", OPTIONAL },
        { "headnode_id", OPTIONAL },
        { "limit_priv", is_hvm(brand) ? HVM_LIMIT_PRIV : "default" },
        { "max_lwps", 2000 },
        { "max_msg_ids", 4096 },
        { "max_sem_ids", 4096 },
        { "max_shm_ids", 4096 },
        { "max_physical_memory", max_physical },
        { "max_locked_memory", max_physical },
        { "max_swap", max_physical },
        { "max_shm_memory", max_physical },
        { "quota", brand == "bhyve" ? 1 : 10 },
        { "v", 1 },
        { "zfs_io_priority", 100 },
        { "zfs_root_recsize", 131072 },
        { "uuid", uuid },
        { "zonename", uuid },
        { "zonepath", root + "/zones/" + uuid },
        { "zfs_filesystem", "zones/" + uuid },
        { "zpool", "zones" },
        { "state", "stopped" },
        { "zone_state", "installed" },
    };
    if (is_hvm(brand)) {
        d["disks"] = json::array();
        d["ram"] = 256;
        d["vcpus"] = 1;
    } else {
        d["dns_domain"] = "local";
        d["image_uuid"] = brand == "lx" ? LX_IMAGE_UUID : IMAGE_UUID;
        d["tmpfs"] = max_physical;
    }
    if (brand == "lx") {
        d["kernel_version"] = "4.3.0";
    }
    if (brand == "bhyve") {
        d["com1"] = OPTIONAL;
        d["com2"] = OPTIONAL;
    }
    return d;
}

class Defaults
    : public CliTest
    , public ::testing::WithParamInterface<const char*> { };

TEST_P(Defaults, MatchTheReference)
{
    const std::string brand = GetParam();
    auto uuid = create_ok(payload_for(brand));
    auto vm = get(uuid);
    auto expected = expected_defaults(brand, uuid, root().str());

    for (const auto& [key, want] : expected.items()) {
        if (want == OPTIONAL) {
            if (vm.contains(key)) {
                EXPECT_FALSE(vm[key].is_null() || vm[key] == "") << key;
            }
            continue;
        }
        ASSERT_TRUE(vm.contains(key)) << "missing " << key << " in " << vm.dump(2);
        if (want == NON_EMPTY) {
            EXPECT_TRUE(vm[key].is_string() && !vm[key].get<std::string>().empty())
                << key << " = " << vm[key];
        } else {
            EXPECT_EQ(vm[key], want) << key;
        }
    }
    // test-defaults.js: no other keys (runtime-only ones are allowed).
    const std::set<std::string> runtime { "zoneid", "zonedid", "pid", "boot_timestamp",
        "transition_to", "transition_expire", "exit_status", "exit_timestamp" };
    for (const auto& [key, value] : vm.items()) {
        EXPECT_TRUE(expected.contains(key) || runtime.count(key) == 1)
            << "unexpected property " << key << " = " << value;
    }
    if (brand == "bhyve" && vm.contains("com1")) {
        EXPECT_EQ(vm["com1"], "/dev/zconsole");
        EXPECT_EQ(vm["com2"], "socket,/tmp/vm.ttyb");
    }
}

INSTANTIATE_TEST_SUITE_P(Brands, Defaults,
    ::testing::Values("joyent", "joyent-minimal", "builder", "lx", "kvm", "bhyve"),
    [](const auto& test_param) {
        std::string name = test_param.param;
        for (auto& c : name) {
            if (c == '-') {
                c = '_';
            }
        }
        return name;
    });

class BrandDefaults : public CliTest { };

TEST_F(BrandDefaults, QuotaOverride)
{
    auto p = os_payload();
    p["quota"] = 0;
    EXPECT_EQ(get(create_ok(p))["quota"], 0);
    auto b = hvm_payload("bhyve");
    b["quota"] = 20;
    EXPECT_EQ(get(create_ok(b))["quota"], 20);
}

TEST_F(BrandDefaults, DockerAddsNamespaceAndInit)
{
    auto p = os_payload("lx");
    p["docker"] = true;
    auto vm = get(create_ok(p));
    EXPECT_EQ(vm["docker"], true);
    EXPECT_EQ(vm["restart_init"], false);
    ASSERT_TRUE(vm.contains("internal_metadata_namespaces"));
    EXPECT_NE(std::find(vm["internal_metadata_namespaces"].begin(),
                  vm["internal_metadata_namespaces"].end(), json("docker")),
        vm["internal_metadata_namespaces"].end());
    ASSERT_TRUE(vm["internal_metadata"].contains("docker:id"));
    auto id = vm["internal_metadata"]["docker:id"].get<std::string>();
    EXPECT_EQ(id.size(), 64U);
    auto uuid_hex = vm["uuid"].get<std::string>();
    uuid_hex.erase(std::remove(uuid_hex.begin(), uuid_hex.end(), '-'), uuid_hex.end());
    EXPECT_EQ(id.substr(0, 32), uuid_hex);
    EXPECT_TRUE(vm.contains("init_name"));
}

TEST_F(BrandDefaults, BhyveRamGivesOverhead)
{
    auto p = hvm_payload("bhyve");
    p["ram"] = 1024;
    p["vcpus"] = 2;
    auto vm = get(create_ok(p));
    EXPECT_EQ(vm["ram"], 1024);
    EXPECT_EQ(vm["vcpus"], 2);
    EXPECT_EQ(vm["max_physical_memory"], 2304);
}

} // namespace
} // namespace lumos::test
