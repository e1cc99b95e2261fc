// SPDX-License-Identifier: MPL-2.0
#include "support/fake_metadata_host.hpp"

#include "metadata/protocol.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace lumos::test {

FakeMetadataHost::FakeMetadataHost(std::vector<Script> scripts, std::string dir)
    : m_dir(std::move(dir))
    , m_scripts(std::move(scripts))
{
    if (m_dir.empty()) {
        char dir_template[] = "/tmp/lumos-mdata-XXXXXX";
        if (::mkdtemp(&dir_template[0]) == nullptr) {
            throw std::runtime_error("fake metadata host: mkdtemp failed");
        }
        m_dir = &dir_template[0];
        m_own_dir = true;
    }
    if (::pipe2(&m_stop_pipe[0], O_CLOEXEC) != 0) {
        throw std::runtime_error("fake metadata host: pipe failed");
    }
    m_listen_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address {};
    address.sun_family = AF_UNIX;
    std::string const path = socket_path();
    std::memcpy(&address.sun_path[0], path.c_str(), path.size() + 1);
    if (m_listen_fd < 0
        || ::bind(m_listen_fd, reinterpret_cast<sockaddr const*>(&address), sizeof address) != 0
        || ::listen(m_listen_fd, 16) != 0) {
        throw std::runtime_error(
            "fake metadata host: cannot listen: " + std::string(std::strerror(errno)));
    }
    m_thread = std::thread([this] { serve(); });
}

FakeMetadataHost::~FakeMetadataHost()
{
    char const stop = 's';
    (void)!::write(m_stop_pipe[1], &stop, 1);
    m_thread.join();
    ::close(m_listen_fd);
    ::close(m_stop_pipe[0]);
    ::close(m_stop_pipe[1]);
    ::unlink(socket_path().c_str());
    if (m_own_dir) {
        ::rmdir(m_dir.c_str());
    }
}

void FakeMetadataHost::serve()
{
    for (std::size_t index = 0;; ++index) {
        pollfd fds[2] = { { m_listen_fd, POLLIN, 0 }, { m_stop_pipe[0], POLLIN, 0 } };
        if (::poll(&fds[0], 2, -1) < 0 || fds[1].revents != 0) {
            return;
        }
        int const fd = ::accept4(m_listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            continue;
        }
        {
            std::lock_guard const lock(m_mutex);
            m_lines.emplace_back();
        }
        Peer peer(*this, fd, index);
        if (!m_scripts.empty()) {
            m_scripts[std::min(index, m_scripts.size() - 1)](peer);
        }
        ::close(fd);
    }
}

void FakeMetadataHost::record(std::size_t index, std::string line)
{
    std::lock_guard const lock(m_mutex);
    m_lines[index].push_back(std::move(line));
}

std::vector<std::vector<std::string>> FakeMetadataHost::lines() const
{
    std::lock_guard const lock(m_mutex);
    return m_lines;
}

std::size_t FakeMetadataHost::connections() const
{
    std::lock_guard const lock(m_mutex);
    return m_lines.size();
}

FakeMetadataHost::Peer::Peer(FakeMetadataHost& host, int fd, std::size_t index)
    : m_host(host)
    , m_fd(fd)
    , m_index(index)
{
}

std::optional<std::string> FakeMetadataHost::Peer::read_line()
{
    for (;;) {
        std::size_t const newline = m_buffer.find('\n');
        if (newline != std::string::npos) {
            std::string line = m_buffer.substr(0, newline);
            m_buffer.erase(0, newline + 1);
            m_host.record(m_index, line);
            return line;
        }
        pollfd fds[2] = { { m_fd, POLLIN, 0 }, { m_host.m_stop_pipe[0], POLLIN, 0 } };
        if (::poll(&fds[0], 2, -1) < 0 || fds[1].revents != 0) {
            return std::nullopt;
        }
        char chunk[4096];
        ssize_t const got = ::recv(m_fd, &chunk[0], sizeof chunk, 0);
        if (got <= 0) {
            return std::nullopt;
        }
        m_buffer.append(&chunk[0], static_cast<std::size_t>(got));
    }
}

bool FakeMetadataHost::Peer::write(std::string_view bytes)
{
    while (!bytes.empty()) {
        ssize_t const sent = ::send(m_fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR) {
            continue;
        }
        if (sent <= 0) {
            return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(sent));
    }
    return true;
}

void FakeMetadataHost::Peer::wait_closed()
{
    while (read_line()) {
    }
}

FakeMetadataHost::Script FakeMetadataHost::answering(
    std::function<std::optional<std::string>(std::string const&)> answer)
{
    return [answer = std::move(answer)](Peer& peer) {
        while (auto line = peer.read_line()) {
            if (auto reply = answer(*line)) {
                if (!peer.write(*reply)) {
                    return;
                }
            }
        }
    };
}

FakeMetadataHost::Script FakeMetadataHost::v2_host(
    std::function<std::pair<std::string, std::string>(
        std::string const& command, std::optional<std::string> const& argument)>
        answer)
{
    return answering(
        [answer = std::move(answer)](std::string const& line) -> std::optional<std::string> {
            if (line == "NEGOTIATE V2") {
                return "V2_OK\n";
            }
            metadata::ParsedLine const parsed = metadata::parse_request_line(line);
            if (parsed.kind != metadata::LineKind::Request || !parsed.request.v2) {
                return std::nullopt;
            }
            auto const [code, payload] = answer(parsed.request.command, parsed.request.argument);
            return metadata::format_v2_response(parsed.request.reqid, code, payload);
        });
}

} // namespace lumos::test
