// SPDX-License-Identifier: MPL-2.0
// Writing real bytes into a dataset, for the tests that watch quotas and shared extents.
#pragma once

#include "base/sizes.hpp"

#include <cerrno>
#include <cstdint>
#include <string>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

namespace lumos::test {

// Writes `bytes` of non-zero data to path (created or truncated) in 1 MiB chunks, then fsyncs;
// returns the errno that stopped it (0 if none) and how much was written.
inline std::pair<int, uint64_t> fill(std::string const& path, uint64_t bytes)
{
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return { errno, 0 };
    }
    std::string chunk(MIB, '\x5a');
    uint64_t written = 0;
    int error = 0;
    while (written < bytes) {
        auto n = ::write(fd, chunk.data(), chunk.size());
        if (n < 0) {
            error = errno;
            break;
        }
        written += static_cast<uint64_t>(n);
    }
    if (error == 0 && ::fsync(fd) != 0) {
        error = errno;
    }
    ::close(fd);
    return { error, written };
}

} // namespace lumos::test
