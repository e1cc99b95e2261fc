// SPDX-License-Identifier: MPL-2.0
// vmadm on real storage (reference 7.1-7.4): the datasets create makes from an image, what delete
// leaves, live quota, indestructible holds, delegated datasets, HVM disks, and failed creates
// that leave nothing behind. The default pool here is the implicit dir pool $LUMOS_ROOT/zones.
#include "base/paths.hpp"
#include "pools/pool.hpp"
#include "support/vmadm_fixture.hpp"

#include <algorithm>
#include <csignal>
#include <ctime>
#include <fstream>
#include <optional>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

namespace lumos::test {
namespace {

constexpr uint64_t GIB = uint64_t { 1 } << 30;

class Storage : public VmadmTest {
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

    pools::DatasetInfo info(const std::string& name) const
    {
        auto found = pool()->info(name);
        if (!found) {
            throw std::runtime_error("info " + name + ": " + found.error().message());
        }
        return *found;
    }

    bool has_dataset(const std::string& name) const
    {
        auto names = pool_datasets();
        return std::find(names.begin(), names.end(), name) != names.end();
    }

    static unsigned mode_of(const std::string& path)
    {
        struct stat st { };
        if (::lstat(path.c_str(), &st) != 0) {
            return 0;
        }
        return st.st_mode & 07777;
    }

    RunResult remove_vm(const std::string& uuid) const { return vmadm({ "delete", uuid }); }
};

TEST_F(Storage, CreateClonesTheImageIntoTheZonepath)
{
    auto uuid = create_ok(os_payload("joyent-minimal"));
    auto vm = get(uuid);
    const std::string zonepath = vm["zonepath"];
    EXPECT_EQ(zonepath, (root().path() / "zones" / uuid).string());
    EXPECT_EQ(vm["zfs_filesystem"], "zones/" + uuid);

    // The image's files, and the directories the install hook makes.
    EXPECT_EQ(read_file(zonepath + "/root/etc/motd"),
        std::string("lumos test image ") + IMAGE_UUID + "\n");
    EXPECT_EQ(mode_of(zonepath + "/root/tmp"), 01777U);
    EXPECT_EQ(mode_of(zonepath + "/root/var/svc"), 0755U);
    EXPECT_EQ(mode_of(zonepath + "/config"), 0755U);
    EXPECT_EQ(mode_of(zonepath), 0700U);
    EXPECT_TRUE(std::filesystem::exists(zonepath + "/config/metadata.json"));

    auto root_info = info("zones/" + uuid);
    EXPECT_EQ(root_info.origin,
        std::optional<std::string>(std::string("zones/") + IMAGE_UUID + "@final"));
    EXPECT_EQ(root_info.quota_bytes, std::optional<uint64_t>(10 * GIB)); // default quota 10
    auto cores = info("zones/cores/" + uuid);
    EXPECT_EQ(cores.quota_bytes, std::optional<uint64_t>(100 * GIB));
    // The image itself is untouched.
    EXPECT_FALSE(std::filesystem::exists(root().path() / "zones" / IMAGE_UUID / "root/tmp"));
}

TEST_F(Storage, QuotaZeroMeansNoQuota)
{
    auto p = os_payload();
    p["quota"] = 0;
    auto uuid = create_ok(p);
    EXPECT_EQ(info("zones/" + uuid).quota_bytes, std::nullopt);
}

TEST_F(Storage, DeleteLeavesThePoolAsItWas)
{
    ASSERT_TRUE(zones_as_set_up());
    auto p = os_payload();
    p["delegate_dataset"] = true;
    auto uuid = create_ok(p);
    EXPECT_FALSE(zones_as_set_up());
    EXPECT_TRUE(succeeded_with_message(remove_vm(uuid), "Successfully deleted VM " + uuid));
    EXPECT_TRUE(zones_as_set_up());
    EXPECT_TRUE(list_uuids().empty());
}

TEST_F(Storage, DeleteKeepsOtherVmsDatasets)
{
    auto keep = create_ok(os_payload());
    auto gone = create_ok(os_payload("lx"));
    EXPECT_TRUE(succeeded_with_message(remove_vm(gone), "Successfully deleted VM " + gone));
    EXPECT_TRUE(has_dataset("zones/" + keep));
    EXPECT_TRUE(has_dataset("zones/cores/" + keep));
    EXPECT_FALSE(has_dataset("zones/" + gone));
    EXPECT_FALSE(has_dataset("zones/cores/" + gone));
}

TEST_F(Storage, DelegateDatasetMakesData)
{
    auto p = os_payload();
    p["delegate_dataset"] = true;
    p["zfs_data_compression"] = "lz4";
    auto uuid = create_ok(p);
    auto vm = get(uuid);
    EXPECT_TRUE(std::filesystem::is_directory(vm["zonepath"].get<std::string>() + "/data"));
    EXPECT_TRUE(has_dataset("zones/" + uuid + "/data"));
    EXPECT_EQ(vm["datasets"], json::array({ "zones/" + uuid + "/data" }));
}

TEST_F(Storage, QuotaUpdateIsLive)
{
    auto uuid = create_ok(os_payload());
    update_ok(uuid, { { "quota", 20 } });
    EXPECT_EQ(info("zones/" + uuid).quota_bytes, std::optional<uint64_t>(20 * GIB));
    EXPECT_EQ(get(uuid)["quota"], 20);
    update_ok(uuid, { { "quota", 0 } });
    EXPECT_EQ(info("zones/" + uuid).quota_bytes, std::nullopt);
    EXPECT_EQ(get(uuid)["quota"], 0);
}

TEST_F(Storage, IndestructibleZonerootIsAHold)
{
    auto p = os_payload();
    p["indestructible_zoneroot"] = true;
    auto uuid = create_ok(p);
    const std::string snapshot = "zones/" + uuid + "@indestructible";
    EXPECT_EQ(info(snapshot).holds, std::vector<std::string> { "do_not_destroy" });
    EXPECT_TRUE(failed_with(remove_vm(uuid),
        "Failed to delete VM " + uuid + ": indestructible_zoneroot is set, cannot delete"));
    EXPECT_TRUE(has_dataset("zones/" + uuid));

    // Releasing the hold by hand clears the flag (it is derived from the hold).
    ASSERT_TRUE(pool()->release(snapshot, "do_not_destroy"));
    EXPECT_FALSE(get(uuid).contains("indestructible_zoneroot"));
    EXPECT_TRUE(succeeded_with_message(remove_vm(uuid), "Successfully deleted VM " + uuid));
    EXPECT_TRUE(zones_as_set_up());
}

TEST_F(Storage, IndestructibleDelegatedByUpdate)
{
    auto p = os_payload();
    p["delegate_dataset"] = true;
    auto uuid = create_ok(p);
    update_ok(uuid, { { "indestructible_delegated", true } });
    const std::string snapshot = "zones/" + uuid + "/data@indestructible";
    EXPECT_EQ(info(snapshot).holds, std::vector<std::string> { "do_not_destroy" });
    EXPECT_TRUE(failed_with(remove_vm(uuid),
        "Failed to delete VM " + uuid + ": indestructible_delegated is set, cannot delete"));
    update_ok(uuid, { { "indestructible_delegated", false } });
    EXPECT_FALSE(has_dataset(snapshot));
    EXPECT_TRUE(succeeded_with_message(remove_vm(uuid), "Successfully deleted VM " + uuid));
    EXPECT_TRUE(zones_as_set_up());
}

TEST_F(Storage, GetShowsTheZonerootsVmsnapSnapshotsFromThePool)
{
    // SmartOS's `snapshots` (reference 7.4): the zone root's vmsnap-* snapshots, newest first,
    // named without the prefix; other snapshots and other VMs' are not the VM's.
    auto p = os_payload();
    p["indestructible_zoneroot"] = true;
    auto uuid = create_ok(p);
    auto other = create_ok(os_payload());
    const std::string root = "zones/" + uuid;
    ASSERT_TRUE(pool()->snapshot(root + "@vmsnap-a"));
    ASSERT_TRUE(pool()->snapshot(root + "@vmsnap-b"));
    ASSERT_TRUE(pool()->snapshot(root + "@manual"));
    ASSERT_TRUE(pool()->snapshot("zones/" + other + "@vmsnap-c"));

    auto vm = get(uuid);
    ASSERT_TRUE(vm["snapshots"].is_array());
    ASSERT_EQ(vm["snapshots"].size(), 2U);
    EXPECT_EQ(vm["snapshots"][0]["name"], "b");
    EXPECT_EQ(vm["snapshots"][1]["name"], "a");
    const auto created = info(root + "@vmsnap-a").creation;
    std::time_t const seconds = created;
    char expected[32];
    std::strftime(expected, sizeof expected, "%Y-%m-%dT%H:%M:%S.000Z", std::gmtime(&seconds));
    EXPECT_EQ(vm["snapshots"][1]["created_at"], expected);
    EXPECT_TRUE(vm["snapshots"][1]["size"].is_number());
    EXPECT_EQ(vm["indestructible_zoneroot"], true);
    EXPECT_EQ(get(other)["snapshots"].size(), 1U);

    // Not in the record: a save (update) keeps the pool as their only source.
    update_ok(uuid, { { "alias", "snapped" } });
    EXPECT_EQ(read_file(config_path(uuid)).find("vmsnap"), std::string::npos);
    ASSERT_TRUE(pool()->destroy(root + "@vmsnap-b", pools::Recursive::No));
    EXPECT_EQ(get(uuid)["snapshots"].size(), 1U);
}

TEST_F(Storage, KvmDisksAreVolumes)
{
    install_image("8d1f4ae2-3d4c-11e8-bd9e-6f9f9a3b7c51", "zvol", "linux");
    auto p = hvm_payload("kvm");
    p["disks"] = { { { "model", "virtio" },
                       { "image_uuid", "8d1f4ae2-3d4c-11e8-bd9e-6f9f9a3b7c51" }, { "boot", true } },
        { { "model", "virtio" }, { "size", 16 } } };
    auto uuid = create_ok(p);
    auto vm = get(uuid);
    ASSERT_EQ(vm["disks"].size(), 2U);
    EXPECT_EQ(vm["disks"][0]["zfs_filesystem"], "zones/" + uuid + "-disk0");
    EXPECT_EQ(vm["disks"][0]["path"], "/dev/zvol/rdsk/zones/" + uuid + "-disk0");
    auto disk0 = info("zones/" + uuid + "-disk0");
    EXPECT_EQ(disk0.type, pools::DatasetType::Volume);
    EXPECT_EQ(disk0.origin,
        std::optional<std::string>("zones/8d1f4ae2-3d4c-11e8-bd9e-6f9f9a3b7c51@final"));
    auto disk1 = info("zones/" + uuid + "-disk1");
    EXPECT_EQ(disk1.type, pools::DatasetType::Volume);
    EXPECT_EQ(disk1.volume_size_bytes, std::optional<uint64_t>(16U << 20));
    EXPECT_TRUE(has_dataset("zones/" + uuid));
    EXPECT_TRUE(succeeded_with_message(remove_vm(uuid), "Successfully deleted VM " + uuid));
    EXPECT_FALSE(has_dataset("zones/" + uuid + "-disk0"));
    EXPECT_FALSE(has_dataset("zones/" + uuid + "-disk1"));
    EXPECT_FALSE(has_dataset("zones/" + uuid));
}

TEST_F(Storage, BhyveDisksAreChildrenOfTheZoneroot)
{
    auto p = hvm_payload("bhyve");
    p["disks"] = { { { "model", "virtio" }, { "size", 8 } } };
    auto uuid = create_ok(p);
    EXPECT_EQ(get(uuid)["disks"][0]["zfs_filesystem"], "zones/" + uuid + "/disk0");
    EXPECT_EQ(info("zones/" + uuid + "/disk0").type, pools::DatasetType::Volume);
    EXPECT_TRUE(succeeded_with_message(remove_vm(uuid), "Successfully deleted VM " + uuid));
    EXPECT_TRUE(zones_as_set_up());
}

TEST_F(Storage, FailedCreateRemovesEveryDatasetItMade)
{
    // The cores dataset cannot be made (something that is not ours sits at its path), after the
    // zone root was cloned: the clone must go again.
    const std::string uuid = "6c1e8a3e-1f2b-4c3d-9e4f-5a6b7c8d9e01";
    root().write_file("zones/cores/" + uuid + "/not-ours", "x");
    auto p = os_payload();
    p["uuid"] = uuid;
    p["delegate_dataset"] = true;
    auto r = create(p);
    EXPECT_TRUE(clean_failure(r));
    EXPECT_TRUE(list_uuids().empty());
    EXPECT_TRUE(config_files().empty());
    EXPECT_FALSE(has_dataset("zones/" + uuid));
    EXPECT_FALSE(std::filesystem::exists(root().path() / "zones" / uuid));
    EXPECT_TRUE(std::filesystem::exists(root().path() / "zones/cores" / uuid / "not-ours"));
    std::filesystem::remove_all(root().path() / "zones/cores");
    EXPECT_TRUE(zones_as_set_up());
}

TEST_F(Storage, ImageSymlinksAreNotFollowed)
{
    // An image whose root/var is a symbolic link out of the zone: create must not make
    // directories through it, and fails leaving nothing behind.
    const std::string image = "3e0f9b7a-5c2d-4e1f-8a9b-0c1d2e3f4a5b";
    install_image(image, "zone-dataset");
    auto pool_handle = pool();
    ASSERT_TRUE(pool_handle->destroy("zones/" + image + "@final", pools::Recursive::No));
    const auto outside = root().path() / "outside";
    std::filesystem::create_directories(outside);
    const auto image_root = std::filesystem::path(pool_handle->path_of("zones/" + image)) / "root";
    std::filesystem::remove_all(image_root / "var");
    std::filesystem::create_directory_symlink(outside, image_root / "var");
    ASSERT_TRUE(pool_handle->snapshot("zones/" + image + "@final"));
    auto const before = pool_datasets();

    auto p = os_payload();
    p["image_uuid"] = image;
    EXPECT_TRUE(clean_failure(create(p)));
    EXPECT_FALSE(std::filesystem::exists(outside / "svc"));
    EXPECT_TRUE(list_uuids().empty());
    EXPECT_EQ(pool_datasets(), before);
}

TEST_F(Storage, ImageWithoutFinalSnapshotIsNotInstalled)
{
    // A manifest in imgadm's cache is not an installed image without <pool>/<uuid>@final.
    const std::string image = "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d";
    json const cached = { { "manifest",
                              { { "v", 2 }, { "uuid", image }, { "name", "x" }, { "version", "1" },
                                  { "type", "zone-dataset" }, { "os", "smartos" } } },
        { "zpool", "zones" } };
    root().write_file("var/imgadm/images/zones-" + image + ".json", cached.dump());
    auto p = os_payload();
    p["image_uuid"] = image;
    EXPECT_TRUE(failed_with(create(p), "Invalid value(s) for: image_uuid"));
    EXPECT_TRUE(zones_as_set_up());
}

TEST_F(Storage, ImageInstalledByImgadmThenCreateAndDelete)
{
    // The whole path: imgadm install -m -f of a tiny gzip tar, vmadm create joyent-minimal from
    // it, vmadm delete back to the pool as imgadm left it.
    const std::string image = "c2c0b1a2-1111-4222-8333-444455556666";
    root().write_file("image-src/etc/motd", "from imgadm\n");
    std::filesystem::create_directories(root().path() / "image-src/var");
    const std::string file = (root().path() / "image.tgz").string();
    auto tarred
        = run({ "/bin/tar", "-C", (root().path() / "image-src").string(), "-czf", file, "." });
    ASSERT_EQ(tarred.exit_code, 0) << tarred.describe();
    auto summed = run({ "/usr/bin/sha1sum", file });
    ASSERT_EQ(summed.exit_code, 0) << summed.describe();
    const std::string sha1 = summed.out.substr(0, 40);
    const auto size = std::filesystem::file_size(file);
    json const manifest = { { "v", 2 }, { "uuid", image }, { "name", "minimal" },
        { "version", "1.0.0" }, { "type", "zone-dataset" }, { "os", "smartos" },
        { "state", "active" }, { "disabled", false }, { "public", true },
        { "published_at", "2026-01-01T00:00:00Z" },
        { "owner", "00000000-0000-0000-0000-000000000000" },
        { "files",
            json::array({ { { "compression", "gzip" }, { "sha1", sha1 }, { "size", size } } }) } };
    const std::string manifest_path = write_payload(manifest);
    RunOptions options;
    options.env.emplace_back("LUMOS_ROOT", root().str());
    auto installed = run({ LUMOS_IMGADM_BIN, "install", "-m", manifest_path, "-f", file }, options);
    ASSERT_EQ(installed.exit_code, 0) << installed.describe();
    auto const datasets_before = pool_datasets();
    auto const files_before = zones_entries();

    json p = { { "brand", "joyent-minimal" }, { "image_uuid", image }, { "autoboot", false } };
    auto uuid = create_ok(p);
    const std::string zonepath = get(uuid)["zonepath"];
    EXPECT_EQ(read_file(zonepath + "/root/etc/motd"), "from imgadm\n");
    EXPECT_EQ(mode_of(zonepath + "/root/tmp"), 01777U);
    EXPECT_TRUE(std::filesystem::is_directory(zonepath + "/root/var/svc"));
    EXPECT_TRUE(succeeded_with_message(remove_vm(uuid), "Successfully deleted VM " + uuid));
    EXPECT_EQ(pool_datasets(), datasets_before);
    EXPECT_EQ(zones_entries(), files_before);
}

TEST_F(Storage, BtrfsPoolClonesAndEnforcesQuotas)
{
    // A loop-backed btrfs pool replaces the implicit dir pool of this LUMOS_ROOT.
    if (::access("/sbin/mkfs.btrfs", X_OK) != 0 && ::access("/usr/sbin/mkfs.btrfs", X_OK) != 0
        && ::access("/usr/bin/mkfs.btrfs", X_OK) != 0) {
        GTEST_SKIP() << "mkfs.btrfs is not installed";
    }
    std::filesystem::remove_all(root().path() / "zones");
    std::filesystem::remove_all(root().path() / "var/imgadm/images");
    RunOptions options;
    options.env.emplace_back("LUMOS_ROOT", root().str());
    options.timeout = std::chrono::milliseconds(60000);
    const std::string image_file = (root().path() / "pool.img").string();
    auto made = run({ LUMOS_LUMOSADM_BIN, "pool", "create", "zones", "--backend", "btrfs", "--file",
                        image_file, "--size", "3G" },
        options);
    ASSERT_EQ(made.exit_code, 0) << made.describe();
    struct PoolGuard {
        const RunOptions& options;
        ~PoolGuard() { (void)run({ LUMOS_LUMOSADM_BIN, "pool", "destroy", "zones" }, options); }
    } guard { options };

    install_image(IMAGE_UUID, "zone-dataset");
    ASSERT_EQ(pool()->backend(), pools::Backend::Btrfs);
    auto const before = pool_datasets();
    auto p = os_payload();
    p["quota"] = 1;
    p["delegate_dataset"] = true;
    auto uuid = create_ok(p);
    auto vm = get(uuid);
    const std::string zonepath = vm["zonepath"];
    EXPECT_EQ(read_file(zonepath + "/root/etc/motd"),
        std::string("lumos test image ") + IMAGE_UUID + "\n");
    EXPECT_EQ(mode_of(zonepath + "/root/tmp"), 01777U);
    auto root_info = info("zones/" + uuid);
    EXPECT_EQ(root_info.origin,
        std::optional<std::string>(std::string("zones/") + IMAGE_UUID + "@final"));
    EXPECT_EQ(root_info.quota_bytes, std::optional<uint64_t>(GIB));
    EXPECT_TRUE(pool()->enforces_quotas());
    // The zone root is a subvolume of its own (a btrfs clone), inode 256.
    struct stat st { };
    ASSERT_EQ(::stat(zonepath.c_str(), &st), 0);
    EXPECT_EQ(st.st_ino, 256U);
    update_ok(uuid, { { "quota", 2 } });
    EXPECT_EQ(info("zones/" + uuid).quota_bytes, std::optional<uint64_t>(2 * GIB));

    // A quota larger than the whole pool (3 GiB) is refused by create and update (issue 11
    // point 2: a tenant filling such a zone fills the pool); the brand's default quota (10 GiB)
    // is created with a warning.
    auto const pool_bytes = [&] {
        struct statvfs sv { };
        EXPECT_EQ(::statvfs((root().path() / "zones").c_str(), &sv), 0);
        return std::to_string(static_cast<uint64_t>(sv.f_blocks) * sv.f_frsize);
    }();
    auto too_big = os_payload();
    too_big["quota"] = 4;
    EXPECT_TRUE(failed_with(create(too_big),
        "Invalid value for quota: 4 GiB is larger than pool zones (" + pool_bytes + " bytes)"));
    auto const grown = update(uuid, { { "quota", 4 } });
    EXPECT_TRUE(failed_with(grown,
        "Invalid value for quota: 4 GiB is larger than pool zones (" + pool_bytes + " bytes)"));
    EXPECT_EQ(info("zones/" + uuid).quota_bytes, std::optional<uint64_t>(2 * GIB));
    EXPECT_EQ(get(uuid)["quota"], 2);
    auto const defaulted = create(os_payload());
    ASSERT_EQ(defaulted.exit_code, 0) << defaulted.describe();
    EXPECT_EQ(defaulted.err.substr(0, defaulted.err.find('\n')),
        "Warning: default quota: 10 GiB is larger than pool zones (" + pool_bytes + " bytes)");
    std::string const created_line = "Successfully created VM ";
    std::string defaulted_uuid
        = defaulted.err.substr(defaulted.err.find(created_line) + created_line.size());
    defaulted_uuid.erase(defaulted_uuid.find_last_not_of('\n') + 1);
    EXPECT_TRUE(succeeded_with_message(
        remove_vm(defaulted_uuid), "Successfully deleted VM " + defaulted_uuid));

    EXPECT_TRUE(succeeded_with_message(remove_vm(uuid), "Successfully deleted VM " + uuid));
    EXPECT_EQ(pool_datasets(), before);
    EXPECT_FALSE(std::filesystem::exists(zonepath));
}

// A `vmadm create` killed between its datasets and its record (the record is written last)
// leaves datasets no VM owns; the next create of that uuid removes them and succeeds.
TEST_F(Storage, DatasetsOfAKilledCreateDoNotBlockTheUuid)
{
    const std::string uuid = "3b6f3a7e-0d55-4f0a-9c2a-6f6d1b2a1c07";
    auto p = os_payload();
    p["uuid"] = uuid;
    p["delegate_dataset"] = true;
    create_ok(p);
    auto const datasets_with_vm = pool_datasets();
    // What the killed create left: every dataset, no record.
    std::filesystem::remove(config_path(uuid));
    ASSERT_TRUE(list_uuids().empty());
    ASSERT_TRUE(has_dataset("zones/" + uuid));

    auto again = create(p);
    EXPECT_TRUE(succeeded_with_message(again, "Successfully created VM " + uuid))
        << again.describe();
    EXPECT_EQ(pool_datasets(), datasets_with_vm);
    EXPECT_TRUE(succeeded_with_message(remove_vm(uuid), "Successfully deleted VM " + uuid));
    EXPECT_TRUE(zones_as_set_up());
}

// What a killed `imgadm install` leaves (a whole <uuid>-partial dataset and the cached manifest
// of an image that is not installed) and a killed `vmadm create` (datasets without a record):
// `lumosadm pool check -n` lists them, `lumosadm pool check` removes them, `imgadm vacuum`
// removes the install's; an install holding its import lock is never touched.
class Leftovers : public Storage {
protected:
    RunResult lumosadm(const std::vector<std::string>& args) const
    {
        std::vector<std::string> argv { LUMOS_LUMOSADM_BIN };
        argv.insert(argv.end(), args.begin(), args.end());
        RunOptions options;
        options.env.emplace_back("LUMOS_ROOT", root().str());
        return run(argv, options);
    }
    RunResult imgadm(const std::vector<std::string>& args) const
    {
        std::vector<std::string> argv { LUMOS_IMGADM_BIN };
        argv.insert(argv.end(), args.begin(), args.end());
        RunOptions options;
        options.env.emplace_back("LUMOS_ROOT", root().str());
        return run(argv, options);
    }
    // The state a killed install of uuid leaves.
    std::string leave_killed_install(const std::string& uuid) const
    {
        auto made = pool()->create_filesystem("zones/" + uuid + "-partial", {});
        if (!made) {
            throw std::runtime_error(made.error().message());
        }
        auto const cache
            = (root().path() / "var/imgadm/images" / ("zones-" + uuid + ".json")).string();
        std::ofstream(cache) << R"({"manifest":{"uuid":")" << uuid << R"("},"zpool":"zones"})"
                             << "\n";
        return cache;
    }
};

TEST_F(Leftovers, PoolCheckListsAndRemovesWhatKilledCommandsLeft)
{
    const std::string image = "0b5e2a0c-7f3d-4a8e-9c1b-5d6e7f8a9b01";
    const std::string vm = "3b6f3a7e-0d55-4f0a-9c2a-6f6d1b2a1c08";
    auto const cache = leave_killed_install(image);
    auto p = os_payload();
    p["uuid"] = vm;
    create_ok(p);
    std::filesystem::remove(config_path(vm)); // a create killed before its record

    auto listed = lumosadm({ "pool", "check", "-n" });
    EXPECT_EQ(listed.exit_code, 0) << listed.describe();
    EXPECT_EQ(listed.out,
        "Would remove dataset zones/" + vm + " (no VM " + vm
            + ")\n"
              "Would remove dataset zones/cores/"
            + vm + " (no VM " + vm
            + ")\n"
              "Would remove partial dataset zones/"
            + image + "-partial (image " + image
            + " is not installed)\n"
              "Would remove cached manifest "
            + cache + " (image " + image + " is not installed)\n");
    EXPECT_TRUE(has_dataset("zones/" + vm));
    EXPECT_TRUE(std::filesystem::exists(cache));

    auto removed = lumosadm({ "pool", "check", "zones" });
    EXPECT_EQ(removed.exit_code, 0) << removed.describe();
    EXPECT_NE(removed.out.find("Removed dataset zones/" + vm + " "), std::string::npos)
        << removed.describe();
    EXPECT_TRUE(zones_as_set_up());
    EXPECT_FALSE(std::filesystem::exists(cache));
    auto again = lumosadm({ "pool", "check" });
    EXPECT_EQ(again.out, "No orphans found\n") << again.describe();
    EXPECT_EQ(lumosadm({ "pool", "check", "nosuchpool" }).exit_code, 1);
    EXPECT_EQ(lumosadm({ "pool", "check", "-x" }).exit_code, 2);
}

TEST_F(Leftovers, VacuumRemovesAKilledInstallsLeftoversButNotARunningInstalls)
{
    const std::string image = "0b5e2a0c-7f3d-4a8e-9c1b-5d6e7f8a9b02";
    auto const cache = leave_killed_install(image);
    {
        // An install in progress holds the image's import lock: its partial dataset stays.
        auto const lock_path
            = (root().path() / "run/lumos" / ("img." + image + ".import.lock")).string();
        std::filesystem::create_directories(root().path() / "run/lumos");
        int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        ASSERT_GE(fd, 0);
        ASSERT_EQ(::flock(fd, LOCK_EX), 0);
        auto busy = imgadm({ "vacuum", "-f" });
        EXPECT_EQ(busy.exit_code, 0) << busy.describe();
        EXPECT_EQ(lumosadm({ "pool", "check" }).out, "No orphans found\n");
        ::close(fd);
        EXPECT_TRUE(has_dataset("zones/" + image + "-partial"));
        EXPECT_TRUE(std::filesystem::exists(cache));
    }
    auto dry = imgadm({ "vacuum", "-n" });
    EXPECT_EQ(dry.exit_code, 0) << dry.describe();
    EXPECT_NE(dry.out.find("[dry-run] Removed partial dataset zones/" + image + "-partial\n"),
        std::string::npos)
        << dry.describe();
    EXPECT_TRUE(has_dataset("zones/" + image + "-partial"));
    auto vacuumed = imgadm({ "vacuum", "-f" });
    EXPECT_EQ(vacuumed.exit_code, 0) << vacuumed.describe();
    EXPECT_NE(vacuumed.out.find("Removed partial dataset zones/" + image + "-partial\n"),
        std::string::npos)
        << vacuumed.describe();
    EXPECT_NE(vacuumed.out.find("Removed cached manifest " + cache + "\n"), std::string::npos)
        << vacuumed.describe();
    EXPECT_FALSE(has_dataset("zones/" + image + "-partial"));
    EXPECT_FALSE(std::filesystem::exists(root().path() / "zones" / (image + "-partial")));
    EXPECT_FALSE(std::filesystem::exists(cache));
}

// Real kills: `imgadm install` killed while it extracts (as soon as its partial dataset exists,
// and once files are in it), `vmadm create` killed while it clones the image. The next command
// leaves the pool as before and the uuids can be used again.
TEST_F(Leftovers, KilledInstallsAndCreatesLeaveNothingForGood)
{
    const std::string image = "0b5e2a0c-7f3d-4a8e-9c1b-5d6e7f8a9b03";
    const auto src = root().path() / "image-src";
    std::filesystem::create_directories(src / "etc");
    {
        // Incompressible, so that extraction and the clone's copy take a while.
        std::ifstream random("/dev/urandom", std::ios::binary);
        std::string block(1 << 20, '\0');
        for (int i = 0; i < 48; ++i) {
            random.read(block.data(), static_cast<std::streamsize>(block.size()));
            std::ofstream(src / "etc" / ("f" + std::to_string(i)), std::ios::binary) << block;
        }
    }
    const std::string file = (root().path() / "image.tgz").string();
    auto tarred = run({ "/bin/tar", "-C", src.string(), "-czf", file, "." });
    ASSERT_EQ(tarred.exit_code, 0) << tarred.describe();
    std::filesystem::remove_all(src);
    auto summed = run({ "/usr/bin/sha1sum", file });
    ASSERT_EQ(summed.exit_code, 0) << summed.describe();
    json const manifest
        = { { "v", 2 }, { "uuid", image }, { "name", "big" }, { "version", "1.0.0" },
              { "type", "zone-dataset" }, { "os", "smartos" }, { "state", "active" },
              { "disabled", false }, { "public", true }, { "published_at", "2026-01-01T00:00:00Z" },
              { "owner", "00000000-0000-0000-0000-000000000000" },
              { "files",
                  json::array({ { { "compression", "gzip" }, { "sha1", summed.out.substr(0, 40) },
                      { "size", std::filesystem::file_size(file) } } }) } };
    const std::string manifest_path = write_payload(manifest);
    RunOptions options;
    options.env.emplace_back("LUMOS_ROOT", root().str());
    auto const zones = root().path() / "zones";
    auto const cache = root().path() / "var/imgadm/images" / ("zones-" + image + ".json");

    // Starts argv, waits until path exists, SIGKILLs it; false when it ended first.
    auto kill_when = [&](const std::vector<std::string>& argv, const std::filesystem::path& path) {
        auto process = Process::spawn(argv, options);
        std::error_code ec;
        while (!std::filesystem::exists(path, ec)) {
            siginfo_t info {};
            if (::waitid(
                    P_PID, static_cast<id_t>(process.pid()), &info, WEXITED | WNOHANG | WNOWAIT)
                    != 0
                || info.si_pid != 0) {
                break; // it ended
            }
            ::usleep(500);
        }
        process.kill(SIGKILL);
        return process.wait().term_signal == SIGKILL;
    };

    for (auto const& point :
        { zones / (image + "-partial"), zones / (image + "-partial/root/etc") }) {
        ASSERT_TRUE(
            kill_when({ LUMOS_IMGADM_BIN, "install", "-m", manifest_path, "-f", file }, point))
            << "the install ended before " << point;
        // Killed as its partial dataset was being made, or with it whole: either way it goes.
        auto checked = lumosadm({ "pool", "check" });
        EXPECT_EQ(checked.exit_code, 0) << checked.describe();
        EXPECT_TRUE(zones_as_set_up()) << checked.describe();
        EXPECT_FALSE(std::filesystem::exists(cache));
    }
    auto installed = imgadm({ "install", "-m", manifest_path, "-f", file });
    ASSERT_EQ(installed.exit_code, 0) << installed.describe();
    auto const with_image = pool_datasets();
    auto const files_with_image = zones_entries();

    const std::string vm = "3b6f3a7e-0d55-4f0a-9c2a-6f6d1b2a1c09";
    auto p = os_payload();
    p["uuid"] = vm;
    p["image_uuid"] = image;
    const std::string payload = write_payload(p);
    for (auto const& point : { zones / vm, zones / vm / "root/etc" }) {
        ASSERT_TRUE(kill_when({ LUMOS_VMADM_BIN, "create", "-f", payload }, point))
            << "the create ended before " << point;
        EXPECT_TRUE(list_uuids().empty());
        // The next create of the uuid works and its delete leaves the pool as before.
        auto created = vmadm({ "create", "-f", payload });
        EXPECT_TRUE(succeeded_with_message(created, "Successfully created VM " + vm))
            << created.describe();
        EXPECT_TRUE(succeeded_with_message(remove_vm(vm), "Successfully deleted VM " + vm));
        EXPECT_EQ(pool_datasets(), with_image);
        EXPECT_EQ(zones_entries(), files_with_image);
    }
    // Killed once more, `lumosadm pool check` cleans up as well.
    ASSERT_TRUE(kill_when({ LUMOS_VMADM_BIN, "create", "-f", payload }, zones / vm / "root/etc"));
    auto checked = lumosadm({ "pool", "check" });
    EXPECT_EQ(checked.exit_code, 0) << checked.describe();
    EXPECT_EQ(pool_datasets(), with_image);
    EXPECT_EQ(zones_entries(), files_with_image);
}

// Fills a directory's filesystem to 100%: data (one file until ENOSPC), then metadata (empty
// files with xattrs until ENOSPC), as a tenant without a quota can.
void fill_to_the_brim(const std::string& dir)
{
    {
        std::FILE* file = std::fopen((dir + "/fill").c_str(), "w");
        ASSERT_NE(file, nullptr);
        std::string const block(1 << 20, 'x');
        while (std::fwrite(block.data(), 1, block.size(), file) == block.size()) {
        }
        std::fclose(file);
    }
    std::string const value(3000, 'v');
    std::string const long_name(200, 'n');
    for (int i = 0; i < 200000; ++i) {
        auto path = dir + "/m" + std::to_string(i) + long_name;
        int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        if (fd < 0) {
            break;
        }
        bool const set = ::fsetxattr(fd, "user.fill", value.data(), value.size(), 0) == 0;
        ::close(fd);
        if (!set) {
            break;
        }
    }
    ::sync();
}

uint64_t available_bytes(const std::string& path)
{
    struct statvfs st { };
    if (::statvfs(path.c_str(), &st) != 0) {
        return 0;
    }
    return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

TEST_F(Storage, FullBtrfsPoolStillDeletesAndRefusesCreatesCleanly)
{
    if (::access("/sbin/mkfs.btrfs", X_OK) != 0 && ::access("/usr/sbin/mkfs.btrfs", X_OK) != 0
        && ::access("/usr/bin/mkfs.btrfs", X_OK) != 0) {
        GTEST_SKIP() << "mkfs.btrfs is not installed";
    }
    std::filesystem::remove_all(root().path() / "zones");
    std::filesystem::remove_all(root().path() / "var/imgadm/images");
    RunOptions options;
    options.env.emplace_back("LUMOS_ROOT", root().str());
    options.timeout = std::chrono::milliseconds(60000);
    const std::string image_file = (root().path() / "pool.img").string();
    auto made = run({ LUMOS_LUMOSADM_BIN, "pool", "create", "zones", "--backend", "btrfs", "--file",
                        image_file, "--size", "256M" },
        options);
    ASSERT_EQ(made.exit_code, 0) << made.describe();
    struct PoolGuard {
        const RunOptions& options;
        ~PoolGuard() { (void)run({ LUMOS_LUMOSADM_BIN, "pool", "destroy", "zones" }, options); }
    } guard { options };
    install_image(IMAGE_UUID, "zone-dataset");
    const std::string mountpoint = pool()->mountpoint();
    auto const free_before = available_bytes(mountpoint);
    auto const datasets_before = pool_datasets();

    // No quota (the default one is larger than this pool): the tenant can fill the pool.
    auto p = os_payload();
    p["quota"] = 0;
    auto const full_vm = create_ok(p);
    auto const other_vm = create_ok(p);
    auto const datasets_with_vms = pool_datasets();
    auto const uuids_with_vms = list_uuids();
    fill_to_the_brim(std::string(get(full_vm)["zonepath"]) + "/root");
    ASSERT_LT(available_bytes(mountpoint), uint64_t { 16 } << 20);

    // A create fails with a clear error and leaves nothing.
    auto refused = create(p);
    EXPECT_EQ(refused.exit_code, 1) << refused.describe();
    EXPECT_NE(refused.err.find("out of space"), std::string::npos) << refused.describe();
    EXPECT_EQ(pool_datasets(), datasets_with_vms);
    EXPECT_EQ(list_uuids(), uuids_with_vms);

    // Both deletes work on the full pool, and the space comes back.
    EXPECT_TRUE(succeeded_with_message(remove_vm(other_vm), "Successfully deleted VM " + other_vm));
    EXPECT_TRUE(succeeded_with_message(remove_vm(full_vm), "Successfully deleted VM " + full_vm));
    EXPECT_EQ(pool_datasets(), datasets_before);
    EXPECT_TRUE(list_uuids().empty());
    auto synced = run({ "/usr/bin/btrfs", "subvolume", "sync", mountpoint }, options);
    ASSERT_EQ(synced.exit_code, 0) << synced.describe();
    EXPECT_GT(available_bytes(mountpoint), free_before / 2);

    // The pool works as before.
    auto const again = create_ok(p);
    EXPECT_TRUE(succeeded_with_message(remove_vm(again), "Successfully deleted VM " + again));
    EXPECT_EQ(pool_datasets(), datasets_before);
}

} // namespace
} // namespace lumos::test
