// SPDX-License-Identifier: MPL-2.0
// Disk normalization and checks (reference 2.4), with cases from test-create.js and
// test-disk-uuid.js.
#include "arrays_support.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <string>

using namespace lumos;
using namespace lumos::props;
using namespace lumos::props::arrays_test;

// --- disks ---------------------------------------------------------------------------------

TEST(DiskNormalize, MediaAndModelDefaults)
{
    Json payload { { "disk_driver", "virtio" },
        { "add_disks",
            Json::array(
                { Json { { "size", 1024 } }, Json { { "size", 1 }, { "model", "ide" } } }) } };
    ASSERT_TRUE(normalize_disks(payload, Json::object(), Brand::Kvm));
    EXPECT_EQ(payload["add_disks"][0]["media"], "disk");
    EXPECT_EQ(payload["add_disks"][0]["model"], "virtio");
    EXPECT_EQ(payload["add_disks"][1]["model"], "ide");
    EXPECT_FALSE(payload["add_disks"][0].contains("uuid"));

    Json vm = one_nic_vm();
    vm["disks"]
        = Json::array({ Json { { "path", "/dev/zvol/rdsk/zones/x-disk0" }, { "model", "scsi" } } });
    payload = { { "add_disks", Json::array({ Json { { "size", 1 } } }) } };
    ASSERT_TRUE(normalize_disks(payload, vm, Brand::Kvm));
    EXPECT_EQ(payload["add_disks"][0]["model"], "scsi");
    vm["disk_driver"] = "ide";
    payload = { { "add_disks", Json::array({ Json { { "size", 1 } } }) } };
    ASSERT_TRUE(normalize_disks(payload, vm, Brand::Kvm));
    EXPECT_EQ(payload["add_disks"][0]["model"], "ide");
}

TEST(DiskNormalize, BhyveUuidsAndPciSlots)
{
    Json payload { { "add_disks",
        Json::array({ Json { { "size", 1 } }, Json { { "size", 1 }, { "boot", true } },
            Json { { "media", "cdrom" }, { "path", "/iso" } }, Json { { "size", 1 } } }) } };
    ASSERT_TRUE(normalize_disks(payload, Json::object(), Brand::Bhyve));
    Json const& disks = payload["add_disks"];
    EXPECT_EQ(disks[1]["pci_slot"], "0:4:0");
    EXPECT_EQ(disks[0]["pci_slot"], "0:4:1");
    EXPECT_EQ(disks[3]["pci_slot"], "0:4:2");
    EXPECT_EQ(disks[2]["pci_slot"], "0:3:0");
    EXPECT_TRUE(is_uuid(disks[0]["uuid"].get<std::string>()));
    EXPECT_NE(disks[0]["uuid"], disks[3]["uuid"]);

    // Slots and uuids of the existing disks are taken.
    Json vm = one_nic_vm();
    vm["disks"] = Json::array({ Json { { "path", "/dev/zvol/rdsk/zones/u/disk0" }, { "boot", true },
        { "pci_slot", "0:4:0" }, { "uuid", "11adf075-d948-6518-eaa7-fab9fcadb934" } } });
    payload = { { "add_disks", Json::array({ Json { { "size", 1 } } }) } };
    ASSERT_TRUE(normalize_disks(payload, vm, Brand::Bhyve));
    EXPECT_EQ(payload["add_disks"][0]["pci_slot"], "0:4:1");
    payload = { { "add_disks",
        Json::array(
            { Json { { "size", 1 }, { "uuid", "11adf075-d948-6518-eaa7-fab9fcadb934" } } }) } };
    EXPECT_EQ(message(normalize_disks(payload, vm, Brand::Bhyve)),
        "duplicate disk uuid 11adf075-d948-6518-eaa7-fab9fcadb934");
}

TEST(DiskNormalize, PciSlotErrors)
{
    auto const error = [](Json disks) {
        Json payload { { "add_disks", std::move(disks) } };
        return message(normalize_disks(payload, Json::object(), Brand::Bhyve));
    };
    EXPECT_EQ(error(Json::array({ Json { { "pci_slot", "0:6:0" } } })),
        "pci_slot \"0:6:0\" invalid: PCI device 6 is reserved");
    EXPECT_EQ(error(Json::array({ Json { { "pci_slot", "0:4:9" } } })),
        "pci_slot \"0:4:9\" is not valid");
    EXPECT_EQ(
        error(Json::array({ Json { { "pci_slot", "a:b" } } })), "pci_slot \"a:b\" is not valid");
    EXPECT_EQ(error(Json::array({ Json { { "pci_slot", "0:4:1" }, { "path", "/a" } },
                  Json { { "pci_slot", "4:1" }, { "path", "/b" } } })),
        "VM has multiple disks in pci_slot \"4:1\": \"/a\" and \"/b");
    Json nine = Json::array();
    for (int i = 0; i < 9; ++i) {
        nine.push_back(Json { { "size", 1 } });
    }
    EXPECT_EQ(error(nine), "VM has more than 8 disk devices on PCI device 4");
    EXPECT_EQ(error(Json::array({ Json { { "boot", true }, { "path", "/a" } },
                  Json { { "boot", true }, { "path", "/b" } } })),
        "multiple boot disks: \"path=/a\" and \"path=/b\"");
}

TEST(DiskChecks, AddDiskRules)
{
    auto const error = [](Json disk, Brand brand = Brand::Kvm) {
        return message(
            prepare({ { "add_disks", Json::array({ std::move(disk) }) } }, Json::object(), brand));
    };
    EXPECT_EQ(error({ { "model", "virtio" }, { "path", "/dev/zvol/rdsk/zones/x" } }),
        "you cannot specify a path for a disk unless you set nocreate=true");
    EXPECT_EQ(error({ { "model", "virtio" }, { "path", "/x" }, { "nocreate", true } }), "<ok>");
    EXPECT_EQ(error({ { "model", "ide" }, { "path", "/x.iso" }, { "media", "cdrom" } }), "<ok>");
    EXPECT_EQ(error({ { "model", "virtio" }, { "size", 10 }, { "block_size", 1000 } }),
        "invalid .block_size(1000), must be 512-131072 and a power of 2.");
    EXPECT_EQ(error({ { "model", "virtio" }, { "block_size", 4096 },
                  { "image_uuid", "71101322-43a5-11e1-8f01-cf2a3031a7f4" } }),
        "setting both .block_size and .image_uuid on a volume is invalid");
    EXPECT_EQ(error({ { "model", "virtio" }, { "size", 10 }, { "compression", "zip" } }),
        "invalid compression setting for disk, must be one of: on, off, gzip, gzip-1, gzip-2, "
        "gzip-3, gzip-4, gzip-5, gzip-6, gzip-7, gzip-8, gzip-9, lz4, lzjb, zle");
    std::string const missing = error({ { "size", 10 } });
    EXPECT_EQ(missing.rfind("missing .model option for disk: {", 0), 0U) << missing;
    EXPECT_EQ(error({ { "model", "ahci" }, { "size", 10 } }),
        "\"ahci\" is not a valid disk model for kvm brand. Valid are: virtio,scsi,ide");
    EXPECT_EQ(error({ { "model", "scsi" }, { "size", 10 } }, Brand::Bhyve),
        "\"scsi\" is not a valid disk model for bhyve brand. Valid are: virtio,ahci,nvme");
}

TEST(DiskChecks, UpdateDiskRules)
{
    Json vm = one_nic_vm();
    vm["brand"] = "kvm";
    auto const error = [&](Json disk) {
        return message(
            prepare({ { "update_disks", Json::array({ std::move(disk) }) } }, vm, Brand::Kvm));
    };
    EXPECT_EQ(error({ { "path", "/p" }, { "refreservation", "auto" } }),
        "cannot change refreservation to auto on existing disk");
    EXPECT_EQ(error({ { "path", "/p" }, { "compression", "zip" } })
                  .rfind("invalid compression type for disk, must be one of: on, off, gzip", 0),
        0U);
    EXPECT_EQ(error({ { "path", "/p" }, { "block_size", 4096 } }),
        "cannot change .block_size for a disk after creation");
    EXPECT_EQ(error({ { "path", "/p" }, { "model", "nvme" } }),
        "\"nvme\" is not a valid disk model for kvm brand. Valid are: virtio,scsi,ide");
    EXPECT_EQ(error({ { "path", "/p" }, { "model", "ide" }, { "compression", "lz4" } }), "<ok>");
}

TEST(DiskChecks, DuplicateBhyveUuidInPayload)
{
    Json payload { { "add_disks",
        Json::array({ Json { { "size", 1 }, { "model", "virtio" },
                          { "uuid", "4869641c-555b-6809-bd97-b9fc2a84e1b9" } },
            Json { { "size", 1 }, { "model", "virtio" },
                { "uuid", "4869641c-555b-6809-bd97-b9fc2a84e1b9" } } }) } };
    EXPECT_EQ(message(check_payload_properties(payload, Json::object(), Brand::Bhyve, host())),
        "duplicate disk uuid 4869641c-555b-6809-bd97-b9fc2a84e1b9");
}

TEST(DiskApply, NewZvolsGetPathsAndDefaults)
{
    auto vm = created_vm(
        { { "disk_driver", "virtio" },
            { "add_disks",
                Json::array({ Json { { "boot", true },
                                  { "image_uuid", "71101322-43a5-11e1-8f01-cf2a3031a7f4" },
                                  { "image_size", 5120 } },
                    Json { { "media", "cdrom" }, { "path", "/iso/x.iso" } },
                    Json { { "size", 1024 }, { "nocreate", false } } }) } },
        Brand::Kvm);
    ASSERT_TRUE(vm) << message(vm);
    Json const& disks = (*vm)["disks"];
    ASSERT_EQ(disks.size(), 3U);
    std::string const base = std::string("zones/") + VM_UUID;
    EXPECT_EQ(disks[0]["path"], "/dev/zvol/rdsk/" + base + "-disk0");
    EXPECT_EQ(disks[0]["zfs_filesystem"], base + "-disk0");
    EXPECT_EQ(disks[0]["zpool"], "zones");
    EXPECT_EQ(disks[0]["size"], 5120);
    EXPECT_EQ(disks[0]["boot"], true);
    EXPECT_FALSE(disks[0].contains("block_size"));
    EXPECT_EQ(disks[0]["refreservation"], 5120);
    // vmload sorts on the trailing diskN of the path; a cdrom path has none and counts as 0.
    EXPECT_EQ(disks[1]["path"], "/iso/x.iso");
    EXPECT_EQ(disks[1]["media"], "cdrom");
    EXPECT_EQ(disks[2]["path"], "/dev/zvol/rdsk/" + base + "-disk1");
    EXPECT_EQ(disks[2]["block_size"], 8192);
    EXPECT_EQ(disks[2]["refreservation"], 1024);
    EXPECT_EQ(disks[2]["boot"], false);
    EXPECT_FALSE(disks[2].contains("nocreate"));
}

TEST(DiskApply, BhyvePathsSkipUsedIndexesAndSortByIndex)
{
    Json vm = one_nic_vm();
    vm["brand"] = "bhyve";
    std::string const base = std::string("/dev/zvol/rdsk/zones/") + VM_UUID;
    vm["disks"] = Json::array({ Json { { "path", base + "/disk1" }, { "boot", false },
        { "model", "virtio" }, { "media", "disk" }, { "pci_slot", "0:4:1" },
        { "uuid", "4869641c-555b-6809-bd97-b9fc2a84e1b9" } } });
    auto result = updated_vm(vm,
        { { "add_disks", Json::array({ Json { { "size", 10 } }, Json { { "size", 20 } } }) } },
        Brand::Bhyve);
    ASSERT_TRUE(result) << message(result);
    Json const& disks = (*result)["disks"];
    ASSERT_EQ(disks.size(), 3U);
    EXPECT_EQ(disks[0]["path"], base + "/disk0");
    EXPECT_EQ(disks[0]["zfs_filesystem"], std::string("zones/") + VM_UUID + "/disk0");
    EXPECT_EQ(disks[0]["model"], "virtio");
    EXPECT_EQ(disks[1]["path"], base + "/disk1");
    EXPECT_EQ(disks[2]["path"], base + "/disk2");
    EXPECT_EQ(disks[2]["size"], 20);
    EXPECT_TRUE(disks[2].contains("uuid"));
    EXPECT_TRUE(disks[2].contains("pci_slot"));
}

TEST(DiskApply, UpdateAndRemoveByPath)
{
    Json vm = one_nic_vm();
    vm["brand"] = "kvm";
    vm["disks"] = Json::array({
        Json { { "path", "/dev/zvol/rdsk/zones/u-disk1" }, { "boot", false }, { "model", "virtio" },
            { "size", 10 } },
        Json { { "path", "/dev/zvol/rdsk/zones/u-disk0" }, { "boot", true }, { "model", "virtio" },
            { "size", 10 } },
    });
    Json payload { { "update_disks",
        Json::array({ Json { { "path", "/dev/zvol/rdsk/zones/u-disk1" }, { "model", "ide" },
            { "boot", "true" }, { "image_uuid", "71101322-43a5-11e1-8f01-cf2a3031a7f4" } } }) } };
    ASSERT_TRUE(apply_object_arrays(vm, payload, Brand::Kvm));
    EXPECT_EQ(vm["disks"][0]["path"], "/dev/zvol/rdsk/zones/u-disk0");
    EXPECT_EQ(vm["disks"][1]["model"], "ide");
    EXPECT_EQ(vm["disks"][1]["boot"], true);
    EXPECT_FALSE(vm["disks"][1].contains("image_uuid"));
    ASSERT_TRUE(apply_object_arrays(
        vm, Json { { "remove_disks", "/dev/zvol/rdsk/zones/u-disk0" } }, Brand::Kvm));
    ASSERT_EQ(vm["disks"].size(), 1U);
    EXPECT_EQ(vm["disks"][0]["path"], "/dev/zvol/rdsk/zones/u-disk1");
}
