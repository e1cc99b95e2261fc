// SPDX-License-Identifier: MPL-2.0
#include "image/detail/tar_extract.hpp"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lumos::image::detail {

namespace {

struct ReadDeleter {
    void operator()(archive* a) const { archive_read_free(a); }
};
struct WriteDeleter {
    void operator()(archive* a) const { archive_write_free(a); }
};

tl::unexpected<ImgError> invalid(std::string const& message)
{
    return invalid_image(message);
}

std::string join(std::vector<std::string> const& parts, size_t count)
{
    std::string out;
    for (size_t i = 0; i < count && i < parts.size(); ++i) {
        if (!out.empty()) {
            out += '/';
        }
        out += parts[i];
    }
    return out;
}

// The first proper prefix of parts that is a symlink on disk below dest, or "".
std::string symlink_parent(std::string const& dest, std::vector<std::string> const& parts)
{
    std::string path = dest;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
        path += "/" + parts[i];
        struct stat st { };
        if (::lstat(path.c_str(), &st) != 0) {
            return "";
        }
        if (S_ISLNK(st.st_mode)) {
            return join(parts, i + 1);
        }
    }
    return "";
}

// libarchive's input: the head already read, then the rest of fd, in large reads.
struct Input {
    std::string_view head;
    int fd { -1 };
    std::vector<char> buffer = std::vector<char>(size_t { 1024 } * 1024);
};

la_ssize_t read_input(archive* a, void* user, void const** block)
{
    auto* input = static_cast<Input*>(user);
    if (!input->head.empty()) {
        *block = input->head.data();
        auto size = static_cast<la_ssize_t>(input->head.size());
        input->head = {};
        return size;
    }
    for (;;) {
        ssize_t n = ::read(input->fd, input->buffer.data(), input->buffer.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            archive_set_error(a, errno, "read: %s", std::strerror(errno));
            return -1;
        }
        *block = input->buffer.data();
        return n;
    }
}

} // namespace

ImgResult<void> extract_root_tar(int fd, std::string const& dataset_dir, TarPolicy const& policy)
{
    return extract_root_tar(std::string_view(), fd, dataset_dir, policy);
}

ImgResult<void> extract_root_tar(
    std::string_view head, int fd, std::string const& dataset_dir, TarPolicy const& policy)
{
    char real[PATH_MAX];
    if (::realpath(dataset_dir.c_str(), real) == nullptr) {
        return img_error(
            ImgCode::FileSystem, "cannot resolve " + dataset_dir + ": " + std::strerror(errno));
    }
    std::string const dataset = real;
    std::string const dest = dataset + "/root";
    if (::mkdir(dest.c_str(), 0755) != 0 && errno != EEXIST) {
        return img_error(
            ImgCode::FileSystem, "cannot create " + dest + ": " + std::strerror(errno));
    }

    std::unique_ptr<archive, ReadDeleter> reader(archive_read_new());
    std::unique_ptr<archive, WriteDeleter> writer(archive_write_disk_new());
    if (!reader || !writer) {
        return img_error(ImgCode::InternalError, "out of memory");
    }
    archive_read_support_format_tar(reader.get());
    archive_read_support_format_gnutar(reader.get());
    Input input { head, fd };
    if (archive_read_open(reader.get(), &input, nullptr, read_input, nullptr) != ARCHIVE_OK) {
        return invalid(std::string("not a tar archive: ") + archive_error_string(reader.get()));
    }
    // Numeric owners: no archive_write_disk_set_standard_lookup(). Entry names are made absolute
    // below dest (after our own checks), so ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS cannot be used;
    // dest itself is a resolved path so SECURE_SYMLINKS only trips on links the archive made.
    int flags = ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_SYMLINKS
        | ARCHIVE_EXTRACT_SECURE_NODOTDOT;
    if (policy.keep_owners) {
        flags |= ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_XATTR;
    }
    if (!policy.overwrite) {
        flags |= ARCHIVE_EXTRACT_NO_OVERWRITE;
    }
    archive_write_disk_set_options(writer.get(), flags);

    // Two layouts: a tar of the root filesystem (etc/, var/, ...), or a tar of the dataset whose
    // "root/" holds it. The first entry decides, and every later entry must follow it; in the
    // dataset layout the leading "root" is dropped, so both are extracted straight into dest.
    // (Deciding up front keeps this one pass over a stream, and lets an image with an origin be
    // extracted over its origin's files.)
    enum class Layout { Unknown, RootFs, Dataset };
    Layout layout = Layout::Unknown;

    for (;;) {
        archive_entry* entry = nullptr;
        int status = archive_read_next_header(reader.get(), &entry);
        if (status == ARCHIVE_EOF) {
            break;
        }
        if (status < ARCHIVE_WARN) {
            return invalid(
                std::string("corrupt tar archive: ") + archive_error_string(reader.get()));
        }
        char const* raw_name = archive_entry_pathname(entry);
        if (raw_name == nullptr) {
            return invalid("an entry has no usable name");
        }
        std::string const name = raw_name;
        auto parts = safe_components(name);
        if (!parts) {
            return invalid("entry \"" + name + "\" has an absolute name or a \"..\" component");
        }
        if (parts->empty()) {
            continue; // "./": the root directory itself
        }
        if (layout == Layout::Unknown) {
            layout = parts->front() == "root" ? Layout::Dataset : Layout::RootFs;
        }
        if (layout == Layout::Dataset) {
            if (parts->front() != "root") {
                return invalid("entry \"" + name
                    + "\" is outside \"root/\" in an image whose first entry is under it");
            }
            parts->erase(parts->begin());
            if (parts->empty()) {
                if (archive_entry_filetype(entry) != AE_IFDIR) {
                    return invalid("entry \"" + name + "\" is not a directory (the image's root)");
                }
                continue; // "root/" itself: dest
            }
        }

        auto const type = archive_entry_filetype(entry);
        char const* hardlink = archive_entry_hardlink(entry);
        mode_t const mode = archive_entry_perm(entry);
        if (hardlink != nullptr) {
            std::string const target = hardlink;
            auto target_parts = safe_components(target);
            if (target_parts && layout == Layout::Dataset) {
                if (target_parts->empty() || target_parts->front() != "root") {
                    target_parts = std::nullopt;
                } else {
                    target_parts->erase(target_parts->begin());
                }
            }
            if (!target_parts || target_parts->empty()) {
                return invalid(
                    "hard link \"" + name + "\" points outside the image: \"" + target + "\"");
            }
            std::string through = symlink_parent(dest, *target_parts);
            if (!through.empty()) {
                return invalid(
                    "hard link \"" + name + "\" points through the symlink \"" + through + "\"");
            }
            archive_entry_set_hardlink(
                entry, (dest + "/" + join(*target_parts, target_parts->size())).c_str());
        } else if (type == AE_IFLNK) {
            char const* raw_target = archive_entry_symlink(entry);
            std::string const target = raw_target == nullptr ? "" : raw_target;
            if (auto refused = symlink_violation(name, *parts, target, policy)) {
                return invalid(*refused);
            }
        }
        // A hard link's type is its target's (already checked); its mode bits still count.
        auto const checked_mode
            = static_cast<mode_t>((hardlink != nullptr ? AE_IFREG : type) | mode);
        if (auto refused = mode_violation(name, checked_mode, policy)) {
            return invalid(*refused);
        }
        archive_entry_xattr_reset(entry);
        char const* xattr_name = nullptr;
        void const* xattr_value = nullptr;
        size_t xattr_size = 0;
        while (
            archive_entry_xattr_next(entry, &xattr_name, &xattr_value, &xattr_size) == ARCHIVE_OK) {
            if (auto refused = xattr_violation(name, xattr_name, policy)) {
                return invalid(*refused);
            }
        }
        std::string through = symlink_parent(dest, *parts);
        if (!through.empty()) {
            return invalid(
                "entry \"" + name + "\" would be written through the symlink \"" + through + "\"");
        }

        archive_entry_set_pathname(entry, (dest + "/" + join(*parts, parts->size())).c_str());
        status = archive_write_header(writer.get(), entry);
        if (status < ARCHIVE_WARN) {
            int err = archive_errno(writer.get());
            std::string message
                = "cannot extract \"" + name + "\": " + archive_error_string(writer.get());
            if (err == ENOSPC || err == EDQUOT || err == EIO) {
                return img_error(ImgCode::FileSystem, message);
            }
            return invalid(message);
        }
        if (archive_entry_size(entry) > 0 && hardlink == nullptr) {
            void const* block = nullptr;
            size_t size = 0;
            la_int64_t offset = 0;
            for (;;) {
                int r = archive_read_data_block(reader.get(), &block, &size, &offset);
                if (r == ARCHIVE_EOF) {
                    break;
                }
                if (r < ARCHIVE_WARN) {
                    return invalid("corrupt tar archive at \"" + name
                        + "\": " + archive_error_string(reader.get()));
                }
                if (archive_write_data_block(writer.get(), block, size, offset) < ARCHIVE_WARN) {
                    return img_error(ImgCode::FileSystem,
                        "cannot write \"" + name + "\": " + archive_error_string(writer.get()));
                }
            }
        }
        if (archive_write_finish_entry(writer.get()) < ARCHIVE_WARN) {
            return img_error(ImgCode::FileSystem,
                "cannot write \"" + name + "\": " + archive_error_string(writer.get()));
        }
    }
    if (archive_write_close(writer.get()) < ARCHIVE_WARN) {
        return img_error(ImgCode::FileSystem,
            std::string("cannot finish extraction: ") + archive_error_string(writer.get()));
    }

    return {};
}

} // namespace lumos::image::detail
