// SPDX-License-Identifier: MPL-2.0
#include "pools/command_runner.hpp"

#include "base/file.hpp"
#include "base/strings.hpp"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <string_view>

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
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

Result<CommandOutput> SystemCommandRunner::run(std::vector<std::string> const& argv, CommandIo const& io)
{
    if (argv.empty()) {
        return make_error(ErrorCode::Internal, "empty command");
    }
    std::array<int, 2> out_pipe { -1, -1 };
    std::array<int, 2> err_pipe { -1, -1 };
    if (::pipe2(out_pipe.data(), O_CLOEXEC) != 0) {
        return tl::unexpected(Error::from_errno("pipe", errno));
    }
    UniqueFd out_read(out_pipe[0]);
    UniqueFd out_write(out_pipe[1]);
    if (::pipe2(err_pipe.data(), O_CLOEXEC) != 0) {
        return tl::unexpected(Error::from_errno("pipe", errno));
    }
    UniqueFd err_read(err_pipe[0]);
    UniqueFd err_write(err_pipe[1]);

    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (auto const& arg : argv) {
        args.push_back(const_cast<char*>(arg.c_str())); // NOLINT(cppcoreguidelines-pro-type-const-cast)
    }
    args.push_back(nullptr);
    // The environment with LC_ALL=C, made before fork: the child of a process with other threads
    // (an import's download and stream relay) may not allocate, since another thread can hold
    // the allocator's lock at the fork (setenv in the child hung there under ASan).
    std::vector<std::string> environment { "LC_ALL=C" };
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        if (std::string_view(*entry).rfind("LC_ALL=", 0) != 0) {
            environment.emplace_back(*entry);
        }
    }
    std::vector<char*> envp;
    envp.reserve(environment.size() + 1);
    for (auto const& entry : environment) {
        envp.push_back(const_cast<char*>(entry.c_str())); // NOLINT(cppcoreguidelines-pro-type-const-cast)
    }
    envp.push_back(nullptr);

    pid_t const parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) {
        return tl::unexpected(Error::from_errno("fork", errno));
    }
    if (pid == 0) {
        // A helper (cp, btrfs, tar) dies with the command that runs it: a killed create must
        // not leave a cp writing into the dataset the next command removes.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) {
            ::_exit(127);
        }
        int in = io.stdin_fd >= 0 ? io.stdin_fd : ::open("/dev/null", O_RDONLY);
        int out = io.stdout_fd >= 0 ? io.stdout_fd : out_write.get();
        ::dup2(in, 0);
        ::dup2(out, 1);
        ::dup2(err_write.get(), 2);
        ::execvpe(args[0], args.data(), envp.data());
        // No allocation here either: the message goes out in pieces.
        char const* const why = std::strerror(errno);
        for (char const* piece : { "cannot execute ", static_cast<char const*>(args[0]), ": ", why }) {
            (void)!::write(2, piece, std::strlen(piece));
        }
        ::_exit(127);
    }
    out_write = UniqueFd();
    err_write = UniqueFd();

    CommandOutput output;
    bool out_open = true;
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
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return tl::unexpected(Error::from_errno("waitpid", errno));
        }
    }
    if (WIFEXITED(status)) {
        output.status = WEXITSTATUS(status);
    } else {
        output.status = 128 + WTERMSIG(status);
    }
    if (output.status == 127 && output.err.starts_with("cannot execute")) {
        return make_error(ErrorCode::Unsupported, std::string(trim(output.err)));
    }
    return output;
}

CommandRunner& system_command_runner()
{
    static SystemCommandRunner runner;
    return runner;
}

std::string describe_argv(std::vector<std::string> const& argv) { return join(argv, " "); }

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
