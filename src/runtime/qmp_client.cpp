// SPDX-License-Identifier: MPL-2.0
#include "runtime/qmp_client.hpp"

#include "base/file.hpp"

#include <cerrno>
#include <cstring>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace lumos::runtime {

namespace {

constexpr size_t MAX_LINE = size_t { 16 } << 20;

} // namespace

QmpClient::QmpClient(UniqueFd fd, std::chrono::milliseconds timeout)
    : m_fd(std::move(fd))
    , m_timeout(timeout)
{
}

Result<QmpClient> QmpClient::connect(
    std::string const& socket_path, std::chrono::milliseconds timeout)
{
    struct sockaddr_un address { };
    address.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof address.sun_path) {
        return make_error(ErrorCode::InvalidArgument, "socket path too long: " + socket_path);
    }
    std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd.valid()) {
        return tl::unexpected(Error::from_errno("socket", errno));
    }
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
    if (::connect(fd.get(), reinterpret_cast<struct sockaddr*>(&address), sizeof address) != 0) {
        return tl::unexpected(Error::from_errno("cannot connect to " + socket_path, errno));
    }
    QmpClient client(std::move(fd), timeout);
    TRY_ASSIGN(greeting, client.read_message());
    if (!greeting.is_object() || !greeting.contains("QMP")) {
        return make_error(ErrorCode::System, socket_path + " did not greet as QMP");
    }
    TRY(client.execute("qmp_capabilities"));
    return client;
}

Result<Json> QmpClient::read_message()
{
    auto const deadline = std::chrono::steady_clock::now() + m_timeout;
    for (;;) {
        size_t const newline = m_buffer.find('\n');
        if (newline != std::string::npos) {
            std::string const line = m_buffer.substr(0, newline);
            m_buffer.erase(0, newline + 1);
            auto parsed = parse_json(line);
            if (!parsed || !parsed->is_object()) {
                return make_error(ErrorCode::System, "QEMU sent a malformed QMP message");
            }
            return std::move(*parsed);
        }
        if (m_buffer.size() > MAX_LINE) {
            return make_error(ErrorCode::System, "QEMU sent a QMP message over 16 MiB");
        }
        auto const left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            return make_error(ErrorCode::Timeout, "QEMU did not answer on QMP");
        }
        struct pollfd poll_fd {
            m_fd.get(), POLLIN, 0
        };
        int const ready = ::poll(&poll_fd, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) {
            continue;
        }
        if (ready <= 0) {
            continue;
        }
        char buffer[65536];
        ssize_t const n = ::read(m_fd.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return make_error(ErrorCode::System, "QEMU closed its QMP connection");
        }
        m_buffer.append(buffer, static_cast<size_t>(n));
    }
}

Result<Json> QmpClient::execute(std::string const& command, Json const& arguments)
{
    Json request { { "execute", command } };
    if (!arguments.is_null()) {
        request["arguments"] = arguments;
    }
    std::string const line = request.dump() + "\n";
    if (!write_fully(m_fd.get(), line.data(), line.size())) {
        return make_error(ErrorCode::System, "cannot send " + command + " to QEMU");
    }
    for (;;) {
        TRY_ASSIGN(message, read_message());
        if (message.contains("return")) {
            return message["return"];
        }
        if (message.contains("error")) {
            Json const& error = message["error"];
            std::string const description
                = error.is_object() ? string_or(error, "desc") : std::string();
            return make_error(
                ErrorCode::System, description.empty() ? command + " failed" : description);
        }
        // An event: not ours to handle here.
    }
}

} // namespace lumos::runtime
