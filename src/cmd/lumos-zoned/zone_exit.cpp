// SPDX-License-Identifier: MPL-2.0
// How the zone ends: init's exit recorded in <zonepath>/lastexited (reference 7.1), the OCI
// runtime's state deleted, then a reboot, a restart of init (restart_init, at most 10 quick
// ones in a row), or the monitor's end. Also the deadlines that end a zone: provisioning and a
// stop's grace period.
#include "cmd/lumos-zoned/monitor.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace lumos_zoned {

namespace {

void record_provision(Monitor& monitor, protocol::Provisioning outcome)
{
    std::string const text(protocol::to_string(outcome));
    monitor.zone.provisioning = outcome;
    (void)write_file_atomic(path(monitor, protocol::PROVISION_FILE), text + "\n");
    write_status(monitor);
    reply_all(monitor.zone.provision_waiters, text);
}

} // namespace

[[noreturn]] void finish(Monitor& monitor, int code)
{
    auto& zone = monitor.zone;
    stop_dhcp(monitor);
    stop_metadata(monitor);
    stop_uname(monitor);
    stop_display(monitor);
    // The zone's NICs (veths, their rules and shaping), before any stop waiter hears it is down.
    if (!monitor.flags.netdown.empty()) {
        int const status = run_and_wait(monitor,
            { monitor.flags.netdown, monitor.flags.id, path(monitor, protocol::NETNS_FILE) },
            path(monitor, protocol::MONITOR_LOG));
        if (status != 0) {
            log("lumos-netdown failed (wait status " + std::to_string(status) + ")");
        }
    }
    // QEMU's cgroups (an OS zone's are its OCI runtime's, removed by its delete).
    for (auto const& procs : monitor.flags.cgroups) {
        std::string const dir = procs.substr(0, procs.rfind('/'));
        if (::rmdir(dir.c_str()) != 0 && errno != ENOENT) {
            log("cannot remove " + dir + ": " + std::strerror(errno));
        }
    }
    ::unlink(path(monitor, protocol::STATUS_FILE).c_str());
    ::unlink(path(monitor, protocol::CONTROL_SOCKET).c_str());
    reply_all(zone.stop_waiters, protocol::REPLY_OK);
    reply_all(zone.reboot_waiters, protocol::error_reply("the zone stopped"));
    reply_all(zone.provision_waiters, std::string(protocol::to_string(zone.provisioning)));
    log("monitor exits");
    ::_exit(code);
}

// Init has exited (wait status known or not).
void zone_exited(Monitor& monitor, int wait_status, bool known)
{
    auto& zone = monitor.zone;
    if (!known && zone.signal_sent != 0) {
        wait_status = zone.signal_sent;
        known = true;
    } else if (!known && is_hvm(monitor) && zone.shutdown_event) {
        wait_status = 0; // QEMU exits 0 after a SHUTDOWN it reported
        known = true;
    }
    if (known) {
        struct timespec ts { };
        ::clock_gettime(CLOCK_REALTIME, &ts);
        char line[64];
        (void)std::snprintf(line, sizeof line, "%lld.%09ld %d\n", static_cast<long long>(ts.tv_sec),
            ts.tv_nsec, wait_status);
        if (!write_file_atomic(monitor.flags.zonepath + "/lastexited", line)) {
            log("cannot write lastexited: " + std::string(std::strerror(errno)));
        }
    }
    log("zone init exited, wait status " + (known ? std::to_string(wait_status) : "unknown"));
    close_console(monitor);
    close_all_uname(monitor);
    if (zone.pidfd >= 0) {
        ::close(zone.pidfd);
        zone.pidfd = -1;
    }
    zone.init_pid = -1;
    stop_dhcp(monitor);
    if (is_hvm(monitor)) {
        close_qemu(monitor);
    } else {
        (void)run_and_wait(monitor,
            oci_runtime_argv(monitor, { "delete", "--force", monitor.flags.id }),
            path(monitor, "runc.log"));
    }
    bool restart = false;
    if (zone.reboot_requested) {
        restart = true;
    } else if (monitor.flags.restart_init && !zone.stop_requested
        && zone.provisioning != protocol::Provisioning::Failed) {
        bool const quick = monotonic_ms() - zone.boot_monotonic < 10000;
        zone.quick_restarts = quick ? zone.quick_restarts + 1 : 0;
        restart = zone.quick_restarts < MAX_QUICK_RESTARTS;
        if (!restart) {
            log("init keeps exiting; the zone stays down");
        }
    }
    if (restart) {
        std::string error;
        if (boot(monitor, error)) {
            reply_all(zone.reboot_waiters, protocol::REPLY_OK);
            return;
        }
        log("reboot failed: " + error);
        reply_all(zone.reboot_waiters, protocol::error_reply(error));
    }
    finish(monitor, 0);
}

void reap(Monitor& monitor)
{
    auto& zone = monitor.zone;
    for (;;) {
        int status = 0;
        pid_t const pid = ::waitpid(-1, &status, WNOHANG);
        if (pid <= 0) {
            return;
        }
        dhcp_exited(monitor, pid, status);
        metadata_exited(monitor, pid, status);
        if (pid == zone.stop_exec_pid) {
            zone.stop_exec_pid = -1;
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                log("the zone's halt command failed; sending init the stop signal");
                signal_init(monitor, monitor.flags.stop_signal);
            }
        }
        if (pid == zone.init_pid && zone.pidfd < 0) {
            zone_exited(monitor, status, true);
        }
    }
}

void check_timers(Monitor& monitor)
{
    auto& zone = monitor.zone;
    dhcp_timers(monitor);
    metadata_timers(monitor);
    long long const now = monotonic_ms();
    if (zone.provisioning == protocol::Provisioning::Waiting) {
        struct stat st { };
        std::string const marker = monitor.flags.zonepath + "/root/var/svc/provisioning";
        // HVM: qemu.cpp records success once QEMU runs the machine; only the deadline is here.
        if (!is_hvm(monitor) && ::lstat(marker.c_str(), &st) != 0 && errno == ENOENT) {
            log("provisioning complete");
            record_provision(monitor, protocol::Provisioning::Success);
        } else if (now >= zone.provision_deadline) {
            log("timed out waiting for /var/svc/provisioning to move");
            record_provision(monitor, protocol::Provisioning::Failed);
            zone.stop_requested = true;
            signal_init(monitor, SIGKILL);
        }
    }
    if (zone.kill_deadline != 0 && now >= zone.kill_deadline) {
        zone.kill_deadline = 0;
        if (is_hvm(monitor) && qemu_quit(monitor)) {
            // As SmartOS forces a kvm VM off: QEMU's own quit, SIGKILL when that is not enough.
            log("stop timed out, QEMU asked to quit");
            zone.kill_deadline = now + 5000;
        } else {
            log("stop timed out, killing init");
            signal_init(monitor, SIGKILL);
        }
    }
}

} // namespace lumos_zoned
