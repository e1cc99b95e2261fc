// SPDX-License-Identifier: MPL-2.0
// SmartOS's own expectations (issue 12) through the real vmadm: each suite is named after the
// smartos-live src/vm/tests file it restates (TestDelete = test-delete.js, ...) and each test
// after the upstream test. The spec-only parts are in tests/unit/props/smartos_expectations_test.
#include "base/paths.hpp"
#include "cli/cli_fixture.hpp"
#include "pools/pool.hpp"

#include <fstream>

#include <sys/stat.h>

namespace lumos::test {
namespace {

constexpr uint64_t MIB = uint64_t { 1 } << 20;

class Expectations : public CliTest {
protected:
    std::unique_ptr<pools::Pool> pool() const
    {
        pools::PoolRegistry const pools { Paths(root().str()) };
        auto opened = pools.open("zones");
        if (!opened) {
            throw std::runtime_error("open pool zones: " + opened.error().message());
        }
        return std::move(*opened);
    }

    // The volume's recorded size and the size of its file, which must agree.
    uint64_t volume_bytes(const std::string& dataset) const
    {
        auto found = pool()->info(dataset);
        if (!found || !found->volume_size_bytes) {
            throw std::runtime_error("no volume " + dataset);
        }
        struct stat st { };
        if (::stat(found->path.c_str(), &st) != 0) {
            throw std::runtime_error("no file for " + dataset);
        }
        EXPECT_EQ(static_cast<uint64_t>(st.st_size), *found->volume_size_bytes) << dataset;
        return *found->volume_size_bytes;
    }

    // test-bhyve-disk-resize.js base_payload with a data disk (8 MiB here: the pool is a
    // directory under /tmp).
    std::string bhyve_with_data_disk() const
    {
        auto p = hvm_payload("bhyve");
        p["disks"] = { { { "model", "virtio" }, { "size", 8 } } };
        return create_ok(p);
    }
};

class TestBhyveDiskResize : public Expectations { };

TEST_F(TestBhyveDiskResize, DataDiskCanBeGrownWithUpdateDisk)
{
    const std::string uuid = bhyve_with_data_disk();
    const std::string path = "/dev/zvol/rdsk/zones/" + uuid + "/disk0";
    EXPECT_EQ(volume_bytes("zones/" + uuid + "/disk0"), 8 * MIB);
    update_ok(uuid, { { "update_disks", { { { "path", path }, { "size", 16 } } } } });
    EXPECT_EQ(get(uuid)["disks"][0]["size"], 16);
    EXPECT_EQ(volume_bytes("zones/" + uuid + "/disk0"), 16 * MIB);
}

TEST_F(TestBhyveDiskResize, DiskShrinkProtectionWorks)
{
    const std::string uuid = bhyve_with_data_disk();
    const std::string path = "/dev/zvol/rdsk/zones/" + uuid + "/disk0";
    auto r = update(uuid, { { "update_disks", { { { "path", path }, { "size", 4 } } } } });
    EXPECT_TRUE(
        failed_with(r, "cannot resize disk: new size must be greater than current size. (8 > 4)"));
    EXPECT_EQ(get(uuid)["disks"][0]["size"], 8);
    EXPECT_EQ(volume_bytes("zones/" + uuid + "/disk0"), 8 * MIB);
}

TEST_F(TestBhyveDiskResize, DiskCanBeShrunkWithUpdateDisk)
{
    const std::string uuid = bhyve_with_data_disk();
    const std::string path = "/dev/zvol/rdsk/zones/" + uuid + "/disk0";
    update_ok(uuid,
        { { "update_disks",
            { { { "path", path }, { "size", 4 }, { "dangerous_allow_shrink", true } } } } });
    auto disk = get(uuid)["disks"][0];
    EXPECT_EQ(disk["size"], 4);
    EXPECT_FALSE(disk.contains("dangerous_allow_shrink"));
    EXPECT_EQ(volume_bytes("zones/" + uuid + "/disk0"), 4 * MIB);
}

TEST_F(TestBhyveDiskResize, BootDiskIsGrownWhenSizeGreaterThanImageSize)
{
    // The image's volume is 1 MiB (image_size 1); the clone is grown to the disk's size.
    const std::string image = "8d1f4ae2-3d4c-11e8-bd9e-6f9f9a3b7c51";
    install_image(image, "zvol", "linux");
    auto p = hvm_payload("bhyve");
    p["disks"]
        = { { { "model", "virtio" }, { "image_uuid", image }, { "boot", true }, { "size", 3 } } };
    const std::string uuid = create_ok(p);
    EXPECT_EQ(get(uuid)["disks"][0]["size"], 3);
    EXPECT_EQ(volume_bytes("zones/" + uuid + "/disk0"), 3 * MIB);
    EXPECT_EQ(volume_bytes("zones/" + image), 1 * MIB); // the image is untouched
}

class TestDelete : public Expectations { };

TEST_F(TestDelete, DeletingConfiguredVm)
{
    // test-delete.js 'test deleting "configured" VM': a lofs source that does not exist fails
    // the create with zoneadm's words. SmartOS leaves a "configured" VM to delete; lumos
    // checks before it makes anything, so nothing is left to delete.
    const std::string source = "/this/path/does/not/exist/nor/should/it";
    auto p = os_payload("joyent-minimal");
    p["filesystems"] = { { { "source", source }, { "target", "/foo" }, { "type", "lofs" },
        { "option", { "ro" } } } };
    auto r = create(p);
    EXPECT_TRUE(failed_with(
        r, "could not verify fs /foo: could not access " + source + ": No such file or directory"));
    EXPECT_TRUE(list_uuids().empty());
    EXPECT_TRUE(config_files().empty());
    EXPECT_TRUE(zones_as_set_up());

    // A source that exists is fine (and a tmpfs has no host source to check).
    const std::string present = (root().path() / "shared").string();
    std::filesystem::create_directories(present);
    p["filesystems"] = { { { "source", present }, { "target", "/foo" }, { "type", "lofs" } },
        { { "source", "swap" }, { "target", "/scratch" }, { "type", "tmpfs" } } };
    const std::string uuid = create_ok(p);
    EXPECT_EQ(get(uuid)["filesystems"].size(), 2U);
}

class TestUpdate : public Expectations { };

TEST_F(TestUpdate, AddNet0)
{
    // test-update.js "add net0": every field reads back as given, vlan_id 0 included.
    const std::string uuid = create_ok(os_payload());
    const json net0 = { { "ip", "10.254.254.254" }, { "ips", { "10.254.254.254/24" } },
        { "netmask", "255.255.255.0" }, { "nic_tag", "external" }, { "interface", "net0" },
        { "vlan_id", 0 }, { "gateway", "10.254.254.1" }, { "gateways", { "10.254.254.1" } },
        { "mac", "01:02:03:04:05:06" } };
    update_ok(uuid, { { "add_nics", { net0 } } });
    auto nics = get(uuid)["nics"];
    ASSERT_EQ(nics.size(), 1U);
    for (const auto& [field, value] : net0.items()) {
        EXPECT_EQ(nics[0].value(field, json()), value) << field;
    }
}

class TestBlocksizes : public Expectations { };

TEST_F(TestBlocksizes, CreateZoneWithCompressionThenOff)
{
    auto p = os_payload("joyent-minimal");
    p["delegate_dataset"] = true;
    p["zfs_root_compression"] = "gzip";
    const std::string uuid = create_ok(p);
    auto vm = get(uuid);
    EXPECT_EQ(vm.value("zfs_root_compression", json()), "gzip");
    EXPECT_FALSE(vm.contains("zfs_data_compression")) << vm["zfs_data_compression"];
    update_ok(uuid, { { "zfs_root_compression", "off" } });
    EXPECT_FALSE(get(uuid).contains("zfs_root_compression"));
}

class TestUpdateKvm : public Expectations { };

TEST_F(TestUpdateKvm, EnableDisableCompression)
{
    auto p = hvm_payload("kvm");
    p["disks"]
        = { { { "model", "virtio" }, { "size", 4 } }, { { "model", "virtio" }, { "size", 4 } } };
    const std::string uuid = create_ok(p);
    auto disks = get(uuid)["disks"];
    ASSERT_EQ(disks.size(), 2U);
    EXPECT_EQ(disks[0].value("compression", json()), "off");
    EXPECT_EQ(disks[1].value("compression", json()), "off");
}

class SeedListing1 : public Expectations { };

TEST_F(SeedListing1, CreatesAsWritten)
{
    // The seed article's Listing 1 (vmspec.json), byte for byte, with its image installed.
    install_image("1fc068b0-13b0-11e2-9f4e-2f3f6a96d9bc", "zvol", "linux");
    const std::string listing = R"({
  "brand": "kvm",
  "alias": "ubuntu1",
  "vcpus": 1,
  "autoboot": false,
  "ram": 2048,
  "resolvers": [""],
  "disks": [
    {
      "image_uuid": "1fc068b0-13b0-11e2-9f4e-2f3f6a96d9bc",
      "boot": true,
      "model": "virtio"
    }
  ],
  "nics": [
    {
      "nic_tag": "admin",
      "model": "virtio",
      "ip": "dhcp",
      "primary": 1
    }
  ]
}
)";
    auto r = vmadm({ "create", "-f", write_payload(listing) });
    ASSERT_TRUE(r.exited() && r.exit_code == 0) << r.describe();
    ASSERT_EQ(r.err.rfind("Successfully created VM ", 0), 0U) << r.describe();
    const std::string uuid = r.err.substr(24, 36);
    auto vm = get(uuid);
    EXPECT_EQ(vm["brand"], "kvm");
    EXPECT_EQ(vm["alias"], "ubuntu1");
    EXPECT_EQ(vm["vcpus"], 1);
    EXPECT_EQ(vm["ram"], 2048);
    EXPECT_EQ(vm["autoboot"], false);
    EXPECT_EQ(vm["state"], "stopped");
    EXPECT_EQ(vm.value("resolvers", json::array()), json::array());
    ASSERT_EQ(vm["disks"].size(), 1U);
    EXPECT_EQ(vm["disks"][0]["image_uuid"], "1fc068b0-13b0-11e2-9f4e-2f3f6a96d9bc");
    EXPECT_EQ(vm["disks"][0]["boot"], true);
    EXPECT_EQ(vm["disks"][0]["model"], "virtio");
    EXPECT_EQ(vm["disks"][0]["path"], "/dev/zvol/rdsk/zones/" + uuid + "-disk0");
    ASSERT_EQ(vm["nics"].size(), 1U);
    EXPECT_EQ(vm["nics"][0]["nic_tag"], "admin");
    EXPECT_EQ(vm["nics"][0]["model"], "virtio");
    EXPECT_EQ(vm["nics"][0]["ip"], "dhcp");
    EXPECT_EQ(vm["nics"][0]["primary"], true);
    EXPECT_EQ(vm["nics"][0]["interface"], "net0");
    EXPECT_EQ(volume_bytes("zones/" + uuid + "-disk0"), 1 * MIB);
}

} // namespace
} // namespace lumos::test
