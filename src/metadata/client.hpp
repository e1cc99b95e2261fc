// SPDX-License-Identifier: MPL-2.0
// The guest side of the metadata protocol (reference section 5; mdata-client's proto.c and
// plat/sunos.c): find the host's socket, connect, negotiate V2, send one request at a time and
// read its reply, resetting the connection (and re-sending) when a reply does not come.
// Standard library and POSIX only: the static mdata-* tools carry it into every guest.
#pragma once

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace lumos::metadata {

// Where the guest finds the socket, first existing one wins (plat/sunos.c): SDC7 zones, SDC7
// lx zones (the native client under /native), SDC6.
std::vector<std::string> default_socket_paths();

struct RetryPolicy {
    // Between two connection attempts (a missing socket, a refused connect, a failed
    // negotiation).
    std::chrono::milliseconds interval { 1000 };
    // Connection attempts per reset, and sends per request, before the client gives up; 0 is
    // upstream's "forever" (mdata-get blocks until the metadata service answers).
    unsigned attempts { 0 };
};

struct ClientOptions {
    std::vector<std::string> socket_paths = default_socket_paths();
    // How long a reply may take from its request's send (upstream: 6 s before V2, 45 s after:
    // a PUT may take longer than 6 s on the host).
    std::chrono::milliseconds v1_timeout { 6000 };
    std::chrono::milliseconds v2_timeout { 45000 };
    RetryPolicy retry;
    // Each V2 request's id (tests pass fixed ones to compare frames byte for byte).
    std::string (*reqid_source)() = nullptr; // nullptr: make_reqid below
    // "receive timeout, resetting protocol..." and the reset's own error go here.
    std::FILE* diagnostics = stderr;
};

enum class Version { V1 = 1, V2 = 2 };

// A reply as the tools see it (mdata-client's mdata_response_t).
enum class Code {
    Success,
    NotFound,
    InvalidCommand, // a V1 host's "invalid command": it does not know the command
    Unknown, // FAILURE (V2: its message is the data) or a V1 line the client does not know
             // (the line is the data)
};

struct Reply {
    Code code { Code::Unknown };
    std::string data;
};

// Why the client stopped trying (upstream's words, e.g. "Could not find metadata socket.").
struct GaveUp {
    std::string message;
};

// Why the last exchange failed (each one is followed by a reset).
enum class Failure { None, Send, Timeout, Closed, Read, LineTooLong, ReplyTooLong };

// Owns one connection to the host (closed on destruction). Not thread-safe: one request at a
// time, as the protocol has it.
class Client {
public:
    explicit Client(ClientOptions options);
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;
    ~Client();

    // proto_init: connect and negotiate, retrying per the policy. nullopt when connected; the
    // reason when the failure is permanent (EACCES/EPERM on the socket's path as non-root, no
    // socket can be made) or the policy's attempts ran out.
    [[nodiscard]] std::optional<GaveUp> open();

    // proto_execute: sends `command [argument]` in the negotiated framing and returns its reply.
    // A timeout, a closed or broken connection, or an over-long line prints "receive timeout,
    // resetting protocol..." to the diagnostics, reconnects (open's retries) and sends again.
    // V2 replies with another request's id or a bad frame are dropped. GaveUp when the reset
    // failed for good, the policy's sends ran out, or the request is longer than MAX_LINE.
    [[nodiscard]] std::variant<Reply, GaveUp> execute(
        std::string_view command, std::optional<std::string_view> argument);

    [[nodiscard]] Version version() const { return m_version; }
    // Connections attempted so far (each socket lookup counts one), and why the last exchange
    // failed: what tests observe of the retry and bounds rules.
    [[nodiscard]] unsigned connection_attempts() const { return m_connection_attempts; }
    [[nodiscard]] Failure last_failure() const { return m_last_failure; }

private:
    struct Connected {
        bool ok { false };
        bool permanent { false };
        std::string message;
    };
    enum class Header { NotFound, Success, V2Ok, InvalidCommand, Other };

    [[nodiscard]] std::optional<GaveUp> reset();
    [[nodiscard]] Connected connect_once();
    [[nodiscard]] bool negotiate();
    void close_connection();
    [[nodiscard]] std::optional<Reply> exchange(std::string_view command,
        std::optional<std::string_view> argument, std::chrono::milliseconds timeout);
    [[nodiscard]] std::optional<Reply> read_v2_reply(
        std::string_view reqid, std::chrono::steady_clock::time_point deadline);
    [[nodiscard]] std::optional<std::pair<Header, Reply>> read_v1_reply(
        std::chrono::steady_clock::time_point deadline);
    [[nodiscard]] bool send_all(
        std::string_view bytes, std::chrono::steady_clock::time_point deadline);
    [[nodiscard]] std::optional<std::string> read_line(
        std::chrono::steady_clock::time_point deadline);
    [[nodiscard]] bool wait_for(short events, std::chrono::steady_clock::time_point deadline);

    ClientOptions m_options;
    int m_fd { -1 };
    Version m_version { Version::V1 };
    std::string m_buffer; // bytes read past the last line
    unsigned m_connection_attempts { 0 };
    Failure m_last_failure { Failure::None };
};

// Eight lower-case hex digits from 4 random bytes (getrandom, else /dev/urandom, else a mix of
// the clock, the pid and a counter: an id only has to differ from the previous request's).
std::string make_reqid();

} // namespace lumos::metadata
