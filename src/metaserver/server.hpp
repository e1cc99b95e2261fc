// SPDX-License-Identifier: MPL-2.0
// One VM's metadata server: a single-threaded epoll loop over its listening socket, its
// connections and the updates in flight. Each connection is a line protocol (metadata/
// protocol.hpp) answered from the VM object the source gives (handler.hpp); a PUT or DELETE
// becomes an update the Updater applies (lumos-metadata runs `vmadm update`, so the guest's
// write takes the VM's lock, is validated and lands in the record as any update does), and the
// connection waits for it while the others go on. Guests are hostile: every line, buffer,
// connection count and idle time is bounded, and a client that breaks a bound is disconnected.
#pragma once

#include "base/json.hpp"
#include "base/result.hpp"
#include "base/unique_fd.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>

namespace lumos::metaserver {

// The VM object requests are answered from, current as of the call; shared, so that a source
// that caches it hands it out without a copy per request.
using VmSource = std::function<Result<std::shared_ptr<Json const>>()>;

// An update in flight: fd() becomes readable when there is progress to take (step()) and
// step() says when it is done and how it went.
class PendingUpdate {
public:
    virtual ~PendingUpdate() = default;
    virtual int fd() const = 0;
    // Takes what is readable; nullopt while the update runs, else its outcome.
    virtual std::optional<Result<void>> step() = 0;
};

using Updater = std::function<Result<std::unique_ptr<PendingUpdate>>(Json const& payload)>;

// An HVM guest's second serial port: the server is the client of the socket QEMU serves it on
// (vm.ttyb), one connection for the guest's whole life. A Connector makes that connection (an
// invalid fd while nothing listens); the server calls it every retry interval while it has no
// connection, so it follows QEMU across reboots. The connection never idles out.
using Connector = std::function<UniqueFd()>;

struct ServerLimits {
    std::size_t max_connections { 256 }; // more are accepted and closed at once
    // In flight; more wait their turn. One: a VM's updates take its lock one at a time anyway,
    // and each is a host process a guest's writes would otherwise multiply.
    std::size_t max_updates { 1 };
    std::size_t max_output { std::size_t { 8 } << 20 }; // unread replies before a disconnect
    std::chrono::milliseconds idle_timeout { std::chrono::seconds(120) };
    std::chrono::milliseconds connect_retry { 100 }; // a Connector's
};

class Server {
public:
    // listener: a listening, non-blocking stream socket. stop: a descriptor whose readability
    // ends run() (an eventfd, a signalfd).
    Server(UniqueFd listener, VmSource source, Updater updater, ServerLimits limits = {});
    // The serial form: one connection at a time, made by connector.
    Server(Connector connector, VmSource source, Updater updater, ServerLimits limits = {});
    ~Server();
    Server(Server const&) = delete;
    Server& operator=(Server const&) = delete;

    Result<void> run(int stop_fd);

private:
    struct State;
    std::unique_ptr<State> m_state;
};

} // namespace lumos::metaserver
