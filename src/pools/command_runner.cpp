// SPDX-License-Identifier: MPL-2.0
#include "pools/command_runner.hpp"

#include "base/child_process.hpp"
#include "base/strings.hpp"

#include <array>
#include <cerrno>
#include <string_view>

#include <poll.h>
#include <unistd.h>

namespace lumos::pools {

namespace {

void append_available(int fd, std::string& target, bool& open)
{
    std::array<char, 65536> buffer {};
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n > 0) {
        target.append(buffer.data(), static_cast<size_t>(n));
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        open = false;
    }
}

} // namespace

Result<CommandOutput> SystemCommandRunner::run(
    std::vector<std::string> const& argv, CommandIo const& io)
{
    if (argv.empty()) {
        return make_error(ErrorCode::Internal, "empty command");
    }
    SpawnOptions options(argv);
    // The environment with LC_ALL=C: the tools' messages and numbers in the form we parse.
    std::vector<std::string> environment { "LC_ALL=C" };
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        if (std::string_view(*entry).rfind("LC_ALL=", 0) != 0) {
            environment.emplace_back(*entry);
        }
    }
    options.env = std::move(environment);
    options.stdio[0] = io.stdin_fd >= 0 ? Stdio::fd(io.stdin_fd) : Stdio::null();
    options.stdio[1] = io.stdout_fd >= 0 ? Stdio::fd(io.stdout_fd) : Stdio::pipe_from_child();
    options.stdio[2] = Stdio::pipe_from_child();
    // A helper (cp, btrfs, tar) dies with the command that runs it: a killed create must not
    // leave a cp writing into the dataset the next command removes.
    options.die_with_parent = true;
    TRY_ASSIGN(child, ChildProcess::spawn(options));
    UniqueFd out_read = child.take_pipe(1);
    UniqueFd err_read = child.take_pipe(2);

    CommandOutput output;
    bool out_open = out_read.valid();
    bool err_open = true;
    while (out_open || err_open) {
        std::array<pollfd, 2> fds {};
        fds[0] = { out_open ? out_read.get() : -1, POLLIN, 0 };
        fds[1] = { err_open ? err_read.get() : -1, POLLIN, 0 };
        if (::poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        if (out_open && (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
            append_available(out_read.get(), output.out, out_open);
        }
        if (err_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
            append_available(err_read.get(), output.err, err_open);
        }
    }
    TRY_ASSIGN(status, child.wait());
    output.status = exit_code_of(status);
    return output;
}

CommandRunner& system_command_runner()
{
    static SystemCommandRunner runner;
    return runner;
}

std::string describe_argv(std::vector<std::string> const& argv)
{
    return join(argv, " ");
}

Result<CommandOutput> run_checked(
    CommandRunner& runner, std::vector<std::string> const& argv, CommandIo const& io)
{
    TRY_ASSIGN(output, runner.run(argv, io));
    if (output.status != 0) {
        std::string detail(trim(output.err));
        if (detail.empty()) {
            detail = std::string(trim(output.out));
        }
        return make_error(ErrorCode::System,
            describe_argv(argv) + " failed (exit " + std::to_string(output.status) + ")"
                + (detail.empty() ? std::string() : ": " + detail));
    }
    return output;
}

} // namespace lumos::pools
