// SPDX-License-Identifier: MPL-2.0
#include "support/temp_dir.hpp"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <linux/btrfs.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

namespace lumos::test {

namespace fs = std::filesystem;

namespace {

// The inode number of every btrfs subvolume's root directory (BTRFS_FIRST_FREE_OBJECTID).
constexpr ino_t BTRFS_SUBVOLUME_ROOT_INO = 256;

// /proc/self/mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_mountinfo(std::string const& field)
{
    std::string out;
    for (size_t i = 0; i < field.size(); ++i) {
        if (field[i] == '\\' && i + 3 < field.size()) {
            auto digits = field.substr(i + 1, 3);
            if (digits.find_first_not_of("01234567") == std::string::npos) {
                out.push_back(static_cast<char>(std::stoi(digits, nullptr, 8)));
                i += 3;
                continue;
            }
        }
        out.push_back(field[i]);
    }
    return out;
}

// Mount points at or below `root`.
std::vector<std::string> mounts_below(std::string const& root)
{
    std::vector<std::string> found;
    std::ifstream in("/proc/self/mountinfo");
    std::string line;
    while (std::getline(in, line)) {
        // "<id> <parent> <major:minor> <root> <mount point> ..."
        size_t start = 0;
        std::string field;
        for (int i = 0; i < 5; ++i) {
            auto space = line.find(' ', start);
            field = line.substr(
                start, space == std::string::npos ? std::string::npos : space - start);
            start = space == std::string::npos ? line.size() : space + 1;
        }
        auto mount_point = unescape_mountinfo(field);
        if (mount_point == root || mount_point.starts_with(root + "/")) {
            found.push_back(mount_point);
        }
    }
    return found;
}

// Clears the read-only flag of the btrfs subvolume at path, if it is one and has it.
void make_subvolume_writable(fs::path const& path)
{
    struct stat st { };
    if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)
        || st.st_ino != BTRFS_SUBVOLUME_ROOT_INO) {
        return;
    }
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        return;
    }
    struct statfs sfs { };
    uint64_t flags = 0;
    if (::fstatfs(fd, &sfs) == 0 && sfs.f_type == BTRFS_SUPER_MAGIC
        && ::ioctl(fd, BTRFS_IOC_SUBVOL_GETFLAGS, &flags) == 0
        && (flags & BTRFS_SUBVOL_RDONLY) != 0) {
        flags &= ~static_cast<uint64_t>(BTRFS_SUBVOL_RDONLY);
        (void)::ioctl(fd, BTRFS_IOC_SUBVOL_SETFLAGS, &flags);
    }
    ::close(fd);
}

void make_subvolumes_writable(fs::path const& root)
{
    make_subvolume_writable(root);
    std::error_code ec;
    // Does not follow symbolic links to directories.
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        make_subvolume_writable(it->path());
    }
}

} // namespace

bool remove_temp_tree(fs::path const& path)
{
    std::error_code ec;
    auto canonical = fs::canonical(path, ec);
    if (ec) {
        return !fs::exists(fs::symlink_status(path, ec));
    }
    if (auto mounted = mounts_below(canonical.string()); !mounted.empty()) {
        std::fprintf(stderr, "TempRoot: %s left in place: %s is still mounted\n", canonical.c_str(),
            mounted.front().c_str());
        return false;
    }
    fs::remove_all(canonical, ec);
    if (ec) {
        // A read-only btrfs snapshot refuses to lose its entries (EROFS) until it is writable.
        make_subvolumes_writable(canonical);
        ec.clear();
        fs::remove_all(canonical, ec);
    }
    if (ec) {
        std::fprintf(
            stderr, "TempRoot: cannot remove %s: %s\n", canonical.c_str(), ec.message().c_str());
        return false;
    }
    return true;
}

TempRoot::TempRoot(const fs::path& parent)
{
    std::string templ = (parent / "lumos-acceptance-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) {
        throw std::system_error(errno, std::generic_category(), "mkdtemp " + templ);
    }
    m_path = templ;
}

TempRoot::~TempRoot()
{
    (void)remove_temp_tree(m_path);
}

void TempRoot::write_file(const fs::path& relative, const std::string& content) const
{
    auto full = m_path / relative;
    fs::create_directories(full.parent_path());
    std::ofstream os(full, std::ios::binary | std::ios::trunc);
    os << content;
    if (!os) {
        throw std::runtime_error("cannot write " + full.string());
    }
}

} // namespace lumos::test
