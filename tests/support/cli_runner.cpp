// SPDX-License-Identifier: MPL-2.0
#include "support/cli_runner.hpp"

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace lumos::test {

namespace {

[[noreturn]] void throw_errno(const std::string& what)
{
    throw std::system_error(errno, std::generic_category(), what);
}

void close_fd(int& fd)
{
    if (fd >= 0) {
        ::close(fd);
        fd = -1;
    }
}

void set_nonblocking(int fd)
{
    int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0) {
        ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    }
}

// Only async-signal-safe calls between fork() and exec().
[[noreturn]] void child_fail(const char* what)
{
    const char* msg = what;
    ssize_t ignored = ::write(STDERR_FILENO, msg, std::strlen(msg));
    (void)ignored;
    ::_exit(127);
}

} // namespace

std::string RunResult::describe() const
{
    std::ostringstream os;
    if (timed_out) {
        os << "TIMED OUT; ";
    }
    if (term_signal != 0) {
        os << "killed by signal " << term_signal;
    } else {
        os << "exit " << exit_code;
    }
    os << "\n--- stdout ---\n"
       << out.substr(0, 4000) << "\n--- stderr ---\n"
       << err.substr(0, 4000);
    return os.str();
}

Process Process::spawn(const std::vector<std::string>& argv, const RunOptions& options)
{
    if (argv.empty()) {
        throw std::invalid_argument("empty argv");
    }

    // Build argv/envp before fork.
    std::vector<char*> c_argv;
    c_argv.reserve(argv.size() + 1);
    for (const auto& arg : argv) {
        c_argv.push_back(const_cast<char*>(arg.c_str()));
    }
    c_argv.push_back(nullptr);

    std::map<std::string, std::string> env_map;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        std::string entry(*e);
        auto eq = entry.find('=');
        if (eq != std::string::npos) {
            env_map[entry.substr(0, eq)] = entry.substr(eq + 1);
        }
    }
    for (const auto& [key, value] : options.env) {
        env_map[key] = value;
    }
    std::vector<std::string> env_strings;
    env_strings.reserve(env_map.size());
    for (const auto& [key, value] : env_map) {
        env_strings.push_back(key + "=" + value);
    }
    std::vector<char*> c_envp;
    c_envp.reserve(env_strings.size() + 1);
    for (auto& entry : env_strings) {
        c_envp.push_back(entry.data());
    }
    c_envp.push_back(nullptr);

    Process proc;
    proc.m_timeout = options.timeout;

    std::array<int, 2> out_pipe { -1, -1 };
    std::array<int, 2> err_pipe { -1, -1 };
    std::array<int, 2> in_pipe { -1, -1 };
    if (::pipe2(out_pipe.data(), O_CLOEXEC) != 0 || ::pipe2(err_pipe.data(), O_CLOEXEC) != 0) {
        throw_errno("pipe2");
    }
    if (options.stdout_closed) {
        close_fd(out_pipe[0]);
    }

    int stdin_child_fd = -1;
    std::string pty_slave_name;
    switch (options.stdin_mode) {
    case StdinMode::DevNull:
        stdin_child_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (stdin_child_fd < 0) {
            throw_errno("open /dev/null");
        }
        break;
    case StdinMode::Bytes:
        // A program may stop reading its stdin early (vmadm refuses a payload over its bound):
        // the rest of the write must fail with EPIPE here, not kill the test with SIGPIPE.
        ::signal(SIGPIPE, SIG_IGN);
        if (::pipe2(in_pipe.data(), O_CLOEXEC) != 0) {
            throw_errno("pipe2");
        }
        stdin_child_fd = in_pipe[0];
        proc.m_stdin_fd = in_pipe[1];
        proc.m_stdin_bytes = options.stdin_bytes;
        break;
    case StdinMode::Tty: {
        int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0) {
            throw_errno("posix_openpt");
        }
        if (::grantpt(master) != 0 || ::unlockpt(master) != 0) {
            ::close(master);
            throw_errno("grantpt/unlockpt");
        }
        const char* name = ::ptsname(master);
        if (name == nullptr) {
            ::close(master);
            throw_errno("ptsname");
        }
        pty_slave_name = name;
        proc.m_pty_master_fd = master;
        stdin_child_fd = ::open(pty_slave_name.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (stdin_child_fd < 0) {
            throw_errno("open " + pty_slave_name);
        }
        break;
    }
    }

    const bool want_setsid = options.stdin_mode == StdinMode::Tty;
    const bool want_uid = options.uid.has_value();
    const uid_t uid = options.uid.value_or(0);

    pid_t pid = ::fork();
    if (pid < 0) {
        throw_errno("fork");
    }
    if (pid == 0) {
        ::signal(SIGPIPE, SIG_DFL);
        if (want_setsid) {
            ::setsid();
        }
        if (::dup2(stdin_child_fd, STDIN_FILENO) < 0) {
            child_fail("dup2 stdin failed\n");
        }
        if (::dup2(out_pipe[1], STDOUT_FILENO) < 0 || ::dup2(err_pipe[1], STDERR_FILENO) < 0) {
            child_fail("dup2 stdout/stderr failed\n");
        }
        if (want_setsid) {
            ::ioctl(STDIN_FILENO, TIOCSCTTY, 0);
        }
        if (want_uid) {
            if (::setgroups(0, nullptr) != 0 || ::setgid(uid) != 0 || ::setuid(uid) != 0) {
                child_fail("cannot drop privileges\n");
            }
        }
        ::execve(c_argv[0], c_argv.data(), c_envp.data());
        child_fail("execve failed\n");
    }

    proc.m_pid = pid;
    ::close(stdin_child_fd);
    close_fd(out_pipe[1]);
    close_fd(err_pipe[1]);
    proc.m_stdout_fd = out_pipe[0];
    proc.m_stderr_fd = err_pipe[0];
    if (proc.m_stdout_fd >= 0) {
        set_nonblocking(proc.m_stdout_fd);
    }
    set_nonblocking(proc.m_stderr_fd);
    if (proc.m_stdin_fd >= 0) {
        set_nonblocking(proc.m_stdin_fd);
        if (proc.m_stdin_bytes.empty()) {
            close_fd(proc.m_stdin_fd);
        }
    }
    return proc;
}

Process::Process(Process&& other) noexcept
    : m_pid(std::exchange(other.m_pid, -1))
    , m_stdin_fd(std::exchange(other.m_stdin_fd, -1))
    , m_stdout_fd(std::exchange(other.m_stdout_fd, -1))
    , m_stderr_fd(std::exchange(other.m_stderr_fd, -1))
    , m_pty_master_fd(std::exchange(other.m_pty_master_fd, -1))
    , m_stdin_bytes(std::move(other.m_stdin_bytes))
    , m_timeout(other.m_timeout)
    , m_reaped(std::exchange(other.m_reaped, true))
{
}

Process& Process::operator=(Process&& other) noexcept
{
    if (this != &other) {
        close_fds();
        m_pid = std::exchange(other.m_pid, -1);
        m_stdin_fd = std::exchange(other.m_stdin_fd, -1);
        m_stdout_fd = std::exchange(other.m_stdout_fd, -1);
        m_stderr_fd = std::exchange(other.m_stderr_fd, -1);
        m_pty_master_fd = std::exchange(other.m_pty_master_fd, -1);
        m_stdin_bytes = std::move(other.m_stdin_bytes);
        m_timeout = other.m_timeout;
        m_reaped = std::exchange(other.m_reaped, true);
    }
    return *this;
}

Process::~Process()
{
    if (m_pid > 0 && !m_reaped) {
        ::kill(m_pid, SIGKILL);
        int status = 0;
        ::waitpid(m_pid, &status, 0);
    }
    close_fds();
}

void Process::close_fds()
{
    close_fd(m_stdin_fd);
    close_fd(m_stdout_fd);
    close_fd(m_stderr_fd);
    close_fd(m_pty_master_fd);
}

void Process::kill(int signal) const
{
    if (m_pid > 0 && !m_reaped) {
        ::kill(m_pid, signal);
    }
}

RunResult Process::wait()
{
    RunResult result;
    if (m_pid <= 0 || m_reaped) {
        return result;
    }

    const auto deadline = std::chrono::steady_clock::now() + m_timeout;
    size_t written = 0;
    std::array<char, 65536> buf {};

    while (m_stdout_fd >= 0 || m_stderr_fd >= 0 || m_stdin_fd >= 0) {
        std::vector<pollfd> fds;
        if (m_stdout_fd >= 0) {
            fds.push_back({ m_stdout_fd, POLLIN, 0 });
        }
        if (m_stderr_fd >= 0) {
            fds.push_back({ m_stderr_fd, POLLIN, 0 });
        }
        if (m_stdin_fd >= 0) {
            fds.push_back({ m_stdin_fd, POLLOUT, 0 });
        }
        auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (remaining.count() <= 0) {
            result.timed_out = true;
            ::kill(m_pid, SIGKILL);
            break;
        }
        int ready = ::poll(fds.data(), fds.size(), static_cast<int>(remaining.count()));
        if (ready < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        for (const auto& p : fds) {
            if (p.revents == 0) {
                continue;
            }
            if (p.fd == m_stdin_fd) {
                ssize_t n = ::write(
                    m_stdin_fd, m_stdin_bytes.data() + written, m_stdin_bytes.size() - written);
                if (n > 0) {
                    written += static_cast<size_t>(n);
                }
                if ((n < 0 && errno != EAGAIN && errno != EINTR) || written >= m_stdin_bytes.size()
                    || (p.revents & (POLLERR | POLLHUP)) != 0) {
                    close_fd(m_stdin_fd);
                }
                continue;
            }
            std::string& sink = p.fd == m_stdout_fd ? result.out : result.err;
            int& fd = p.fd == m_stdout_fd ? m_stdout_fd : m_stderr_fd;
            ssize_t n = ::read(fd, buf.data(), buf.size());
            if (n > 0) {
                sink.append(buf.data(), static_cast<size_t>(n));
            } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                close_fd(fd);
            }
        }
    }

    int status = 0;
    while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
    }
    m_reaped = true;
    close_fds();
    if (WIFEXITED(status)) {
        result.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        result.term_signal = WTERMSIG(status);
    }
    return result;
}

RunResult run(const std::vector<std::string>& argv, const RunOptions& options)
{
    return Process::spawn(argv, options).wait();
}

std::string read_file(const std::filesystem::path& path)
{
    std::ifstream is(path, std::ios::binary);
    std::ostringstream os;
    os << is.rdbuf();
    return os.str();
}

std::vector<std::string> split_lines(const std::string& text)
{
    std::vector<std::string> lines;
    std::string::size_type start = 0;
    while (start < text.size()) {
        auto nl = text.find('\n', start);
        if (nl == std::string::npos) {
            lines.push_back(text.substr(start));
            break;
        }
        lines.push_back(text.substr(start, nl - start));
        start = nl + 1;
    }
    return lines;
}

} // namespace lumos::test
