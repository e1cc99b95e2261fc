// SPDX-License-Identifier: MPL-2.0
// The zone's metadata server (--metadata: lumos-metadata), a child of the monitor for the
// monitor's life: started before the zone boots so the zone's first request finds its socket,
// restarted with a backoff when it dies, stopped when the zone has ended for good. It dies with
// the monitor (it sets PR_SET_PDEATHSIG itself), and the monitor that takes over starts another.
#include "cmd/lumos-zoned/monitor.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

namespace lumos_zoned {

void start_metadata(Monitor& monitor)
{
    auto& server = monitor.metadata;
    if (monitor.flags.metadata.empty() || server.pid > 0) {
        return;
    }
    // An HVM guest's is on its second serial port (QEMU's vm.ttyb, next to the console).
    std::vector<std::string> argv { monitor.flags.metadata, monitor.flags.id,
        monitor.flags.zonepath + "/.zonecontrol/metadata.sock" };
    if (is_hvm(monitor)) {
        std::string const console = monitor.flags.serial;
        argv = { monitor.flags.metadata, "--serial", monitor.flags.id,
            console.substr(0, console.rfind('/') + 1) + "vm.ttyb" };
    }
    server.pid = spawn(monitor, argv, path(monitor, protocol::MONITOR_LOG), Output::Append);
    if (server.pid < 0) {
        log("cannot start the metadata server: " + std::string(std::strerror(errno)));
        server.backoff.start_failed(monotonic_ms());
        return;
    }
    server.backoff.started(monotonic_ms());
}

void stop_metadata(Monitor& monitor)
{
    auto& server = monitor.metadata;
    server.backoff.cancel();
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
    server.backoff.exited(now);
    log("the metadata server exited (wait status " + std::to_string(wait_status)
        + "), restarting in " + std::to_string((server.backoff.due() - now + 999) / 1000) + " s");
}

void metadata_timers(Monitor& monitor)
{
    if (monitor.metadata.backoff.due_by(monotonic_ms())) {
        start_metadata(monitor);
    }
}

bool metadata_restart_pending(Monitor const& monitor)
{
    return monitor.metadata.backoff.due() != 0;
}

} // namespace lumos_zoned
