// SPDX-License-Identifier: MPL-2.0
// ImageStore on the implicit dir pool of a temp LUMOS_ROOT: what counts as an installed image,
// the manifest cache, install checks and formats (compressions, raw disks, unknown streams),
// clean failure, clones, remove and ancestry.
#include "base/file.hpp"
#include "image_test_util.hpp"
#include "support/zfs_stream_builder.hpp"

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include <fcntl.h>
#include <pthread.h>
#include <sys/mount.h>
#include <unistd.h>

namespace lumos::test {
namespace {

namespace fs = std::filesystem;

class ImageStoreTest : public StoreFixture {
protected:
    std::string tar_gz() { return make_tar({ dir_entry("etc"), file_entry("etc/motd", "hello") }); }

    // Installs a small zone-dataset image; returns its uuid.
    std::string install_one(Json const& extra = Json::object())
    {
        Json manifest;
        auto result = install_bytes(tar_gz(), "gzip", "zone-dataset", &manifest, extra);
        EXPECT_TRUE(result.has_value()) << (result ? "" : result.error().message);
        return manifest.at("uuid").get<std::string>();
    }
};

TEST_F(ImageStoreTest, InstallThenListAndGet)
{
    Json manifest;
    ASSERT_TRUE(install_bytes(tar_gz(), "gzip", "zone-dataset", &manifest));
    std::string uuid = manifest.at("uuid").get<std::string>();
    EXPECT_TRUE(store().is_installed("zones", uuid));
    auto listed = store().list();
    ASSERT_TRUE(listed.has_value());
    ASSERT_EQ(listed->size(), 1U);
    EXPECT_EQ(listed->front().manifest, manifest);
    EXPECT_EQ(listed->front().zpool, "zones");
    EXPECT_EQ(listed->front().source, "");
    auto got = store().get("zones", uuid);
    ASSERT_TRUE(got.has_value());
    Json json = got->to_json(true);
    EXPECT_EQ(json.at("manifest"), manifest);
    EXPECT_EQ(json.at("clones"), 0);
    EXPECT_FALSE(json.contains("source"));
    EXPECT_EQ(read_file(paths().pool_mountpoint("zones") + "/" + uuid + "/root/etc/motd"), "hello");
    auto final_snapshot = pool()->exists("zones/" + uuid + "@final");
    ASSERT_TRUE(final_snapshot.has_value());
    EXPECT_TRUE(*final_snapshot);
    auto partial = pool()->exists("zones/" + uuid + "-partial");
    ASSERT_TRUE(partial.has_value());
    EXPECT_FALSE(*partial);
    auto cache = parse_json(read_file(paths().image_manifest("zones", uuid)));
    ASSERT_TRUE(cache.has_value());
    EXPECT_EQ(cache->at("manifest"), manifest);
    EXPECT_EQ(cache->at("zpool"), "zones");
}

TEST_F(ImageStoreTest, EveryCompression)
{
    for (std::string compression : { "gzip", "bzip2", "xz", "zstd", "none" }) {
        Json manifest;
        auto result = install_bytes(make_tar({ file_entry("f", compression) }, compression),
            compression, "zone-dataset", &manifest);
        ASSERT_TRUE(result.has_value()) << compression << ": " << result.error().message;
        std::string uuid = manifest.at("uuid").get<std::string>();
        EXPECT_EQ(
            read_file(paths().pool_mountpoint("zones") + "/" + uuid + "/root/f"), compression);
    }
    auto listed = store().list();
    ASSERT_TRUE(listed.has_value());
    EXPECT_EQ(listed->size(), 5U);
}

TEST_F(ImageStoreTest, SizeAndChecksumErrors)
{
    std::string file = root() + "/files/image.tgz";
    write_bytes(file, tar_gz());
    Json manifest = manifest_for(file, "gzip");
    uint64_t real_size = manifest["files"][0]["size"].get<uint64_t>();
    manifest["files"][0]["size"] = real_size + 1;
    image::ImageStore::InstallRequest request;
    request.manifest = manifest;
    request.file_path = file;
    auto result = store().install(request);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().message,
        "image file size error: manifest says " + std::to_string(real_size + 1) + " bytes, " + file
            + " is " + std::to_string(real_size) + " bytes");
    expect_pool_untouched();

    manifest["files"][0]["size"] = real_size;
    std::string real_sha1 = manifest["files"][0]["sha1"].get<std::string>();
    manifest["files"][0]["sha1"] = std::string(40, '0');
    request.manifest = manifest;
    result = store().install(request);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().message,
        "image file checksum (sha1) error: manifest says \"" + std::string(40, '0') + "\", " + file
            + " is \"" + real_sha1 + "\"");
    expect_pool_untouched();

    request.verify_file = false; // the importer checked while downloading
    EXPECT_TRUE(store().install(request).has_value());
}

TEST_F(ImageStoreTest, UnknownFormatsAndStreamsOnTheWrongBackend)
{
    auto result = install_bytes(std::string(4096, 'x'), "none", "zone-dataset");
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code_name(), "InvalidImageFile");
    expect_pool_untouched();

    std::string stream
        = std::string("btrfs-stream") + std::string(1, '\0') + std::string(2000, '\1');
    result = install_bytes(stream, "none", "zone-dataset");
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code_name(), "NotSupported") << result.error().message;
    EXPECT_NE(result.error().message.find("btrfs send stream"), std::string::npos);
    expect_pool_untouched();

    // A filesystem's zfs send stream (the magic number at byte 8 of its BEGIN record).
    ZfsStreamBuilder::Begin filesystem;
    filesystem.objset = ZfsStreamBuilder::OST_ZFS;
    std::string const zfs = ZfsStreamBuilder(filesystem).end();
    ASSERT_EQ(zfs.substr(8, 8), std::string("\xac\xcb\xba\xf5\x02\0\0\0", 8));
    result = install_bytes(zfs, "none", "zone-dataset");
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code_name(), "NotSupported") << result.error().message;
    EXPECT_NE(result.error().message.find("is a zfs send stream, which pool \"zones\" (dir) "
                                          "cannot receive"),
        std::string::npos)
        << result.error().message;
    expect_pool_untouched();
}

TEST_F(ImageStoreTest, RawDiskIntoVolume)
{
    std::string disk(3 * 1024 * 1024, '\0');
    disk.replace(0, 6, "BOOTME");
    disk.replace(2 * 1024 * 1024, 4, "DATA");
    Json manifest;
    auto result = install_bytes(disk, "none", "zvol", &manifest, Json { { "image_size", 4 } });
    ASSERT_TRUE(result.has_value()) << result.error().message;
    std::string uuid = manifest.at("uuid").get<std::string>();
    auto info = pool()->info("zones/" + uuid);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->type, pools::DatasetType::Volume);
    // The volume is the disk's size, whatever image_size says (imgadm's zfs receive makes the
    // stream's volsize; image_size is vmadm's default disk size).
    EXPECT_EQ(info->volume_size_bytes, std::optional<uint64_t>(disk.size()));
    std::string content = read_file(info->path);
    EXPECT_EQ(content.size(), disk.size());
    EXPECT_EQ(content.substr(0, 6), "BOOTME");
    EXPECT_EQ(content.substr(2 * 1024 * 1024, 4), "DATA");
    EXPECT_TRUE(store().is_installed("zones", uuid));
    ASSERT_TRUE(store().remove("zones", uuid).has_value());

    // A disk larger than image_size is installed whole.
    Json larger;
    result = install_bytes(disk, "none", "zvol", &larger, Json { { "image_size", 2 } });
    ASSERT_TRUE(result.has_value()) << result.error().message;
    info = pool()->info("zones/" + larger.at("uuid").get<std::string>());
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->volume_size_bytes, std::optional<uint64_t>(disk.size()));
    ASSERT_TRUE(store().remove("zones", larger.at("uuid").get<std::string>()).has_value());

    // A corrupt xz file: the decompressor's failure is reported, nothing is left.
    result = install_bytes(std::string("\xfd"
                                       "7zXZ",
                               5)
            + std::string(1, '\0') + std::string(5000, 'q'),
        "xz", "zvol");
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code_name(), "UncompressionError");
    EXPECT_EQ(
        result.error().message.rfind("xz uncompression error while importing: exit code ", 0), 0U)
        << result.error().message;
    expect_pool_untouched();
}

TEST_F(ImageStoreTest, NotInstalled)
{
    std::string uuid = generate_uuid();
    auto got = store().get("zones", uuid);
    ASSERT_FALSE(got.has_value());
    EXPECT_EQ(got.error().code_name(), "ImageNotInstalled");
    EXPECT_EQ(got.error().exit_status, 3);
    EXPECT_EQ(got.error().message, "image \"" + uuid + "\" was not found on zpool \"zones\"");
    auto removed = store().remove("zones", uuid);
    ASSERT_FALSE(removed.has_value());
    EXPECT_EQ(removed.error().exit_status, 3);
    got = store().get("nosuchpool", uuid);
    ASSERT_FALSE(got.has_value());
    EXPECT_EQ(got.error().message, "image \"" + uuid + "\" was not found on zpool \"nosuchpool\"");
}

TEST_F(ImageStoreTest, WhatIsNotAnImage)
{
    auto p = pool();
    std::string no_final = generate_uuid();
    ASSERT_TRUE(p->create_filesystem("zones/" + no_final, {}));
    std::string ignored = generate_uuid();
    ASSERT_TRUE(p->create_filesystem("zones/" + ignored, {}));
    ASSERT_TRUE(p->snapshot("zones/" + ignored + "@final"));
    ASSERT_TRUE(p->set_user_property("zones/" + ignored, "imgadm:ignore", "true"));
    std::string vm = generate_uuid();
    ASSERT_TRUE(p->create_filesystem("zones/" + vm, {}));
    ASSERT_TRUE(p->snapshot("zones/" + vm + "@final"));
    write_bytes(paths().vm_config(vm), "{}");
    ASSERT_TRUE(p->create_volume("zones/" + vm + "-disk0", 1024 * 1024, {}));
    ASSERT_TRUE(p->snapshot("zones/" + vm + "-disk0@final"));

    auto listed = store().list();
    ASSERT_TRUE(listed.has_value());
    EXPECT_TRUE(listed->empty());
    for (auto const& uuid : { no_final, ignored, vm }) {
        EXPECT_FALSE(store().is_installed("zones", uuid)) << uuid;
        EXPECT_FALSE(store().get("zones", uuid).has_value()) << uuid;
    }
    // A plain dataset with @final and no cache: an image whose manifest is {uuid}.
    std::string bare = generate_uuid();
    ASSERT_TRUE(p->create_filesystem("zones/" + bare, {}));
    ASSERT_TRUE(p->snapshot("zones/" + bare + "@final"));
    auto got = store().get("zones", bare);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->manifest, (Json { { "uuid", bare } }));
    // Corrupt cache: the same.
    write_bytes(paths().image_manifest("zones", bare), "{not json");
    got = store().get("zones", bare);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->manifest, (Json { { "uuid", bare } }));
}

TEST_F(ImageStoreTest, ClonesBlockRemove)
{
    std::string uuid = install_one();
    auto p = pool();
    std::string first = "zones/" + generate_uuid();
    std::string second = "zones/" + generate_uuid();
    ASSERT_TRUE(p->clone("zones/" + uuid + "@final", first, {}));
    auto got = store().get("zones", uuid);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->clone_names, std::vector<std::string> { first });
    auto removed = store().remove("zones", uuid);
    ASSERT_FALSE(removed.has_value());
    EXPECT_EQ(removed.error().code_name(), "ImageHasDependentClones");
    EXPECT_EQ(removed.error().message, "image \"" + uuid + "\" has dependent clones: " + first);
    ASSERT_TRUE(p->clone("zones/" + uuid + "@final", second, {}));
    removed = store().remove("zones", uuid);
    ASSERT_FALSE(removed.has_value());
    EXPECT_EQ(removed.error().message,
        "image \"" + uuid + "\" has dependent clones: " + std::min(first, second)
            + " and 1 others...");
    ASSERT_TRUE(p->destroy(first, pools::Recursive::Yes));
    ASSERT_TRUE(p->destroy(second, pools::Recursive::Yes));
    ASSERT_TRUE(store().remove("zones", uuid).has_value());
    EXPECT_FALSE(store().is_installed("zones", uuid));
    expect_pool_untouched();
}

TEST_F(ImageStoreTest, IncrementalTarAndAncestry)
{
    std::string base = install_one();
    Json child_manifest;
    auto result = install_bytes(
        make_tar({ dir_entry("etc"), file_entry("etc/motd", "child"), file_entry("new", "n") }),
        "gzip", "zone-dataset", &child_manifest, Json { { "origin", base } });
    ASSERT_TRUE(result.has_value()) << result.error().message;
    std::string child = child_manifest.at("uuid").get<std::string>();
    std::string child_root = paths().pool_mountpoint("zones") + "/" + child + "/root";
    EXPECT_EQ(read_file(child_root + "/etc/motd"), "child");
    EXPECT_EQ(read_file(child_root + "/new"), "n");
    EXPECT_EQ(read_file(paths().pool_mountpoint("zones") + "/" + base + "/root/etc/motd"), "hello");

    auto chain = store().ancestry("zones", child);
    ASSERT_TRUE(chain.has_value());
    ASSERT_EQ(chain->size(), 2U);
    EXPECT_EQ((*chain)[0].manifest.at("uuid"), child);
    EXPECT_EQ((*chain)[1].manifest.at("uuid"), base);
    auto removed = store().remove("zones", base);
    ASSERT_FALSE(removed.has_value());
    EXPECT_EQ(removed.error().code_name(), "ImageHasDependentClones");

    // An origin that is not installed.
    std::string missing = generate_uuid();
    Json cache = parse_json(read_file(paths().image_manifest("zones", base))).value();
    cache["manifest"]["origin"] = missing;
    write_bytes(paths().image_manifest("zones", base), dump_pretty(cache));
    chain = store().ancestry("zones", child);
    ASSERT_FALSE(chain.has_value());
    EXPECT_EQ(chain.error().code_name(), "OriginNotInstalled");
    EXPECT_EQ(chain.error().exit_status, 3);
    EXPECT_EQ(
        chain.error().message, "origin image \"" + missing + "\" was not found on zpool \"zones\"");

    result
        = install_bytes(tar_gz(), "gzip", "zone-dataset", nullptr, Json { { "origin", missing } });
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code_name(), "OriginNotInstalled");
}

TEST_F(ImageStoreTest, InstallUnderTheCallersImportLock)
{
    // The importer holds the image's lock and then installs: install must not wait on it.
    std::string file = root() + "/files/image.tgz";
    write_bytes(file, tar_gz());
    Json manifest = manifest_for(file, "gzip");
    bool waited = true;
    auto lock = store().lock_import(manifest.at("uuid").get<std::string>(), &waited);
    ASSERT_TRUE(lock.has_value());
    EXPECT_FALSE(waited);
    image::ImageStore::InstallRequest request;
    request.manifest = manifest;
    request.file_path = file;
    request.source = "http://127.0.0.1:1";
    ASSERT_TRUE(store().install(request).has_value());
    auto got = store().get("zones", manifest.at("uuid").get<std::string>());
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->source, "http://127.0.0.1:1");
    // Installing again is a no-op.
    EXPECT_TRUE(store().install(request).has_value());
}

TEST_F(ImageStoreTest, OrphanPartialFromAKilledInstallIsReplaced)
{
    std::string file = root() + "/files/image.tgz";
    write_bytes(file, tar_gz());
    Json manifest = manifest_for(file, "gzip");
    std::string uuid = manifest.at("uuid").get<std::string>();
    ASSERT_TRUE(pool()->create_filesystem("zones/" + uuid + "-partial", {}));
    image::ImageStore::InstallRequest request;
    request.manifest = manifest;
    request.file_path = file;
    ASSERT_TRUE(store().install(request).has_value());
    EXPECT_TRUE(store().is_installed("zones", uuid));
}

TEST_F(ImageStoreTest, FullPoolFailsCleanly)
{
    if (::geteuid() != 0) {
        GTEST_SKIP() << "mounting a small tmpfs as the pool needs root";
    }
    std::string mount = paths().pool_mountpoint("zones");
    fs::create_directories(mount);
    ASSERT_EQ(::mount("tmpfs", mount.c_str(), "tmpfs", 0, "size=1m"), 0) << std::strerror(errno);
    struct Unmount {
        std::string path;
        ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
    } unmount { mount };
    std::string big;
    for (int i = 0; i < 3000; ++i) {
        big += generate_uuid(); // barely compressible
    }
    big += big + big + big; // ~430 KiB, twice over the snapshot copy exceeds 1 MiB
    std::vector<TarEntry> entries;
    for (int i = 0; i < 6; ++i) {
        entries.push_back(file_entry("f" + std::to_string(i), big));
    }
    auto result = install_bytes(make_tar(entries), "gzip", "zone-dataset");
    EXPECT_FALSE(result.has_value());
    if (!result) {
        // Either the pool refuses the new dataset below its free-space floor (zfs's wording),
        // or the extraction runs out of space.
        std::string const& message = result.error().message;
        EXPECT_TRUE(message.find("out of space") != std::string::npos
            || message.find("No space left on device") != std::string::npos)
            << message;
    }
    expect_pool_untouched();
}

TEST_F(ImageStoreTest, BtrfsStreamOnABtrfsPool)
{
    if (::geteuid() != 0) {
        GTEST_SKIP() << "a btrfs pool on a loop device needs root";
    }
    pools::PoolRegistry registry(paths());
    pools::PoolRegistry::CreateRequest request;
    request.name = "bt";
    request.backend = pools::Backend::Btrfs;
    request.file = root() + "/bt.img";
    request.size_bytes = 512ULL * 1024 * 1024;
    auto made = registry.create(request);
    ASSERT_TRUE(made.has_value()) << made.error().message();
    struct Cleanup {
        pools::PoolRegistry& registry;
        ~Cleanup() { (void)registry.destroy("bt"); }
    } cleanup { registry };
    image::ImageStore store(paths(), registry);

    // A tar image on btrfs.
    std::string file = root() + "/files/tar.tgz";
    write_bytes(file, make_tar({ dir_entry("etc"), file_entry("etc/motd", "btrfs") }));
    image::ImageStore::InstallRequest install;
    install.manifest = manifest_for(file, "gzip");
    install.file_path = file;
    install.pool = "bt";
    auto installed = store.install(install);
    ASSERT_TRUE(installed.has_value()) << installed.error().message;
    std::string tar_uuid = install.manifest.at("uuid").get<std::string>();
    ASSERT_TRUE(store.is_installed("bt", tar_uuid));

    // Its send stream, zstd-compressed, is an image too.
    auto opened = registry.open("bt");
    ASSERT_TRUE(opened.has_value());
    std::string stream = root() + "/files/stream";
    {
        UniqueFd out(::open(stream.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        ASSERT_TRUE(out.valid());
        auto sent = (*opened)->send("bt/" + tar_uuid + "@final", std::nullopt, out.get());
        ASSERT_TRUE(sent.has_value()) << sent.error().message();
    }
    ASSERT_EQ(std::system(("zstd -q --rm " + stream).c_str()), 0);
    install.manifest = manifest_for(stream + ".zst", "zstd");
    install.file_path = stream + ".zst";
    installed = store.install(install);
    ASSERT_TRUE(installed.has_value()) << installed.error().message;
    std::string stream_uuid = install.manifest.at("uuid").get<std::string>();
    EXPECT_TRUE(store.is_installed("bt", stream_uuid));
    auto info = (*opened)->info("bt/" + stream_uuid);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(read_file(info->path + "/root/etc/motd"), "btrfs");
    auto listed = store.list("bt");
    ASSERT_TRUE(listed.has_value());
    EXPECT_EQ(listed->size(), 2U);
    ASSERT_TRUE(store.remove("bt", stream_uuid).has_value());

    // The same stream through a pipe, as imgadm import streams a download (btrfs receive reads
    // it through the relay): installed once verify_stream approves, and not at all otherwise.
    std::string const bytes = read_file(stream + ".zst");
    auto install_piped = [&](bool approve) {
        int fds[2];
        EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
        UniqueFd read_end(fds[0]);
        std::thread feeder([&bytes, out = UniqueFd(fds[1])]() {
            sigset_t pipe_signal; // a reader that stops early means EPIPE, not SIGPIPE
            sigemptyset(&pipe_signal);
            sigaddset(&pipe_signal, SIGPIPE);
            pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
            for (size_t done = 0; done < bytes.size();) {
                ssize_t n = ::write(out.get(), bytes.data() + done, bytes.size() - done);
                if (n <= 0) {
                    return;
                }
                done += static_cast<size_t>(n);
            }
        });
        image::ImageStore::InstallRequest piped = install;
        piped.verify_file = false;
        piped.stream_fd = read_end.get();
        piped.verify_stream = [approve]() -> image::ImgResult<void> {
            if (approve) {
                return {};
            }
            return image::img_error(image::ImgCode::DownloadError, "the download was wrong");
        };
        auto result = store.install(piped);
        read_end = UniqueFd();
        feeder.join();
        return result;
    };
    auto refused = install_piped(false);
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().message, "the download was wrong");
    EXPECT_FALSE(store.is_installed("bt", stream_uuid));
    EXPECT_FALSE((*opened)->info("bt/" + stream_uuid + "-partial").has_value());
    auto piped = install_piped(true);
    ASSERT_TRUE(piped.has_value()) << piped.error().message;
    EXPECT_TRUE(store.is_installed("bt", stream_uuid));
    info = (*opened)->info("bt/" + stream_uuid);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(read_file(info->path + "/root/etc/motd"), "btrfs");

    ASSERT_TRUE(store.remove("bt", stream_uuid).has_value());
    ASSERT_TRUE(store.remove("bt", tar_uuid).has_value());
}

} // namespace
} // namespace lumos::test
