// SPDX-License-Identifier: MPL-2.0
// zvol images through ImageStore: raw disks in every compression and zfs send streams of a
// volume (support/zfs_stream_builder.hpp) become the volume <pool>/<uuid> with @final, byte for
// byte and sparse, from a file or from a stream as imgadm import hands it over; the wrong file
// for the type, every refused stream and a pool that fills up leave nothing behind.
#include "base/file.hpp"
#include "image_test_util.hpp"
#include "support/zfs_stream_builder.hpp"

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <random>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <pthread.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lumos::test {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t MIB = uint64_t { 1024 } * 1024;

std::string noise(size_t size, unsigned seed)
{
    std::mt19937 generator(seed);
    std::string data(size, '\0');
    for (size_t at = 0; at < size; at += 4) {
        auto const word = static_cast<uint32_t>(generator());
        std::memcpy(data.data() + at, &word, std::min<size_t>(4, size - at));
    }
    return data;
}

// 8 MiB, mostly empty: a boot sector, 64 KiB of data at 5 MiB, a last block.
std::string sample_disk()
{
    std::string disk(8 * MIB, '\0');
    disk.replace(0, 512, noise(512, 1));
    disk.replace(5 * MIB, 64 * 1024, noise(64 * 1024, 2));
    disk.replace(8 * MIB - 4096, 4096, noise(4096, 3));
    return disk;
}

// The whole file (read_file of the test support goes a character at a time: too slow for disks).
std::string contents(std::string const& path)
{
    std::string data(static_cast<size_t>(fs::file_size(path)), '\0');
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    EXPECT_TRUE(fd.valid()) << path;
    size_t done = 0;
    while (fd.valid() && done < data.size()) {
        ssize_t const got = ::read(fd.get(), data.data() + done, data.size() - done);
        if (got <= 0) {
            break;
        }
        done += static_cast<size_t>(got);
    }
    EXPECT_EQ(done, data.size()) << path;
    return data;
}

uint64_t allocated_bytes(std::string const& path)
{
    struct stat st { };
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return static_cast<uint64_t>(st.st_blocks) * 512;
}

class ZvolImageTest : public StoreFixture {
protected:
    // The bytes compressed by the tool imgadm would use to decompress them.
    std::string compressed(std::string const& bytes, std::string const& compression)
    {
        if (compression == "none") {
            return bytes;
        }
        std::string const plain = root() + "/files/" + generate_uuid();
        write_bytes(plain, bytes);
        std::string const packed = plain + ".packed";
        std::string const command
            = compression + " -c -q " + plain + " > " + packed; // gzip, bzip2, xz, zstd
        EXPECT_EQ(std::system(command.c_str()), 0) << command;
        std::string text = contents(packed);
        fs::remove(plain);
        fs::remove(packed);
        return text;
    }

    // Installs bytes as a zvol image; its uuid, or "" after a failure (reported).
    std::string install_zvol(std::string const& bytes, std::string const& compression,
        Json const& extra = Json::object())
    {
        Json manifest;
        auto result = install_bytes(bytes, compression, "zvol", &manifest, extra);
        EXPECT_TRUE(result.has_value()) << (result ? "" : result.error().message);
        return result ? manifest.at("uuid").get<std::string>() : std::string();
    }

    // The volume of an installed image is exactly `disk`, sparse, and so is its @final.
    void expect_volume(std::string const& uuid, std::string const& disk)
    {
        ASSERT_FALSE(uuid.empty());
        EXPECT_TRUE(store().is_installed("zones", uuid));
        auto info = pool()->info("zones/" + uuid);
        ASSERT_TRUE(info.has_value());
        EXPECT_EQ(info->type, pools::DatasetType::Volume);
        EXPECT_EQ(info->volume_size_bytes, std::optional<uint64_t>(disk.size()));
        EXPECT_TRUE(contents(info->path) == disk) << "volume content differs";
        // 72 KiB of blocks hold data.
        EXPECT_LT(allocated_bytes(info->path), 512 * 1024) << "the empty blocks were written";
        auto final_snapshot = pool()->info("zones/" + uuid + "@final");
        ASSERT_TRUE(final_snapshot.has_value());
        EXPECT_TRUE(contents(final_snapshot->path) == disk) << "@final differs";
    }

    // Installs bytes through a pipe, as imgadm import streams a download: installed only when
    // verify_stream approves.
    image::ImgResult<void> install_piped(
        std::string const& bytes, Json const& manifest, bool approve)
    {
        int fds[2];
        EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
        UniqueFd read_end(fds[0]);
        std::thread feeder([&bytes, out = UniqueFd(fds[1])]() {
            sigset_t pipe_signal; // a reader that stops early means EPIPE, not SIGPIPE
            sigemptyset(&pipe_signal);
            sigaddset(&pipe_signal, SIGPIPE);
            pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
            (void)write_fully(out.get(), bytes.data(), bytes.size());
        });
        image::ImageStore::InstallRequest request;
        request.manifest = manifest;
        request.file_path = root() + "/var/tmp/.imgadm-downloads/"
            + manifest.at("uuid").get<std::string>() + ".file";
        request.verify_file = false;
        request.stream_fd = read_end.get();
        request.verify_stream = [approve]() -> image::ImgResult<void> {
            if (approve) {
                return {};
            }
            return image::img_error(image::ImgCode::DownloadError, "the download was wrong");
        };
        auto result = store().install(request);
        read_end = UniqueFd();
        feeder.join();
        return result;
    }
};

TEST_F(ZvolImageTest, RawDiskInEveryCompressionRoundTripsSparse)
{
    std::string const disk = sample_disk();
    for (std::string compression : { "gzip", "bzip2", "xz", "zstd", "none" }) {
        SCOPED_TRACE(compression);
        // image_size says less than the disk: the volume is the disk's size all the same, as
        // imgadm's zfs receive makes the stream's volsize whatever the manifest says.
        std::string uuid
            = install_zvol(compressed(disk, compression), compression, { { "image_size", 4 } });
        expect_volume(uuid, disk);
    }
}

TEST_F(ZvolImageTest, CompressionIsSniffedWhenTheManifestDoesNotSayIt)
{
    std::string const disk = sample_disk();
    std::string const file = root() + "/files/disk.xz";
    write_bytes(file, compressed(disk, "xz"));
    Json manifest = manifest_for(file, "xz", "zvol");
    manifest["files"][0].erase("compression");
    image::ImageStore::InstallRequest request;
    request.manifest = manifest;
    request.file_path = file;
    auto installed = store().install(request);
    ASSERT_TRUE(installed.has_value()) << installed.error().message;
    expect_volume(manifest.at("uuid").get<std::string>(), disk);
}

TEST_F(ZvolImageTest, AMostlyEmptyDiskCostsItsData)
{
    std::string const plain = root() + "/files/big.raw";
    fs::create_directories(root() + "/files");
    {
        UniqueFd fd(::open(plain.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
        ASSERT_TRUE(fd.valid());
        ASSERT_EQ(::ftruncate(fd.get(), static_cast<off_t>(512 * MIB)), 0);
        std::string const data = noise(8192, 4);
        ASSERT_EQ(::pwrite(fd.get(), data.data(), data.size(), 0), 8192);
        ASSERT_EQ(
            ::pwrite(fd.get(), data.data(), data.size(), static_cast<off_t>(400 * MIB)), 8192);
    }
    ASSERT_EQ(std::system(("zstd -q -1 --rm " + plain).c_str()), 0);
    image::ImageStore::InstallRequest request;
    request.manifest = manifest_for(plain + ".zst", "zstd", "zvol");
    request.file_path = plain + ".zst";
    auto installed = store().install(request);
    ASSERT_TRUE(installed.has_value()) << installed.error().message;
    auto info = pool()->info("zones/" + request.manifest.at("uuid").get<std::string>());
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->volume_size_bytes, std::optional<uint64_t>(512 * MIB));
    struct stat st { };
    ASSERT_EQ(::stat(info->path.c_str(), &st), 0);
    EXPECT_EQ(static_cast<uint64_t>(st.st_size), 512 * MIB);
    EXPECT_LT(allocated_bytes(info->path), MIB);
}

TEST_F(ZvolImageTest, ZfsSendStreamOfAVolumeIsDecodedIntoIt)
{
    std::string const disk = sample_disk();
    for (std::string compression : { "gzip", "none" }) {
        SCOPED_TRACE(compression);
        std::string uuid = install_zvol(compressed(volume_stream(disk), compression), compression);
        expect_volume(uuid, disk);
        // What VMs do with it: a clone of @final is the disk.
        ASSERT_TRUE(pool()->clone("zones/" + uuid + "@final", "zones/vm-" + compression, {}));
        auto clone = pool()->info("zones/vm-" + compression);
        ASSERT_TRUE(clone.has_value());
        EXPECT_EQ(clone->volume_size_bytes, std::optional<uint64_t>(disk.size()));
        EXPECT_TRUE(contents(clone->path) == disk);
    }
}

TEST_F(ZvolImageTest, StreamedLikeAnImportAndCommittedOnlyOnTheDownloadsVerdict)
{
    std::string const disk = sample_disk();
    struct Case {
        char const* name;
        std::string bytes;
        std::string compression;
    };
    for (Case const& each : { Case { "raw disk", compressed(disk, "xz"), "xz" },
             Case { "zfs stream", compressed(volume_stream(disk), "gzip"), "gzip" } }) {
        SCOPED_TRACE(each.name);
        std::string const file = root() + "/files/" + generate_uuid();
        write_bytes(file, each.bytes);
        Json const manifest = manifest_for(file, each.compression, "zvol");
        auto refused = install_piped(each.bytes, manifest, false);
        ASSERT_FALSE(refused.has_value());
        EXPECT_EQ(refused.error().message, "the download was wrong");
        expect_pool_untouched();
        auto installed = install_piped(each.bytes, manifest, true);
        ASSERT_TRUE(installed.has_value()) << installed.error().message;
        std::string const uuid = manifest.at("uuid").get<std::string>();
        expect_volume(uuid, disk);
        ASSERT_TRUE(store().remove("zones", uuid).has_value());
        fs::remove(file);
    }
}

TEST_F(ZvolImageTest, TheWrongFileForTheTypeIsRefused)
{
    std::string const tar = make_tar({ file_entry("etc/motd", "hello") });
    auto result = install_bytes(tar, "gzip", "zvol");
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code_name(), "InvalidImageFile");
    EXPECT_NE(result.error().message.find(" is a tar archive, not a disk or a zfs send stream of a "
                                          "volume (image type zvol)"),
        std::string::npos)
        << result.error().message;
    expect_pool_untouched();

    std::string const btrfs = std::string("btrfs-stream\0", 13) + std::string(2000, '\1');
    result = install_bytes(btrfs, "none", "zvol");
    ASSERT_FALSE(result.has_value());
    EXPECT_NE(result.error().message.find("is a btrfs send stream, not a disk"), std::string::npos)
        << result.error().message;
    expect_pool_untouched();

    // A volume's stream is not a zone's, and a filesystem's not a zvol image.
    result = install_bytes(volume_stream(sample_disk()), "none", "zone-dataset");
    ASSERT_FALSE(result.has_value());
    EXPECT_NE(result.error().message.find("is a zfs send stream of a volume, not of a filesystem "
                                          "(image type zone-dataset)"),
        std::string::npos)
        << result.error().message;
    expect_pool_untouched();
    ZfsStreamBuilder::Begin filesystem;
    filesystem.objset = ZfsStreamBuilder::OST_ZFS;
    result = install_bytes(ZfsStreamBuilder(filesystem).end(), "none", "zvol");
    ASSERT_FALSE(result.has_value());
    EXPECT_NE(result.error().message.find("is a zfs send stream of a filesystem, not of a volume "
                                          "(image type zvol)"),
        std::string::npos)
        << result.error().message;
    expect_pool_untouched();
}

struct BadStream {
    char const* name;
    std::function<std::string()> stream;
    char const* code;
    char const* message; // the error's message, "<uuid>" standing for the image's
};

std::vector<BadStream> bad_streams()
{
    auto disk = [] { return std::string(64 * 1024, 'd'); };
    return {
        { "Truncated",
            [disk] {
                std::string s = volume_stream(disk());
                return s.substr(0, s.size() - 400);
            },
            "InvalidImageFile",
            "invalid image file: zfs send stream: the stream ends inside record 16 (truncated)" },
        { "Incremental",
            [disk] {
                ZfsStreamBuilder::Begin begin;
                begin.fromguid = 0x1234;
                return volume_stream_records(disk(), 8192, begin).end();
            },
            "NotSupported",
            "image <uuid>: zfs send stream uses an incremental send (from snapshot guid 0x1234), "
            "which pool \"zones\" (dir) cannot decode" },
        { "WrongChecksum",
            [disk] {
                std::string s = volume_stream(disk());
                s[s.size() - 312 + 8] ^= 1; // END's checksum of the stream
                return s;
            },
            "InvalidImageFile",
            "invalid image file: zfs send stream: record 17 (END): bad checksum" },
        { "OversizedOffset",
            [] {
                ZfsStreamBuilder b;
                b.object(1, ZfsStreamBuilder::OT_ZVOL, 8192);
                b.write(1, uint64_t { 9 } << 40, std::string(8192, 'o'));
                return b.end();
            },
            "InvalidImageFile",
            "invalid image file: zfs send stream: record 3 (WRITE): at offset 9895604649984 past "
            "the largest volume (8 TiB)" },
        { "UnknownRecordType",
            [] {
                ZfsStreamBuilder b;
                b.object(1, ZfsStreamBuilder::OT_ZVOL, 8192).raw(99);
                return b.end();
            },
            "InvalidImageFile",
            "invalid image file: zfs send stream: record 3 has the unknown type 99" },
        { "FilesystemStream",
            [] {
                ZfsStreamBuilder::Begin begin;
                begin.objset = ZfsStreamBuilder::OST_ZFS;
                ZfsStreamBuilder b(begin);
                b.object(1, 21, 512);
                return b.end();
            },
            "InvalidImageFile",
            "is a zfs send stream of a filesystem, not of a volume (image type zvol)" },
        { "Compressed",
            [disk] {
                ZfsStreamBuilder::Begin begin;
                begin.features = ZfsStreamBuilder::FEATURE_COMPRESSED;
                return volume_stream_records(disk(), 8192, begin).end();
            },
            "NotSupported",
            "image <uuid>: zfs send stream uses compressed records (zfs send -c), which pool "
            "\"zones\" (dir) cannot decode" },
        { "AfterDataWasWritten",
            [disk] {
                ZfsStreamBuilder b = volume_stream_records(disk());
                b.raw(ZfsStreamBuilder::SPILL);
                return b.end();
            },
            "NotSupported",
            "image <uuid>: zfs send stream uses SPILL records, which pool \"zones\" (dir) cannot "
            "decode" },
    };
}

class ZvolBadStreamTest
    : public StoreFixture
    , public ::testing::WithParamInterface<BadStream> { };

TEST_P(ZvolBadStreamTest, IsRefusedAndLeavesNothing)
{
    for (std::string compression : { "none", "gzip" }) {
        SCOPED_TRACE(compression);
        std::string bytes = GetParam().stream();
        if (compression == "gzip") {
            std::string const plain = root() + "/files/stream";
            write_bytes(plain, bytes);
            ASSERT_EQ(std::system(("gzip -q -f " + plain).c_str()), 0);
            bytes = contents(plain + ".gz");
            fs::remove(plain + ".gz");
        }
        Json manifest;
        auto result = install_bytes(bytes, compression, "zvol", &manifest);
        ASSERT_FALSE(result.has_value());
        EXPECT_EQ(result.error().code_name(), GetParam().code);
        std::string expected = GetParam().message;
        if (auto at = expected.find("<uuid>"); at != std::string::npos) {
            expected.replace(at, 6, manifest.at("uuid").get<std::string>());
        }
        EXPECT_NE(result.error().message.find(expected), std::string::npos)
            << result.error().message;
        expect_pool_untouched();
    }
}

INSTANTIATE_TEST_SUITE_P(Streams, ZvolBadStreamTest, ::testing::ValuesIn(bad_streams()),
    [](::testing::TestParamInfo<BadStream> const& param) { return std::string(param.param.name); });

TEST_F(ZvolImageTest, APoolThatFillsUpFailsCleanly)
{
    if (::geteuid() != 0) {
        GTEST_SKIP() << "mounting a small tmpfs as the pool needs root";
    }
    std::string const mount = paths().pool_mountpoint("zones");
    fs::create_directories(mount);
    ASSERT_EQ(::mount("tmpfs", mount.c_str(), "tmpfs", 0, "size=48m"), 0) << std::strerror(errno);
    struct Unmount {
        std::string path;
        ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
    } unmount { mount };
    // 64 MiB of data: more than the pool can take above its floor of 16 MiB.
    auto result = install_bytes(noise(64 * MIB, 5), "none", "zvol");
    ASSERT_FALSE(result.has_value());
    EXPECT_NE(result.error().message.find("out of space (pool has "), std::string::npos)
        << result.error().message;
    expect_pool_untouched();
}

TEST_F(ZvolImageTest, OnABtrfsPool)
{
    if (::geteuid() != 0 || std::getenv("LUMOS_HOST_TESTS") == nullptr) {
        GTEST_SKIP() << "a btrfs pool on a loop device needs root and LUMOS_HOST_TESTS=1";
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
    auto opened = registry.open("bt");
    ASSERT_TRUE(opened.has_value());

    std::string const disk = sample_disk();
    for (bool stream : { false, true }) {
        SCOPED_TRACE(stream ? "zfs stream" : "raw disk");
        std::string const file = root() + "/files/" + generate_uuid();
        write_bytes(file, compressed(stream ? volume_stream(disk) : disk, "zstd"));
        image::ImageStore::InstallRequest install;
        install.manifest = manifest_for(file, "zstd", "zvol");
        install.file_path = file;
        install.pool = "bt";
        auto installed = store.install(install);
        ASSERT_TRUE(installed.has_value()) << installed.error().message;
        std::string const uuid = install.manifest.at("uuid").get<std::string>();
        EXPECT_TRUE(store.is_installed("bt", uuid));
        auto info = (*opened)->info("bt/" + uuid);
        ASSERT_TRUE(info.has_value());
        EXPECT_EQ(info->type, pools::DatasetType::Volume);
        EXPECT_EQ(info->volume_size_bytes, std::optional<uint64_t>(disk.size()));
        EXPECT_TRUE(contents(info->path) == disk);
        EXPECT_LT(allocated_bytes(info->path), 2 * MIB);
        ASSERT_TRUE(store.remove("bt", uuid).has_value());
    }

    // A refused stream leaves the btrfs pool as it was too.
    std::string const file = root() + "/files/truncated";
    std::string const full = volume_stream(disk);
    write_bytes(file, full.substr(0, full.size() / 2));
    image::ImageStore::InstallRequest install;
    install.manifest = manifest_for(file, "none", "zvol");
    install.file_path = file;
    install.pool = "bt";
    auto refused = store.install(install);
    ASSERT_FALSE(refused.has_value());
    EXPECT_NE(refused.error().message.find("(truncated)"), std::string::npos)
        << refused.error().message;
    auto left = (*opened)->list();
    ASSERT_TRUE(left.has_value());
    EXPECT_TRUE(left->empty());
}

} // namespace
} // namespace lumos::test
