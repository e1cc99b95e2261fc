// SPDX-License-Identifier: MPL-2.0
// Requests on ctl.sock (runtime/monitor_protocol.hpp): one line per connection, one reply line,
// at once or, for stop, reboot and wait-provision, when it happens.
#include "base/posix_util.hpp"
#include "cmd/lumos-zoned/monitor.hpp"

#include <cerrno>
#include <cstring>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace lumos_zoned {

namespace {

// A graceful stop: the zone's own halt command when it has one (lx: whatever init the image
// runs knows how to halt through it), else the stop signal to init. A halt command that cannot
// run falls back to the signal (reap()).
void request_stop(Monitor& monitor)
{
    if (is_hvm(monitor)) {
        qemu_powerdown(monitor); // the guest's ACPI power button
        return;
    }
    if (monitor.flags.stop_command.empty() || monitor.zone.init_pid <= 0) {
        signal_init(monitor, monitor.flags.stop_signal);
        return;
    }
    pid_t const pid = spawn(monitor,
        oci_runtime_argv(monitor, { "exec", monitor.flags.id, monitor.flags.stop_command }),
        path(monitor, "runc.log"), Output::Append);
    if (pid < 0) {
        signal_init(monitor, monitor.flags.stop_signal);
        return;
    }
    monitor.zone.stop_exec_pid = pid;
}

// The request line, read within 2 seconds.
std::string read_request(int fd)
{
    std::string line;
    char c = 0;
    long long const deadline = monotonic_ms() + 2000;
    while (line.size() < protocol::MAX_REQUEST_LINE && monotonic_ms() < deadline) {
        struct pollfd poll_fd {
            fd, POLLIN, 0
        };
        if (::poll(&poll_fd, 1, 100) <= 0) {
            continue;
        }
        if (::read(fd, &c, 1) != 1 || c == '\n') {
            break;
        }
        line += c;
    }
    return line;
}

// Replies now and closes, or keeps fd among the waiters of what was asked (false).
bool handle(Monitor& monitor, int fd, protocol::Request const& request)
{
    auto& zone = monitor.zone;
    switch (request.verb) {
    case protocol::Verb::Status: {
        bool const running = !lumos::posix::read_small_file(path(monitor, protocol::STATUS_FILE))
                                  .value_or(std::string())
                                  .empty();
        reply(fd, running ? protocol::REPLY_RUNNING : protocol::REPLY_STOPPED);
        return true;
    }
    case protocol::Verb::Halt:
        zone.stop_requested = true;
        signal_init(monitor, SIGKILL);
        zone.stop_waiters.push_back(fd);
        return false;
    case protocol::Verb::Stop: {
        zone.stop_requested = true;
        request_stop(monitor);
        long long const deadline_ms = monotonic_ms() + request.timeout_s * 1000;
        if (zone.kill_deadline == 0 || deadline_ms < zone.kill_deadline) {
            zone.kill_deadline = deadline_ms;
        }
        zone.stop_waiters.push_back(fd);
        return false;
    }
    case protocol::Verb::Reboot:
        zone.reboot_requested = true;
        if (request.force) {
            signal_init(monitor, SIGKILL);
        } else {
            request_stop(monitor);
            // SmartOS's deadlines: an OS zone's halt 60 s, an HVM guest's powerdown 180 s.
            zone.kill_deadline = monotonic_ms() + (is_hvm(monitor) ? 180000 : 60000);
        }
        zone.reboot_waiters.push_back(fd);
        return false;
    case protocol::Verb::Kill:
        if (zone.init_pid <= 0 || ::kill(zone.init_pid, request.signal) != 0) {
            reply(fd, protocol::error_reply(std::strerror(errno)));
        } else {
            if (request.signal == SIGKILL) {
                zone.signal_sent = SIGKILL;
            }
            reply(fd, protocol::REPLY_OK);
        }
        return true;
    case protocol::Verb::WaitProvision:
        if (zone.provisioning == protocol::Provisioning::Waiting) {
            zone.provision_waiters.push_back(fd);
            return false;
        }
        reply(fd, std::string(protocol::to_string(zone.provisioning)));
        return true;
    case protocol::Verb::Console:
        if (zone.pty < 0) {
            reply(fd,
                protocol::error_reply(
                    "the console of this zone is not available (its monitor restarted)"));
        } else if (zone.console_client >= 0) {
            reply(fd, protocol::error_reply("the console is in use"));
        } else {
            reply(fd, protocol::REPLY_OK);
            zone.console_client = fd;
            return false;
        }
        return true;
    }
    return true;
}

} // namespace

void signal_init(Monitor& monitor, int signal)
{
    // Only SIGKILL's outcome is certain (init may handle any other signal and exit as it likes).
    if (monitor.zone.init_pid > 0 && ::kill(monitor.zone.init_pid, signal) == 0
        && signal == SIGKILL) {
        monitor.zone.signal_sent = signal;
    }
}

void control(Monitor& monitor, int listener)
{
    int const fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
        return;
    }
    auto const parsed = protocol::parse_request(read_request(fd), NSIG);
    if (auto const* message = std::get_if<std::string>(&parsed)) {
        reply(fd, protocol::error_reply(*message));
        ::close(fd);
        return;
    }
    if (handle(monitor, fd, std::get<protocol::Request>(parsed))) {
        ::close(fd);
    }
}

} // namespace lumos_zoned
