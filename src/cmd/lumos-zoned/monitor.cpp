// SPDX-License-Identifier: MPL-2.0
// The monitor's plumbing: clocks, its log line, the run dir's files, replies, child processes.
#include "cmd/lumos-zoned/monitor.hpp"

#include "base/posix_util.hpp"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

namespace lumos_zoned {

void log(std::string const& message)
{
    time_t const now = ::time(nullptr);
    char stamp[32];
    struct tm tm { };
    ::gmtime_r(&now, &tm);
    (void)::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    std::string const line
        = std::string(stamp) + " lumos-zoned[" + std::to_string(::getpid()) + "] " + message + "\n";
    (void)lumos::posix::write_all(STDERR_FILENO, line.data(), line.size());
}

long long now_ms()
{
    struct timespec ts { };
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<long long>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

long long monotonic_ms()
{
    struct timespec ts { };
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<long long>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

std::string iso(long long ms)
{
    auto const seconds = static_cast<time_t>(ms / 1000);
    struct tm tm { };
    ::gmtime_r(&seconds, &tm);
    char text[96];
    (void)std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
    return text;
}

std::string path(Monitor const& monitor, char const* name)
{
    return monitor.flags.dir + "/" + name;
}

bool write_file_atomic(std::string const& target, std::string const& content)
{
    std::string const temp = target + ".tmp";
    int const fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return false;
    }
    bool ok = lumos::posix::write_all(fd, content.data(), content.size());
    ok = ::close(fd) == 0 && ok;
    return ok && ::rename(temp.c_str(), target.c_str()) == 0;
}

void reply(int fd, std::string const& line)
{
    std::string const text = line + "\n";
    (void)lumos::posix::write_all(fd, text.data(), text.size());
}

void reply_all(std::vector<int>& waiters, std::string const& line)
{
    for (int fd : waiters) {
        reply(fd, line);
        ::close(fd);
    }
    waiters.clear();
}

void write_status(Monitor const& monitor)
{
    protocol::Status status;
    status.pid = monitor.zone.init_pid;
    status.pid_start = monitor.zone.init_start;
    status.boot_timestamp = monitor.zone.boot_timestamp;
    status.monitor_pid = ::getpid();
    status.provisioning = monitor.zone.provisioning;
    if (!write_file_atomic(path(monitor, protocol::STATUS_FILE), protocol::format_status(status))) {
        log("cannot write status: " + std::string(std::strerror(errno)));
    }
}

int listen_unix(std::string const& socket_path)
{
    ::unlink(socket_path.c_str());
    int const fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    struct sockaddr_un address { };
    address.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof address.sun_path) {
        ::close(fd);
        errno = ENAMETOOLONG;
        return -1;
    }
    std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
    if (::bind(fd, reinterpret_cast<struct sockaddr*>(&address), sizeof address) < 0
        || ::chmod(socket_path.c_str(), 0600) < 0 || ::listen(fd, 16) < 0) {
        int const saved = errno;
        ::close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int connect_unix(std::string const& socket_path, Blocking blocking)
{
    struct sockaddr_un address { };
    address.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof address.sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
    int const fd = ::socket(
        AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (blocking == Blocking::No ? SOCK_NONBLOCK : 0), 0);
    if (fd < 0) {
        return -1;
    }
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
    if (::connect(fd, reinterpret_cast<struct sockaddr*>(&address), sizeof address) != 0) {
        int const saved = errno;
        ::close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int receive_fd(int connection)
{
    // The message (runc's container state with a seccomp listener) may be longer: only its
    // first bytes carry the descriptor, the rest is discarded with the connection.
    std::array<char, 4096> data {};
    struct iovec iov {
        data.data(), data.size()
    };
    union {
        char buffer[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control {};
    struct msghdr message { };
    message.msg_iov = &iov;
    message.msg_iovlen = 1;
    message.msg_control = control.buffer;
    message.msg_controllen = sizeof control.buffer;
    if (::recvmsg(connection, &message, MSG_CMSG_CLOEXEC) < 0) {
        return -1;
    }
    struct cmsghdr* header = CMSG_FIRSTHDR(&message);
    if (header == nullptr || header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS
        || header->cmsg_len != CMSG_LEN(sizeof(int))) {
        return -1;
    }
    int fd = -1;
    std::memcpy(&fd, CMSG_DATA(header), sizeof fd);
    return fd;
}

int spawn(Monitor const& monitor, std::vector<std::string> const& argv, std::string const& output,
    Output mode)
{
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (auto const& arg : argv) {
        // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): execv writes none of them
        args.push_back(const_cast<char*>(arg.c_str()));
    }
    args.push_back(nullptr);
    pid_t const pid = ::fork();
    if (pid != 0) {
        return pid;
    }
    ::sigprocmask(SIG_UNBLOCK, &monitor.blocked, nullptr);
    int const null = ::open("/dev/null", O_RDWR);
    int const out = ::open(
        output.c_str(), O_WRONLY | O_CREAT | (mode == Output::Append ? O_APPEND : O_TRUNC), 0644);
    ::dup2(null, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(out, STDERR_FILENO);
    ::execv(args[0], args.data());
    ::_exit(127);
}

int run_and_wait(
    Monitor const& monitor, std::vector<std::string> const& argv, std::string const& output)
{
    pid_t const pid = spawn(monitor, argv, output, Output::Append);
    if (pid < 0) {
        return -1;
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return -1;
        }
    }
    return status;
}

std::vector<std::string> oci_runtime_argv(Monitor const& monitor, std::vector<std::string> args)
{
    std::vector<std::string> argv { monitor.flags.oci_runtime, "--root",
        monitor.flags.oci_runtime_root };
    argv.insert(
        argv.end(), std::make_move_iterator(args.begin()), std::make_move_iterator(args.end()));
    return argv;
}

} // namespace lumos_zoned
