// SPDX-License-Identifier: MPL-2.0
#include "cmd/lumos-imgapi/transport.hpp"

#include <cerrno>
#include <climits>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>

namespace lumos::imgapi {
namespace {

int clamp_int(size_t size)
{
    return size > static_cast<size_t>(INT_MAX) ? INT_MAX : static_cast<int>(size);
}

std::string openssl_error()
{
    unsigned long code = ERR_get_error();
    if (code == 0) {
        return "unknown error";
    }
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return text;
}

// What an SSL_* call that returned `result` <= 0 asks for: the poll events to wait for, 0 for a
// clean end of stream, -1 for a failure.
int tls_retry_events(SSL* ssl, int result)
{
    switch (SSL_get_error(ssl, result)) {
    case SSL_ERROR_WANT_READ:
        return POLLIN;
    case SSL_ERROR_WANT_WRITE:
        return POLLOUT;
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    default:
        return -1;
    }
}

} // namespace

bool wait_for(int fd, short events, Deadline deadline)
{
    while (true) {
        auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
        pollfd entry { fd, events, 0 };
        int ready = ::poll(&entry, 1,
            left <= 0            ? 0
                : left > INT_MAX ? INT_MAX
                                 : static_cast<int>(left));
        if (ready > 0) {
            return true;
        }
        if (ready < 0 && errno != EINTR) {
            return false;
        }
        if (ready == 0 && Clock::now() >= deadline) {
            return false;
        }
    }
}

Result<std::unique_ptr<TlsContext>> TlsContext::load(
    std::string const& cert_path, std::string const& key_path)
{
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == nullptr) {
        return make_error(ErrorCode::System, "cannot make a TLS context: " + openssl_error());
    }
    std::unique_ptr<TlsContext> context(new TlsContext(ctx));
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    // No renegotiation (a client could restart the handshake at will) and no compression
    // (CRIME); a peer that drops the connection without close_notify just ends the stream.
    SSL_CTX_set_options(
        ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
    // httplib retries a short write from a moved pointer; partial writes keep sends bounded.
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_path.c_str()) != 1
        || SSL_CTX_use_PrivateKey_file(ctx, key_path.c_str(), SSL_FILETYPE_PEM) != 1
        || SSL_CTX_check_private_key(ctx) != 1) {
        return make_error(ErrorCode::InvalidArgument,
            "cannot load the TLS certificate or key: " + openssl_error());
    }
    return context;
}

TlsContext::~TlsContext()
{
    SSL_CTX_free(m_ctx);
}

Transport Transport::plain(int fd)
{
    return Transport(fd, nullptr);
}

Result<Transport> Transport::accept_tls(int fd, TlsContext const& context, Deadline deadline)
{
    SSL* ssl = SSL_new(context.get());
    if (ssl == nullptr) {
        return make_error(ErrorCode::System, "cannot start a TLS session: " + openssl_error());
    }
    Transport transport(fd, ssl);
    if (SSL_set_fd(ssl, transport.fd()) != 1) {
        return make_error(ErrorCode::System, "cannot start a TLS session: " + openssl_error());
    }
    while (true) {
        ERR_clear_error();
        int result = SSL_accept(ssl);
        if (result == 1) {
            return transport;
        }
        int events = tls_retry_events(ssl, result);
        if (events <= 0 || !wait_for(transport.fd(), static_cast<short>(events), deadline)) {
            // No close_notify after a failed handshake: SSL_shutdown is not allowed then.
            SSL_set_quiet_shutdown(ssl, 1);
            return make_error(ErrorCode::Timeout, "TLS handshake failed or timed out");
        }
    }
}

Transport::Transport(Transport&& other) noexcept
    : m_fd(other.m_fd)
    , m_ssl(other.m_ssl)
{
    other.m_ssl = nullptr;
}

Transport& Transport::operator=(Transport&& other) noexcept
{
    if (this != &other) {
        if (m_ssl != nullptr) {
            SSL_free(m_ssl);
        }
        m_fd = other.m_fd;
        m_ssl = other.m_ssl;
        other.m_ssl = nullptr;
    }
    return *this;
}

Transport::~Transport()
{
    if (m_ssl != nullptr) {
        // One non-blocking close_notify, skipped after a fatal error (OpenSSL forbids it then).
        if (SSL_get_quiet_shutdown(m_ssl) == 0) {
            ERR_clear_error();
            SSL_shutdown(m_ssl);
        }
        SSL_free(m_ssl);
    }
}

ssize_t Transport::read(char* buffer, size_t size, Deadline deadline)
{
    while (true) {
        if (m_ssl == nullptr) {
            ssize_t got = ::recv(m_fd, buffer, size, 0);
            if (got >= 0) {
                return got;
            }
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN || !wait_for(m_fd, POLLIN, deadline)) {
                return -1;
            }
            continue;
        }
        ERR_clear_error();
        int got = SSL_read(m_ssl, buffer, clamp_int(size));
        if (got > 0) {
            return got;
        }
        int events = tls_retry_events(m_ssl, got);
        if (events == 0) {
            return 0;
        }
        if (events < 0 || !wait_for(m_fd, static_cast<short>(events), deadline)) {
            if (events < 0) {
                SSL_set_quiet_shutdown(m_ssl, 1);
            }
            return -1;
        }
    }
}

ssize_t Transport::write(char const* data, size_t size, Deadline deadline)
{
    while (true) {
        if (m_ssl == nullptr) {
            ssize_t sent = ::send(m_fd, data, size, MSG_NOSIGNAL);
            if (sent >= 0) {
                return sent;
            }
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN || !wait_for(m_fd, POLLOUT, deadline)) {
                return -1;
            }
            continue;
        }
        ERR_clear_error();
        int sent = SSL_write(m_ssl, data, clamp_int(size));
        if (sent > 0) {
            return sent;
        }
        int events = tls_retry_events(m_ssl, sent);
        if (events <= 0 || !wait_for(m_fd, static_cast<short>(events), deadline)) {
            if (events <= 0) {
                SSL_set_quiet_shutdown(m_ssl, 1);
            }
            return -1;
        }
    }
}

bool Transport::write_all(char const* data, size_t size, Deadline deadline)
{
    size_t done = 0;
    while (done < size) {
        ssize_t sent = write(data + done, size - done, deadline);
        if (sent <= 0) {
            return false;
        }
        done += static_cast<size_t>(sent);
    }
    return true;
}

bool Transport::wait_readable(Deadline deadline) const
{
    if (m_ssl != nullptr && SSL_pending(m_ssl) > 0) {
        return true;
    }
    return wait_for(m_fd, POLLIN, deadline);
}

bool Transport::wait_writable(Deadline deadline) const
{
    return wait_for(m_fd, POLLOUT, deadline);
}

} // namespace lumos::imgapi
