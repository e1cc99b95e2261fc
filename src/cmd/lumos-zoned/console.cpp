// SPDX-License-Identifier: MPL-2.0
// The zone's console: the pty master drained into console.log (capped) and relayed to one
// attached client (zlogin -C, vmadm console), whose input goes back to the zone.
#include "base/posix_util.hpp"
#include "cmd/lumos-zoned/monitor.hpp"

#include <cerrno>

#include <unistd.h>

namespace lumos_zoned {

void console_output(Monitor& monitor)
{
    auto& zone = monitor.zone;
    char buffer[4096];
    for (;;) {
        ssize_t const n = ::read(zone.pty, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            if (n == 0 || errno != EAGAIN) {
                // EIO: nothing in the zone holds the console open right now; look again in a
                // while rather than spin on the hang-up.
                zone.pty_quiet_until = monotonic_ms() + 500;
            }
            return;
        }
        if (zone.console_log >= 0) {
            if (zone.console_log_size + n > CONSOLE_LOG_MAX) {
                [[maybe_unused]] int const truncated = ::ftruncate(zone.console_log, 0);
                zone.console_log_size = 0;
            }
            if (lumos::posix::write_all(zone.console_log, buffer, static_cast<size_t>(n))) {
                zone.console_log_size += n;
            }
        }
        if (zone.console_client >= 0
            && !lumos::posix::write_all(zone.console_client, buffer, static_cast<size_t>(n))) {
            ::close(zone.console_client);
            zone.console_client = -1;
        }
    }
}

void console_input(Monitor& monitor)
{
    auto& zone = monitor.zone;
    char buffer[4096];
    ssize_t const n = ::read(zone.console_client, buffer, sizeof buffer);
    if (n <= 0) {
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            return;
        }
        ::close(zone.console_client);
        zone.console_client = -1;
        return;
    }
    if (zone.pty >= 0) {
        // The pty is non-blocking; a zone that reads nothing loses what overflows its buffer.
        size_t done = 0;
        while (done < static_cast<size_t>(n)) {
            ssize_t const w = ::write(zone.pty, buffer + done, static_cast<size_t>(n) - done);
            if (w <= 0) {
                break;
            }
            done += static_cast<size_t>(w);
        }
    }
}

void close_console(Monitor& monitor)
{
    if (monitor.zone.pty >= 0) {
        ::close(monitor.zone.pty);
        monitor.zone.pty = -1;
    }
}

} // namespace lumos_zoned
