// SPDX-License-Identifier: MPL-2.0
// An HVM guest's remote display (--display): a TCP listener on the host's admin address that
// relays each client to QEMU's VNC (or SPICE) unix socket in the zone root, as SmartOS's vmadmd
// does (spawnRemoteDisplay). Port 0 takes one the kernel picks; the address and port the
// listener got are in <dir>/display ("<protocol> <host> <port>") for vmadm info. The listener
// lives as long as the monitor (across QEMU's reboots); at most MAX_DISPLAY_CLIENTS at once.
#include "base/posix_util.hpp"
#include "cmd/lumos-zoned/monitor.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace lumos_zoned {

namespace {

constexpr size_t MAX_DISPLAY_CLIENTS = 8;

void close_pair(DisplayPair& pair)
{
    for (int* fd : { &pair.client, &pair.guest }) {
        if (*fd >= 0) {
            ::close(*fd);
            *fd = -1;
        }
    }
    pair.to_guest.clear();
    pair.to_client.clear();
}

// Moves what from has into buffer, then as much of buffer as to takes; false when either end
// is done.
bool pump(int from, int to, std::string& buffer, bool readable)
{
    if (readable && buffer.size() < DISPLAY_BUFFER) {
        char chunk[16384];
        ssize_t const n = ::read(from, chunk, sizeof chunk);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            return false;
        }
        if (n > 0) {
            buffer.append(chunk, static_cast<size_t>(n));
        }
    }
    while (!buffer.empty()) {
        ssize_t const n = ::write(to, buffer.data(), buffer.size());
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            break;
        }
        if (n <= 0) {
            return false;
        }
        buffer.erase(0, static_cast<size_t>(n));
    }
    return true;
}

} // namespace

bool listen_display(Monitor& monitor)
{
    auto& display = monitor.display;
    if (monitor.flags.display_listen.empty() || display.listener >= 0) {
        return true;
    }
    std::string const& listen = monitor.flags.display_listen;
    size_t const colon = listen.rfind(':');
    std::string const host = listen.substr(0, colon);
    auto const port = protocol::parse_integer<uint16_t>(std::string_view(listen).substr(colon + 1));
    struct sockaddr_in address { };
    address.sin_family = AF_INET;
    if (colon == std::string::npos || !port
        || ::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
        errno = EINVAL;
        return false;
    }
    address.sin_port = htons(*port);
    int const fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int const yes = 1;
    socklen_t length = sizeof address;
    // NOLINTBEGIN(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
    if (fd < 0 || ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes) != 0
        || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0
        || ::listen(fd, 16) != 0
        || ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        // NOLINTEND(cppcoreguidelines-pro-type-reinterpret-cast)
        int const saved = errno;
        if (fd >= 0) {
            ::close(fd);
        }
        errno = saved;
        return false;
    }
    display.listener = fd;
    display.port = ntohs(address.sin_port);
    (void)write_file_atomic(path(monitor, protocol::DISPLAY_FILE),
        monitor.flags.display_protocol + " " + host + " " + std::to_string(display.port) + "\n");
    log(monitor.flags.display_protocol + " listener on " + host + ":"
        + std::to_string(display.port));
    return true;
}

void accept_display(Monitor& monitor)
{
    auto& display = monitor.display;
    for (;;) {
        int const client
            = ::accept4(display.listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (client < 0) {
            return;
        }
        size_t used = 0;
        for (auto const& pair : display.pairs) {
            used += pair.client >= 0 ? 1 : 0;
        }
        int const guest = used < MAX_DISPLAY_CLIENTS
            ? connect_unix(monitor.flags.display_socket, Blocking::No)
            : -1;
        if (guest < 0) {
            ::close(client); // too many, or QEMU is not there (between boots)
            continue;
        }
        DisplayPair pair;
        pair.client = client;
        pair.guest = guest;
        auto const free_slot = std::find_if(display.pairs.begin(), display.pairs.end(),
            [](DisplayPair const& slot) { return slot.client < 0; });
        if (free_slot != display.pairs.end()) {
            *free_slot = std::move(pair);
        } else {
            display.pairs.push_back(std::move(pair));
        }
    }
}

void relay_display(Monitor& monitor, size_t index, short client_events, short guest_events)
{
    auto& pair = monitor.display.pairs[index];
    if (pair.client < 0) {
        return;
    }
    bool const ok
        = pump(pair.client, pair.guest, pair.to_guest, (client_events & (POLLIN | POLLHUP)) != 0)
        && pump(pair.guest, pair.client, pair.to_client, (guest_events & (POLLIN | POLLHUP)) != 0)
        && (client_events & POLLERR) == 0 && (guest_events & POLLERR) == 0;
    if (!ok) {
        close_pair(pair);
    }
}

void stop_display(Monitor& monitor)
{
    auto& display = monitor.display;
    for (auto& pair : display.pairs) {
        close_pair(pair);
    }
    display.pairs.clear();
    if (display.listener >= 0) {
        ::close(display.listener);
        display.listener = -1;
    }
    ::unlink(path(monitor, protocol::DISPLAY_FILE).c_str());
}

} // namespace lumos_zoned
