// SPDX-License-Identifier: MPL-2.0
// Private to image_store.cpp: an image file's bytes after decompression, read from a pipe fed
// by `gzip|bzip2|xz|zstd -cdfq` (imgadm runs the same tools), or from the file itself for
// compression "none".
#pragma once

#include "base/file.hpp"
#include "image/errors.hpp"

#include <string>

#include <sys/types.h>

namespace lumos::image::detail {

// "gzip", "bzip2", "xz", "zstd" or "none". An absent or unknown manifest value is replaced by
// what the file's first bytes say.
std::string effective_compression(std::string const& manifest_value, std::string const& file);

class Decompressed {
public:
    // Starts the decompressor (none for "none").
    static ImgResult<Decompressed> open(std::string const& file, std::string const& compression);
    Decompressed(Decompressed&& other) noexcept
        : m_fd(std::move(other.m_fd))
        , m_pid(other.m_pid)
        , m_compression(std::move(other.m_compression))
    {
        other.m_pid = -1;
    }
    Decompressed& operator=(Decompressed&&) = delete;
    Decompressed(Decompressed const&) = delete;
    ~Decompressed(); // kills and reaps a decompressor still running

    int fd() const { return m_fd.get(); }
    // Reads up to size bytes (short only at end of stream).
    ImgResult<size_t> read_full(char* buffer, size_t size);
    // After the whole stream was read: UncompressionError
    // "<comp> uncompression error while importing: exit code N" when the tool failed.
    ImgResult<void> finish();
    // Stops early (the decompressor is killed; its status is ignored).
    void abandon();

private:
    Decompressed() = default;
    UniqueFd m_fd;
    pid_t m_pid { -1 };
    std::string m_compression;
};

} // namespace lumos::image::detail
