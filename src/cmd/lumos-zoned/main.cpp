// SPDX-License-Identifier: MPL-2.0
// lumos-zoned: the monitor of one running OS zone, as SmartOS's zoneadmd is (DESIGN.md). vmadm
// writes the zone's OCI bundle and starts one monitor per zone, detached (its own session, no
// inherited descriptors); the monitor
//   - boots the zone with the OCI runtime's `run -d` (runc or crun, recorded in <dir>/oci-runtime)
//     while being the subreaper of everything the runtime leaves, so the zone's init becomes its
//     child and its wait status is exact (boot.cpp);
//   - owns the console: the runtime hands it the pty master on a unix socket; the monitor drains
//     it into <dir>/console.log (capped) and relays it to one attached client, zlogin -C
//     (console.cpp);
//   - writes <zonepath>/lastexited ("<epoch seconds> <wait status>", reference 7.1) whenever
//     init exits, then `delete --force` (processes, cgroup, runtime state) (zone_exit.cpp);
//   - performs stop (the zone's halt command or a signal to init, then SIGKILL after the
//     timeout), halt, reboot and kill for vmadm, which speaks to it on <dir>/ctl.sock, one line
//     per request (control.cpp; the protocol is runtime/monitor_protocol.hpp);
//   - watches the provisioning handshake (<zonepath>/root/var/svc/provisioning renamed away)
//     until its deadline, after which the zone is halted and the outcome recorded in
//     <dir>/provision ("success" or "failed");
//   - restarts init when it exits on its own and the zone has restart_init (SmartOS's default),
//     at most 10 times in a row within 10 s of booting.
// While the zone runs, <dir>/status holds its runtime facts (flat JSON, replaced by rename) and
// the monitor holds an exclusive flock on <dir>/monitor.lock: a lock that can be taken means no
// monitor. Killing the monitor leaves the zone running (it is not the zone's parent in any way
// the zone depends on); `lumos-zoned --attach` re-attaches a new monitor, which follows init by
// pidfd and records its exit status only when it knows it (the signal it sent), since only a
// parent can wait for a process. The console of a zone whose monitor died is gone with the pty
// master the old monitor held.
//
// Like zinit it links nothing of lumos and is linked statically: one per running zone, so it
// must stay small (tests/zones/monitor_memory_test.cpp: under 1 MiB of private memory).
#include "cmd/lumos-zoned/monitor.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lumos_zoned {
namespace {

void report_ready(Monitor& monitor, std::string const& message)
{
    if (monitor.flags.ready_fd >= 0) {
        reply(monitor.flags.ready_fd, message);
        ::close(monitor.flags.ready_fd);
        monitor.flags.ready_fd = -1;
    }
}

[[noreturn]] void run(Monitor& monitor, int signals, int listener)
{
    auto& zone = monitor.zone;
    for (;;) {
        bool const pty_quiet = zone.pty_quiet_until > monotonic_ms();
        std::vector<struct pollfd> fds {
            { signals, POLLIN, 0 },
            { listener, POLLIN, 0 },
            { pty_quiet ? -1 : zone.pty, POLLIN, 0 },
            { zone.console_client, POLLIN, 0 },
            { zone.pidfd, POLLIN, 0 },
            { zone.uname_socket, POLLIN, 0 },
            { zone.qmp, POLLIN, 0 },
            { monitor.display.listener, POLLIN, 0 },
        };
        // The display's relays: client then QEMU side, each read while its buffer has room and
        // written while the other side's buffer has bytes.
        size_t const first_display = fds.size();
        for (auto const& pair : monitor.display.pairs) {
            auto events = [](std::string const& inbound, std::string const& outbound) {
                return static_cast<short>((inbound.size() < DISPLAY_BUFFER ? POLLIN : 0)
                    | (outbound.empty() ? 0 : POLLOUT));
            };
            fds.push_back({ pair.client, events(pair.to_guest, pair.to_client), 0 });
            fds.push_back({ pair.guest, events(pair.to_client, pair.to_guest), 0 });
        }
        size_t const first_uname = fds.size();
        for (int const uname : zone.uname_listeners) {
            fds.push_back({ uname, POLLIN, 0 });
        }
        size_t const display_pairs = monitor.display.pairs.size();
        bool const timed
            = zone.provisioning == protocol::Provisioning::Waiting || zone.kill_deadline != 0;
        bool const slow_timer
            = pty_quiet || dhcp_restart_pending(monitor) || metadata_restart_pending(monitor);
        int const ready = ::poll(fds.data(), fds.size(), timed ? 50 : slow_timer ? 500 : -1);
        if (ready < 0 && errno != EINTR) {
            log("poll: " + std::string(std::strerror(errno)));
            ::sleep(1);
        }
        // First, while every descriptor polled is still the one polled (a zone's exit below
        // closes its listeners, and a reboot may reuse their numbers). A blocked uname caller
        // is answered before anything slower.
        for (size_t i = first_uname; i < fds.size(); ++i) {
            if ((fds[i].revents & POLLIN) != 0) {
                answer_uname(monitor, fds[i].fd);
            } else if ((fds[i].revents & (POLLHUP | POLLERR | POLLNVAL)) != 0) {
                close_uname(monitor, fds[i].fd); // every process under its filter has exited
            }
        }
        if ((fds[5].revents & POLLIN) != 0) {
            accept_uname(monitor);
        }
        if ((fds[6].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
            qmp_input(monitor);
        }
        for (size_t i = 0; i < display_pairs; ++i) {
            short const client = fds[first_display + 2 * i].revents;
            short const guest = fds[first_display + 2 * i + 1].revents;
            if (client != 0 || guest != 0) {
                relay_display(monitor, i, client, guest);
            }
        }
        if ((fds[7].revents & POLLIN) != 0) {
            accept_display(monitor);
        }
        if ((fds[0].revents & POLLIN) != 0) {
            struct signalfd_siginfo info { };
            while (::read(signals, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
            }
            reap(monitor);
        }
        if ((fds[2].revents & (POLLIN | POLLHUP)) != 0) {
            console_output(monitor);
        }
        if ((fds[3].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
            console_input(monitor);
        }
        if ((fds[1].revents & POLLIN) != 0) {
            control(monitor, listener);
        }
        if (zone.pidfd >= 0 && (fds[4].revents & POLLIN) != 0) {
            zone_exited(monitor, 0, false);
        }
        check_timers(monitor);
    }
}

int monitor_main(Monitor& monitor)
{
    auto& zone = monitor.zone;
    // One monitor per zone: the lock is held for the monitor's life.
    int const lock
        = ::open(path(monitor, protocol::LOCK_FILE).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock < 0 || ::flock(lock, LOCK_EX | LOCK_NB) != 0) {
        report_ready(monitor, protocol::error_reply("another monitor manages this zone"));
        return 1;
    }
    ::sigemptyset(&monitor.blocked);
    for (int signal : { SIGCHLD, SIGTERM, SIGINT, SIGHUP }) {
        ::sigaddset(&monitor.blocked, signal);
    }
    ::sigprocmask(SIG_BLOCK, &monitor.blocked, nullptr);
    (void)::signal(SIGPIPE, SIG_IGN);
    int const signals = ::signalfd(-1, &monitor.blocked, SFD_CLOEXEC | SFD_NONBLOCK);
    // Whatever the OCI runtime leaves behind (the zone's init) is re-parented to us.
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    zone.console_log = ::open(
        path(monitor, "console.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (zone.console_log >= 0) {
        struct stat st { };
        if (::fstat(zone.console_log, &st) == 0) {
            zone.console_log_size = st.st_size;
        }
    }
    std::string error;
    if (!monitor.flags.attach) {
        ::unlink(path(monitor, protocol::PROVISION_FILE).c_str());
        if (monitor.flags.provision_timeout_ms > 0) {
            zone.provisioning = protocol::Provisioning::Waiting;
            zone.provision_deadline = monotonic_ms() + monitor.flags.provision_timeout_ms;
        }
    }
    // Listening before the zone's init runs: its first request finds the socket.
    start_metadata(monitor);
    if (!listen_uname(monitor)) {
        error = "cannot listen on " + path(monitor, protocol::SECCOMP_SOCKET) + ": "
            + std::strerror(errno);
        stop_metadata(monitor);
        log("cannot start: " + error);
        report_ready(monitor, protocol::error_reply(error));
        return 1;
    }
    if (!listen_display(monitor)) {
        error = "cannot listen on " + monitor.flags.display_listen + " for the "
            + monitor.flags.display_protocol + " display: " + std::strerror(errno);
        stop_metadata(monitor);
        stop_uname(monitor);
        log("cannot start: " + error);
        report_ready(monitor, protocol::error_reply(error));
        return 1;
    }
    bool const up = monitor.flags.attach ? attach(monitor, error) : boot(monitor, error);
    if (!up) {
        stop_metadata(monitor);
        stop_uname(monitor);
        stop_display(monitor);
        log("cannot start: " + error);
        report_ready(monitor, protocol::error_reply(error));
        ::unlink(path(monitor, protocol::STATUS_FILE).c_str());
        return 1;
    }
    int const listener = listen_unix(path(monitor, protocol::CONTROL_SOCKET));
    if (listener < 0) {
        log("cannot listen on ctl.sock: " + std::string(std::strerror(errno)));
    }
    report_ready(monitor, protocol::ready_reply(zone.init_pid));
    run(monitor, signals, listener);
}

} // namespace
} // namespace lumos_zoned

int main(int argc, char** argv)
{
    std::vector<std::string_view> const args(argv + 1, argv + argc);
    auto flags = lumos_zoned::protocol::parse_flags(args);
    if (!flags) {
        (void)std::fprintf(stderr, "%s\n", lumos_zoned::protocol::USAGE);
        return 2;
    }
    lumos_zoned::Monitor monitor;
    monitor.flags = std::move(*flags);
    if (!lumos_zoned::configure_dhcp(monitor)) {
        (void)std::fprintf(stderr, "%s\n", lumos_zoned::protocol::USAGE);
        return 2;
    }
    return lumos_zoned::monitor_main(monitor);
}
