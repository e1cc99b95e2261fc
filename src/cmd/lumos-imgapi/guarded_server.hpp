// SPDX-License-Identifier: MPL-2.0
// An httplib server whose connections cannot be starved by slow clients.
//
// httplib 0.11 serves each connection on one of a fixed pool of threads (8 here), with a read
// timeout per recv: a client that trickles one header line every few seconds keeps its thread
// for as long as it likes, and eight of them stop the server. GuardedServer keeps httplib's
// request parsing, routing and response writing (Server::process_request) and does the rest
// itself: its own accept loop, one thread per connection, at most `max_connections` of them
// (ConnectionTable: the longest-waiting idle or slow one is cut to make room, a newcomer is
// refused with 503 only when all are busy answering), and per-connection deadlines:
//
// - idle: a connection waits at most `idle_timeout` for the first byte of each request, and
//   each write of an answer may take at most `idle_timeout` to make progress;
// - header: a request's line and headers (and the TLS handshake) must arrive whole within
//   `header_timeout` of its first byte, or the client gets 408 and is disconnected.
//
// The Range field never reaches httplib (see request_head.hpp); handlers find the client's
// value under RANGE_FIELD.
#pragma once

#include "base/file.hpp"
#include "cmd/lumos-imgapi/connection_table.hpp"
#include "cmd/lumos-imgapi/transport.hpp"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

namespace lumos::imgapi {

struct ConnectionLimits {
    std::chrono::milliseconds header_timeout { 10000 };
    std::chrono::milliseconds idle_timeout { 5000 };
    size_t max_connections { 256 };
};

// The request header that carries the client's Range field to the handlers; whatever a client
// sends under this name is dropped.
constexpr char const* RANGE_FIELD = "Lumos-Client-Range";

class GuardedServer : private httplib::Server {
public:
    // `tls`: serve https with it; nullptr: http.
    GuardedServer(ConnectionLimits limits, std::unique_ptr<TlsContext> tls);
    GuardedServer(GuardedServer const&) = delete;
    GuardedServer& operator=(GuardedServer const&) = delete;
    GuardedServer(GuardedServer&&) = delete;
    GuardedServer& operator=(GuardedServer&&) = delete;
    ~GuardedServer() override;

    using httplib::Server::bind_to_any_port;
    using httplib::Server::bind_to_port;
    using httplib::Server::Get;
    using httplib::Server::set_error_handler;
    using httplib::Server::set_exception_handler;
    using httplib::Server::set_pre_routing_handler;
    using httplib::Server::set_socket_options;

    // Accepts and serves connections on the bound socket until stop(); then cuts the open
    // connections and returns once their threads have ended. false when accepting failed.
    bool serve();
    // From any thread, once: ends serve().
    void stop();

private:
    void admit(UniqueFd fd);
    void refuse(int fd) const;
    void serve_connection(ConnectionTable::Id id, int fd);
    void connection_ended();

    ConnectionLimits const m_limits;
    std::unique_ptr<TlsContext> m_tls;
    ConnectionTable m_table;
    std::atomic<bool> m_stopping { false };
    std::mutex m_listener_mutex;
    bool m_listener_closed { false };
    std::mutex m_threads_mutex;
    std::condition_variable m_threads_done;
    size_t m_threads { 0 };
};

} // namespace lumos::imgapi
