// SPDX-License-Identifier: MPL-2.0
// The zone's metadata server (--metadata: lumos-metadata), a child of the monitor for the
// monitor's life: started before the zone boots so the zone's first request finds its socket,
// restarted with a backoff when it dies, stopped when the zone has ended for good. It dies with
// the monitor (it sets PR_SET_PDEATHSIG itself), and the monitor that takes over starts another.
#include "cmd/lumos-zoned/monitor.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

namespace lumos_zoned {

namespace {

constexpr long long MIN_BACKOFF_MS = 1000;
constexpr long long MAX_BACKOFF_MS = 60000;
constexpr long long STABLE_MS = 60000;

} // namespace

void start_metadata(Monitor& monitor)
{
    auto& server = monitor.metadata;
    if (monitor.flags.metadata.empty() || server.pid > 0) {
        return;
    }
    server.restart_ms = 0;
    std::string const socket = monitor.flags.zonepath + "/.zonecontrol/metadata.sock";
    server.pid = spawn(monitor, { monitor.flags.metadata, monitor.flags.id, socket },
        path(monitor, protocol::MONITOR_LOG), Output::Append);
    server.started_ms = monotonic_ms();
    if (server.pid < 0) {
        log("cannot start the metadata server: " + std::string(std::strerror(errno)));
        server.restart_ms = monotonic_ms() + server.backoff_ms;
    }
}

void stop_metadata(Monitor& monitor)
{
    auto& server = monitor.metadata;
    server.restart_ms = 0;
    if (server.pid <= 0) {
        return;
    }
    (void)::kill(server.pid, SIGTERM);
    while (::waitpid(server.pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    server.pid = -1;
}

void metadata_exited(Monitor& monitor, int pid, int wait_status)
{
    auto& server = monitor.metadata;
    if (pid <= 0 || pid != server.pid) {
        return;
    }
    server.pid = -1;
    long long const now = monotonic_ms();
    server.backoff_ms = now - server.started_ms >= STABLE_MS
        ? MIN_BACKOFF_MS
        : std::min(MAX_BACKOFF_MS, std::max(MIN_BACKOFF_MS, server.backoff_ms * 2));
    server.restart_ms = now + server.backoff_ms;
    log("the metadata server exited (wait status " + std::to_string(wait_status)
        + "), restarting in " + std::to_string(server.backoff_ms / 1000) + " s");
}

void metadata_timers(Monitor& monitor)
{
    auto& server = monitor.metadata;
    if (server.restart_ms != 0 && server.restart_ms <= monotonic_ms()) {
        start_metadata(monitor);
    }
}

bool metadata_restart_pending(Monitor const& monitor)
{
    return monitor.metadata.restart_ms != 0;
}

} // namespace lumos_zoned
