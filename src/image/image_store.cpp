// SPDX-License-Identifier: MPL-2.0
#include "image/image_store.hpp"

#include "base/uuid.hpp"
#include "image/detail/btrfs_stream.hpp"
#include "image/detail/decompress.hpp"
#include "image/detail/tar_extract.hpp"
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
constexpr uint64_t MIB = uint64_t { 1024 } * 1024;

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

ImgResult<FileFormat> detect_format_of_head(std::string_view head, std::string const& file);

ImgResult<FileFormat> detect_format(std::string const& file, std::string const& compression)
{
    TRY_ASSIGN(stream, detail::Decompressed::open(file, compression));
    std::array<char, 1024> head {};
    TRY_ASSIGN(got, stream.read_full(head.data(), head.size()));
    if (got < head.size()) {
        TRY(stream.finish());
    } else {
        stream.abandon();
    }
    return detect_format_of_head(std::string_view(head.data(), got), file);
}

// The format from the first (up to 1024) decompressed bytes.
ImgResult<FileFormat> detect_format_of_head(std::string_view head, std::string const& file)
{
    size_t const got = head.size();
    if (got >= 13 && std::memcmp(head.data(), "btrfs-stream", 13) == 0) {
        return FileFormat::BtrfsStream;
    }
    if (got >= 24) {
        // DRR_BEGIN: drr_type (4), drr_payloadlen (4), drr_magic (8) = 0x2F5bacbac.
        uint64_t magic = 0;
        std::memcpy(&magic, head.data() + 16, sizeof magic);
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
    if (got == 0) {
        return img_error(ImgCode::InvalidImageFile,
            "invalid image file: " + file + " is empty after decompression");
    }
    return img_error(ImgCode::InvalidImageFile,
        "invalid image file: " + file + " is neither a tar archive nor a btrfs or zfs send stream");
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

ImgResult<uint64_t> decompressed_size(std::string const& file, std::string const& compression)
{
    TRY_ASSIGN(stream, detail::Decompressed::open(file, compression));
    std::vector<char> buffer(size_t { 256 } * 1024);
    uint64_t total = 0;
    for (;;) {
        TRY_ASSIGN(got, stream.read_full(buffer.data(), buffer.size()));
        if (got == 0) {
            break;
        }
        total += got;
    }
    TRY(stream.finish());
    return total;
}

// Copies a raw disk stream into a volume file, leaving zero blocks as holes.
ImgResult<void> write_raw_disk(detail::Decompressed& stream, std::string const& path, uint64_t size)
{
    UniqueFd out(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!out.valid()) {
        return img_error(ImgCode::FileSystem, "cannot open " + path + ": " + std::strerror(errno));
    }
    std::vector<char> buffer(size_t { 1024 } * 1024);
    uint64_t offset = 0;
    for (;;) {
        TRY_ASSIGN(got, stream.read_full(buffer.data(), buffer.size()));
        if (got == 0) {
            break;
        }
        if (offset + got > size) {
            return img_error(ImgCode::InvalidImageFile,
                "invalid image file: the disk is larger than the manifest's image_size ("
                    + std::to_string(size) + " bytes)");
        }
        bool zero = std::all_of(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(got),
            [](char c) { return c == 0; });
        if (!zero) {
            size_t done = 0;
            while (done < got) {
                ssize_t n = ::pwrite(
                    out.get(), buffer.data() + done, got - done, static_cast<off_t>(offset + done));
                if (n < 0) {
                    if (errno == EINTR) {
                        continue;
                    }
                    return img_error(
                        ImgCode::FileSystem, "cannot write " + path + ": " + std::strerror(errno));
                }
                done += static_cast<size_t>(n);
            }
        }
        offset += got;
    }
    if (::fsync(out.get()) != 0) {
        return img_error(ImgCode::FileSystem, "cannot write " + path + ": " + std::strerror(errno));
    }
    return {};
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
            if (type == "zvol") {
                return img_error(ImgCode::InternalError, "zvol images are installed from a file");
            }
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
        FileFormat format = FileFormat::RawDisk;
        if (type != "zvol") {
            if (source) {
                TRY_ASSIGN(detected, detect_format_of_head(source->head(), request.file_path));
                format = detected;
            } else {
                TRY_ASSIGN(detected, detect_format(request.file_path, compression));
                format = detected;
            }
        }
        if (format == FileFormat::BtrfsStream && pool.backend() != pools::Backend::Btrfs) {
            return img_error(ImgCode::NotSupported,
                "image " + uuid + " is a btrfs send stream, which pool \"" + request.pool + "\" ("
                    + pools::backend_name(pool.backend()) + ") cannot receive");
        }
        if (format == FileFormat::ZfsStream && pool.backend() != pools::Backend::Zfs) {
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
        } else if (format == FileFormat::RawDisk) {
            uint64_t size = 0;
            auto image_size = manifest.find("image_size");
            if (image_size != manifest.end() && image_size->is_number_integer()
                && image_size->get<int64_t>() > 0) {
                size = image_size->get<uint64_t>() * MIB;
            } else {
                TRY_ASSIGN(counted, decompressed_size(request.file_path, compression));
                size = counted;
            }
            TRY(pool.create_volume(partial, size, {}));
            TRY_ASSIGN(stream, detail::Decompressed::open(request.file_path, compression));
            auto written = write_raw_disk(stream, pool.path_of(partial), size);
            auto finished = drain_and_finish(stream);
            if (!finished) {
                return finished;
            }
            TRY(written);
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
