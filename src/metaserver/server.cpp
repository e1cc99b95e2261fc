// SPDX-License-Identifier: MPL-2.0
#include "metaserver/server.hpp"

#include "metadata/protocol.hpp"
#include "metaserver/handler.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace lumos::metaserver {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t READ_CHUNK = std::size_t { 64 } * 1024;

struct Connection {
    UniqueFd fd;
    std::string input;
    std::string output;
    Clock::time_point last_activity;
    // The request whose update is in flight (or waits for a slot): its reply goes out when it
    // ends, and no later line is read before.
    bool v2 { false };
    std::string reqid;
    std::optional<Json> waiting_payload; // waits for an update slot
    std::unique_ptr<PendingUpdate> update;
    bool closing { false }; // the peer closed: answer what is read, then close
    bool persistent { false }; // a serial line: never idle
};

} // namespace

struct Server::State {
    UniqueFd listener;
    Connector connector; // the serial form (no listener)
    Clock::time_point next_connect;
    VmSource source;
    Updater updater;
    ServerLimits limits;
    UniqueFd epoll;
    std::map<int, Connection> connections; // by socket
    std::map<int, int> update_owner; // update fd -> connection socket
    // Updates whose connection went away: they run to their end (a write the guest asked for
    // is not cut off halfway), their answer goes nowhere.
    std::map<int, std::unique_ptr<PendingUpdate>> orphan_updates; // by update fd
    std::size_t updates_in_flight { 0 };

    void add(int fd, std::uint32_t events) const
    {
        struct epoll_event event { };
        event.events = events;
        event.data.fd = fd;
        (void)::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fd, &event);
    }
    void modify(int fd, std::uint32_t events) const
    {
        struct epoll_event event { };
        event.events = events;
        event.data.fd = fd;
        (void)::epoll_ctl(epoll.get(), EPOLL_CTL_MOD, fd, &event);
    }

    void accept_all()
    {
        while (true) {
            int const fd
                = ::accept4(listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) {
                return; // EAGAIN, or an error the next round sees again
            }
            if (connections.size() >= limits.max_connections) {
                ::close(fd);
                continue;
            }
            Connection connection;
            connection.fd = UniqueFd(fd);
            connection.last_activity = Clock::now();
            connections.emplace(fd, std::move(connection));
            add(fd, EPOLLIN | EPOLLRDHUP);
        }
    }

    // The serial form: the one connection, when there is none and a retry is due.
    void connect_serial()
    {
        if (!connector || !connections.empty() || Clock::now() < next_connect) {
            return;
        }
        next_connect = Clock::now() + limits.connect_retry;
        UniqueFd fd = connector();
        if (!fd.valid()) {
            return;
        }
        int const flags = ::fcntl(fd.get(), F_GETFL);
        (void)::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK);
        int const raw = fd.get();
        Connection connection;
        connection.fd = std::move(fd);
        connection.last_activity = Clock::now();
        connection.persistent = true;
        connections.emplace(raw, std::move(connection));
        add(raw, EPOLLIN | EPOLLRDHUP);
    }

    void drop(int fd)
    {
        auto it = connections.find(fd);
        if (it == connections.end()) {
            return;
        }
        if (it->second.update) {
            int const update_fd = it->second.update->fd();
            update_owner.erase(update_fd);
            orphan_updates.emplace(update_fd, std::move(it->second.update));
        }
        (void)::epoll_ctl(epoll.get(), EPOLL_CTL_DEL, fd, nullptr);
        connections.erase(it);
    }

    void orphan_progress(int update_fd)
    {
        auto it = orphan_updates.find(update_fd);
        if (it == orphan_updates.end() || !it->second->step()) {
            return;
        }
        (void)::epoll_ctl(epoll.get(), EPOLL_CTL_DEL, update_fd, nullptr);
        orphan_updates.erase(it);
        --updates_in_flight;
        start_waiting_updates();
    }

    void send(Connection& connection, std::string const& bytes)
    {
        connection.output += bytes;
        flush(connection);
    }

    // false when the connection was dropped.
    bool flush(Connection& connection)
    {
        int const fd = connection.fd.get();
        while (!connection.output.empty()) {
            ssize_t const sent
                = ::send(fd, connection.output.data(), connection.output.size(), MSG_NOSIGNAL);
            if (sent < 0 && errno == EINTR) {
                continue;
            }
            if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                break;
            }
            if (sent <= 0) {
                drop(fd);
                return false;
            }
            connection.output.erase(0, static_cast<std::size_t>(sent));
        }
        if (connection.output.size() > limits.max_output) {
            drop(fd); // a client that does not read what it asked for
            return false;
        }
        modify(fd, connection.output.empty() ? (EPOLLIN | EPOLLRDHUP) : (EPOLLOUT | EPOLLRDHUP));
        return true;
    }

    void reply(Connection& connection, bool v2, std::string const& reqid, Reply const& answer)
    {
        if (v2) {
            send(connection, metadata::format_v2_response(reqid, answer.code, answer.payload));
        } else if (answer.code == "SUCCESS") {
            send(connection, metadata::format_v1_response(answer.code, answer.payload));
        } else {
            send(connection, metadata::format_v1_response(answer.code, std::nullopt));
        }
    }

    // A PUT or DELETE: its update starts now or when a slot frees.
    void begin_update(Connection& connection, Json payload)
    {
        if (updates_in_flight >= limits.max_updates) {
            connection.waiting_payload = std::move(payload);
            return;
        }
        auto pending = updater(payload);
        if (!pending) {
            reply(connection, connection.v2, connection.reqid, failure(pending.error().message()));
            return;
        }
        int const update_fd = (*pending)->fd();
        connection.update = std::move(*pending);
        update_owner[update_fd] = connection.fd.get();
        ++updates_in_flight;
        add(update_fd, EPOLLIN);
    }

    // Connections are looked up again after each step: a reply may drop its connection.
    void start_waiting_updates()
    {
        std::vector<int> waiting;
        for (auto const& [fd, connection] : connections) {
            if (connection.waiting_payload && !connection.update) {
                waiting.push_back(fd);
            }
        }
        for (int fd : waiting) {
            if (updates_in_flight >= limits.max_updates) {
                return;
            }
            auto it = connections.find(fd);
            if (it == connections.end()) {
                continue;
            }
            Json payload = std::move(*it->second.waiting_payload);
            it->second.waiting_payload.reset();
            begin_update(it->second, std::move(payload));
            if (auto again = connections.find(fd);
                again != connections.end() && !busy(again->second)) {
                (void)process(again->second);
            }
        }
    }

    static bool busy(Connection const& connection)
    {
        return connection.update != nullptr || connection.waiting_payload.has_value();
    }

    void answer(Connection& connection, std::string_view line)
    {
        auto const parsed = metadata::parse_request_line(line);
        auto const& request = parsed.request;
        switch (parsed.kind) {
        case metadata::LineKind::Ignore:
            return;
        case metadata::LineKind::Invalid:
            send(connection, "invalid command\n");
            return;
        case metadata::LineKind::Undecodable:
            reply(connection, true, request.reqid, failure());
            return;
        case metadata::LineKind::Request:
            break;
        }
        if (!request.v2 && request.command == "NEGOTIATE") {
            send(connection, request.argument == "V2" ? "V2_OK\n" : "FAILURE\n");
            return;
        }
        bool const is_get = request.command == "GET";
        bool const is_keys = request.command == "KEYS";
        bool const is_write
            = request.v2 && (request.command == "PUT" || request.command == "DELETE");
        if (!is_get && !is_keys && !is_write) {
            reply(connection, request.v2, request.reqid,
                failure("Unknown command " + request.command));
            return;
        }
        auto const vm = source();
        if (!vm) {
            reply(connection, request.v2, request.reqid, failure(vm.error().message()));
            return;
        }
        if (is_get) {
            reply(connection, request.v2, request.reqid,
                get_key(**vm, request.argument.value_or("")));
            return;
        }
        if (is_keys) {
            reply(connection, request.v2, request.reqid, list_keys(**vm));
            return;
        }
        Result<Json> payload = make_error(ErrorCode::InvalidArgument, "Invalid PUT Request");
        if (request.command == "PUT") {
            if (auto put = metadata::parse_put_argument(request.argument.value_or(""))) {
                payload = put_update(**vm, put->first, put->second);
            }
        } else {
            payload = delete_update(**vm, request.argument.value_or(""));
        }
        if (!payload) {
            reply(connection, true, request.reqid, failure(payload.error().message()));
            return;
        }
        connection.v2 = true;
        connection.reqid = request.reqid;
        begin_update(connection, std::move(*payload));
    }

    // Answers the complete lines read, until one waits for an update. false: dropped.
    bool process(Connection& connection)
    {
        int const fd = connection.fd.get();
        while (!busy(connection)) {
            std::size_t const newline = connection.input.find('\n');
            if (newline == std::string::npos) {
                break;
            }
            std::string const line = connection.input.substr(0, newline);
            connection.input.erase(0, newline + 1);
            answer(connection, line);
            if (!connections.contains(fd)) {
                return false;
            }
        }
        if (connection.closing && !busy(connection) && connection.output.empty()) {
            drop(fd);
            return false;
        }
        return true;
    }

    void readable(int fd)
    {
        auto it = connections.find(fd);
        if (it == connections.end()) {
            return;
        }
        Connection& connection = it->second;
        connection.last_activity = Clock::now();
        char buffer[READ_CHUNK];
        while (!connection.closing) {
            // Unanswered input is bounded too: one line at most, plus what came behind it.
            if (connection.input.size() > metadata::MAX_LINE + READ_CHUNK) {
                drop(fd);
                return;
            }
            ssize_t const got = ::recv(fd, buffer, sizeof buffer, 0);
            if (got < 0 && errno == EINTR) {
                continue;
            }
            if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                break;
            }
            if (got <= 0) {
                connection.closing = true;
                break;
            }
            connection.input.append(buffer, static_cast<std::size_t>(got));
            if (connection.input.find('\n') == std::string::npos
                && connection.input.size() > metadata::MAX_LINE) {
                drop(fd); // a line longer than any request can be
                return;
            }
        }
        if (!process(connection)) {
            return;
        }
        if (connection.closing && connections.contains(fd)) {
            // Nothing more comes: stop polling for input, finish what is owed.
            modify(fd, connection.output.empty() ? 0U : EPOLLOUT);
        }
    }

    void update_progress(int update_fd)
    {
        auto owner = update_owner.find(update_fd);
        if (owner == update_owner.end()) {
            return;
        }
        auto it = connections.find(owner->second);
        if (it == connections.end()) {
            return;
        }
        Connection& connection = it->second;
        auto outcome = connection.update->step();
        if (!outcome) {
            return;
        }
        int const fd = it->first;
        (void)::epoll_ctl(epoll.get(), EPOLL_CTL_DEL, update_fd, nullptr);
        update_owner.erase(owner);
        connection.update.reset();
        --updates_in_flight;
        reply(connection, true, connection.reqid,
            *outcome ? success("OK") : failure(outcome->error().message()));
        if (auto again = connections.find(fd); again != connections.end()) {
            (void)process(again->second);
        }
        start_waiting_updates();
    }

    void expire_idle()
    {
        auto const now = Clock::now();
        std::vector<int> idle;
        for (auto const& [fd, connection] : connections) {
            if (!connection.persistent && !busy(connection)
                && now - connection.last_activity > limits.idle_timeout) {
                idle.push_back(fd);
            }
        }
        for (int fd : idle) {
            drop(fd);
        }
    }
};

Server::Server(UniqueFd listener, VmSource source, Updater updater, ServerLimits limits)
    : m_state(std::make_unique<State>())
{
    m_state->listener = std::move(listener);
    m_state->source = std::move(source);
    m_state->updater = std::move(updater);
    m_state->limits = limits;
}

Server::Server(Connector connector, VmSource source, Updater updater, ServerLimits limits)
    : m_state(std::make_unique<State>())
{
    m_state->connector = std::move(connector);
    m_state->source = std::move(source);
    m_state->updater = std::move(updater);
    m_state->limits = limits;
}

Server::~Server() = default;

Result<void> Server::run(int stop_fd)
{
    State& state = *m_state;
    state.epoll = UniqueFd(::epoll_create1(EPOLL_CLOEXEC));
    if (!state.epoll.valid()) {
        return tl::unexpected(Error::from_errno("epoll_create1", errno));
    }
    if (state.listener.valid()) {
        state.add(state.listener.get(), EPOLLIN);
    }
    state.add(stop_fd, EPOLLIN);
    auto tick = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::min<std::chrono::milliseconds>(state.limits.idle_timeout, std::chrono::seconds(1)));
    if (state.connector) {
        tick = std::min(tick, state.limits.connect_retry);
        state.connect_serial();
    }
    std::array<struct epoll_event, 64> events {};
    while (true) {
        int const count = ::epoll_wait(state.epoll.get(), events.data(),
            static_cast<int>(events.size()), static_cast<int>(tick.count()));
        if (count < 0 && errno != EINTR) {
            return tl::unexpected(Error::from_errno("epoll_wait", errno));
        }
        for (int i = 0; i < count; ++i) {
            int const fd = events[static_cast<std::size_t>(i)].data.fd;
            std::uint32_t const what = events[static_cast<std::size_t>(i)].events;
            if (fd == stop_fd) {
                return {};
            }
            if (state.listener.valid() && fd == state.listener.get()) {
                state.accept_all();
            } else if (state.update_owner.contains(fd)) {
                state.update_progress(fd);
            } else if (state.orphan_updates.contains(fd)) {
                state.orphan_progress(fd);
            } else if (auto it = state.connections.find(fd); it != state.connections.end()) {
                if ((what & EPOLLOUT) != 0U && !state.flush(it->second)) {
                    continue;
                }
                if ((what & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0U) {
                    state.readable(fd);
                } else if (it->second.closing) {
                    (void)state.process(it->second);
                }
            }
        }
        state.expire_idle();
        state.connect_serial();
    }
}

} // namespace lumos::metaserver
