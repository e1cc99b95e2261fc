// SPDX-License-Identifier: MPL-2.0
// Booting the zone: `<oci runtime> run -d` of the bundle while the monitor is the subreaper of
// what it leaves, so the zone's init becomes the monitor's child; the pty master comes on the
// console socket. Or, for a monitor that replaces a dead one, following the running init by
// pidfd.
#include "base/posix_util.hpp"
#include "cmd/lumos-zoned/monitor.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace lumos_zoned {

namespace {

std::string last_line(std::string const& text)
{
    std::string trimmed = text;
    while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == ' ')) {
        trimmed.pop_back();
    }
    size_t const newline = trimmed.rfind('\n');
    return newline == std::string::npos ? trimmed : trimmed.substr(newline + 1);
}

std::string read_or_empty(std::string const& file)
{
    return lumos::posix::read_small_file(file).value_or(std::string());
}

} // namespace

// On success the zone's init is running and is our child.
bool boot(Monitor& monitor, std::string& error)
{
    if (is_hvm(monitor)) {
        return boot_qemu(monitor, error);
    }
    auto& zone = monitor.zone;
    std::string const console_socket = path(monitor, "console.sock");
    int const listener = listen_unix(console_socket);
    if (listener < 0) {
        error = "cannot listen on " + console_socket + ": " + std::strerror(errno);
        return false;
    }
    std::string const runtime_log = path(monitor, "runc.log");
    ::unlink(runtime_log.c_str());
    // For messages: "runc" or "crun", as the operator knows it.
    std::string const& runtime_path = monitor.flags.oci_runtime;
    std::string const runtime_name = runtime_path.substr(runtime_path.rfind('/') + 1);
    std::string const pid_file = path(monitor, "init.pid");
    ::unlink(pid_file.c_str());
    // Which OCI runtime drives this zone: its clients (stop, kill, exec, a re-attach) use the
    // same one even when the host's probe later prefers another.
    if (!write_file_atomic(
            path(monitor, protocol::OCI_RUNTIME_FILE), monitor.flags.oci_runtime + "\n")) {
        error = "cannot record the OCI runtime: " + std::string(std::strerror(errno));
        ::close(listener);
        return false;
    }
    // A zone whose monitor was killed (SIGKILL, OOM, a host that killed every process but kept
    // this run directory) leaves the runtime's state behind, and `run` would refuse the id
    // ("container with given ID already exists"). This monitor holds the zone's lock, so no
    // live monitor owns that container: delete it, with whatever of the old zone still runs.
    struct stat state { };
    if (::lstat((monitor.flags.oci_runtime_root + "/" + monitor.flags.id).c_str(), &state) == 0) {
        (void)run_and_wait(monitor,
            oci_runtime_argv(monitor, { "delete", "--force", monitor.flags.id }), runtime_log);
    }
    pid_t const runtime = spawn(monitor,
        oci_runtime_argv(monitor,
            { "run", "-d", "--console-socket", console_socket, "--pid-file", pid_file, "--bundle",
                monitor.flags.dir, monitor.flags.id }),
        runtime_log, Output::Truncate);
    if (runtime < 0) {
        error = std::string("fork: ") + std::strerror(errno);
        ::close(listener);
        return false;
    }
    // The runtime connects and sends the pty master before it starts the zone's process, then
    // exits.
    int pty = -1;
    int runtime_status = -1;
    long long const deadline = monotonic_ms() + 60000;
    while (runtime_status < 0 && monotonic_ms() < deadline) {
        int status = 0;
        if (pty >= 0) {
            // Handed over: the runtime only starts the zone's process and exits now.
            if (::waitpid(runtime, &status, 0) == runtime) {
                runtime_status = status;
            }
            continue;
        }
        struct pollfd poll_fd {
            listener, POLLIN, 0
        };
        if (::poll(&poll_fd, 1, 5) > 0) {
            int const connection = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
            if (connection >= 0) {
                pty = receive_fd(connection);
                ::close(connection);
            }
        }
        if (::waitpid(runtime, &status, WNOHANG) == runtime) {
            runtime_status = status;
        }
    }
    ::close(listener);
    ::unlink(console_socket.c_str());
    // The init's listener, sent before the runtime started it: its uname calls are answered from
    // the moment the monitor's loop runs.
    accept_uname(monitor);
    if (runtime_status < 0) {
        ::kill(runtime, SIGKILL);
        ::waitpid(runtime, nullptr, 0);
        error = runtime_name + " did not start the zone within 60 seconds";
    } else if (!WIFEXITED(runtime_status) || WEXITSTATUS(runtime_status) != 0) {
        std::string const detail = last_line(read_or_empty(runtime_log));
        error = runtime_name + " failed" + (detail.empty() ? std::string() : ": " + detail);
    }
    if (!error.empty()) {
        if (pty >= 0) {
            ::close(pty);
        }
        close_all_uname(monitor);
        (void)run_and_wait(monitor,
            oci_runtime_argv(monitor, { "delete", "--force", monitor.flags.id }), runtime_log);
        return false;
    }
    auto const init_pid
        = static_cast<int>(std::strtol(read_or_empty(pid_file).c_str(), nullptr, 10));
    if (init_pid <= 0) {
        error = runtime_name + " wrote no init pid";
        if (pty >= 0) {
            ::close(pty);
        }
        close_all_uname(monitor);
        return false;
    }
    zone.init_pid = init_pid;
    // Zombies included: init is our child, and reap() learns how it ended.
    zone.init_start = lumos::posix::proc_start_time(init_pid).value_or(0);
    zone.pty = pty;
    if (pty >= 0) {
        ::fcntl(pty, F_SETFL, ::fcntl(pty, F_GETFL) | O_NONBLOCK);
    }
    zone.boot_timestamp = iso(now_ms());
    zone.boot_monotonic = monotonic_ms();
    zone.stop_requested = false;
    zone.reboot_requested = false;
    zone.kill_deadline = 0;
    zone.signal_sent = 0;
    write_status(monitor);
    log("zone booted, init pid " + std::to_string(init_pid));
    start_dhcp(monitor);
    return true;
}

bool attach(Monitor& monitor, std::string& error)
{
    auto& zone = monitor.zone;
    auto const status = protocol::parse_status(read_or_empty(path(monitor, protocol::STATUS_FILE)));
    // A zombie init counts: its exit then shows at once on the pidfd and is handled as any
    // other (zone_exited), the zone's runtime state deleted.
    if (!status || lumos::posix::proc_start_time(status->pid) != status->pid_start) {
        error = "the zone is not running";
        return false;
    }
    int const pid = static_cast<int>(status->pid);
    int const pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd < 0) {
        error = std::string("pidfd_open: ") + std::strerror(errno);
        return false;
    }
    zone.init_pid = pid;
    zone.init_start = status->pid_start;
    zone.pidfd = pidfd;
    zone.boot_timestamp = status->boot_timestamp;
    zone.boot_monotonic = monotonic_ms() - 60000; // not a quick restart candidate
    if (status->provisioning == protocol::Provisioning::Waiting
        && monitor.flags.provision_timeout_ms > 0) {
        zone.provisioning = protocol::Provisioning::Waiting;
        zone.provision_deadline = monotonic_ms() + monitor.flags.provision_timeout_ms;
    } else if (status->provisioning == protocol::Provisioning::Success) {
        zone.provisioning = protocol::Provisioning::Success;
    }
    if (is_hvm(monitor) && !attach_qemu(monitor, error)) {
        ::close(pidfd);
        zone.pidfd = -1;
        return false;
    }
    write_status(monitor);
    log("attached to running zone, init pid " + std::to_string(pid));
    if (monitor.flags.lx_uname) {
        // The listener went with the monitor that held it (uname.cpp).
        log("uname fails (ENOSYS) in the zone's processes that were running: their answers went "
            "with the monitor that was killed; processes started from now on get them");
    }
    start_dhcp(monitor);
    return true;
}

} // namespace lumos_zoned
