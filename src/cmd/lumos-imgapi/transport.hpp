// SPDX-License-Identifier: MPL-2.0
// One accepted connection's byte stream, plain TCP or TLS (OpenSSL), over a non-blocking socket:
// every read, write and the TLS handshake take an absolute deadline, so no peer can hold a
// thread past it however slowly it trickles bytes (a per-recv timeout, as httplib has, restarts
// with every byte).
#pragma once

#include "base/result.hpp"

#include <chrono>
#include <memory>
#include <string>

#include <sys/types.h>

// OpenSSL's SSL and SSL_CTX, without its headers.
struct ssl_st;
struct ssl_ctx_st;

namespace lumos::imgapi {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

// A server certificate and key (PEM files), loaded once, shared by every connection.
class TlsContext {
public:
    static Result<std::unique_ptr<TlsContext>> load(
        std::string const& cert_path, std::string const& key_path);
    TlsContext(TlsContext const&) = delete;
    TlsContext& operator=(TlsContext const&) = delete;
    TlsContext(TlsContext&&) = delete;
    TlsContext& operator=(TlsContext&&) = delete;
    ~TlsContext();

    ssl_ctx_st* get() const { return m_ctx; }

private:
    explicit TlsContext(ssl_ctx_st* ctx)
        : m_ctx(ctx)
    {
    }
    ssl_ctx_st* m_ctx;
};

// Uses a non-blocking socket that the caller owns and closes after the Transport is gone; owns
// its TLS session. Reads and writes return the byte count, 0 for a read at the end of the
// stream, -1 on an error or a deadline passed.
class Transport {
public:
    static Transport plain(int fd);
    // The TLS handshake, finished before `deadline` or failed.
    static Result<Transport> accept_tls(int fd, TlsContext const& context, Deadline deadline);

    Transport(Transport&& other) noexcept;
    Transport& operator=(Transport&& other) noexcept;
    Transport(Transport const&) = delete;
    Transport& operator=(Transport const&) = delete;
    ~Transport();

    int fd() const { return m_fd; }

    ssize_t read(char* buffer, size_t size, Deadline deadline);
    // Writes some of data (at least one byte) before the deadline.
    ssize_t write(char const* data, size_t size, Deadline deadline);
    // Writes all of data before the deadline.
    bool write_all(char const* data, size_t size, Deadline deadline);
    // Whether bytes (or the end of the stream) can be read before the deadline.
    bool wait_readable(Deadline deadline) const;
    // Waits for the socket to take bytes before the deadline.
    bool wait_writable(Deadline deadline) const;

private:
    Transport(int fd, ssl_st* ssl)
        : m_fd(fd)
        , m_ssl(ssl)
    {
    }

    int m_fd;
    ssl_st* m_ssl { nullptr };
};

// poll(2) for `events` on fd until the deadline; true when ready (or in error or hung up, which
// the next read or write reports).
bool wait_for(int fd, short events, Deadline deadline);

} // namespace lumos::imgapi
