// SPDX-License-Identifier: MPL-2.0
#include "sys/detail/spawn.hpp"

#include "base/file.hpp"

#include <array>
#include <cerrno>
#include <csignal>

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

namespace lumos::sys::detail {

namespace {
constexpr size_t MAX_OUTPUT = size_t { 64 } * 1024;
} // namespace

Result<Outcome> run_program(std::vector<std::string> const& argv, Namespace ns)
{
    if (argv.empty() || argv.front().empty() || argv.front().front() != '/') {
        return make_error(ErrorCode::InvalidArgument, "run_program needs an absolute path");
    }
    // Everything the child needs is built before fork: it only calls async-signal-safe
    // functions (unshare, dup2, execve).
    std::vector<std::string> args = argv;
    std::vector<char*> arg_pointers;
    arg_pointers.reserve(args.size() + 1);
    for (auto& arg : args) {
        arg_pointers.push_back(arg.data());
    }
    arg_pointers.push_back(nullptr);
    std::string path_entry = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    std::string locale_entry = "LC_ALL=C";
    std::array<char*, 3> env { path_entry.data(), locale_entry.data(), nullptr };

    std::array<int, 2> pipe_fds {};
    if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) {
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
        ::execve(arg_pointers[0], arg_pointers.data(), env.data());
        ::_exit(127);
    }
    write_end = UniqueFd();
    Outcome outcome;
    std::array<char, 4096> buffer {};
    for (;;) {
        ssize_t const n = ::read(read_end.get(), buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        if (outcome.output.size() < MAX_OUTPUT) {
            outcome.output.append(buffer.data(), static_cast<size_t>(n));
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
