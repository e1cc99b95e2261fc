// SPDX-License-Identifier: MPL-2.0
// Private to image_store.cpp: an image file's bytes after decompression, read from a pipe fed
// by `gzip|bzip2|xz|zstd -cdfq` (imgadm runs the same tools), or from the file itself for
// compression "none".
#pragma once

#include "base/child_process.hpp"
#include "base/file.hpp"
#include "image/errors.hpp"

#include <memory>
#include <optional>
#include <string>
#include <thread>

namespace lumos::image::detail {

// "gzip", "bzip2", "xz", "zstd" or "none". An absent or unknown manifest value is replaced by
// what the file's first bytes say.
std::string effective_compression(std::string const& manifest_value, std::string const& file);

class Decompressed {
public:
    // Starts the decompressor (none for "none").
    static ImgResult<Decompressed> open(std::string const& file, std::string const& compression);
    // The same over an already open input (a pipe from a download).
    static ImgResult<Decompressed> open_fd(UniqueFd input, std::string const& compression);
    Decompressed(Decompressed&& other) noexcept = default;
    Decompressed& operator=(Decompressed&&) = delete;
    Decompressed(Decompressed const&) = delete;
    Decompressed& operator=(Decompressed const&) = delete;
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
    std::optional<ChildProcess> m_child; // none for "none"
    std::string m_compression;
};

// A relay's pipe (close-on-exec), as large as the system allows (up to 1 MiB: fewer wake-ups
// between the download, the decompressor and the installer; best effort).
struct RelayPipe {
    UniqueFd read_end;
    UniqueFd write_end;
};
ImgResult<RelayPipe> make_relay_pipe();

// For a relay thread: a reader that goes away means EPIPE on its writes, not SIGPIPE for the
// process.
void block_sigpipe_in_this_thread();

// A decompressed stream read once from a pipe (imgadm import streams the download into the
// pool): its first bytes (head(), for format detection) are read up front. A reader that can
// take them back (the tar extractor) reads head() and then raw_fd(); one that needs a plain fd
// (btrfs receive) gets relayed_fd(), fed the head and then the rest by a relay thread.
class StreamSource {
public:
    static ImgResult<StreamSource> open(UniqueFd input, std::string const& compression);
    StreamSource(StreamSource&&) noexcept = default;
    StreamSource& operator=(StreamSource&&) = delete;
    StreamSource(StreamSource const&) = delete;
    StreamSource& operator=(StreamSource const&) = delete;
    ~StreamSource();

    std::string const& head() const { return m_state->head; }
    // The decompressed bytes after head().
    int raw_fd() const { return m_state->decompressed->fd(); }
    // All decompressed bytes, head() first (starts the relay).
    ImgResult<int> relayed_fd();
    // After the consumer is done: drains the rest, then the decompressor's verdict.
    ImgResult<void> finish();
    // Stops early.
    void abandon();

private:
    StreamSource() = default;
    struct State {
        std::optional<Decompressed> decompressed;
        std::string head;
        UniqueFd read_end; // of the relay
        std::thread relay;
        std::optional<ImgError> read_error;
    };
    std::unique_ptr<State> m_state;
};

} // namespace lumos::image::detail
