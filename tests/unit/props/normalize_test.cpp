// SPDX-License-Identifier: MPL-2.0
// Reference 2.5 (create defaults per brand), 2.4 (normalization order and errors) and 1.7
// (update semantics), with cases from test-defaults.js, test-update.js and test-create.js.
#include "props/normalize.hpp"
#include "props/state.hpp"
#include "unit/support.hpp"

#include <gtest/gtest.h>

using namespace lumos;
using namespace lumos::props;
using lumos::testing::IMAGE_UUID;

namespace {

constexpr char const* UUID = "54f1cc77-68f1-42ab-acac-5c4f64f5d6e0";

Result<Json> create(Json payload)
{
    CreateContext context;
    context.host = lumos::testing::host();
    context.now_ms = 1325313522457; // 2011-12-31T06:38:42.457Z
    context.new_uuid = UUID;
    return prepare_create(payload, context);
}

Json created(Json payload)
{
    auto vm = create(std::move(payload));
    EXPECT_TRUE(vm) << (vm ? "" : vm.error().message());
    return vm ? *vm : Json();
}

Json joyent()
{
    return { { "brand", "joyent" }, { "image_uuid", IMAGE_UUID }, { "autoboot", false } };
}

Result<Json> update(Json const& vm, Json payload)
{
    Json view = vm;
    derive_state(view);
    return prepare_update(view, payload, lumos::testing::host());
}

} // namespace

TEST(CreateDefaults, Joyent)
{
    auto const vm = created(joyent());
    Json const expected = {
        { "autoboot", false },
        { "billing_id", "00000000-0000-0000-0000-000000000000" },
        { "brand", "joyent" },
        { "cpu_shares", 100 },
        { "create_timestamp", "2011-12-31T06:38:42.457Z" },
        { "customer_metadata", Json::object() },
        { "dns_domain", "local" },
        { "image_uuid", IMAGE_UUID },
        { "internal_metadata", Json::object() },
        { "limit_priv", "default" },
        { "max_locked_memory", 256 },
        { "max_lwps", 2000 },
        { "max_msg_ids", 4096 },
        { "max_physical_memory", 256 },
        { "max_sem_ids", 4096 },
        { "max_shm_ids", 4096 },
        { "max_shm_memory", 256 },
        { "max_swap", 256 },
        { "nics", Json::array() },
        { "owner_uuid", "00000000-0000-0000-0000-000000000000" },
        { "quota", 10 },
        { "routes", Json::object() },
        { "tags", Json::object() },
        { "tmpfs", 256 },
        { "uuid", UUID },
        { "v", 1 },
        { "zfs_io_priority", 100 },
        { "zone_state", "installed" },
        { "zonename", UUID },
        { "zpool", "zones" },
    };
    EXPECT_EQ(vm, expected) << vm.dump(2);
}

TEST(CreateDefaults, AutobootMarksProvisioning)
{
    Json payload = joyent();
    payload.erase("autoboot");
    auto const vm = created(payload);
    EXPECT_EQ(vm["autoboot"], true);
    EXPECT_EQ(vm[ATTR_PROVISIONING], true);
    EXPECT_EQ(vm[ATTR_TRANSITION], "provisioning:running:1325313822457");
}

TEST(CreateDefaults, BrandDefaultsToJoyent)
{
    Json payload = joyent();
    payload.erase("brand");
    EXPECT_EQ(created(payload)["brand"], "joyent");
}

TEST(CreateDefaults, Kvm)
{
    auto const vm = created({ { "brand", "kvm" }, { "autoboot", false } });
    EXPECT_EQ(vm["ram"], 256);
    EXPECT_EQ(vm["vcpus"], 1);
    EXPECT_EQ(vm["max_physical_memory"], 1280);
    EXPECT_EQ(vm["max_locked_memory"], 1280);
    EXPECT_EQ(vm["max_swap"], 1280);
    EXPECT_EQ(vm["quota"], 10);
    EXPECT_EQ(vm["disks"], Json::array());
    EXPECT_EQ(
        vm["limit_priv"], "default,-file_link_any,-net_access,-proc_fork,-proc_info,-proc_session");
    EXPECT_FALSE(vm.contains("dns_domain"));
    EXPECT_FALSE(vm.contains("tmpfs"));
}

TEST(CreateDefaults, Bhyve)
{
    auto const vm = created({ { "brand", "bhyve" }, { "autoboot", false } });
    EXPECT_EQ(vm["max_physical_memory"], 1536);
    EXPECT_EQ(vm["quota"], 1);
}

TEST(CreateDefaults, OsRamIsNotStored)
{
    Json payload = joyent();
    payload["ram"] = 1024;
    auto const vm = created(payload);
    EXPECT_FALSE(vm.contains("ram"));
    EXPECT_EQ(vm["max_physical_memory"], 1024);
    EXPECT_EQ(vm["tmpfs"], 1024);
}

TEST(CreateDefaults, CpuSharesCapped)
{
    Json payload = joyent();
    payload["cpu_shares"] = 100000;
    EXPECT_EQ(created(payload)["cpu_shares"], 65535);
}

TEST(CreateDefaults, TmpfsZeroKept)
{
    Json payload = joyent();
    payload["tmpfs"] = 0;
    EXPECT_EQ(created(payload)["tmpfs"], 0);
}

TEST(CreateDefaults, DisallowedKeysAreDroppedSilently)
{
    Json payload = joyent();
    payload["vcpus"] = 4;
    payload["zonepath"] = "/elsewhere";
    auto const vm = created(payload);
    EXPECT_FALSE(vm.contains("vcpus"));
    EXPECT_FALSE(vm.contains("zonepath"));
}

TEST(CreateDefaults, BooleansStoredOnlyWhenNonDefault)
{
    Json payload = joyent();
    payload["do_not_inventory"] = false;
    payload["firewall_enabled"] = "false";
    payload["restart_init"] = true;
    payload["archive_on_delete"] = "true";
    auto vm = created(payload);
    EXPECT_FALSE(vm.contains("do_not_inventory"));
    EXPECT_FALSE(vm.contains("firewall_enabled"));
    EXPECT_FALSE(vm.contains("restart_init"));
    EXPECT_EQ(vm["archive_on_delete"], true);
    payload["restart_init"] = false;
    EXPECT_EQ(created(payload)["restart_init"], false);
}

TEST(CreateDefaults, ListsAsStoredStrings)
{
    Json payload = joyent();
    payload["limit_priv"] = Json::array({ "default", "dtrace_proc" });
    payload["fs_allowed"] = "ufs,pcfs";
    payload["resolvers"] = "8.8.8.8,8.8.4.4";
    auto const vm = created(payload);
    EXPECT_EQ(vm["limit_priv"], "default,dtrace_proc");
    EXPECT_EQ(vm["fs_allowed"], "ufs,pcfs");
    EXPECT_EQ(vm["resolvers"], Json::array({ "8.8.8.8", "8.8.4.4" }));
}

TEST(CreateDefaults, DelegatedDataset)
{
    Json payload = joyent();
    payload["delegate_dataset"] = true;
    auto const vm = created(payload);
    EXPECT_EQ(vm["datasets"], Json::array({ std::string("zones/") + UUID + "/data" }));
    EXPECT_FALSE(vm.contains("delegate_dataset"));
}

TEST(CreateDefaults, DockerAdjustments)
{
    Json payload = { { "brand", "lx" }, { "image_uuid", lumos::testing::LX_IMAGE_UUID },
        { "kernel_version", "3.13.0" }, { "docker", true }, { "autoboot", false } };
    auto const vm = created(payload);
    EXPECT_EQ(vm["docker"], true);
    EXPECT_EQ(vm["restart_init"], false);
    EXPECT_EQ(vm["init_name"], "/native/usr/vm/sbin/dockerinit");
    EXPECT_EQ(vm["internal_metadata_namespaces"], Json::array({ "docker" }));
    std::string const id = vm["internal_metadata"]["docker:id"];
    EXPECT_EQ(id.size(), 64U);
    EXPECT_TRUE(id.starts_with("54f1cc7768f142abacac5c4f64f5d6e0"));
}

TEST(CreateErrors, Messages)
{
    Json payload = joyent();
    payload["cpu_cap"] = "abc";
    EXPECT_EQ(create(payload).error().message(), "Invalid value for cpu_cap: null:number");
    payload = joyent();
    payload["alias"] = 42;
    payload["autoboot"] = "nope";
    EXPECT_EQ(create(payload).error().message(), "Invalid value(s) for: alias,autoboot");
    EXPECT_EQ(create({ { "brand", "lx" } }).error().message(),
        "Missing required properties: image_uuid,kernel_version");
    EXPECT_EQ(create({ { "brand", "doogle" } }).error().message(), "Unsupported brand: doogle");
    payload = joyent();
    payload["nics"] = Json::array();
    payload["add_nics"] = Json::array();
    EXPECT_EQ(create(payload).error().message(), "Cannot specify both \"nics\" and \"add_nics\"");
    EXPECT_EQ(create(Json::array()).error().code(), ErrorCode::InvalidArgument);
}

TEST(CreateErrors, SwapBelowMinimumIsRaisedOnCreate)
{
    Json payload = joyent();
    payload["max_swap"] = 128;
    // validate alone would report max_swap; create derives it first and succeeds.
    EXPECT_EQ(created(payload)["max_swap"], 256);
}

TEST(Update, UnsetSimpleProperties)
{
    Json payload = joyent();
    for (char const* key :
        { "alias", "billing_id", "hostname", "owner_uuid", "package_name", "package_version" }) {
        payload[key] = "x";
    }
    auto const vm = created(payload);
    for (Json const& unset : { Json(nullptr), Json("") }) {
        Json change = Json::object();
        for (char const* key : { "alias", "billing_id", "hostname", "owner_uuid", "package_name",
                 "package_version" }) {
            change[key] = unset;
        }
        auto const updated = update(vm, change);
        ASSERT_TRUE(updated) << updated.error().message();
        for (char const* key :
            { "alias", "billing_id", "hostname", "package_name", "package_version" }) {
            EXPECT_FALSE(updated->contains(key)) << key;
        }
    }
}

TEST(Update, UnmodifiablePropertiesAreIgnored)
{
    auto const vm = created(joyent());
    auto const updated = update(vm,
        { { "brand", "kvm" }, { "uuid", "11111111-1111-1111-1111-111111111111" },
            { "zonename", "other" }, { "hvm", true }, { "last_modified", "x" },
            { "server_uuid", "y" } });
    ASSERT_TRUE(updated) << updated.error().message();
    EXPECT_EQ((*updated)["brand"], "joyent");
    EXPECT_EQ((*updated)["uuid"], UUID);
    EXPECT_EQ((*updated)["zonename"], UUID);
}

TEST(Update, KeyValueStringsAreCoerced)
{
    auto const vm = created(joyent());
    auto const updated = update(vm,
        payload_from_key_values(
            { "ram=512", "autoboot=true", "resolvers=8.8.8.8,8.8.4.4", "alias=a=b", "cpu_cap=" }));
    ASSERT_TRUE(updated) << updated.error().message();
    EXPECT_EQ((*updated)["max_physical_memory"], 512);
    EXPECT_EQ((*updated)["max_swap"], 512);
    EXPECT_EQ((*updated)["autoboot"], true);
    EXPECT_EQ((*updated)["resolvers"], Json::array({ "8.8.8.8", "8.8.4.4" }));
    EXPECT_EQ((*updated)["alias"], "a=b");
    EXPECT_FALSE(updated->contains("ram"));
}

TEST(Update, QuotaAndCpuCapUnset)
{
    Json payload = joyent();
    payload["cpu_cap"] = 100;
    auto const vm = created(payload);
    auto updated = update(vm, { { "quota", nullptr }, { "cpu_cap", 0 } });
    ASSERT_TRUE(updated);
    EXPECT_EQ((*updated)["quota"], 0);
    EXPECT_FALSE(updated->contains("cpu_cap"));
    updated = update(vm, { { "cpu_cap", "" }, { "zfs_io_priority", 0 } });
    ASSERT_TRUE(updated);
    EXPECT_FALSE(updated->contains("cpu_cap"));
    EXPECT_EQ((*updated)["zfs_io_priority"], 0);
}

TEST(Update, Maps)
{
    Json payload = joyent();
    payload["tags"] = { { "a", "1" }, { "b", "2" } };
    payload["customer_metadata"] = { { "k", "v" } };
    auto const vm = created(payload);
    auto const updated = update(vm,
        { { "set_tags", { { "b", "3" }, { "c", true } } }, { "remove_tags", Json::array({ "a" }) },
            { "remove_customer_metadata", "k" }, { "tags", { { "ignored", "x" } } } });
    ASSERT_TRUE(updated) << updated.error().message();
    EXPECT_EQ((*updated)["tags"], Json({ { "b", "3" }, { "c", true } }));
    EXPECT_EQ((*updated)["customer_metadata"], Json::object());
}

TEST(Update, FirewallToggle)
{
    auto vm = created(joyent());
    auto updated = update(vm, { { "firewall_enabled", true } });
    ASSERT_TRUE(updated);
    EXPECT_EQ((*updated)["firewall_enabled"], true);
    updated = update(*updated, { { "firewall_enabled", false } });
    ASSERT_TRUE(updated);
    EXPECT_FALSE(updated->contains("firewall_enabled"));
}

TEST(Update, BadValuesFailTheWholeUpdate)
{
    auto const vm = created(joyent());
    auto const updated = update(vm, { { "alias", "fine" }, { "max_lwps", "lots" } });
    ASSERT_FALSE(updated);
    EXPECT_EQ(updated.error().message(), "Invalid value for max_lwps: null:number");
    EXPECT_EQ(update(vm, { { "add_nics", Json::object() } }).error().message(),
        "add_nics must be an array.");
}

TEST(Update, OsRamUpdatesDerivedMemory)
{
    auto const vm = created(joyent());
    auto const updated = update(vm, { { "ram", "64" } });
    ASSERT_TRUE(updated);
    EXPECT_EQ((*updated)["max_physical_memory"], 64);
    EXPECT_EQ((*updated)["max_locked_memory"], 64);
    EXPECT_EQ((*updated)["max_swap"], 256);
    EXPECT_EQ((*updated)["tmpfs"], 64);
}

TEST(CreateErrors, CreateAgreesWithValidateOnBooleanIntegers)
{
    // validate refused max_physical_memory: true while create read it as Number(true) = 1.
    for (char const* name : { "max_physical_memory", "quota", "cpu_cap", "tmpfs" }) {
        Json payload = joyent();
        payload[name] = true;
        auto const vm = create(payload);
        ASSERT_FALSE(vm.has_value()) << name;
        EXPECT_EQ(vm.error().message(), std::string("Invalid value(s) for: ") + name);
    }
}

TEST(CreateErrors, OversizedSizesAreRefused)
{
    // quota 17179869185 GiB wrapped to 1 GiB, 17179869184 to 0 (no limit).
    for (long long const quota : { 17179869184LL, 17179869185LL }) {
        Json payload = joyent();
        payload["quota"] = quota;
        auto const vm = create(payload);
        ASSERT_FALSE(vm.has_value());
        EXPECT_EQ(vm.error().message(), "Invalid value(s) for: quota");
    }
    Json kvm = { { "brand", "kvm" }, { "autoboot", false },
        { "disks", Json::array({ { { "size", 17592186044417LL }, { "model", "virtio" } } }) } };
    auto const vm = create(kvm);
    ASSERT_FALSE(vm.has_value());
    EXPECT_EQ(vm.error().message(), "Invalid value(s) for: disks.*.size");
}

TEST(CreateErrors, DatasetsMustNotNestInAnotherVms)
{
    // Another VM P with a delegated dataset; C tries to live inside it or to own it.
    constexpr char const* OTHER = "8a3f1bd4-9d61-4e5b-a4c6-3b7e27c1f0a2";
    Json const other = { { "uuid", OTHER }, { "zonename", OTHER }, { "zpool", "zones" },
        { "datasets", Json::array({ std::string("zones/") + OTHER + "/data" }) } };
    auto attempt = [&](std::string const& zonename) {
        CreateContext context;
        context.host = lumos::testing::host();
        context.host.other_vms = { other };
        context.new_uuid = UUID;
        Json payload = joyent();
        payload["zonename"] = zonename;
        return prepare_create(payload, context);
    };
    for (std::string const& zonename :
        { std::string(OTHER) + "/data/inner", std::string(OTHER) + "/data" }) {
        auto const vm = attempt(zonename);
        ASSERT_FALSE(vm.has_value()) << zonename;
        EXPECT_EQ(vm.error().message(), "Invalid value(s) for: zonename");
    }
    // The same zonename as the other VM's (and so its root and the parent of its data).
    auto const same = attempt(OTHER);
    ASSERT_FALSE(same.has_value());
    EXPECT_EQ(same.error().message(),
        std::string("Invalid value for zonename: \"") + OTHER + "\" (dataset zones/" + OTHER
            + " conflicts with zones/" + OTHER + " of VM " + OTHER + ")");
    // "cores" would hold every VM's cores dataset, its own included.
    auto const cores = attempt("cores");
    ASSERT_FALSE(cores.has_value());
    EXPECT_NE(cores.error().message().find("conflicts with zones/cores/"), std::string::npos)
        << cores.error().message();
    EXPECT_TRUE(attempt("web-1").has_value());
}
