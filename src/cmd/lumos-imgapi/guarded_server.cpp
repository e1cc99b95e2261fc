// SPDX-License-Identifier: MPL-2.0
#include "cmd/lumos-imgapi/guarded_server.hpp"

#include "cmd/lumos-imgapi/request_head.hpp"

#include <cerrno>
#include <cstdlib>
#include <string_view>
#include <system_error>
#include <thread>

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

namespace lumos::imgapi {
namespace {

constexpr std::string_view REFUSED = "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n"
                                     "Retry-After: 1\r\nContent-Length: 0\r\n\r\n";
constexpr std::string_view TIMED_OUT
    = "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
constexpr std::string_view TOO_LARGE = "HTTP/1.1 431 Request Header Fields Too Large\r\n"
                                       "Connection: close\r\nContent-Length: 0\r\n\r\n";

void address_of(int fd, bool peer, std::string& ip, int& port)
{
    sockaddr_storage address {};
    socklen_t length = sizeof address;
    auto* generic = reinterpret_cast<sockaddr*>(&address); // NOLINT: the sockets API's cast
    int result = peer ? ::getpeername(fd, generic, &length) : ::getsockname(fd, generic, &length);
    char host[NI_MAXHOST] = "";
    char service[NI_MAXSERV] = "0";
    if (result == 0) {
        ::getnameinfo(generic, length, host, sizeof host, service, sizeof service,
            NI_NUMERICHOST | NI_NUMERICSERV);
    }
    ip = host;
    port = static_cast<int>(std::strtol(service, nullptr, 10));
}

// The stream httplib parses one request from and writes its answer to: first the request head
// GuardedServer has read (and anything the client sent after it), then the connection, read
// under the request's deadline and written with `idle_timeout` for each write to progress.
class RequestStream final : public httplib::Stream {
public:
    RequestStream(Transport& transport, std::string buffered, Deadline read_deadline,
        std::chrono::milliseconds idle_timeout)
        : m_transport(transport)
        , m_buffered(std::move(buffered))
        , m_read_deadline(read_deadline)
        , m_idle_timeout(idle_timeout)
    {
    }

    using httplib::Stream::write;

    bool is_readable() const override
    {
        return m_offset < m_buffered.size() || m_transport.wait_readable(m_read_deadline);
    }
    bool is_writable() const override
    {
        return m_transport.wait_writable(Clock::now() + m_idle_timeout);
    }
    ssize_t read(char* buffer, size_t size) override
    {
        if (m_offset < m_buffered.size()) {
            size_t count = std::min(size, m_buffered.size() - m_offset);
            m_buffered.copy(buffer, count, m_offset);
            m_offset += count;
            return static_cast<ssize_t>(count);
        }
        return m_transport.read(buffer, size, m_read_deadline);
    }
    ssize_t write(char const* data, size_t size) override
    {
        return m_transport.write(data, size, Clock::now() + m_idle_timeout);
    }
    void get_remote_ip_and_port(std::string& ip, int& port) const override
    {
        address_of(m_transport.fd(), true, ip, port);
    }
    void get_local_ip_and_port(std::string& ip, int& port) const override
    {
        address_of(m_transport.fd(), false, ip, port);
    }
    socket_t socket() const override { return m_transport.fd(); }

    // What httplib did not read: the start of the next request.
    std::string unread() const { return m_buffered.substr(m_offset); }

private:
    Transport& m_transport;
    std::string m_buffered;
    size_t m_offset { 0 };
    Deadline m_read_deadline;
    std::chrono::milliseconds m_idle_timeout;
};

enum class HeadStatus { Complete, Closed, TimedOut, TooLarge };

// Reads into `buffer` until it holds a whole request head; `end` is where it ends.
HeadStatus read_head(Transport& transport, std::string& buffer, Deadline deadline, size_t& end)
{
    // RFC 9112 §2.2: empty lines before a request line are ignored.
    buffer.erase(0, std::min(buffer.find_first_not_of("\r\n"), buffer.size()));
    while (true) {
        end = find_head_end(buffer);
        if (end != std::string::npos) {
            return HeadStatus::Complete;
        }
        if (buffer.size() >= MAX_HEAD_BYTES) {
            return HeadStatus::TooLarge;
        }
        char chunk[4096];
        ssize_t got = transport.read(chunk, sizeof chunk, deadline);
        if (got == 0) {
            return HeadStatus::Closed;
        }
        if (got < 0) {
            return Clock::now() >= deadline ? HeadStatus::TimedOut : HeadStatus::Closed;
        }
        buffer.append(chunk, static_cast<size_t>(got));
        if (buffer.find_first_not_of("\r\n") == std::string::npos) {
            buffer.clear();
        }
    }
}

} // namespace

GuardedServer::GuardedServer(ConnectionLimits limits, std::unique_ptr<TlsContext> tls)
    : m_limits(limits)
    , m_tls(std::move(tls))
    , m_table(limits.max_connections)
{
    auto idle_seconds = std::chrono::ceil<std::chrono::seconds>(m_limits.idle_timeout).count();
    // Only for the Keep-Alive header httplib writes; the wait itself is ours.
    set_keep_alive_timeout(static_cast<time_t>(idle_seconds));
}

GuardedServer::~GuardedServer()
{
    stop();
    std::lock_guard lock(m_listener_mutex);
    if (!m_listener_closed && svr_sock_ != INVALID_SOCKET) {
        ::close(svr_sock_.exchange(INVALID_SOCKET));
        m_listener_closed = true;
    }
}

bool GuardedServer::serve()
{
    int listener = svr_sock_;
    // httplib listens with a backlog of 5: a burst of connections overflows it and the kernel
    // drops their SYNs, which clients resend only after a second or more. Linux takes a second
    // listen() as a new backlog.
    ::listen(listener, SOMAXCONN);
    bool ok = true;
    while (!m_stopping) {
        int fd = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            admit(UniqueFd(fd));
            continue;
        }
        if (m_stopping) {
            break;
        }
        if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN || errno == EPROTO) {
            continue;
        }
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            // Out of descriptors or memory: the connections that end will free some.
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            continue;
        }
        ok = false;
        break;
    }
    m_table.close();
    {
        std::unique_lock lock(m_threads_mutex);
        m_threads_done.wait(lock, [this] { return m_threads == 0; });
    }
    std::lock_guard lock(m_listener_mutex);
    if (!m_listener_closed) {
        // write_content stops an answer early when svr_sock_ is invalid.
        svr_sock_ = INVALID_SOCKET;
        ::close(listener);
        m_listener_closed = true;
    }
    return ok;
}

void GuardedServer::stop()
{
    m_stopping = true;
    std::lock_guard lock(m_listener_mutex);
    if (!m_listener_closed && svr_sock_ != INVALID_SOCKET) {
        // Wakes accept4 (EINVAL); the descriptor stays open until serve() closes it.
        ::shutdown(svr_sock_, SHUT_RDWR);
    }
}

void GuardedServer::admit(UniqueFd fd)
{
    auto id = m_table.admit(fd.get());
    if (!id) {
        refuse(fd.get());
        return;
    }
    {
        std::lock_guard lock(m_threads_mutex);
        ++m_threads;
    }
    int raw = fd.release();
    try {
        std::thread([this, id = *id, raw] {
            serve_connection(id, raw);
            // Out of the table before the descriptor can be reused.
            m_table.release(id);
            ::close(raw);
            connection_ended();
        }).detach();
    } catch (std::system_error const&) {
        m_table.release(*id);
        refuse(raw);
        ::close(raw);
        connection_ended();
    }
}

void GuardedServer::refuse(int fd) const
{
    // One try, never blocking the accept loop; a TLS client just sees the connection close.
    if (!m_tls) {
        ssize_t ignored = ::send(fd, REFUSED.data(), REFUSED.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        static_cast<void>(ignored);
    }
}

void GuardedServer::connection_ended()
{
    std::lock_guard lock(m_threads_mutex);
    if (--m_threads == 0) {
        m_threads_done.notify_all();
    }
}

void GuardedServer::serve_connection(ConnectionTable::Id id, int fd)
{
    std::optional<Transport> transport;
    if (m_tls) {
        m_table.set_phase(id, Phase::Head);
        auto accepted = Transport::accept_tls(fd, *m_tls, Clock::now() + m_limits.header_timeout);
        if (!accepted) {
            return;
        }
        transport.emplace(std::move(*accepted));
    } else {
        transport.emplace(Transport::plain(fd));
    }

    std::string pending; // bytes received after the last request handled
    for (size_t left = keep_alive_max_count_; left > 0 && !m_stopping; --left) {
        m_table.set_phase(id, Phase::Waiting);
        if (pending.empty() && !transport->wait_readable(Clock::now() + m_limits.idle_timeout)) {
            return;
        }
        m_table.set_phase(id, Phase::Head);
        Deadline deadline = Clock::now() + m_limits.header_timeout;
        size_t end = 0;
        switch (read_head(*transport, pending, deadline, end)) {
        case HeadStatus::Complete:
            break;
        case HeadStatus::Closed:
            return;
        case HeadStatus::TimedOut:
            transport->write_all(TIMED_OUT.data(), TIMED_OUT.size(), Clock::now());
            return;
        case HeadStatus::TooLarge:
            transport->write_all(TOO_LARGE.data(), TOO_LARGE.size(), Clock::now());
            return;
        }
        RequestHead head = inspect_head(std::string_view(pending).substr(0, end));
        RequestStream stream(
            *transport, head.bytes + pending.substr(end), deadline, m_limits.idle_timeout);
        // A request body is never read (only GET and HEAD are served), so a connection that
        // carried one cannot carry another request.
        bool close_connection = left == 1 || head.has_body;
        bool connection_closed = false;
        bool ok = process_request(
            stream, close_connection, connection_closed, [&](httplib::Request& request) {
                m_table.set_phase(id, Phase::Busy);
                request.headers.erase(RANGE_FIELD);
                if (head.range) {
                    request.headers.emplace(RANGE_FIELD, *head.range);
                }
            });
        if (!ok || connection_closed || close_connection) {
            return;
        }
        pending = stream.unread();
    }
}

} // namespace lumos::imgapi
