// SPDX-License-Identifier: MPL-2.0
#include "image/detail/tree_policy.hpp"

#include "base/file.hpp"

#include <cerrno>
#include <cstring>
#include <memory>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

namespace lumos::image::detail {

namespace {

// Deeper trees are refused: each level holds a descriptor during the walk.
constexpr int MAX_DEPTH = 256;

struct DirCloser {
    void operator()(DIR* dir) const { ::closedir(dir); }
};

ImgError file_system(std::string const& what, std::string const& name)
{
    return ImgError { ImgCode::FileSystem,
        "cannot check \"" + name + "\" of the received image: " + what + ": "
            + std::strerror(errno) };
}

// The names in a listxattr buffer.
std::vector<std::string> xattr_names(std::vector<char> const& buffer, ssize_t size)
{
    std::vector<std::string> names;
    size_t start = 0;
    for (size_t i = 0; i < static_cast<size_t>(size); ++i) {
        if (buffer[i] == '\0') {
            names.emplace_back(buffer.data() + start, i - start);
            start = i + 1;
        }
    }
    return names;
}

// The extended attributes of `name` in dirfd (not following a link): listxattr on
// /proc/self/fd/<dirfd>/<name>, whose last component is not followed by llistxattr.
ImgResult<void> check_xattrs(
    int dirfd, char const* entry, std::string const& name, TreePolicy const& policy)
{
    std::string const path = "/proc/self/fd/" + std::to_string(dirfd) + "/" + entry;
    std::vector<char> buffer(4096);
    ssize_t size = 0;
    for (;;) {
        size = ::llistxattr(path.c_str(), buffer.data(), buffer.size());
        if (size >= 0) {
            break;
        }
        if (errno == ENOTSUP) {
            return {};
        }
        if (errno != ERANGE || buffer.size() >= size_t { 1024 } * 1024) {
            return tl::unexpected(file_system("listxattr", name));
        }
        buffer.resize(buffer.size() * 4);
    }
    for (auto const& xattr : xattr_names(buffer, size)) {
        if (auto refused = xattr_violation(name, xattr, policy)) {
            return invalid_image(*refused);
        }
    }
    return {};
}

ImgResult<void> walk(int dirfd, std::string const& name, std::vector<std::string>& parts,
    TreePolicy const& policy, int depth)
{
    if (depth > MAX_DEPTH) {
        return invalid_image("directory \"" + name + "\" is nested deeper than "
            + std::to_string(MAX_DEPTH) + " levels");
    }
    UniqueFd listing(::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!listing.valid()) {
        return tl::unexpected(file_system("open", name));
    }
    std::unique_ptr<DIR, DirCloser> dir(::fdopendir(listing.get()));
    if (!dir) {
        return tl::unexpected(file_system("opendir", name));
    }
    (void)listing.release();
    for (;;) {
        errno = 0;
        dirent* item = ::readdir(dir.get());
        if (item == nullptr) {
            if (errno != 0) {
                return tl::unexpected(file_system("readdir", name));
            }
            break;
        }
        if (std::strcmp(item->d_name, ".") == 0 || std::strcmp(item->d_name, "..") == 0) {
            continue;
        }
        std::string const child = name + "/" + item->d_name;
        struct stat st { };
        if (::fstatat(dirfd, item->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            return tl::unexpected(file_system("stat", child));
        }
        if (auto refused = mode_violation(child, st.st_mode, policy)) {
            return invalid_image(*refused);
        }
        TRY(check_xattrs(dirfd, item->d_name, child, policy));
        parts.emplace_back(item->d_name);
        if (S_ISLNK(st.st_mode)) {
            std::vector<char> target(static_cast<size_t>(PATH_MAX) + 1);
            ssize_t length = ::readlinkat(dirfd, item->d_name, target.data(), target.size());
            if (length < 0) {
                return tl::unexpected(file_system("readlink", child));
            }
            if (static_cast<size_t>(length) >= target.size()) {
                return invalid_image("symlink \"" + child + "\" has too long a target");
            }
            if (auto refused = symlink_violation(child, parts,
                    std::string_view(target.data(), static_cast<size_t>(length)), policy)) {
                return invalid_image(*refused);
            }
        } else if (S_ISDIR(st.st_mode)) {
            UniqueFd sub(
                ::openat(dirfd, item->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!sub.valid()) {
                return tl::unexpected(file_system("open", child));
            }
            TRY(walk(sub.get(), child, parts, policy, depth + 1));
        }
        parts.pop_back();
    }
    return {};
}

} // namespace

TreePolicy tree_policy_for(std::string const& type)
{
    TreePolicy policy;
    policy.allow_absolute_symlinks = type != "zone-dataset";
    policy.allow_setid = type != "zone-dataset";
    return policy;
}

tl::unexpected<ImgError> invalid_image(std::string const& message)
{
    return img_error(ImgCode::InvalidImageFile, "invalid image file: " + message);
}

std::optional<std::vector<std::string>> safe_components(std::string_view name)
{
    if (name.empty() || name.front() == '/') {
        return std::nullopt;
    }
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= name.size()) {
        size_t end = name.find('/', start);
        if (end == std::string_view::npos) {
            end = name.size();
        }
        std::string_view part = name.substr(start, end - start);
        if (part == "..") {
            return std::nullopt;
        }
        if (!part.empty() && part != ".") {
            parts.emplace_back(part);
        }
        start = end + 1;
    }
    return parts;
}

std::optional<std::vector<std::string>> resolve_relative(
    std::vector<std::string> const& link, std::string_view target)
{
    if (link.empty()) {
        return std::nullopt;
    }
    std::vector<std::string> resolved(link.begin(), link.end() - 1);
    size_t start = 0;
    while (start <= target.size()) {
        size_t end = target.find('/', start);
        if (end == std::string_view::npos) {
            end = target.size();
        }
        std::string_view part = target.substr(start, end - start);
        if (part == "..") {
            if (resolved.empty()) {
                return std::nullopt;
            }
            resolved.pop_back();
        } else if (!part.empty() && part != ".") {
            resolved.emplace_back(part);
        }
        start = end + 1;
    }
    return resolved;
}

std::optional<std::string> symlink_target_violation(
    std::string const& name, std::string_view target, TreePolicy const& policy)
{
    if (target.empty()) {
        return "symlink \"" + name + "\" has no target";
    }
    if (target.find('\0') != std::string_view::npos) {
        return "symlink \"" + name + "\" has a NUL in its target";
    }
    if (target.front() == '/' && !policy.allow_absolute_symlinks) {
        return "symlink \"" + name + "\" has an absolute target \"" + std::string(target)
            + "\" (not allowed in zone-dataset images)";
    }
    return std::nullopt;
}

std::optional<std::string> symlink_violation(std::string const& name,
    std::vector<std::string> const& link, std::string_view target, TreePolicy const& policy)
{
    if (auto refused = symlink_target_violation(name, target, policy)) {
        return refused;
    }
    if (target.front() != '/' && !resolve_relative(link, target)) {
        return "symlink \"" + name + "\" points outside the image: \"" + std::string(target) + "\"";
    }
    return std::nullopt;
}

std::optional<std::string> mode_violation(
    std::string const& name, mode_t mode, TreePolicy const& policy)
{
    if (S_ISCHR(mode) || S_ISBLK(mode)) {
        return "entry \"" + name + "\" is a device node";
    }
    if (S_ISFIFO(mode)) {
        return "entry \"" + name + "\" is a fifo";
    }
    if (S_ISSOCK(mode)) {
        return "entry \"" + name + "\" is a socket";
    }
    if (!S_ISREG(mode) && !S_ISDIR(mode) && !S_ISLNK(mode)) {
        return "entry \"" + name + "\" has an unsupported type";
    }
    if (!policy.allow_setid && !S_ISDIR(mode) && (mode & (S_ISUID | S_ISGID)) != 0) {
        return "entry \"" + name + "\" is setuid/setgid (not allowed in zone-dataset images)";
    }
    return std::nullopt;
}

std::optional<std::string> xattr_violation(
    std::string const& name, std::string_view xattr, TreePolicy const& policy)
{
    if (xattr == "security.capability") {
        if (policy.allow_setid) {
            return std::nullopt;
        }
        return "entry \"" + name
            + "\" has file capabilities (security.capability; not allowed in zone-dataset images)";
    }
    if (xattr.starts_with("security.") || xattr.starts_with("trusted.")) {
        return "entry \"" + name + "\" has the extended attribute \"" + std::string(xattr)
            + "\" (security.* and trusted.* attributes are not allowed in images)";
    }
    return std::nullopt;
}

ImgResult<void> check_dataset_tree(std::string const& dataset_dir, TreePolicy const& policy)
{
    UniqueFd top(::open(dataset_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!top.valid()) {
        return img_error(ImgCode::FileSystem,
            "cannot open " + dataset_dir + ": " + std::string(std::strerror(errno)));
    }
    // The top: "root" (a directory) and nothing else, as a tar of the dataset must be.
    UniqueFd listing(::dup(top.get()));
    std::unique_ptr<DIR, DirCloser> dir(listing.valid() ? ::fdopendir(listing.get()) : nullptr);
    if (!dir) {
        return img_error(ImgCode::FileSystem, "cannot list " + dataset_dir);
    }
    (void)listing.release();
    bool has_root = false;
    while (dirent* item = ::readdir(dir.get())) {
        std::string const entry = item->d_name;
        if (entry == "." || entry == "..") {
            continue;
        }
        if (entry != "root") {
            return invalid_image("entry \"" + entry + "\" is outside \"root/\"");
        }
        has_root = true;
    }
    if (!has_root) {
        return invalid_image("the image has no \"root/\" directory");
    }
    struct stat st { };
    if (::fstatat(top.get(), "root", &st, AT_SYMLINK_NOFOLLOW) != 0) {
        return tl::unexpected(file_system("stat", "root"));
    }
    if (!S_ISDIR(st.st_mode)) {
        return invalid_image("entry \"root\" is not a directory (the image's root)");
    }
    TRY(check_xattrs(top.get(), "root", "root", policy));
    UniqueFd root(::openat(top.get(), "root", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!root.valid()) {
        return tl::unexpected(file_system("open", "root"));
    }
    std::vector<std::string> parts; // below root/: symlinks resolve against the image's root
    return walk(root.get(), "root", parts, policy, 0);
}

} // namespace lumos::image::detail
