// SPDX-License-Identifier: MPL-2.0
// Private to the image store: a zvol image's disk written into its volume (the volume's file on
// dir and btrfs pools, its zvol device on zfs), sparse: all-zero blocks are seeked over, never
// written, so a 10 GiB disk that is mostly empty costs what its data costs.
#pragma once

#include "base/file.hpp"
#include "image/detail/zfs_stream.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace lumos::image::detail {

class VolumeWriter final : public VolumeSink {
public:
    // path: the volume's file or device, which starts out reading zeros everywhere.
    // pool_mountpoint: whose free space the writes keep above the pool's floor. dataset: named in
    // messages.
    VolumeWriter(std::string path, std::string pool_mountpoint, std::string dataset);

    ImgResult<void> open();
    // Writes data's non-zero 4 KiB blocks at offset; a zero block over data written before is
    // punched out, one past it skipped. Refused ("out of space") when the data would take the
    // pool below its floor of free space (1/128 of its size, at least 16 MiB: what its new
    // datasets need), looked at again as the writes use up what it had.
    ImgResult<void> write(uint64_t offset, std::string_view data) override;
    // The range reads zeros (holes punched where data was written).
    ImgResult<void> free(uint64_t offset, uint64_t length) override;
    // fsync.
    ImgResult<void> sync();

private:
    ImgResult<void> put(uint64_t offset, std::string_view data);
    ImgResult<void> punch(uint64_t offset, uint64_t length);
    ImgResult<void> reserve(uint64_t bytes);

    std::string m_path;
    std::string m_mountpoint;
    std::string m_dataset;
    UniqueFd m_fd;
    uint64_t m_written_end { 0 }; // past it, nothing was written: it reads zeros
    uint64_t m_budget { 0 }; // bytes that may be written before the free space is looked at again
};

// Copies a raw disk (head, then the rest of fd) into the writer from offset 0; its size in
// bytes. InvalidImageFile when it is longer than MAX_VOLUME_BYTES.
ImgResult<uint64_t> copy_raw_disk(std::string_view head, int fd, VolumeSink& sink);

} // namespace lumos::image::detail
