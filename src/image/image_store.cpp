// SPDX-License-Identifier: MPL-2.0
#include "image/image_store.hpp"

#include "base/uuid.hpp"
#include "image/detail/btrfs_stream.hpp"
#include "image/detail/decompress.hpp"
#include "image/detail/tar_extract.hpp"
#include "image/detail/volume_writer.hpp"
#include "image/detail/zfs_stream.hpp"
#include "image/digest.hpp"
#include "image/manifest.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <map>
#include <set>

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lumos::image {

namespace {

constexpr char const* FINAL = "final";
// zfs volsize is a multiple of the volblocksize, which is at most 128 KiB (without large blocks).
constexpr uint64_t ZVOL_SIZE_STEP = uint64_t { 128 } * 1024;

Json const* first_file(Json const& manifest)
{
    if (!manifest.is_object()) {
        return nullptr;
    }
    auto files = manifest.find("files");
    if (files == manifest.end() || !files->is_array() || files->empty()
        || !(*files)[0].is_object()) {
        return nullptr;
    }
    return &(*files)[0];
}

std::string lock_path(Paths const& paths, std::string const& uuid)
{
    return paths.run_dir() + "/img." + uuid + ".import.lock";
}

// Whether this process has the lock file open, i.e. holds lock_import() for it (the importer
// takes the lock and then calls install(), which must not wait on itself).
bool held_by_this_process(std::string const& lock_file)
{
    // /proc/self/fd links are canonical paths: compare with the lock file's canonical path.
    std::string path = lock_file;
    char real[PATH_MAX];
    if (::realpath(lock_file.c_str(), real) != nullptr) {
        path = real;
    }
    DIR* dir = ::opendir("/proc/self/fd");
    if (dir == nullptr) {
        return false;
    }
    bool found = false;
    while (dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] == '.') {
            continue;
        }
        std::string link = std::string("/proc/self/fd/") + entry->d_name;
        char target[PATH_MAX];
        ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
        if (n > 0 && std::string(target, static_cast<size_t>(n)) == path) {
            found = true;
            break;
        }
    }
    ::closedir(dir);
    return found;
}

// The first (up to 1024) decompressed bytes of a file.
ImgResult<std::string> read_head(std::string const& file, std::string const& compression)
{
    TRY_ASSIGN(stream, detail::Decompressed::open(file, compression));
    std::string head(1024, '\0');
    TRY_ASSIGN(got, stream.read_full(head.data(), head.size()));
    if (got < head.size()) {
        TRY(stream.finish());
    } else {
        stream.abandon();
    }
    head.resize(got);
    return head;
}

// The format the first decompressed bytes show; nullopt when they are none of the formats that
// say what they are (a raw disk does not).
std::optional<FileFormat> format_of_head(std::string_view head)
{
    size_t const got = head.size();
    if (got >= 13 && std::memcmp(head.data(), "btrfs-stream", 13) == 0) {
        return FileFormat::BtrfsStream;
    }
    if (got >= 16) {
        // DRR_BEGIN: drr_type (4), drr_payloadlen (4), drr_magic (8) = 0x2F5bacbac.
        uint64_t magic = 0;
        std::memcpy(&magic, head.data() + 8, sizeof magic);
        if (magic == 0x2F5bacbacULL || __builtin_bswap64(magic) == 0x2F5bacbacULL) {
            return FileFormat::ZfsStream;
        }
    }
    if (got >= 512) {
        if (std::memcmp(head.data() + 257, "ustar", 5) == 0) {
            return FileFormat::Tar;
        }
        // v7 tar: the header checksum (bytes 148..155 counted as spaces) matches.
        unsigned sum = 0;
        for (size_t i = 0; i < 512; ++i) {
            sum += (i >= 148 && i < 156) ? 32U : static_cast<unsigned char>(head[i]);
        }
        std::string field(head.data() + 148, 8);
        unsigned long stored = std::strtoul(field.c_str(), nullptr, 8);
        if (head[0] != 0 && stored == sum) {
            return FileFormat::Tar;
        }
    }
    return std::nullopt;
}

char const* format_name(FileFormat format)
{
    switch (format) {
    case FileFormat::Tar:
        return "a tar archive";
    case FileFormat::BtrfsStream:
        return "a btrfs send stream";
    case FileFormat::ZfsStream:
        return "a zfs send stream";
    case FileFormat::RawDisk:
        return "a raw disk";
    }
    return "unknown";
}

// The format of an image of this type from its first decompressed bytes: a zvol image is a zfs
// send stream or else a raw disk (whatever its bytes, unless they are another type's format);
// the others are a tar archive or a send stream.
ImgResult<FileFormat> detect_format_of_head(
    std::string_view head, std::string const& file, std::string const& type)
{
    if (head.empty()) {
        return img_error(ImgCode::InvalidImageFile,
            "invalid image file: " + file + " is empty after decompression");
    }
    auto const format = format_of_head(head);
    if (type == "zvol") {
        if (!format || *format == FileFormat::ZfsStream) {
            return format.value_or(FileFormat::RawDisk);
        }
        return img_error(ImgCode::InvalidImageFile,
            "invalid image file: " + file + " is " + format_name(*format)
                + ", not a disk or a zfs send stream of a volume (image type zvol)");
    }
    if (!format) {
        return img_error(ImgCode::InvalidImageFile,
            "invalid image file: " + file
                + " is neither a tar archive nor a btrfs or zfs send stream");
    }
    return *format;
}

// What a zfs send stream's BEGIN record must say for an image of this type on this pool: a
// volume for zvol images (one full send: they are never incremental), a filesystem for the
// others. The decoder of dir and btrfs pools checks the rest.
ImgResult<void> check_zfs_begin(std::string_view head, std::string const& file,
    std::string const& uuid, std::string const& type, pools::Backend backend)
{
    TRY_ASSIGN(begin, detail::parse_zfs_begin(head));
    if (begin.big_endian) {
        return {}; // zfs receive reads it; the decoder refuses it
    }
    bool const volume = begin.objset == detail::ZfsStreamBegin::Objset::Volume;
    if ((type == "zvol") != volume) {
        return img_error(ImgCode::InvalidImageFile,
            "invalid image file: " + file + " is a zfs send stream of a "
                + (volume ? "volume" : "filesystem") + ", not of a "
                + (volume ? "filesystem" : "volume") + " (image type " + type + ")");
    }
    if (volume && backend == pools::Backend::Zfs) {
        if (auto feature = detail::unreceivable_feature(begin)) {
            return img_error(ImgCode::NotSupported,
                "image " + uuid + ": zfs send stream uses " + *feature
                    + ", which a zvol image cannot use (full sends only)");
        }
    }
    return {};
}

// Where a volume's bytes are written (Pool::volume_path): its file on dir and btrfs pools, its
// zvol device on zfs, which udev makes shortly after `zfs create`.
ImgResult<std::string> volume_device(pools::Pool const& pool, std::string const& dataset)
{
    std::string const path = pool.volume_path(dataset);
    if (pool.backend() != pools::Backend::Zfs) {
        return path;
    }
    for (int tries = 0; tries < 100; ++tries) {
        if (::access(path.c_str(), W_OK) == 0) {
            return path;
        }
        ::usleep(100 * 1000);
    }
    return img_error(ImgCode::FileSystem, "volume " + dataset + " has no device " + path);
}

// Reads the rest of a stream so that its decompressor can exit, then reports its status.
ImgResult<void> drain_and_finish(detail::Decompressed& stream)
{
    std::vector<char> buffer(size_t { 64 } * 1024);
    for (;;) {
        auto got = stream.read_full(buffer.data(), buffer.size());
        if (!got || *got == 0) {
            break;
        }
    }
    return stream.finish();
}

// Removes what a failed install wrote into its own partial dataset (no symlink is followed).
void empty_directory(std::string const& path)
{
    std::error_code ignored;
    for (auto const& item : std::filesystem::directory_iterator(path, ignored)) {
        std::filesystem::remove_all(item.path(), ignored);
    }
}

} // namespace

Result<FileLock> ImageStore::lock_import(std::string const& uuid, bool* waited) const
{
    TRY(make_directories(paths().run_dir()));
    std::string const path = lock_path(paths(), uuid);
    if (waited != nullptr) {
        *waited = false;
        UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
        if (fd.valid() && ::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) {
            return FileLock::adopt(std::move(fd));
        }
        *waited = true;
    }
    return FileLock::acquire(path);
}

// NOLINTNEXTLINE(readability-function-size): the install steps in order; to be split per step
ImgResult<void> ImageStore::install(InstallRequest const& request)
{
    Json const& manifest = request.manifest;
    std::string const uuid = string_or(manifest, "uuid");
    if (!is_uuid(uuid)) {
        return img_error(ImgCode::InvalidManifest, "manifest is invalid: no valid uuid");
    }
    // Before anything is written: an image is installed only with a size and sha1 to check.
    TRY_ASSIGN(file, image_file(manifest));
    Json const* file_entry = first_file(manifest);

    if (request.verify_file) {
        struct stat st { };
        if (::stat(request.file_path.c_str(), &st) != 0) {
            return img_error(
                ImgCode::FileSystem, "file path does not exist: \"" + request.file_path + "\"");
        }
        if (static_cast<uint64_t>(st.st_size) != file.size) {
            return img_error(ImgCode::DownloadError, // imgadm's code for both checks
                "image file size error: manifest says " + std::to_string(file.size) + " bytes, "
                    + request.file_path + " is " + std::to_string(st.st_size) + " bytes");
        }
        TRY_ASSIGN(digest, digest_file(request.file_path));
        if (digest.sha1 != file.sha1) {
            return img_error(ImgCode::DownloadError,
                "image file checksum (sha1) error: manifest says \"" + file.sha1 + "\", "
                    + request.file_path + " is \"" + digest.sha1 + "\"");
        }
    }

    auto opened = pools().open(request.pool);
    if (!opened) {
        return tl::unexpected(ImgError(opened.error()));
    }
    pools::Pool& pool = **opened;

    std::optional<FileLock> lock;
    if (!held_by_this_process(lock_path(paths(), uuid))) {
        TRY_ASSIGN(taken, lock_import(uuid));
        lock.emplace(std::move(taken));
    }
    if (is_installed(request.pool, uuid)) {
        return {};
    }

    std::string const dataset = request.pool + "/" + uuid;
    std::string const partial = dataset + "-partial";
    TRY_ASSIGN(dataset_exists, pool.exists(dataset));
    if (dataset_exists) {
        return img_error(
            ImgCode::InternalError, "dataset " + dataset + " already exists and is not an image");
    }
    TRY_ASSIGN(orphan, pool.exists(partial));
    if (orphan) {
        TRY(pool.destroy(partial, pools::Recursive::Yes)); // left by a killed install
    }

    std::string const cache = paths().image_manifest(request.pool, uuid);
    auto work = [&]() -> ImgResult<void> {
        TRY(make_directories(paths().imgadm_dir() + "/images"));
        Json entry { { "manifest", manifest }, { "zpool", request.pool } };
        if (!request.source.empty()) {
            entry["source"] = request.source;
        }
        TRY(write_file_atomic(cache, dump_pretty(entry) + "\n"));

        bool const streaming = request.stream_fd >= 0;
        // A stream cannot be sniffed twice: its compression is the manifest's (or none).
        std::string const compression = detail::effective_compression(
            file_entry != nullptr ? string_or(*file_entry, "compression") : "",
            streaming ? std::string() : request.file_path);
        std::string const type = string_or(manifest, "type");
        std::optional<detail::StreamSource> source;
        if (streaming) {
            UniqueFd input(::dup(request.stream_fd));
            if (!input.valid()) {
                return img_error(
                    ImgCode::InternalError, std::string("dup: ") + std::strerror(errno));
            }
            TRY_ASSIGN(opened_source, detail::StreamSource::open(std::move(input), compression));
            source.emplace(std::move(opened_source));
        }
        // Runs use() over the decompressed bytes, then reads what is left so the decompressor
        // can exit. Errors in order of what they explain: the download's verdict (a truncated
        // or corrupt download makes any later step fail), the decompressor's, use()'s.
        // use(head, fd) reads the decompressed stream as head then fd; with relay, head is empty
        // and fd carries everything.
        auto consume = [&](bool relay, auto&& use) -> ImgResult<void> {
            if (source) {
                ImgResult<void> used;
                if (relay) {
                    auto relayed = source->relayed_fd();
                    used = relayed ? use(std::string_view(), *relayed)
                                   : ImgResult<void>(tl::unexpected(relayed.error()));
                } else {
                    used = use(std::string_view(source->head()), source->raw_fd());
                }
                auto finished = source->finish();
                if (request.verify_stream) {
                    TRY(request.verify_stream());
                }
                TRY(finished);
                return used;
            }
            TRY_ASSIGN(stream, detail::Decompressed::open(request.file_path, compression));
            auto used = use(std::string_view(), stream.fd());
            TRY(drain_and_finish(stream)); // a truncated or corrupt file says more
            return used;
        };
        std::string first_bytes;
        if (source) {
            first_bytes = source->head();
        } else {
            TRY_ASSIGN(read, read_head(request.file_path, compression));
            first_bytes = std::move(read);
        }
        TRY_ASSIGN(format, detect_format_of_head(first_bytes, request.file_path, type));
        if (format == FileFormat::BtrfsStream && pool.backend() != pools::Backend::Btrfs) {
            return img_error(ImgCode::NotSupported,
                "image " + uuid + " is a btrfs send stream, which pool \"" + request.pool + "\" ("
                    + pools::backend_name(pool.backend()) + ") cannot receive");
        }
        if (format == FileFormat::ZfsStream) {
            TRY(check_zfs_begin(first_bytes, request.file_path, uuid, type, pool.backend()));
        }
        // A zvol image's disk or zfs send stream is written into the volume by our code, except
        // for a stream into a zfs pool, which `zfs receive` takes.
        bool const to_volume = format == FileFormat::RawDisk
            || (format == FileFormat::ZfsStream && type == "zvol"
                && pool.backend() != pools::Backend::Zfs);
        if (format == FileFormat::ZfsStream && !to_volume
            && pool.backend() != pools::Backend::Zfs) {
            return img_error(ImgCode::NotSupported,
                "image " + uuid + " is a zfs send stream, which pool \"" + request.pool + "\" ("
                    + pools::backend_name(pool.backend()) + ") cannot receive");
        }

        if (format == FileFormat::Tar) {
            std::string const origin = string_or(manifest, "origin");
            if (!origin.empty()) {
                if (!is_installed(request.pool, origin)) {
                    return img_error(ImgCode::OriginNotInstalled,
                        "origin image \"" + origin + "\" was not found on zpool \"" + request.pool
                            + "\"",
                        3);
                }
                TRY(pool.clone(request.pool + "/" + origin + "@" + FINAL, partial, {}));
            } else {
                TRY(pool.create_filesystem(partial, {}));
            }
            detail::TarPolicy policy;
            static_cast<detail::TreePolicy&>(policy) = detail::tree_policy_for(type);
            policy.overwrite = !origin.empty();
            policy.keep_owners = ::geteuid() == 0;
            TRY(consume(false, [&](std::string_view head, int fd) {
                return detail::extract_root_tar(head, fd, pool.path_of(partial), policy);
            }));
            TRY(pool.snapshot(partial + "@" + FINAL));
        } else if (to_volume) {
            // A streamed disk's size is known only at its end: a file volume grows as it is
            // written and is then given its size; a zvol device cannot be written past its
            // volsize, so a zfs volume is made (sparse) as large as any and shrunk at the end to
            // the disk's size rounded up to a multiple of any volblocksize (128 KiB), as zfs
            // requires.
            bool const zvol = pool.backend() == pools::Backend::Zfs;
            TRY(pool.create_volume(partial, zvol ? detail::MAX_VOLUME_BYTES : 0, {}));
            TRY_ASSIGN(device, volume_device(pool, partial));
            detail::VolumeWriter writer(device, pool.mountpoint(), partial);
            TRY(writer.open());
            uint64_t size = 0;
            TRY(consume(false, [&](std::string_view bytes, int fd) -> ImgResult<void> {
                auto decoded = format == FileFormat::RawDisk
                    ? detail::copy_raw_disk(bytes, fd, writer)
                    : detail::decode_zvol_stream(bytes, fd, writer);
                if (!decoded) {
                    ImgError error = decoded.error();
                    if (error.code == ImgCode::NotSupported) {
                        error.message = "image " + uuid + ": " + error.message + ", which pool \""
                            + request.pool + "\" (" + pools::backend_name(pool.backend())
                            + ") cannot decode";
                    }
                    return tl::unexpected(std::move(error));
                }
                size = *decoded;
                return writer.sync();
            }));
            if (size == 0) {
                return img_error(ImgCode::InvalidImageFile,
                    "invalid image file: " + request.file_path + " is empty after decompression");
            }
            if (zvol) {
                size = (size + ZVOL_SIZE_STEP - 1) / ZVOL_SIZE_STEP * ZVOL_SIZE_STEP;
            }
            TRY(pool.resize_volume(partial, size));
            TRY(pool.snapshot(partial + "@" + FINAL));
        } else {
            // A btrfs stream reaches `btrfs receive` only command by command, each checked
            // (btrfs_stream.hpp), and what it made is checked again before it becomes @final.
            bool const btrfs_stream = format == FileFormat::BtrfsStream;
            detail::TreePolicy const policy = detail::tree_policy_for(type);
            auto receive = [&](int fd) -> ImgResult<void> {
                auto received = pool.receive(partial, fd);
                if (!received) {
                    return img_error(ImgCode::InternalError,
                        "receive error while importing: " + received.error().message());
                }
                return {};
            };
            auto checked_receive = [&](std::string_view head, int fd) -> ImgResult<void> {
                if (!btrfs_stream) {
                    return receive(fd);
                }
                TRY_ASSIGN(relay, detail::CheckedRelay::start(head, fd, policy));
                auto received = receive(relay.fd());
                auto verdict = relay.finish();
                if (!verdict) {
                    return verdict; // a refused stream explains a failed receive
                }
                return received;
            };
            TRY(consume(!btrfs_stream, checked_receive));
            if (btrfs_stream) {
                TRY(detail::check_dataset_tree(pool.path_of(partial), policy));
            }
            TRY_ASSIGN(all, pool.list(partial));
            std::vector<std::string> snapshots;
            for (auto const& item : all) {
                if (item.type == pools::DatasetType::Snapshot
                    && item.name.rfind(partial + "@", 0) == 0) {
                    snapshots.push_back(item.name.substr(partial.size() + 1));
                }
            }
            if (snapshots.size() != 1) {
                std::string names;
                for (auto const& name : snapshots) {
                    names += (names.empty() ? ": " : ", ") + name;
                }
                return img_error(ImgCode::UnexpectedNumberOfSnapshots,
                    "image \"" + uuid + "\" has an unexpected number of snapshots ("
                        + std::to_string(snapshots.size()) + ")" + names);
            }
            if (snapshots.front() != FINAL) {
                TRY(pool.snapshot(partial + "@" + FINAL));
                TRY(pool.destroy(partial + "@" + snapshots.front(), pools::Recursive::No));
            }
        }
        TRY(pool.rename(partial, dataset));
        return {};
    };

    auto done = work();
    if (!done) {
        auto left = pool.info(partial);
        if (left) {
            if (left->type == pools::DatasetType::Filesystem) {
                // A full pool needs room for the destroy's journal: free the data first.
                empty_directory(left->path);
            }
            (void)pool.destroy(partial, pools::Recursive::Yes);
        }
        ::unlink(cache.c_str());
        return done;
    }
    return {};
}

ImgResult<void> ImageStore::remove(std::string const& pool_name, std::string const& uuid)
{
    TRY_ASSIGN(info, get(pool_name, uuid));
    if (!info.clone_names.empty()) {
        std::string message
            = "image \"" + uuid + "\" has dependent clones: " + info.clone_names.front();
        if (info.clone_names.size() > 1) {
            message += " and " + std::to_string(info.clone_names.size() - 1) + " others...";
        }
        return img_error(ImgCode::ImageHasDependentClones, message);
    }
    auto opened = pools().open(pool_name);
    if (!opened) {
        return tl::unexpected(ImgError(opened.error()));
    }
    TRY((*opened)->destroy(pool_name + "/" + uuid, pools::Recursive::Yes));
    std::string const cache = paths().image_manifest(pool_name, uuid);
    if (::unlink(cache.c_str()) != 0 && errno != ENOENT) {
        return img_error(
            ImgCode::FileSystem, "cannot remove " + cache + ": " + std::strerror(errno));
    }
    return {};
}

} // namespace lumos::image
