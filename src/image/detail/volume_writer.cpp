// SPDX-License-Identifier: MPL-2.0
#include "image/detail/volume_writer.hpp"

#include "pools/pool_setup.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace lumos::image::detail {

namespace {

constexpr size_t BLOCK = 4096; // the sparse granularity of ext4, btrfs and tmpfs
constexpr uint64_t MIB = uint64_t { 1024 } * 1024;
constexpr size_t CHUNK = size_t { 1024 } * 1024;

bool all_zero(std::string_view data)
{
    static constexpr std::array<char, BLOCK> ZEROS {};
    while (!data.empty()) {
        size_t const size = std::min(data.size(), ZEROS.size());
        if (std::memcmp(data.data(), ZEROS.data(), size) != 0) {
            return false;
        }
        data.remove_prefix(size);
    }
    return true;
}

// Reads up to size bytes (short only at the end of the input).
ImgResult<size_t> read_up_to(int fd, char* buffer, size_t size)
{
    size_t done = 0;
    while (done < size) {
        ssize_t const got = ::read(fd, buffer + done, size - done);
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            return img_error(
                ImgCode::FileSystem, std::string("read image file: ") + std::strerror(errno));
        }
        if (got == 0) {
            break;
        }
        done += static_cast<size_t>(got);
    }
    return done;
}

} // namespace

VolumeWriter::VolumeWriter(std::string path, std::string pool_mountpoint, std::string dataset)
    : m_path(std::move(path))
    , m_mountpoint(std::move(pool_mountpoint))
    , m_dataset(std::move(dataset))
{
}

ImgResult<void> VolumeWriter::open()
{
    m_fd = UniqueFd(::open(m_path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!m_fd.valid()) {
        return img_error(
            ImgCode::FileSystem, "cannot open " + m_path + ": " + std::strerror(errno));
    }
    return {};
}

ImgResult<void> VolumeWriter::write(uint64_t offset, std::string_view data)
{
    // Runs of zero and non-zero blocks (aligned to the volume's blocks), one call per run.
    size_t at = 0;
    while (at < data.size()) {
        auto block_at = [&](size_t from) {
            size_t const to_boundary = BLOCK - static_cast<size_t>((offset + from) % BLOCK);
            return data.substr(from, std::min(to_boundary, data.size() - from));
        };
        bool const zero = all_zero(block_at(at));
        size_t run = block_at(at).size();
        while (at + run < data.size() && all_zero(block_at(at + run)) == zero) {
            run += block_at(at + run).size();
        }
        if (!zero) {
            TRY(put(offset + at, data.substr(at, run)));
        } else if (offset + at < m_written_end) {
            TRY(punch(offset + at, run));
        }
        at += run;
    }
    return {};
}

ImgResult<void> VolumeWriter::free(uint64_t offset, uint64_t length)
{
    if (offset >= m_written_end) {
        return {};
    }
    return punch(offset, std::min(length, m_written_end - offset));
}

ImgResult<void> VolumeWriter::put(uint64_t offset, std::string_view data)
{
    TRY(reserve(data.size()));
    size_t done = 0;
    while (done < data.size()) {
        ssize_t const n = ::pwrite(
            m_fd.get(), data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return img_error(
                ImgCode::FileSystem, "cannot write " + m_dataset + ": " + std::strerror(errno));
        }
        done += static_cast<size_t>(n);
    }
    m_written_end = std::max(m_written_end, offset + data.size());
    return {};
}

ImgResult<void> VolumeWriter::punch(uint64_t offset, uint64_t length)
{
    uint64_t const end = std::min(offset + length, m_written_end);
    if (end <= offset) {
        return {};
    }
    if (::fallocate(m_fd.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
            static_cast<off_t>(offset), static_cast<off_t>(end - offset))
        != 0) {
        return img_error(ImgCode::FileSystem,
            "cannot free a range of " + m_dataset + ": " + std::strerror(errno));
    }
    return {};
}

ImgResult<void> VolumeWriter::reserve(uint64_t bytes)
{
    if (bytes <= m_budget) {
        m_budget -= bytes;
        return {};
    }
    auto usage = pools::pool_usage(m_mountpoint);
    if (!usage) {
        return tl::unexpected(ImgError(usage.error()));
    }
    uint64_t const floor = std::max(16 * MIB, usage->size_bytes / 128);
    uint64_t const room = usage->available_bytes > floor ? usage->available_bytes - floor : 0;
    if (bytes > room) {
        return img_error(ImgCode::FileSystem,
            "cannot write " + m_dataset + ": out of space (pool has "
                + std::to_string(usage->available_bytes / MIB) + " MiB free)");
    }
    // Others write to the pool too: look again once half of what is left now is used.
    m_budget = (room - bytes) / 2;
    return {};
}

ImgResult<void> VolumeWriter::sync()
{
    if (::fsync(m_fd.get()) != 0) {
        return img_error(
            ImgCode::FileSystem, "cannot write " + m_dataset + ": " + std::strerror(errno));
    }
    return {};
}

ImgResult<uint64_t> copy_raw_disk(std::string_view head, int fd, VolumeSink& sink)
{
    // Whole chunks at chunk offsets: the head (at most a chunk) is the first chunk's start.
    std::vector<char> buffer(std::max(CHUNK, head.size()));
    std::copy(head.begin(), head.end(), buffer.begin());
    size_t used = head.size();
    uint64_t offset = 0;
    for (;;) {
        TRY_ASSIGN(got, read_up_to(fd, buffer.data() + used, buffer.size() - used));
        used += got;
        if (used == 0) {
            break;
        }
        if (used > MAX_VOLUME_BYTES - offset) {
            return img_error(ImgCode::InvalidImageFile,
                "invalid image file: the disk is larger than the largest volume (8 TiB)");
        }
        TRY(sink.write(offset, std::string_view(buffer.data(), used)));
        offset += used;
        if (used < buffer.size()) {
            break; // the end of the input
        }
        used = 0;
    }
    return offset;
}

} // namespace lumos::image::detail
