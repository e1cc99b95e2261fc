// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/result.hpp"
#include "base/unique_fd.hpp"

#include <string>
#include <utility>

namespace lumos {

// An exclusive advisory lock (flock) on a lock file, held until destruction. Locks are released
// by the kernel when the holder dies, so a killed command never leaves a stale lock.
class FileLock {
public:
    static Result<FileLock> acquire(std::string const& path);
    static Result<FileLock> acquire_shared(std::string const& path);
    static FileLock adopt(UniqueFd fd) { return FileLock(std::move(fd)); }

private:
    explicit FileLock(UniqueFd fd)
        : m_fd(std::move(fd))
    {
    }
    UniqueFd m_fd;
};

} // namespace lumos
