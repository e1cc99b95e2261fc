// SPDX-License-Identifier: MPL-2.0
// Small POSIX helpers that lumos-zoned (static, linking nothing of lumos) shares with the
// library: header-only, standard library and POSIX only (tools/check-deps.sh's STANDALONE_OK).
#pragma once

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

namespace lumos::posix {

// Writes all of data, retrying short writes and EINTR; false (errno set) on an error.
inline bool write_all(int fd, void const* data, size_t size)
{
    auto const* bytes = static_cast<char const*>(data);
    while (size > 0) {
        ssize_t const n = ::write(fd, bytes, size);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        bytes += n;
        size -= static_cast<size_t>(n);
    }
    return true;
}

// The first `limit` bytes of a file (a /proc file, a status file), or nullopt when it cannot
// be opened or read.
inline std::optional<std::string> read_small_file(std::string const& path, size_t limit = 65536)
{
    int const fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return std::nullopt;
    }
    std::string content;
    char buffer[4096];
    while (content.size() < limit) {
        ssize_t const n = ::read(fd, buffer, std::min(sizeof buffer, limit - content.size()));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            int const saved = errno;
            ::close(fd);
            errno = saved;
            return std::nullopt;
        }
        if (n == 0) {
            break;
        }
        content.append(buffer, static_cast<size_t>(n));
    }
    ::close(fd);
    return content;
}

// What /proc/<pid>/stat says of a process: its state letter (field 3) and its start time in
// clock ticks since boot (field 22), which tells a pid from its reuse.
struct ProcStat {
    char state { 0 };
    uint64_t start_time { 0 };
};

// The comm (field 2) is in parentheses and may itself hold spaces and parentheses: the fields
// after it start after the last ')'.
inline std::optional<ProcStat> parse_proc_stat(std::string_view stat)
{
    size_t const paren = stat.rfind(')');
    if (paren == std::string_view::npos || paren + 2 >= stat.size() || stat[paren + 1] != ' ') {
        return std::nullopt;
    }
    ProcStat result;
    size_t pos = paren + 2;
    result.state = stat[pos];
    for (int field = 3; field < 22; ++field) {
        pos = stat.find(' ', pos);
        if (pos == std::string_view::npos) {
            return std::nullopt;
        }
        ++pos;
    }
    size_t const end = std::min(stat.find_first_of(" \n", pos), stat.size());
    auto const [stop, error]
        = std::from_chars(stat.data() + pos, stat.data() + end, result.start_time, 10);
    if (error != std::errc() || stop != stat.data() + end || end == pos) {
        return std::nullopt;
    }
    return result;
}

inline std::optional<ProcStat> read_proc_stat(int64_t pid)
{
    if (pid <= 0) {
        return std::nullopt;
    }
    auto const stat = read_small_file("/proc/" + std::to_string(pid) + "/stat", 4096);
    return stat ? parse_proc_stat(*stat) : std::nullopt;
}

// The start time of a process that exists, zombies included: for its parent (lumos-zoned and
// the zone's init), which reaps it and learns its exit status then.
inline std::optional<uint64_t> proc_start_time(int64_t pid)
{
    auto const stat = read_proc_stat(pid);
    return stat ? std::optional<uint64_t>(stat->start_time) : std::nullopt;
}

// The start time of a process that still runs: a zombie has exited (only its exit status is
// left for its parent), so for anyone but its parent it is not running.
inline std::optional<uint64_t> running_proc_start_time(int64_t pid)
{
    auto const stat = read_proc_stat(pid);
    return stat && stat->state != 'Z' && stat->state != 'X'
        ? std::optional<uint64_t>(stat->start_time)
        : std::nullopt;
}

} // namespace lumos::posix
