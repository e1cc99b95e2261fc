// SPDX-License-Identifier: MPL-2.0
#include "sys/detail/spawn.hpp"

#include "base/file.hpp"

#include <cerrno>
#include <csignal>

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

namespace lumos::sys::detail {

Result<Outcome> run_program(std::vector<std::string> const& argv, Namespace ns)
{
    if (argv.empty() || argv.front().empty() || argv.front().front() != '/') {
        return make_error(ErrorCode::InvalidArgument, "run_program needs an absolute path");
    }
    // Everything the child needs is built before fork: it only calls async-signal-safe
    // functions (unshare, dup2, execve).
    std::vector<std::string> args = argv;
    std::vector<char*> arg_pointers;
    for (auto& arg : args) {
        arg_pointers.push_back(arg.data());
    }
    arg_pointers.push_back(nullptr);
    std::string path_entry = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    std::string locale_entry = "LC_ALL=C";
    char* env[] = { path_entry.data(), locale_entry.data(), nullptr };

    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
        return tl::unexpected(Error::from_errno("pipe", errno));
    }
    UniqueFd read_end(pipe_fds[0]);
    UniqueFd write_end(pipe_fds[1]);
    UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!null.valid()) {
        return tl::unexpected(Error::from_errno("open /dev/null", errno));
    }
    pid_t const child = ::fork();
    if (child < 0) {
        return tl::unexpected(Error::from_errno("fork", errno));
    }
    if (child == 0) {
        if (ns == Namespace::NewNetwork && ::unshare(CLONE_NEWNET) != 0) {
            ::_exit(126);
        }
        ::dup2(null.get(), STDIN_FILENO);
        ::dup2(write_end.get(), STDOUT_FILENO);
        ::dup2(null.get(), STDERR_FILENO);
        ::execve(arg_pointers[0], arg_pointers.data(), env);
        ::_exit(127);
    }
    write_end = UniqueFd();
    Outcome outcome;
    char buffer[4096];
    for (;;) {
        ssize_t const n = ::read(read_end.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        if (outcome.output.size() < 64 * 1024) {
            outcome.output.append(buffer, static_cast<size_t>(n));
        }
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) {
            return tl::unexpected(Error::from_errno("waitpid", errno));
        }
    }
    outcome.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return outcome;
}

} // namespace lumos::sys::detail
