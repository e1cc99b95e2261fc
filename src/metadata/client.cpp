// SPDX-License-Identifier: MPL-2.0
#include "metadata/client.hpp"

#include "metadata/protocol.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <utility>

#include <fcntl.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace lumos::metadata {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t READ_CHUNK = 4096;

void pause_for(std::chrono::milliseconds interval)
{
    auto const count = interval.count();
    timespec remaining { .tv_sec = static_cast<time_t>(count / 1000),
        .tv_nsec = static_cast<long>((count % 1000) * 1000000) };
    while (::nanosleep(&remaining, &remaining) != 0 && errno == EINTR) {
    }
}

std::string describe(Failure failure)
{
    switch (failure) {
    case Failure::None:
        return "no failure";
    case Failure::Send:
        return "could not send the request";
    case Failure::Timeout:
        return "receive timeout";
    case Failure::Closed:
        return "the host closed the connection";
    case Failure::Read:
        return "could not read the reply";
    case Failure::LineTooLong:
        return "a reply line longer than " + std::to_string(MAX_LINE) + " bytes";
    case Failure::ReplyTooLong:
        return "a reply longer than " + std::to_string(MAX_LINE) + " bytes";
    }
    return "unknown failure";
}

} // namespace

std::vector<std::string> default_socket_paths()
{
    return { "/.zonecontrol/metadata.sock", "/native/.zonecontrol/metadata.sock",
        "/var/run/smartdc/metadata.sock" };
}

std::string make_reqid()
{
    std::uint32_t value = 0;
    if (::getrandom(&value, sizeof value, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof value)) {
        int const fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        bool const read_ok
            = fd >= 0 && ::read(fd, &value, sizeof value) == static_cast<ssize_t>(sizeof value);
        if (fd >= 0) {
            ::close(fd);
        }
        if (!read_ok) {
            static std::uint32_t counter = 0;
            auto const ticks = Clock::now().time_since_epoch().count();
            value = static_cast<std::uint32_t>(ticks)
                ^ (static_cast<std::uint32_t>(::getpid()) << 16U) ^ (++counter * 0x9E3779B9U);
        }
    }
    std::string text(8, '0');
    for (std::size_t i = 8; i-- > 0;) {
        text[i] = "0123456789abcdef"[value & 0xFU];
        value >>= 4U;
    }
    return text;
}

Client::Client(ClientOptions options)
    : m_options(std::move(options))
{
}

Client::~Client()
{
    close_connection();
}

void Client::close_connection()
{
    if (m_fd >= 0) {
        ::close(m_fd);
        m_fd = -1;
    }
    m_buffer.clear();
}

std::optional<GaveUp> Client::open()
{
    return reset();
}

Client::Connected Client::connect_once()
{
    ++m_connection_attempts;
    close_connection();
    std::string const* found = nullptr;
    bool permanent = false;
    for (std::string const& path : m_options.socket_paths) {
        struct stat status { };
        if (::lstat(path.c_str(), &status) == 0) {
            if (S_ISSOCK(status.st_mode)) {
                found = &path;
                break;
            }
            continue;
        }
        // A path we may not look at will not become visible by waiting (plat/sunos.c: only as
        // non-root; root is refused only where retrying cannot help either).
        if ((errno == EACCES || errno == EPERM) && ::geteuid() != 0) {
            permanent = true;
        }
    }
    if (found == nullptr) {
        // Not permanent otherwise: the host may not have made the socket yet.
        return Connected {
            .ok = false, .permanent = permanent, .message = "Could not find metadata socket."
        };
    }
    sockaddr_un address {};
    address.sun_family = AF_UNIX;
    if (found->size() >= sizeof address.sun_path) {
        return Connected {
            .ok = false, .permanent = true, .message = "Could not connect metadata socket."
        };
    }
    std::memcpy(&address.sun_path[0], found->data(), found->size());
    // Non-blocking, so that every wait below has a deadline.
    int const fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return Connected {
            .ok = false, .permanent = true, .message = "Could not open metadata socket."
        };
    }
    if (::connect(fd, reinterpret_cast<sockaddr const*>(&address), sizeof address) != 0) {
        ::close(fd);
        return Connected {
            .ok = false, .permanent = false, .message = "Could not connect metadata socket."
        };
    }
    m_fd = fd;
    return Connected { .ok = true, .permanent = false, .message = {} };
}

std::optional<GaveUp> Client::reset()
{
    for (unsigned attempt = 1;; ++attempt) {
        Connected const connected = connect_once();
        if (connected.ok && negotiate()) {
            return std::nullopt;
        }
        close_connection();
        if (connected.permanent) {
            return GaveUp { connected.message };
        }
        if (m_options.retry.attempts != 0 && attempt >= m_options.retry.attempts) {
            return GaveUp { connected.ok
                    ? "Could not negotiate protocol: " + describe(m_last_failure) + "."
                    : connected.message };
        }
        pause_for(m_options.retry.interval);
    }
}

bool Client::negotiate()
{
    // V1 until the host says V2_OK; any other answer (an old host) keeps V1.
    m_version = Version::V1;
    m_last_failure = Failure::None;
    auto const deadline = Clock::now() + m_options.v1_timeout;
    if (!send_all("NEGOTIATE V2\n", deadline)) {
        return false;
    }
    auto const reply = read_v1_reply(deadline);
    if (!reply) {
        return false;
    }
    if (reply->first == Header::V2Ok) {
        m_version = Version::V2;
    }
    return true;
}

std::variant<Reply, GaveUp> Client::execute(
    std::string_view command, std::optional<std::string_view> argument)
{
    // A V2 frame is the longer form of a request; the host drops a line longer than MAX_LINE,
    // so sending it would only time out and be sent again, forever.
    if (format_v2_request("00000000", command, argument).size() > MAX_LINE) {
        return GaveUp { "request longer than " + std::to_string(MAX_LINE) + " bytes" };
    }
    if (m_fd < 0) {
        if (auto gave_up = reset()) {
            return *std::move(gave_up);
        }
    }
    for (unsigned sends = 1;; ++sends) {
        std::chrono::milliseconds const timeout
            = m_version == Version::V2 ? m_options.v2_timeout : m_options.v1_timeout;
        if (auto reply = exchange(command, argument, timeout)) {
            return *std::move(reply);
        }
        close_connection();
        if (m_options.retry.attempts != 0 && sends >= m_options.retry.attempts) {
            return GaveUp { describe(m_last_failure) };
        }
        // Upstream's words for every failed exchange, a timeout or not.
        (void)std::fputs("receive timeout, resetting protocol...\n", m_options.diagnostics);
        if (auto gave_up = reset()) {
            (void)std::fprintf(m_options.diagnostics, "ERROR: while resetting connection: %s\n",
                gave_up->message.c_str());
            return *std::move(gave_up);
        }
    }
}

std::optional<Reply> Client::exchange(std::string_view command,
    std::optional<std::string_view> argument, std::chrono::milliseconds timeout)
{
    m_last_failure = Failure::None;
    auto const deadline = Clock::now() + timeout;
    if (m_version == Version::V2) {
        std::string const reqid
            = m_options.reqid_source != nullptr ? m_options.reqid_source() : make_reqid();
        if (!send_all(format_v2_request(reqid, command, argument), deadline)) {
            return std::nullopt;
        }
        return read_v2_reply(reqid, deadline);
    }
    std::string line(command);
    if (argument) {
        line.append(" ").append(*argument);
    }
    line += '\n';
    if (!send_all(line, deadline)) {
        return std::nullopt;
    }
    auto reply = read_v1_reply(deadline);
    if (!reply) {
        return std::nullopt;
    }
    return std::move(reply->second);
}

std::optional<Reply> Client::read_v2_reply(std::string_view reqid, Clock::time_point deadline)
{
    for (;;) {
        auto const line = read_line(deadline);
        if (!line) {
            return std::nullopt;
        }
        auto response = parse_v2_response(*line);
        // A frame that does not check out, or answers another request (one that timed out on
        // this connection), is dropped: the outstanding request's reply may still come.
        if (!response || response->reqid != reqid) {
            continue;
        }
        Code code = Code::Unknown;
        if (response->code == "SUCCESS") {
            code = Code::Success;
        } else if (response->code == "NOTFOUND") {
            code = Code::NotFound;
        }
        return Reply { .code = code, .data = std::move(response->payload) };
    }
}

std::optional<std::pair<Client::Header, Reply>> Client::read_v1_reply(Clock::time_point deadline)
{
    auto header = read_line(deadline);
    if (!header) {
        return std::nullopt;
    }
    if (*header == "NOTFOUND") {
        return std::make_pair(Header::NotFound, Reply { .code = Code::NotFound, .data = {} });
    }
    if (*header == "V2_OK") {
        return std::make_pair(Header::V2Ok, Reply { .code = Code::Unknown, .data = "V2_OK" });
    }
    if (*header == "invalid command") {
        return std::make_pair(
            Header::InvalidCommand, Reply { .code = Code::InvalidCommand, .data = {} });
    }
    if (*header != "SUCCESS") {
        return std::make_pair(
            Header::Other, Reply { .code = Code::Unknown, .data = std::move(*header) });
    }
    // The value's lines, a leading '.' doubled, up to a lone ".".
    std::string data;
    for (bool first = true;; first = false) {
        auto line = read_line(deadline);
        if (!line) {
            return std::nullopt;
        }
        if (*line == ".") {
            break;
        }
        std::string_view text = *line;
        if (text.starts_with('.')) {
            text.remove_prefix(1);
        }
        if (data.size() + text.size() + 1 > MAX_LINE) {
            m_last_failure = Failure::ReplyTooLong;
            return std::nullopt;
        }
        if (!first) {
            data += '\n';
        }
        data.append(text);
    }
    return std::make_pair(
        Header::Success, Reply { .code = Code::Success, .data = std::move(data) });
}

bool Client::send_all(std::string_view bytes, Clock::time_point deadline)
{
    while (!bytes.empty()) {
        // MSG_NOSIGNAL: a host that closed the connection is a failed exchange, not SIGPIPE.
        ssize_t const sent = ::send(m_fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (sent > 0) {
            bytes.remove_prefix(static_cast<std::size_t>(sent));
            continue;
        }
        if (sent < 0 && errno == EINTR) {
            continue;
        }
        if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!wait_for(POLLOUT, deadline)) {
                return false;
            }
            continue;
        }
        m_last_failure = Failure::Send;
        return false;
    }
    return true;
}

std::optional<std::string> Client::read_line(Clock::time_point deadline)
{
    std::size_t scanned = 0;
    for (;;) {
        std::size_t const newline = m_buffer.find('\n', scanned);
        if (newline != std::string::npos) {
            if (newline > MAX_LINE) {
                m_last_failure = Failure::LineTooLong;
                return std::nullopt;
            }
            std::string line = m_buffer.substr(0, newline);
            m_buffer.erase(0, newline + 1);
            return line;
        }
        // Never more than MAX_LINE and one chunk held, whatever the host sends.
        if (m_buffer.size() > MAX_LINE) {
            m_last_failure = Failure::LineTooLong;
            return std::nullopt;
        }
        scanned = m_buffer.size();
        if (!wait_for(POLLIN, deadline)) {
            return std::nullopt;
        }
        char chunk[READ_CHUNK];
        ssize_t const received = ::recv(m_fd, &chunk[0], sizeof chunk, 0);
        if (received == 0) {
            m_last_failure = Failure::Closed;
            return std::nullopt;
        }
        if (received < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                continue;
            }
            m_last_failure = Failure::Read;
            return std::nullopt;
        }
        m_buffer.append(&chunk[0], static_cast<std::size_t>(received));
    }
}

bool Client::wait_for(short events, Clock::time_point deadline)
{
    for (;;) {
        auto const left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) {
            m_last_failure = Failure::Timeout;
            return false;
        }
        pollfd descriptor { .fd = m_fd, .events = events, .revents = 0 };
        int const ready
            = ::poll(&descriptor, 1, static_cast<int>(std::min<long long>(left.count(), INT_MAX)));
        if (ready > 0) {
            return true; // readable, writable, or an error the next recv/send reports
        }
        if (ready < 0 && errno != EINTR) {
            m_last_failure = Failure::Read;
            return false;
        }
    }
}

} // namespace lumos::metadata
