// SPDX-License-Identifier: MPL-2.0
#include "base/file.hpp"

#include "base/uuid.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lumos {

Result<std::string> read_file(std::string const& path)
{
    return read_file_bounded(path, SIZE_MAX);
}

Result<std::string> read_file_bounded(std::string const& path, size_t max_bytes)
{
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) {
        return tl::unexpected(Error::from_errno("open " + path, errno));
    }
    std::string content;
    struct stat st { };
    if (::fstat(fd.get(), &st) == 0 && st.st_size > 0) {
        content.reserve(std::min(static_cast<size_t>(st.st_size), max_bytes));
    }
    char buffer[65536];
    while (true) {
        ssize_t const n = ::read(fd.get(), buffer, sizeof(buffer));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return tl::unexpected(Error::from_errno("read " + path, errno));
        }
        if (n == 0) {
            break;
        }
        if (static_cast<size_t>(n) > max_bytes - content.size()) {
            return make_error(
                ErrorCode::InvalidArgument, "larger than " + std::to_string(max_bytes) + " bytes");
        }
        content.append(buffer, static_cast<size_t>(n));
    }
    return content;
}

bool write_fully(int fd, char const* data, size_t size)
{
    while (size > 0) {
        ssize_t const n = ::write(fd, data, size);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            if (n == 0) {
                errno = EIO;
            }
            return false;
        }
        data += n;
        size -= static_cast<size_t>(n);
    }
    return true;
}

static Result<void> write_all(int fd, std::string const& content, std::string const& path)
{
    if (!write_fully(fd, content.data(), content.size())) {
        return tl::unexpected(Error::from_errno("write " + path, errno));
    }
    return {};
}

static std::string dirname_of(std::string const& path)
{
    size_t const slash = path.rfind('/');
    if (slash == std::string::npos) {
        return ".";
    }
    if (slash == 0) {
        return "/";
    }
    return path.substr(0, slash);
}

Result<void> replace_file_at(int dir_fd, std::string const& dir_path, std::string const& name,
    std::string const& content, int mode, Durability durability)
{
    std::string const temp_name = name + ".tmp." + generate_uuid().substr(0, 8);
    std::string const temp = dir_path + "/" + temp_name;
    UniqueFd fd(::openat(dir_fd, temp_name.c_str(),
        O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, static_cast<mode_t>(mode)));
    if (!fd.valid()) {
        return tl::unexpected(Error::from_errno("create " + temp, errno));
    }
    auto fail = [&](Error error) -> Result<void> {
        ::unlinkat(dir_fd, temp_name.c_str(), 0);
        return tl::unexpected(std::move(error));
    };
    if (auto written = write_all(fd.get(), content, temp); !written) {
        return fail(written.error());
    }
    if (durability == Durability::Synced && ::fsync(fd.get()) != 0) {
        return fail(Error::from_errno("fsync " + temp, errno));
    }
    fd = UniqueFd();
    if (::renameat(dir_fd, temp_name.c_str(), dir_fd, name.c_str()) != 0) {
        return fail(Error::from_errno("rename " + temp, errno));
    }
    if (durability == Durability::Synced) {
        ::fsync(dir_fd);
    }
    return {};
}

static Result<void> replace_file(
    std::string const& path, std::string const& content, int mode, Durability durability)
{
    std::string const dir = dirname_of(path);
    UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir_fd.valid()) {
        return tl::unexpected(Error::from_errno("create " + path + ".tmp", errno));
    }
    return replace_file_at(
        dir_fd.get(), dir, path.substr(path.rfind('/') + 1), content, mode, durability);
}

Result<void> write_file_atomic(std::string const& path, std::string const& content, int mode)
{
    return replace_file(path, content, mode, Durability::Synced);
}

Result<void> write_file_replace(std::string const& path, std::string const& content, int mode)
{
    return replace_file(path, content, mode, Durability::Unsynced);
}

Result<void> write_file_if_changed(std::string const& path, std::string const& content, int mode)
{
    if (auto current = read_file(path); current && *current == content) {
        return {};
    }
    return write_file_atomic(path, content, mode);
}

Result<void> make_directories(std::string const& path, int mode)
{
    if (path.empty()) {
        return {};
    }
    std::string current;
    size_t pos = 0;
    while (pos != std::string::npos) {
        pos = path.find('/', pos + 1);
        current = path.substr(0, pos);
        if (current.empty()) {
            continue;
        }
        if (::mkdir(current.c_str(), static_cast<mode_t>(mode)) != 0 && errno != EEXIST) {
            return tl::unexpected(Error::from_errno("mkdir " + current, errno));
        }
    }
    return {};
}

Result<void> remove_file(std::string const& path)
{
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        return tl::unexpected(Error::from_errno("unlink " + path, errno));
    }
    return {};
}

std::string executable_dir()
{
    char buffer[4096];
    ssize_t const n = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
    if (n <= 0) {
        return ".";
    }
    std::string path(buffer, static_cast<size_t>(n));
    return path.substr(0, path.rfind('/'));
}

} // namespace lumos
