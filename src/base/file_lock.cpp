// SPDX-License-Identifier: MPL-2.0
#include "base/file_lock.hpp"

#include <cerrno>

#include <fcntl.h>
#include <sys/file.h>

namespace lumos {

static Result<FileLock> acquire_lock(std::string const& path, int operation)
{
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd.valid()) {
        return tl::unexpected(Error::from_errno("open lock " + path, errno));
    }
    while (::flock(fd.get(), operation) != 0) {
        if (errno != EINTR) {
            return tl::unexpected(Error::from_errno("flock " + path, errno));
        }
    }
    return FileLock::adopt(std::move(fd));
}

Result<FileLock> FileLock::acquire(std::string const& path)
{
    return acquire_lock(path, LOCK_EX);
}

Result<FileLock> FileLock::acquire_shared(std::string const& path)
{
    return acquire_lock(path, LOCK_SH);
}

} // namespace lumos
