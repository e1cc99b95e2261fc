// SPDX-License-Identifier: MPL-2.0
#include "image/detail/decompress.hpp"

#include "base/file.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

namespace lumos::image::detail {

std::string effective_compression(std::string const& manifest_value, std::string const& file)
{
    if (manifest_value == "gzip" || manifest_value == "bzip2" || manifest_value == "xz"
        || manifest_value == "zstd" || manifest_value == "none") {
        return manifest_value;
    }
    unsigned char magic[6] {};
    UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()
        || ::read(fd.get(), magic, sizeof magic) != static_cast<ssize_t>(sizeof magic)) {
        return "none";
    }
    if (magic[0] == 0x1f && magic[1] == 0x8b) {
        return "gzip";
    }
    if (magic[0] == 'B' && magic[1] == 'Z' && magic[2] == 'h') {
        return "bzip2";
    }
    if (magic[0] == 0xfd && std::memcmp(magic + 1, "7zXZ", 4) == 0 && magic[5] == 0) {
        return "xz";
    }
    if (magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd) {
        return "zstd";
    }
    return "none";
}

ImgResult<Decompressed> Decompressed::open(std::string const& file, std::string const& compression)
{
    UniqueFd input(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!input.valid()) {
        return img_error(ImgCode::FileSystem, "cannot open " + file + ": " + std::strerror(errno));
    }
    return open_fd(std::move(input), compression);
}

ImgResult<Decompressed> Decompressed::open_fd(UniqueFd input, std::string const& compression)
{
    Decompressed result;
    result.m_compression = compression;
    if (compression == "none") {
        result.m_fd = std::move(input);
        return result;
    }
    TRY_ASSIGN(pipe, make_relay_pipe());
    SpawnOptions options({ compression, "-cdfq" });
    options.stdio[0] = Stdio::fd(input.get());
    options.stdio[1] = Stdio::fd(pipe.write_end.get());
    options.stdio[2] = Stdio::null();
    options.reset_signals = true;
    auto child = ChildProcess::spawn(options);
    if (!child) {
        // As the tool's own "cannot run" exit would read.
        return img_error(ImgCode::UncompressionError,
            compression + " uncompression error while importing: exit code 127");
    }
    result.m_child.emplace(std::move(*child));
    result.m_fd = std::move(pipe.read_end);
    return result;
}

Decompressed::~Decompressed()
{
    abandon();
}

ImgResult<size_t> Decompressed::read_full(char* buffer, size_t size)
{
    size_t done = 0;
    while (done < size) {
        ssize_t n = ::read(m_fd.get(), buffer + done, size - done);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return img_error(
                ImgCode::FileSystem, std::string("read image file: ") + std::strerror(errno));
        }
        if (n == 0) {
            break;
        }
        done += static_cast<size_t>(n);
    }
    return done;
}

ImgResult<void> Decompressed::finish()
{
    if (!m_child) {
        return {};
    }
    m_fd = UniqueFd();
    auto status = m_child->wait();
    m_child.reset();
    int const code = status ? exit_code_of(*status) : 127;
    if (code != 0) {
        return img_error(ImgCode::UncompressionError,
            m_compression + " uncompression error while importing: exit code "
                + std::to_string(code));
    }
    return {};
}

void Decompressed::abandon()
{
    m_fd = UniqueFd();
    m_child.reset(); // killed and reaped
}

ImgResult<RelayPipe> make_relay_pipe()
{
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
        return img_error(ImgCode::InternalError, std::string("pipe: ") + std::strerror(errno));
    }
    RelayPipe pipe { UniqueFd(pipe_fds[0]), UniqueFd(pipe_fds[1]) };
    (void)::fcntl(pipe.write_end.get(), F_SETPIPE_SZ, 1024 * 1024);
    return pipe;
}

void block_sigpipe_in_this_thread()
{
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
}

ImgResult<StreamSource> StreamSource::open(UniqueFd input, std::string const& compression)
{
    StreamSource source;
    source.m_state = std::make_unique<State>();
    State& state = *source.m_state;
    TRY_ASSIGN(decompressed, Decompressed::open_fd(std::move(input), compression));
    state.decompressed.emplace(std::move(decompressed));
    state.head.resize(1024);
    TRY_ASSIGN(got, state.decompressed->read_full(state.head.data(), state.head.size()));
    state.head.resize(got);
    return source;
}

ImgResult<int> StreamSource::relayed_fd()
{
    State& state = *m_state;
    if (state.read_end.valid()) {
        return state.read_end.get();
    }
    TRY_ASSIGN(pipe, make_relay_pipe());
    state.read_end = std::move(pipe.read_end);
    UniqueFd write_end = std::move(pipe.write_end);
    // The relay: the head again, then the rest of the decompressed stream, until the end or until
    // the reader goes away (EPIPE).
    state.relay = std::thread([&state, out = std::move(write_end)]() {
        block_sigpipe_in_this_thread();
        if (!write_fully(out.get(), state.head.data(), state.head.size())) {
            return;
        }
        std::vector<char> buffer(size_t { 1024 } * 1024);
        for (;;) {
            auto got_now = state.decompressed->read_full(buffer.data(), buffer.size());
            if (!got_now) {
                state.read_error = got_now.error();
                return;
            }
            if (*got_now == 0 || !write_fully(out.get(), buffer.data(), *got_now)) {
                return;
            }
        }
    });
    return state.read_end.get();
}

StreamSource::~StreamSource()
{
    if (m_state) {
        abandon();
    }
}

ImgResult<void> StreamSource::finish()
{
    State& state = *m_state;
    // The rest of the stream, unread by the consumer: from the relay when there is one (which
    // reads the decompressor), else from the decompressor.
    int const rest = state.read_end.valid() ? state.read_end.get() : state.decompressed->fd();
    std::vector<char> buffer(size_t { 1024 } * 1024);
    for (;;) {
        ssize_t n = ::read(rest, buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
    }
    state.read_end = UniqueFd();
    if (state.relay.joinable()) {
        state.relay.join();
    }
    if (state.read_error) {
        return tl::unexpected(*state.read_error);
    }
    return state.decompressed->finish();
}

void StreamSource::abandon()
{
    m_state->read_end = UniqueFd(); // the relay's writes fail with EPIPE
    if (m_state->decompressed) {
        m_state->decompressed->abandon(); // and its reads end
    }
    if (m_state->relay.joinable()) {
        m_state->relay.join();
    }
}

} // namespace lumos::image::detail
