// SPDX-License-Identifier: MPL-2.0
#include "cmd/common/console_relay.hpp"

#include "base/file.hpp"

#include <cerrno>
#include <string>

#include <poll.h>
#include <termios.h>
#include <unistd.h>

namespace lumos::cmd {

void relay_console(int connection, int in, int out, ConsoleEscape escape_mode)
{
    struct termios saved { };
    bool const tty = ::isatty(in) == 1 && ::tcgetattr(in, &saved) == 0;
    if (tty) {
        struct termios raw = saved;
        ::cfmakeraw(&raw);
        ::tcsetattr(in, TCSANOW, &raw);
    }
    bool input_open = true;
    bool at_line_start = true;
    bool escape = false;
    char escape_char = 0;
    int drain_ms = -1;
    char buffer[4096];
    for (;;) {
        struct pollfd fds[2] = { { connection, POLLIN, 0 }, { input_open ? in : -1, POLLIN, 0 } };
        int const ready = ::poll(fds, 2, input_open ? -1 : drain_ms);
        if (ready < 0 && errno == EINTR) {
            continue;
        }
        if (ready == 0) {
            break; // input ended and the zone said nothing more
        }
        if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
            ssize_t const n = ::read(connection, buffer, sizeof buffer);
            if (n <= 0) {
                break;
            }
            if (!write_fully(out, buffer, static_cast<size_t>(n))) {
                break;
            }
        }
        if (input_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
            ssize_t const n = ::read(in, buffer, sizeof buffer);
            if (n <= 0) {
                input_open = false;
                drain_ms = 500;
                continue;
            }
            std::string forward;
            bool detach = false;
            for (ssize_t i = 0; i < n; ++i) {
                char const c = buffer[i];
                if (escape_mode == ConsoleEscape::CtrlBracket && c == '\035') {
                    detach = true;
                    break;
                }
                if (escape) {
                    escape = false;
                    if (c == '.') {
                        detach = true;
                        break;
                    }
                    forward += escape_char;
                }
                if (escape_mode == ConsoleEscape::LineStartThenDot && at_line_start
                    && (c == '~' || c == '\035')) {
                    escape = true;
                    escape_char = c;
                    at_line_start = false;
                    continue;
                }
                at_line_start = c == '\r' || c == '\n';
                forward += c;
            }
            if (!forward.empty() && !write_fully(connection, forward.data(), forward.size())) {
                break;
            }
            if (detach) {
                break;
            }
        }
    }
    if (tty) {
        ::tcsetattr(in, TCSANOW, &saved);
    }
}

} // namespace lumos::cmd
