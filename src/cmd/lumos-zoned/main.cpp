// SPDX-License-Identifier: MPL-2.0
// lumos-zoned: the monitor of one running OS zone, as SmartOS's zoneadmd is (DESIGN.md). vmadm
// writes the zone's OCI bundle and starts one monitor per zone, detached (its own session, no
// inherited descriptors); the monitor
//   - boots the zone with `runc run -d` while being the subreaper of everything runc leaves, so
//     the zone's init becomes its child and its wait status is exact;
//   - owns the console: runc hands it the pty master on a unix socket; the monitor drains it
//     into <dir>/console.log (capped) and relays it to one attached client (zlogin -C);
//   - writes <zonepath>/lastexited ("<epoch seconds> <wait status>", reference 7.1) whenever
//     init exits, then `runc delete --force` (processes, cgroup, runtime state);
//   - performs stop (the zone's halt command or a signal to init, then SIGKILL after the
//     timeout), halt, reboot and kill for vmadm,
//     which speaks to it on <dir>/ctl.sock, one line per request;
//   - watches the provisioning handshake (<zonepath>/root/var/svc/provisioning renamed away)
//     until its deadline, after which the zone is halted and the outcome recorded in
//     <dir>/provision ("success" or "failed");
//   - restarts init when it exits on its own and the zone has restart_init (SmartOS's default),
//     at most 10 times in a row within 10 s of booting.
// While the zone runs, <dir>/status holds its runtime facts (JSON, replaced by rename) and the
// monitor holds an exclusive flock on <dir>/monitor.lock: a lock that can be taken means no
// monitor. Killing the monitor leaves the zone running (it is not the zone's parent in any way
// the zone depends on); `lumos-zoned --attach` re-attaches a new monitor, which follows init by
// pidfd and records its exit status only when it knows it (the signal it sent), since only a
// parent can wait for a process. The console of a zone whose monitor died is gone with the pty
// master the old monitor held.
//
// Like zinit it links nothing of lumos and is linked statically: one per running zone, so it
// must stay small.
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

constexpr long long CONSOLE_LOG_MAX = 1 << 20;
constexpr int MAX_QUICK_RESTARTS = 10;

struct Options {
    std::string id;
    std::string dir;
    std::string runc;
    std::string runc_root;
    std::string zonepath;
    bool attach { false };
    bool restart_init { false };
    long long provision_timeout_ms { 0 };
    int ready_fd { -1 };
    int stop_signal { SIGTERM };
    std::string stop_command; // run in the zone for a graceful stop (lx: the distro's halt)
};

Options g_opt;

void log(std::string const& message)
{
    time_t const now = ::time(nullptr);
    char stamp[32];
    struct tm tm {};
    ::gmtime_r(&now, &tm);
    ::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    std::string const line = std::string(stamp) + " lumos-zoned[" + std::to_string(::getpid())
        + "] " + message + "\n";
    (void)!::write(STDERR_FILENO, line.data(), line.size());
}

long long now_ms()
{
    struct timespec ts {};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<long long>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

long long monotonic_ms()
{
    struct timespec ts {};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<long long>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

std::string iso(long long ms)
{
    time_t const seconds = static_cast<time_t>(ms / 1000);
    struct tm tm {};
    ::gmtime_r(&seconds, &tm);
    char text[96];
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
    return text;
}

std::string path(char const* name)
{
    return g_opt.dir + "/" + name;
}

bool write_all(int fd, char const* data, size_t size)
{
    while (size > 0) {
        ssize_t const n = ::write(fd, data, size);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        data += n;
        size -= static_cast<size_t>(n);
    }
    return true;
}

bool write_file_atomic(std::string const& target, std::string const& content)
{
    std::string const temp = target + ".tmp";
    int const fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return false;
    }
    bool ok = write_all(fd, content.data(), content.size());
    ok = ::close(fd) == 0 && ok;
    return ok && ::rename(temp.c_str(), target.c_str()) == 0;
}

std::string read_small_file(std::string const& file)
{
    std::string content;
    int const fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return content;
    }
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(fd, buffer, sizeof buffer)) > 0 && content.size() < 65536) {
        content.append(buffer, static_cast<size_t>(n));
    }
    ::close(fd);
    return content;
}

// Field 22 of /proc/<pid>/stat: the process's start time, which tells a pid from its reuse.
unsigned long long start_time(int pid)
{
    std::string const stat = read_small_file("/proc/" + std::to_string(pid) + "/stat");
    size_t const paren = stat.rfind(')');
    if (paren == std::string::npos) {
        return 0;
    }
    size_t pos = paren + 2;
    for (int field = 3; field < 22 && pos < stat.size(); ++field) {
        pos = stat.find(' ', pos);
        if (pos == std::string::npos) {
            return 0;
        }
        ++pos;
    }
    return std::strtoull(stat.c_str() + pos, nullptr, 10);
}

// The monitor's state.
struct Zone {
    int init_pid { -1 };
    unsigned long long init_start { 0 };
    int pidfd { -1 }; // attach mode: how the zone's end is seen
    int pty { -1 };
    int console_client { -1 };
    int console_log { -1 };
    long long console_log_size { 0 };
    long long pty_quiet_until { 0 }; // monotonic ms: no holder of the console's other end
    std::string boot_timestamp;
    long long boot_monotonic { 0 };
    std::string provisioning { "none" }; // none, waiting, success, failed
    long long provision_deadline { 0 }; // monotonic ms
    bool stop_requested { false };
    bool reboot_requested { false };
    long long kill_deadline { 0 }; // monotonic ms, 0: none
    int signal_sent { 0 }; // SIGKILL once this monitor sent it to init
    int quick_restarts { 0 };
    int stop_exec_pid { -1 }; // runc exec of the stop command
    std::vector<int> stop_waiters;
    std::vector<int> reboot_waiters;
    std::vector<int> provision_waiters;
};

Zone g_zone;
sigset_t g_blocked;

void reply(int fd, std::string const& line)
{
    std::string const text = line + "\n";
    (void)write_all(fd, text.data(), text.size());
}

void reply_all(std::vector<int>& waiters, std::string const& line)
{
    for (int fd : waiters) {
        reply(fd, line);
        ::close(fd);
    }
    waiters.clear();
}

void write_status()
{
    std::string const status = std::string("{\"zone_state\":\"running\",\"pid\":")
        + std::to_string(g_zone.init_pid) + ",\"pid_start\":" + std::to_string(g_zone.init_start)
        + ",\"boot_timestamp\":\"" + g_zone.boot_timestamp + "\",\"monitor_pid\":"
        + std::to_string(::getpid()) + ",\"provisioning\":\"" + g_zone.provisioning + "\"}\n";
    if (!write_file_atomic(path("status"), status)) {
        log("cannot write status: " + std::string(std::strerror(errno)));
    }
}

// Runs argv with stdin from /dev/null and stdout+stderr appended to output; returns the wait
// status, or -1 when it could not run.
int run_and_wait(std::vector<std::string> const& argv, std::string const& output)
{
    pid_t const pid = ::fork();
    if (pid < 0) {
        return -1;
    }
    if (pid == 0) {
        ::sigprocmask(SIG_UNBLOCK, &g_blocked, nullptr);
        int const null = ::open("/dev/null", O_RDONLY);
        int const out = ::open(output.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        ::dup2(null, STDIN_FILENO);
        ::dup2(out, STDOUT_FILENO);
        ::dup2(out, STDERR_FILENO);
        std::vector<char*> args;
        for (auto const& arg : argv) {
            args.push_back(const_cast<char*>(arg.c_str()));
        }
        args.push_back(nullptr);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return -1;
        }
    }
    return status;
}

int listen_unix(std::string const& socket_path)
{
    ::unlink(socket_path.c_str());
    int const fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    struct sockaddr_un address {};
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

// The pty master runc sends on the console socket (SCM_RIGHTS).
int receive_fd(int socket)
{
    char data[256];
    struct iovec iov { data, sizeof data };
    union {
        char buffer[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control {};
    struct msghdr message {};
    message.msg_iov = &iov;
    message.msg_iovlen = 1;
    message.msg_control = control.buffer;
    message.msg_controllen = sizeof control.buffer;
    if (::recvmsg(socket, &message, MSG_CMSG_CLOEXEC) < 0) {
        return -1;
    }
    struct cmsghdr* header = CMSG_FIRSTHDR(&message);
    if (header == nullptr || header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) {
        return -1;
    }
    int fd = -1;
    std::memcpy(&fd, CMSG_DATA(header), sizeof fd);
    return fd;
}

std::string last_line(std::string const& text)
{
    std::string trimmed = text;
    while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == ' ')) {
        trimmed.pop_back();
    }
    size_t const newline = trimmed.rfind('\n');
    return newline == std::string::npos ? trimmed : trimmed.substr(newline + 1);
}

// `runc run -d` of the bundle; on success the zone's init is running and is our child.
bool boot(std::string& error)
{
    std::string const console_socket = path("console.sock");
    int const listener = listen_unix(console_socket);
    if (listener < 0) {
        error = "cannot listen on " + console_socket + ": " + std::strerror(errno);
        return false;
    }
    std::string const runc_log = path("runc.log");
    ::unlink(runc_log.c_str());
    std::string const pid_file = path("init.pid");
    ::unlink(pid_file.c_str());
    pid_t const runc = ::fork();
    if (runc < 0) {
        error = std::string("fork: ") + std::strerror(errno);
        ::close(listener);
        return false;
    }
    if (runc == 0) {
        ::sigprocmask(SIG_UNBLOCK, &g_blocked, nullptr);
        int const null = ::open("/dev/null", O_RDWR);
        int const out = ::open(runc_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(null, STDIN_FILENO);
        ::dup2(out, STDOUT_FILENO);
        ::dup2(out, STDERR_FILENO);
        ::execl(g_opt.runc.c_str(), g_opt.runc.c_str(), "--root", g_opt.runc_root.c_str(), "run",
            "-d", "--console-socket", console_socket.c_str(), "--pid-file", pid_file.c_str(),
            "--bundle", g_opt.dir.c_str(), g_opt.id.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    // runc connects and sends the pty master before it starts the zone's process, then exits.
    int pty = -1;
    int runc_status = -1;
    long long const deadline = monotonic_ms() + 60000;
    while (runc_status < 0 && monotonic_ms() < deadline) {
        int status = 0;
        if (pty >= 0) {
            // Handed over: runc only starts the zone's process and exits now.
            if (::waitpid(runc, &status, 0) == runc) {
                runc_status = status;
            }
            continue;
        }
        struct pollfd poll_fd { listener, POLLIN, 0 };
        if (::poll(&poll_fd, 1, 5) > 0) {
            int const connection = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
            if (connection >= 0) {
                pty = receive_fd(connection);
                ::close(connection);
            }
        }
        if (::waitpid(runc, &status, WNOHANG) == runc) {
            runc_status = status;
        }
    }
    ::close(listener);
    ::unlink(console_socket.c_str());
    if (runc_status < 0) {
        ::kill(runc, SIGKILL);
        ::waitpid(runc, nullptr, 0);
        error = "runc did not start the zone within 60 seconds";
    } else if (!WIFEXITED(runc_status) || WEXITSTATUS(runc_status) != 0) {
        std::string const detail = last_line(read_small_file(runc_log));
        error = "runc failed" + (detail.empty() ? std::string() : ": " + detail);
    }
    if (!error.empty()) {
        if (pty >= 0) {
            ::close(pty);
        }
        (void)run_and_wait({ g_opt.runc, "--root", g_opt.runc_root, "delete", "--force", g_opt.id },
            runc_log);
        return false;
    }
    int const init_pid = std::atoi(read_small_file(pid_file).c_str());
    if (init_pid <= 0) {
        error = "runc wrote no init pid";
        if (pty >= 0) {
            ::close(pty);
        }
        return false;
    }
    g_zone.init_pid = init_pid;
    g_zone.init_start = start_time(init_pid);
    g_zone.pty = pty;
    if (pty >= 0) {
        ::fcntl(pty, F_SETFL, ::fcntl(pty, F_GETFL) | O_NONBLOCK);
    }
    g_zone.boot_timestamp = iso(now_ms());
    g_zone.boot_monotonic = monotonic_ms();
    g_zone.stop_requested = false;
    g_zone.reboot_requested = false;
    g_zone.kill_deadline = 0;
    g_zone.signal_sent = 0;
    write_status();
    log("zone booted, init pid " + std::to_string(init_pid));
    return true;
}

bool attach(std::string& error)
{
    std::string const status = read_small_file(path("status"));
    auto number = [&](char const* key) -> long long {
        std::string const needle = std::string("\"") + key + "\":";
        size_t const at = status.find(needle);
        return at == std::string::npos ? -1 : std::atoll(status.c_str() + at + needle.size());
    };
    int const pid = static_cast<int>(number("pid"));
    unsigned long long const started = static_cast<unsigned long long>(number("pid_start"));
    if (pid <= 0 || start_time(pid) != started) {
        error = "the zone is not running";
        return false;
    }
    int const pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd < 0) {
        error = std::string("pidfd_open: ") + std::strerror(errno);
        return false;
    }
    g_zone.init_pid = pid;
    g_zone.init_start = started;
    g_zone.pidfd = pidfd;
    std::string const key = "\"boot_timestamp\":\"";
    size_t const at = status.find(key);
    if (at != std::string::npos) {
        size_t const begin = at + key.size();
        g_zone.boot_timestamp = status.substr(begin, status.find('"', begin) - begin);
    }
    g_zone.boot_monotonic = monotonic_ms() - 60000; // not a quick restart candidate
    size_t const provisioning = status.find("\"provisioning\":\"waiting\"");
    if (provisioning != std::string::npos && g_opt.provision_timeout_ms > 0) {
        g_zone.provisioning = "waiting";
        g_zone.provision_deadline = monotonic_ms() + g_opt.provision_timeout_ms;
    } else if (status.find("\"provisioning\":\"success\"") != std::string::npos) {
        g_zone.provisioning = "success";
    }
    write_status();
    log("attached to running zone, init pid " + std::to_string(pid));
    return true;
}

void signal_init(int signal)
{
    // Only SIGKILL's outcome is certain (init may handle any other signal and exit as it likes).
    if (g_zone.init_pid > 0 && ::kill(g_zone.init_pid, signal) == 0 && signal == SIGKILL) {
        g_zone.signal_sent = signal;
    }
}

// A graceful stop: the zone's own halt command when it has one (lx: whatever init the image
// runs knows how to halt through it), else the stop signal to init. A halt command that cannot
// run falls back to the signal (reap()).
void request_stop()
{
    if (g_opt.stop_command.empty() || g_zone.init_pid <= 0) {
        signal_init(g_opt.stop_signal);
        return;
    }
    pid_t const pid = ::fork();
    if (pid == 0) {
        ::sigprocmask(SIG_UNBLOCK, &g_blocked, nullptr);
        int const null = ::open("/dev/null", O_RDWR);
        std::string const log_file = path("runc.log");
        int const out = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        ::dup2(null, STDIN_FILENO);
        ::dup2(out, STDOUT_FILENO);
        ::dup2(out, STDERR_FILENO);
        ::execl(g_opt.runc.c_str(), g_opt.runc.c_str(), "--root", g_opt.runc_root.c_str(), "exec",
            g_opt.id.c_str(), g_opt.stop_command.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    if (pid < 0) {
        signal_init(g_opt.stop_signal);
        return;
    }
    g_zone.stop_exec_pid = pid;
}

void close_console()
{
    if (g_zone.pty >= 0) {
        ::close(g_zone.pty);
        g_zone.pty = -1;
    }
}

[[noreturn]] void finish(int code)
{
    ::unlink(path("status").c_str());
    ::unlink(path("ctl.sock").c_str());
    reply_all(g_zone.stop_waiters, "ok");
    reply_all(g_zone.reboot_waiters, "error the zone stopped");
    reply_all(g_zone.provision_waiters, g_zone.provisioning);
    log("monitor exits");
    ::_exit(code);
}

void record_provision(std::string const& outcome)
{
    g_zone.provisioning = outcome;
    (void)write_file_atomic(path("provision"), outcome + "\n");
    write_status();
    reply_all(g_zone.provision_waiters, outcome);
}

// Init has exited (wait status known or not): record it, release the zone, then reboot,
// restart init, or end.
void zone_exited(int wait_status, bool known)
{
    if (!known && g_zone.signal_sent != 0) {
        wait_status = g_zone.signal_sent;
        known = true;
    }
    if (known) {
        struct timespec ts {};
        ::clock_gettime(CLOCK_REALTIME, &ts);
        char line[64];
        std::snprintf(line, sizeof line, "%lld.%09ld %d\n", static_cast<long long>(ts.tv_sec),
            ts.tv_nsec, wait_status);
        if (!write_file_atomic(g_opt.zonepath + "/lastexited", line)) {
            log("cannot write lastexited: " + std::string(std::strerror(errno)));
        }
    }
    log("zone init exited, wait status " + (known ? std::to_string(wait_status) : "unknown"));
    close_console();
    if (g_zone.pidfd >= 0) {
        ::close(g_zone.pidfd);
        g_zone.pidfd = -1;
    }
    g_zone.init_pid = -1;
    (void)run_and_wait({ g_opt.runc, "--root", g_opt.runc_root, "delete", "--force", g_opt.id },
        path("runc.log"));
    bool restart = false;
    if (g_zone.reboot_requested) {
        restart = true;
    } else if (g_opt.restart_init && !g_zone.stop_requested && g_zone.provisioning != "failed") {
        bool const quick = monotonic_ms() - g_zone.boot_monotonic < 10000;
        g_zone.quick_restarts = quick ? g_zone.quick_restarts + 1 : 0;
        restart = g_zone.quick_restarts < MAX_QUICK_RESTARTS;
        if (!restart) {
            log("init keeps exiting; the zone stays down");
        }
    }
    if (restart) {
        std::string error;
        if (boot(error)) {
            reply_all(g_zone.reboot_waiters, "ok");
            return;
        }
        log("reboot failed: " + error);
        reply_all(g_zone.reboot_waiters, "error " + error);
    }
    finish(0);
}

void reap()
{
    for (;;) {
        int status = 0;
        pid_t const pid = ::waitpid(-1, &status, WNOHANG);
        if (pid <= 0) {
            return;
        }
        if (pid == g_zone.stop_exec_pid) {
            g_zone.stop_exec_pid = -1;
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                log("the zone's halt command failed; sending init the stop signal");
                signal_init(g_opt.stop_signal);
            }
        }
        if (pid == g_zone.init_pid && g_zone.pidfd < 0) {
            zone_exited(status, true);
        }
    }
}

void console_output()
{
    char buffer[4096];
    for (;;) {
        ssize_t const n = ::read(g_zone.pty, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            if (n == 0 || errno != EAGAIN) {
                // EIO: nothing in the zone holds the console open right now; look again in a
                // while rather than spin on the hang-up.
                g_zone.pty_quiet_until = monotonic_ms() + 500;
            }
            return;
        }
        if (g_zone.console_log >= 0) {
            if (g_zone.console_log_size + n > CONSOLE_LOG_MAX) {
                (void)!::ftruncate(g_zone.console_log, 0);
                g_zone.console_log_size = 0;
            }
            if (write_all(g_zone.console_log, buffer, static_cast<size_t>(n))) {
                g_zone.console_log_size += n;
            }
        }
        if (g_zone.console_client >= 0
            && !write_all(g_zone.console_client, buffer, static_cast<size_t>(n))) {
            ::close(g_zone.console_client);
            g_zone.console_client = -1;
        }
    }
}

void console_input()
{
    char buffer[4096];
    ssize_t const n = ::read(g_zone.console_client, buffer, sizeof buffer);
    if (n <= 0) {
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            return;
        }
        ::close(g_zone.console_client);
        g_zone.console_client = -1;
        return;
    }
    if (g_zone.pty >= 0) {
        // The pty is non-blocking; a zone that reads nothing loses what overflows its buffer.
        size_t done = 0;
        while (done < static_cast<size_t>(n)) {
            ssize_t const w = ::write(g_zone.pty, buffer + done, static_cast<size_t>(n) - done);
            if (w <= 0) {
                break;
            }
            done += static_cast<size_t>(w);
        }
    }
}

// One request per connection: a line, then one reply line (later, for requests that wait).
void control(int listener)
{
    int const fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
        return;
    }
    std::string line;
    char c;
    long long const deadline = monotonic_ms() + 2000;
    while (line.size() < 256 && monotonic_ms() < deadline) {
        struct pollfd poll_fd { fd, POLLIN, 0 };
        if (::poll(&poll_fd, 1, 100) <= 0) {
            continue;
        }
        if (::read(fd, &c, 1) != 1 || c == '\n') {
            break;
        }
        line += c;
    }
    std::string const verb = line.substr(0, line.find(' '));
    std::string const argument = line.find(' ') == std::string::npos
        ? std::string()
        : line.substr(line.find(' ') + 1);
    if (verb == "status") {
        reply(fd, read_small_file(path("status")).empty() ? "stopped" : "running");
        ::close(fd);
    } else if (verb == "stop" || verb == "halt") {
        g_zone.stop_requested = true;
        if (verb == "halt") {
            signal_init(SIGKILL);
        } else {
            long long const timeout = argument.empty() ? 60 : std::atoll(argument.c_str());
            request_stop();
            long long const deadline_ms = monotonic_ms() + timeout * 1000;
            if (g_zone.kill_deadline == 0 || deadline_ms < g_zone.kill_deadline) {
                g_zone.kill_deadline = deadline_ms;
            }
        }
        g_zone.stop_waiters.push_back(fd);
    } else if (verb == "reboot") {
        g_zone.reboot_requested = true;
        if (argument == "force") {
            signal_init(SIGKILL);
        } else {
            request_stop();
            g_zone.kill_deadline = monotonic_ms() + 60000;
        }
        g_zone.reboot_waiters.push_back(fd);
    } else if (verb == "kill") {
        int const signal = std::atoi(argument.c_str());
        if (signal <= 0 || signal >= NSIG) {
            reply(fd, "error invalid signal");
        } else if (g_zone.init_pid <= 0 || ::kill(g_zone.init_pid, signal) != 0) {
            reply(fd, std::string("error ") + std::strerror(errno));
        } else {
            if (signal == SIGKILL) {
                g_zone.signal_sent = SIGKILL;
            }
            reply(fd, "ok");
        }
        ::close(fd);
    } else if (verb == "wait-provision") {
        if (g_zone.provisioning == "waiting") {
            g_zone.provision_waiters.push_back(fd);
        } else {
            reply(fd, g_zone.provisioning);
            ::close(fd);
        }
    } else if (verb == "console") {
        if (g_zone.pty < 0) {
            reply(fd, "error the console of this zone is not available (its monitor restarted)");
            ::close(fd);
        } else if (g_zone.console_client >= 0) {
            reply(fd, "error the console is in use");
            ::close(fd);
        } else {
            reply(fd, "ok");
            g_zone.console_client = fd;
        }
    } else {
        reply(fd, "error unknown request: " + verb);
        ::close(fd);
    }
}

void check_timers()
{
    long long const now = monotonic_ms();
    if (g_zone.provisioning == "waiting") {
        struct stat st {};
        std::string const marker = g_opt.zonepath + "/root/var/svc/provisioning";
        if (::lstat(marker.c_str(), &st) != 0 && errno == ENOENT) {
            log("provisioning complete");
            record_provision("success");
        } else if (now >= g_zone.provision_deadline) {
            log("timed out waiting for /var/svc/provisioning to move");
            record_provision("failed");
            g_zone.stop_requested = true;
            signal_init(SIGKILL);
        }
    }
    if (g_zone.kill_deadline != 0 && now >= g_zone.kill_deadline) {
        g_zone.kill_deadline = 0;
        log("stop timed out, killing init");
        signal_init(SIGKILL);
    }
}

void report_ready(std::string const& message)
{
    if (g_opt.ready_fd >= 0) {
        reply(g_opt.ready_fd, message);
        ::close(g_opt.ready_fd);
        g_opt.ready_fd = -1;
    }
}

bool parse(int argc, char** argv)
{
    for (int i = 1; i < argc; ++i) {
        std::string const arg = argv[i];
        auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : std::string(); };
        if (arg == "--id") {
            g_opt.id = value();
        } else if (arg == "--dir") {
            g_opt.dir = value();
        } else if (arg == "--runc") {
            g_opt.runc = value();
        } else if (arg == "--runc-root") {
            g_opt.runc_root = value();
        } else if (arg == "--zonepath") {
            g_opt.zonepath = value();
        } else if (arg == "--attach") {
            g_opt.attach = true;
        } else if (arg == "--restart-init") {
            g_opt.restart_init = true;
        } else if (arg == "--provision-timeout-ms") {
            g_opt.provision_timeout_ms = std::atoll(value().c_str());
        } else if (arg == "--ready-fd") {
            g_opt.ready_fd = std::atoi(value().c_str());
        } else if (arg == "--stop-signal") {
            g_opt.stop_signal = std::atoi(value().c_str());
        } else if (arg == "--stop-command") {
            g_opt.stop_command = value();
        } else {
            return false;
        }
    }
    return !g_opt.id.empty() && !g_opt.dir.empty() && !g_opt.runc.empty()
        && !g_opt.runc_root.empty() && !g_opt.zonepath.empty();
}

} // namespace

int main(int argc, char** argv)
{
    if (!parse(argc, argv)) {
        std::fprintf(stderr,
            "usage: lumos-zoned --id ID --dir RUNDIR --runc PATH --runc-root DIR --zonepath PATH "
            "[--attach] [--restart-init] [--provision-timeout-ms N] [--ready-fd N] "
            "[--stop-signal N] [--stop-command PATH]\n");
        return 2;
    }
    // One monitor per zone: the lock is held for the monitor's life.
    int const lock = ::open(path("monitor.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock < 0 || ::flock(lock, LOCK_EX | LOCK_NB) != 0) {
        report_ready("error another monitor manages this zone");
        return 1;
    }
    ::sigemptyset(&g_blocked);
    for (int signal : { SIGCHLD, SIGTERM, SIGINT, SIGHUP }) {
        ::sigaddset(&g_blocked, signal);
    }
    ::sigprocmask(SIG_BLOCK, &g_blocked, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
    int const signals = ::signalfd(-1, &g_blocked, SFD_CLOEXEC | SFD_NONBLOCK);
    // Whatever runc leaves behind (the zone's init) is re-parented to us.
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    g_zone.console_log = ::open(
        path("console.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (g_zone.console_log >= 0) {
        struct stat st {};
        if (::fstat(g_zone.console_log, &st) == 0) {
            g_zone.console_log_size = st.st_size;
        }
    }
    std::string error;
    if (!g_opt.attach) {
        ::unlink(path("provision").c_str());
        if (g_opt.provision_timeout_ms > 0) {
            g_zone.provisioning = "waiting";
            g_zone.provision_deadline = monotonic_ms() + g_opt.provision_timeout_ms;
        }
    }
    bool const up = g_opt.attach ? attach(error) : boot(error);
    if (!up) {
        log("cannot start: " + error);
        report_ready("error " + error);
        ::unlink(path("status").c_str());
        return 1;
    }
    int const listener = listen_unix(path("ctl.sock"));
    if (listener < 0) {
        log("cannot listen on ctl.sock: " + std::string(std::strerror(errno)));
    }
    report_ready("ok " + std::to_string(g_zone.init_pid));
    for (;;) {
        std::vector<struct pollfd> fds;
        fds.push_back({ signals, POLLIN, 0 });
        fds.push_back({ listener, POLLIN, 0 });
        bool const pty_quiet = g_zone.pty_quiet_until > monotonic_ms();
        fds.push_back({ pty_quiet ? -1 : g_zone.pty, POLLIN, 0 });
        fds.push_back({ g_zone.console_client, POLLIN, 0 });
        fds.push_back({ g_zone.pidfd, POLLIN, 0 });
        bool const timed = g_zone.provisioning == "waiting" || g_zone.kill_deadline != 0;
        int const ready = ::poll(fds.data(), fds.size(), timed ? 50 : pty_quiet ? 500 : -1);
        if (ready < 0 && errno != EINTR) {
            log("poll: " + std::string(std::strerror(errno)));
            ::sleep(1);
        }
        if (fds[0].revents & POLLIN) {
            struct signalfd_siginfo info {};
            while (::read(signals, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
            }
            reap();
        }
        if (fds[2].revents & (POLLIN | POLLHUP)) {
            console_output();
        }
        if (fds[3].revents & (POLLIN | POLLHUP | POLLERR)) {
            console_input();
        }
        if (fds[1].revents & POLLIN) {
            control(listener);
        }
        if (g_zone.pidfd >= 0 && (fds[4].revents & POLLIN)) {
            zone_exited(0, false);
        }
        check_timers();
    }
}
