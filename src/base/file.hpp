// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/result.hpp"
#include "base/unique_fd.hpp"
// Not used here: kept until the files that reach FileLock through this header include it.
#include "base/file_lock.hpp" // IWYU pragma: keep

#include <string>

namespace lumos {

Result<std::string> read_file(std::string const& path);

// read_file that stops after max_bytes: a longer file (or /dev/zero) is an error with
// ErrorCode::InvalidArgument, "larger than <max_bytes> bytes", instead of memory exhaustion.
Result<std::string> read_file_bounded(std::string const& path, size_t max_bytes);

// Writes all of data to fd, through short writes and EINTR; false (errno set) on an error or
// a descriptor that takes nothing.
bool write_fully(int fd, char const* data, size_t size);

// Writes path so that a reader (or a crash) sees the old content or the new, never a mix: a temp
// file beside it is written, fsynced and renamed over path, then the directory is fsynced.
Result<void> write_file_atomic(
    std::string const& path, std::string const& content, int mode = 0644);

// The replacement itself, of name in the directory dir_fd (dir_path names it in errors): the
// temp file is created there, and neither it nor name is followed if a link (a link at name is
// replaced, not written through). Unsynced: readers never see a mix, but a crash may lose it.
enum class Durability { Synced, Unsynced };
Result<void> replace_file_at(int dir_fd, std::string const& dir_path, std::string const& name,
    std::string const& content, int mode, Durability durability);

// The same replacement without the fsyncs: readers still never see a mix, but a crash may lose
// the new content. For files regenerated whenever they are used (a zone's bundle at each boot).
Result<void> write_file_replace(
    std::string const& path, std::string const& content, int mode = 0644);

// write_file_atomic unless path already holds exactly content (then nothing is written).
Result<void> write_file_if_changed(
    std::string const& path, std::string const& content, int mode = 0644);

// mkdir -p; existing directories are fine.
Result<void> make_directories(std::string const& path, int mode = 0755);

Result<void> remove_file(std::string const& path);

// The directory of this program's executable (/proc/self/exe), "." when it cannot be read:
// where a program finds the helpers installed or built beside it.
std::string executable_dir();

} // namespace lumos
