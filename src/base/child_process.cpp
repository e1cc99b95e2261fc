// SPDX-License-Identifier: MPL-2.0
#include "base/child_process.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace lumos {

namespace {

int pidfd_open(pid_t pid)
{
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0U));
}

// Everything the child needs, made before the fork: after it, the child of a process with other
// threads may not allocate (another thread can hold the allocator's lock at the fork).
struct Plan {
    std::vector<std::string> argv_storage;
    std::vector<std::string> env_storage;
    std::vector<char*> argv;
    std::vector<char*> envp; // empty: ours
    std::vector<std::pair<int, int>> moves; // child fd <- our fd
    int highest { 2 };
    UniqueFd devnull;
    std::vector<UniqueFd> child_ends; // closed in the parent after the fork
    std::map<int, UniqueFd> our_ends;
    UniqueFd error_read;
    UniqueFd error_write;
};

Result<void> make_pipe(UniqueFd& read_end, UniqueFd& write_end)
{
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        return tl::unexpected(Error::from_errno("pipe", errno));
    }
    read_end = UniqueFd(fds[0]);
    write_end = UniqueFd(fds[1]);
    return {};
}

Result<void> prepare(SpawnOptions const& options, Plan& plan)
{
    if (options.argv.empty()) {
        return make_error(ErrorCode::Internal, "empty command");
    }
    plan.argv_storage = options.argv;
    for (auto& arg : plan.argv_storage) {
        plan.argv.push_back(arg.data());
    }
    plan.argv.push_back(nullptr);
    if (options.env) {
        plan.env_storage = *options.env;
        for (auto& entry : plan.env_storage) {
            plan.envp.push_back(entry.data());
        }
        plan.envp.push_back(nullptr);
    }
    auto devnull = [&plan]() -> Result<int> {
        if (!plan.devnull.valid()) {
            plan.devnull = UniqueFd(::open("/dev/null", O_RDWR | O_CLOEXEC));
            if (!plan.devnull.valid()) {
                return tl::unexpected(Error::from_errno("open /dev/null", errno));
            }
        }
        return plan.devnull.get();
    };
    std::map<int, Stdio> stdio = options.stdio;
    for (int fd = 0; fd <= 2; ++fd) {
        stdio.emplace(fd, Stdio::null());
    }
    for (auto const& [target, what] : stdio) {
        if (target < 0) {
            return make_error(ErrorCode::Internal, "bad child descriptor");
        }
        int source = -1;
        switch (what.kind()) {
        case Stdio::Kind::Null: {
            TRY_ASSIGN(null_fd, devnull());
            source = null_fd;
            break;
        }
        case Stdio::Kind::Fd:
            source = what.ours();
            break;
        case Stdio::Kind::PipeFromChild:
        case Stdio::Kind::PipeToChild: {
            UniqueFd read_end;
            UniqueFd write_end;
            TRY(make_pipe(read_end, write_end));
            bool const from_child = what.kind() == Stdio::Kind::PipeFromChild;
            source = from_child ? write_end.get() : read_end.get();
            plan.child_ends.push_back(from_child ? std::move(write_end) : std::move(read_end));
            // NOLINTNEXTLINE(bugprone-use-after-move): each end moves once; the picks are opposite
            plan.our_ends.emplace(target, from_child ? std::move(read_end) : std::move(write_end));
            break;
        }
        }
        plan.moves.emplace_back(target, source);
        plan.highest = std::max(plan.highest, target);
    }
    return make_pipe(plan.error_read, plan.error_write);
}

[[noreturn]] void fail_in_child(int error_fd)
{
    int const error = errno;
    [[maybe_unused]] ssize_t const written = ::write(error_fd, &error, sizeof error);
    ::_exit(127);
}

// In the child: only system calls from here on.
[[noreturn]] void exec_in_child(
    SpawnOptions const& options, Plan& plan, pid_t parent, bool new_session)
{
    // Above every target, so that putting one descriptor in place never overwrites another.
    int const error_fd = ::fcntl(plan.error_write.get(), F_DUPFD_CLOEXEC, plan.highest + 1);
    if (error_fd < 0) {
        ::_exit(127);
    }
    if (options.die_with_parent) {
        // A helper (cp, btrfs, tar) dies with the command that runs it.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) {
            ::_exit(127);
        }
    }
    if (new_session && ::setsid() < 0) {
        fail_in_child(error_fd);
    }
    if (options.reset_signals) {
        sigset_t none;
        ::sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        (void)::signal(SIGPIPE, SIG_DFL);
    }
    for (auto& [target, source] : plan.moves) {
        source = ::fcntl(source, F_DUPFD_CLOEXEC, plan.highest + 1);
        if (source < 0) {
            fail_in_child(error_fd);
        }
    }
    for (auto const& [target, source] : plan.moves) {
        if (::dup2(source, target) < 0) {
            fail_in_child(error_fd);
        }
    }
    if (options.close_other_fds) {
        int next = 0;
        for (auto const& [target, source] : plan.moves) { // in target order (a map's)
            for (; next < target; ++next) {
                ::close(next);
            }
            next = target + 1;
        }
        // Keeps error_fd (close-on-exec) until the exec.
        if (next < error_fd) {
            ::close_range(static_cast<unsigned>(next), static_cast<unsigned>(error_fd - 1), 0);
        }
        ::close_range(static_cast<unsigned>(error_fd + 1), ~0U, 0);
    }
    char** const envp = plan.envp.empty() ? environ : plan.envp.data();
    ::execvpe(plan.argv[0], plan.argv.data(), envp);
    fail_in_child(error_fd);
}

// After the fork: the child's errno when it could not exec, 0 when it did.
int exec_error(Plan& plan)
{
    plan.error_write = UniqueFd();
    plan.child_ends.clear();
    plan.devnull = UniqueFd();
    int error = 0;
    ssize_t n = 0;
    do {
        n = ::read(plan.error_read.get(), &error, sizeof error);
    } while (n < 0 && errno == EINTR);
    return n == static_cast<ssize_t>(sizeof error) ? error : 0;
}

Error cannot_execute(SpawnOptions const& options, int error)
{
    return Error(ErrorCode::Unsupported,
        "cannot execute " + options.argv[0] + ": " + std::strerror(error), error);
}

void reap(pid_t pid)
{
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
}

} // namespace

bool have_pidfd()
{
    static bool const HAVE = [] {
        int const fd = pidfd_open(::getpid());
        if (fd < 0) {
            return errno != ENOSYS;
        }
        ::close(fd);
        return true;
    }();
    return HAVE;
}

int exit_code_of(int wait_status)
{
    if (WIFEXITED(wait_status)) {
        return WEXITSTATUS(wait_status);
    }
    if (WIFSIGNALED(wait_status)) {
        return 128 + WTERMSIG(wait_status);
    }
    return wait_status;
}

Result<ChildProcess> ChildProcess::spawn(SpawnOptions const& options)
{
    Plan plan;
    TRY(prepare(options, plan));
    pid_t const parent = ::getpid();
    pid_t const pid = ::fork();
    if (pid < 0) {
        return tl::unexpected(Error::from_errno("fork", errno));
    }
    if (pid == 0) {
        exec_in_child(options, plan, parent, options.new_session);
    }
    ChildProcess child;
    child.m_pid = pid;
    if (have_pidfd()) {
        // Unreaped, so the pid is still this child's.
        child.m_pidfd = UniqueFd(pidfd_open(pid));
    }
    if (int const error = exec_error(plan); error != 0) {
        (void)child.wait();
        return tl::unexpected(cannot_execute(options, error));
    }
    child.m_pipes = std::move(plan.our_ends);
    return child;
}

Result<void> ChildProcess::spawn_detached(SpawnOptions const& options)
{
    Plan plan;
    TRY(prepare(options, plan));
    pid_t const middle = ::fork();
    if (middle < 0) {
        return tl::unexpected(Error::from_errno("fork", errno));
    }
    if (middle == 0) {
        // A session of its own, then re-parented away from us at once.
        if (::setsid() < 0) {
            fail_in_child(plan.error_write.get());
        }
        pid_t const grandchild = ::fork();
        if (grandchild < 0) {
            fail_in_child(plan.error_write.get());
        }
        if (grandchild != 0) {
            ::_exit(0);
        }
        exec_in_child(options, plan, ::getppid(), false);
    }
    int const error = exec_error(plan);
    reap(middle);
    if (error != 0) {
        return tl::unexpected(cannot_execute(options, error));
    }
    return {};
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : m_pid(other.m_pid)
    , m_pidfd(std::move(other.m_pidfd))
    , m_pipes(std::move(other.m_pipes))
{
    other.m_pid = -1;
}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept
{
    if (this != &other) {
        if (m_pid > 0) {
            (void)kill(SIGKILL);
            reap(m_pid);
        }
        m_pid = other.m_pid;
        m_pidfd = std::move(other.m_pidfd);
        m_pipes = std::move(other.m_pipes);
        other.m_pid = -1;
    }
    return *this;
}

ChildProcess::~ChildProcess()
{
    m_pipes.clear();
    if (m_pid > 0) {
        (void)kill(SIGKILL);
        reap(m_pid);
    }
}

UniqueFd ChildProcess::take_pipe(int child_fd)
{
    auto it = m_pipes.find(child_fd);
    if (it == m_pipes.end()) {
        return UniqueFd();
    }
    UniqueFd fd = std::move(it->second);
    m_pipes.erase(it);
    return fd;
}

Result<int> ChildProcess::wait()
{
    if (m_pid <= 0) {
        return make_error(ErrorCode::Internal, "no child process to wait for");
    }
    int status = 0;
    while (::waitpid(m_pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return tl::unexpected(Error::from_errno("waitpid", errno));
        }
    }
    m_pid = -1;
    m_pidfd = UniqueFd();
    return status;
}

Result<void> ChildProcess::kill(int sig)
{
    if (m_pid <= 0) {
        return {};
    }
    int const rc = m_pidfd.valid()
        ? static_cast<int>(::syscall(SYS_pidfd_send_signal, m_pidfd.get(), sig, nullptr, 0U))
        : ::kill(m_pid, sig);
    if (rc != 0) {
        return tl::unexpected(Error::from_errno("kill", errno));
    }
    return {};
}

void ChildProcess::detach()
{
    m_pid = -1;
    m_pidfd = UniqueFd();
}

} // namespace lumos
