// SPDX-License-Identifier: MPL-2.0
// kvm and bhyve guests (--qemu): the monitor runs QEMU as its child, as SmartOS's zoneadmd runs
// qemu in the VM's zone. The host wrote QEMU's command line (runtime/qemu_plan.hpp) to the argv
// file; the monitor starts it in the VM's cgroups without any capability, holds a QMP connection
// of its own (--qmp: events, system_powerdown, quit) and relays the first serial port (--serial)
// as an OS zone's console. QEMU is the guest's "init": its pid is in the status file, its exit
// is the guest's. A monitor that replaces a killed one follows QEMU by pidfd and connects to both
// sockets again (QEMU's socket servers take a new client once the old one is gone).
#include "base/posix_util.hpp"
#include "cmd/lumos-zoned/monitor.hpp"

#include <cerrno>
#include <climits>
#include <cstring>
#include <string_view>

#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace lumos_zoned {

namespace {

constexpr long long QMP_CONNECT_MS = 30000;
constexpr long long QMP_REPLY_MS = 10000;
constexpr size_t QMP_LINE_MAX = 1 << 20;

// The argv file: NUL-terminated words.
bool read_argv(std::string const& file, std::vector<std::string>& argv)
{
    auto content = lumos::posix::read_small_file(file);
    if (!content || content->empty() || content->back() != '\0') {
        return false;
    }
    size_t start = 0;
    while (start < content->size()) {
        size_t const end = content->find('\0', start);
        argv.emplace_back(content->substr(start, end - start));
        start = end + 1;
    }
    return !argv.empty() && !argv[0].empty() && argv[0][0] == '/';
}

// In the child, before exec: every capability gone for good (the bounding set too, so that
// exec as root gains none back), no new privileges.
bool drop_privileges()
{
    for (int cap = 0; cap <= 63; ++cap) {
        if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
            return false;
        }
    }
    (void)::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    struct __user_cap_header_struct header {
        _LINUX_CAPABILITY_VERSION_3, 0
    };
    struct __user_cap_data_struct data[2] {};
    if (::syscall(SYS_capset, &header, data) != 0) {
        return false;
    }
    return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0;
}

// A mount point for source at target (its parents made): a directory for a directory, else an
// empty file.
bool make_mount_point(std::string const& source, std::string const& target)
{
    for (size_t slash = target.find('/', 1); slash != std::string::npos;
         slash = target.find('/', slash + 1)) {
        if (::mkdir(target.substr(0, slash).c_str(), 0755) != 0 && errno != EEXIST) {
            return false;
        }
    }
    struct stat st { };
    if (::stat(source.c_str(), &st) != 0) {
        return false;
    }
    if (S_ISDIR(st.st_mode)) {
        return ::mkdir(target.c_str(), 0755) == 0 || errno == EEXIST;
    }
    int const fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        return false;
    }
    ::close(fd);
    return true;
}

bool bind_path(std::string const& root, std::string const& source, bool read_only)
{
    std::string const target = root + source;
    if (!make_mount_point(source, target)
        || ::mount(source.c_str(), target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
        return false;
    }
    return !read_only
        || ::mount(nullptr, target.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID,
               nullptr)
        == 0;
}

// QEMU sees only what it needs, as SmartOS's QEMU sees only its zone: a mount namespace whose
// root is a small tmpfs holding, at their own paths, the host's programs (/usr read-only, the
// top-level links into it), the loader's cache, the device nodes QEMU opens, /proc, and the
// --qemu-bind paths (the zone root, the VM's volumes). false (errno set, what in `what`) when a
// step fails: QEMU then does not run.
bool confine(Monitor const& monitor, std::string& what)
{
    std::string const root = path(monitor, "qemu-root");
    (void)::mkdir(root.c_str(), 0700);
    if (::unshare(CLONE_NEWNS) != 0) {
        what = "unshare";
        return false;
    }
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0
        || ::mount("lumos-qemu", root.c_str(), "tmpfs", MS_NOSUID, "mode=0755,size=1m") != 0) {
        what = "mount " + root;
        return false;
    }
    for (char const* top : { "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32" }) {
        char target[PATH_MAX];
        ssize_t const n = ::readlink(top, target, sizeof target - 1);
        if (n > 0) {
            target[n] = '\0';
            if (::symlink(target, (root + top).c_str()) != 0) {
                what = std::string("link ") + top;
                return false;
            }
        } else if (::access(top, F_OK) == 0 && !bind_path(root, top, true)) {
            what = std::string("bind ") + top;
            return false;
        }
    }
    if (!bind_path(root, "/usr", true)) {
        what = "bind /usr";
        return false;
    }
    for (char const* optional : { "/etc/ld.so.cache", "/dev/kvm", "/dev/net/tun" }) {
        if (::access(optional, F_OK) == 0
            && !bind_path(root, optional, std::string(optional) == "/etc/ld.so.cache")) {
            what = std::string("bind ") + optional;
            return false;
        }
    }
    for (char const* device :
        { "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom" }) {
        if (!bind_path(root, device, false)) {
            what = std::string("bind ") + device;
            return false;
        }
    }
    for (auto const& shared : monitor.flags.qemu_binds) {
        if (!bind_path(root, shared, false)) {
            what = "bind " + shared;
            return false;
        }
    }
    std::string const proc = root + "/proc";
    if (::mkdir(proc.c_str(), 0555) != 0
        || ::mount("proc", proc.c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
        what = "mount /proc";
        return false;
    }
    std::string const old = root + "/.old";
    if (::mkdir(old.c_str(), 0700) != 0 || ::syscall(SYS_pivot_root, root.c_str(), old.c_str()) != 0
        || ::chdir("/") != 0 || ::umount2("/.old", MNT_DETACH) != 0 || ::rmdir("/.old") != 0) {
        what = "pivot_root";
        return false;
    }
    return true;
}

[[noreturn]] void exec_qemu(Monitor const& monitor, std::vector<std::string> const& argv)
{
    ::sigprocmask(SIG_UNBLOCK, &monitor.blocked, nullptr);
    std::string const pid = std::to_string(::getpid()) + "\n";
    for (auto const& procs : monitor.flags.cgroups) {
        int const fd = ::open(procs.c_str(), O_WRONLY | O_CLOEXEC);
        if (fd < 0 || !lumos::posix::write_all(fd, pid.data(), pid.size())) {
            (void)std::fprintf(
                stderr, "lumos-zoned: cannot join %s: %s\n", procs.c_str(), std::strerror(errno));
            ::_exit(126);
        }
        ::close(fd);
    }
    int const null = ::open("/dev/null", O_RDWR);
    int const out = ::open(monitor.flags.qemu_log.c_str(),
        O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (null < 0 || out < 0) {
        ::_exit(126);
    }
    ::dup2(null, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(out, STDERR_FILENO);
    // No descriptor of the monitor's but stdio reaches QEMU.
    for (int fd = STDERR_FILENO + 1; fd < 1024; ++fd) {
        ::close(fd);
    }
    if (std::string what; !confine(monitor, what)) {
        (void)std::fprintf(stderr, "lumos-zoned: cannot confine QEMU (%s): %s\n", what.c_str(),
            std::strerror(errno));
        ::_exit(126);
    }
    if (!drop_privileges()) {
        (void)std::fprintf(
            stderr, "lumos-zoned: cannot drop privileges: %s\n", std::strerror(errno));
        ::_exit(126);
    }
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (auto const& arg : argv) {
        // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): execv writes none of them
        args.push_back(const_cast<char*>(arg.c_str()));
    }
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    (void)std::fprintf(stderr, "lumos-zoned: cannot run %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
}

// Whether QEMU still runs (not reaped: our child, or followed by pidfd).
bool qemu_alive(Monitor const& monitor)
{
    int const pid = monitor.zone.init_pid;
    if (pid <= 0) {
        return false;
    }
    if (monitor.zone.pidfd >= 0) {
        struct pollfd poll_fd {
            monitor.zone.pidfd, POLLIN, 0
        };
        return ::poll(&poll_fd, 1, 0) == 0;
    }
    siginfo_t info {};
    return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0
        && info.si_pid == 0;
}

// Connects to a socket QEMU listens on, retrying while QEMU starts.
int connect_when_listening(Monitor const& monitor, std::string const& socket_path)
{
    long long const deadline = monotonic_ms() + QMP_CONNECT_MS;
    for (;;) {
        int const fd = connect_unix(socket_path);
        if (fd >= 0) {
            return fd;
        }
        if (monotonic_ms() >= deadline || !qemu_alive(monitor)) {
            return -1;
        }
        ::usleep(10000);
    }
}

// The value of a top-level string member of a QMP message ("event": "SHUTDOWN"), or "" when it
// has none. QMP messages are one JSON object per line, written by QEMU (strings within escape
// their quotes and braces do not count inside them).
std::string top_level_string(std::string_view line, std::string_view key)
{
    int depth = 0;
    bool in_string = false;
    bool escaped = false;
    size_t string_start = 0;
    std::string_view last_key;
    bool expect_value = false;
    for (size_t i = 0; i < line.size(); ++i) {
        char const c = line[i];
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
                std::string_view const text = line.substr(string_start, i - string_start);
                if (depth == 1 && expect_value) {
                    if (last_key == key) {
                        return std::string(text);
                    }
                    expect_value = false;
                } else if (depth == 1) {
                    last_key = text;
                }
            }
            continue;
        }
        switch (c) {
        case '"':
            in_string = true;
            string_start = i + 1;
            break;
        case '{':
        case '[':
            ++depth;
            expect_value = false;
            break;
        case '}':
        case ']':
            --depth;
            break;
        case ':':
            expect_value = depth == 1;
            break;
        case ',':
            expect_value = false;
            break;
        default:
            break;
        }
    }
    return {};
}

bool has_top_level_key(std::string_view line, std::string_view key)
{
    // A top-level key is followed by ':' at depth 1; its value may be an object.
    int depth = 0;
    bool in_string = false;
    bool escaped = false;
    size_t string_start = 0;
    for (size_t i = 0; i < line.size(); ++i) {
        char const c = line[i];
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
                if (depth == 1 && line.substr(string_start, i - string_start) == key) {
                    size_t j = i + 1;
                    while (j < line.size() && line[j] == ' ') {
                        ++j;
                    }
                    if (j < line.size() && line[j] == ':') {
                        return true;
                    }
                }
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
            string_start = i + 1;
        } else if (c == '{' || c == '[') {
            ++depth;
        } else if (c == '}' || c == ']') {
            --depth;
        }
    }
    return false;
}

void handle_qmp_line(Monitor& monitor, std::string const& line)
{
    std::string const event = top_level_string(line, "event");
    if (event == "SHUTDOWN") {
        monitor.zone.shutdown_event = true;
    }
    if (!event.empty()) {
        // SHUTDOWN (the guest powered off, or quit), RESET (the guest rebooted: it stays
        // running), POWERDOWN (our ACPI request), STOP/RESUME...
        log("qemu event " + event);
    } else if (has_top_level_key(line, "error")) {
        log("qemu error: " + line.substr(0, 512));
    }
}

// Reads one QMP line within the deadline; false when QEMU went away or is silent.
bool read_qmp_line(Monitor& monitor, std::string& line, long long deadline)
{
    auto& zone = monitor.zone;
    for (;;) {
        size_t const newline = zone.qmp_buffer.find('\n');
        if (newline != std::string::npos) {
            line = zone.qmp_buffer.substr(0, newline);
            zone.qmp_buffer.erase(0, newline + 1);
            return true;
        }
        long long const left = deadline - monotonic_ms();
        struct pollfd poll_fd {
            zone.qmp, POLLIN, 0
        };
        if (left <= 0 || ::poll(&poll_fd, 1, static_cast<int>(left)) <= 0) {
            return false;
        }
        char buffer[4096];
        ssize_t const n = ::read(zone.qmp, buffer, sizeof buffer);
        if (n <= 0 || zone.qmp_buffer.size() + static_cast<size_t>(n) > QMP_LINE_MAX) {
            return false;
        }
        zone.qmp_buffer.append(buffer, static_cast<size_t>(n));
    }
}

// Sends a command and waits for its reply (events on the way are handled); the reply line, or
// "" when none came.
std::string qmp_command(Monitor& monitor, std::string const& command)
{
    auto& zone = monitor.zone;
    if (zone.qmp < 0) {
        return {};
    }
    std::string const message = command + "\n";
    if (!lumos::posix::write_all(zone.qmp, message.data(), message.size())) {
        return {};
    }
    long long const deadline = monotonic_ms() + QMP_REPLY_MS;
    std::string line;
    while (read_qmp_line(monitor, line, deadline)) {
        if (has_top_level_key(line, "return") || has_top_level_key(line, "error")) {
            return line;
        }
        handle_qmp_line(monitor, line);
    }
    return {};
}

// The QMP greeting, then capabilities negotiation; false (error set) when QEMU does not speak.
bool open_qmp(Monitor& monitor, std::string& error)
{
    auto& zone = monitor.zone;
    zone.qmp = connect_when_listening(monitor, monitor.flags.qmp);
    if (zone.qmp < 0) {
        error = "QEMU did not open its QMP socket " + monitor.flags.qmp;
        return false;
    }
    zone.qmp_buffer.clear();
    std::string greeting;
    if (!read_qmp_line(monitor, greeting, monotonic_ms() + QMP_REPLY_MS)
        || !has_top_level_key(greeting, "QMP")) {
        error = "QEMU's QMP socket did not greet";
        return false;
    }
    std::string const reply = qmp_command(monitor, R"({"execute": "qmp_capabilities"})");
    if (!has_top_level_key(reply, "return")) {
        error = "QEMU refused QMP capabilities negotiation";
        return false;
    }
    return true;
}

// The serial console: a client of QEMU's first serial port.
void open_serial(Monitor& monitor)
{
    auto& zone = monitor.zone;
    int const fd = connect_when_listening(monitor, monitor.flags.serial);
    if (fd < 0) {
        log("no console: cannot connect to " + monitor.flags.serial + ": " + std::strerror(errno));
        return;
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    zone.pty = fd;
}

// As VM.js's markProvisionedWhenHWSetup: <zone root>/var/svc/provisioning becomes
// provision_success (when there is one), reached without following a link on the way (QEMU may
// write in the zone root).
void mark_provisioned(Monitor const& monitor)
{
    std::string const zone_root = monitor.flags.zonepath + "/root";
    int dir = ::open(zone_root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    for (char const* component : { "var", "svc" }) {
        if (dir < 0) {
            return;
        }
        int const next = ::openat(dir, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        ::close(dir);
        dir = next;
    }
    if (dir < 0) {
        return;
    }
    if (::renameat(dir, "provisioning", dir, "provision_success") != 0 && errno != ENOENT) {
        log("cannot rename /var/svc/provisioning: " + std::string(std::strerror(errno)));
    }
    ::close(dir);
}

// SmartOS's hwsetup: QEMU built the machine and it runs (not that the guest booted).
void check_hwsetup(Monitor& monitor)
{
    auto& zone = monitor.zone;
    if (zone.provisioning != protocol::Provisioning::Waiting) {
        return;
    }
    std::string const reply = qmp_command(monitor, R"({"execute": "query-status"})");
    if (reply.find("\"running\": true") != std::string::npos) {
        log("provisioning complete (QEMU runs the machine)");
        mark_provisioned(monitor);
        zone.provisioning = protocol::Provisioning::Success;
        (void)write_file_atomic(path(monitor, protocol::PROVISION_FILE),
            std::string(protocol::to_string(zone.provisioning)) + "\n");
        reply_all(zone.provision_waiters, std::string(protocol::to_string(zone.provisioning)));
    }
}

void kill_child(Monitor& monitor, int pid)
{
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    monitor.zone.init_pid = -1;
}

} // namespace

bool boot_qemu(Monitor& monitor, std::string& error)
{
    auto& zone = monitor.zone;
    std::vector<std::string> argv;
    if (!read_argv(monitor.flags.qemu, argv)) {
        error = "no QEMU command line in " + monitor.flags.qemu;
        return false;
    }
    // Sockets of an earlier boot: QEMU makes them anew, and a stale one would be connected to.
    for (auto const* socket_path : { &monitor.flags.qmp, &monitor.flags.serial }) {
        ::unlink(socket_path->c_str());
    }
    pid_t const pid = ::fork();
    if (pid < 0) {
        error = std::string("fork: ") + std::strerror(errno);
        return false;
    }
    if (pid == 0) {
        exec_qemu(monitor, argv);
    }
    zone.init_pid = pid;
    zone.init_start = lumos::posix::proc_start_time(pid).value_or(0);
    if (!open_qmp(monitor, error)) {
        // QEMU's own words say why (a bad option, a missing disk): the last line of its log.
        std::string const output
            = lumos::posix::read_small_file(monitor.flags.qemu_log).value_or(std::string());
        std::string last = output;
        while (!last.empty() && (last.back() == '\n' || last.back() == ' ')) {
            last.pop_back();
        }
        if (size_t const newline = last.rfind('\n'); newline != std::string::npos) {
            last = last.substr(newline + 1);
        }
        if (!last.empty()) {
            error = last;
        }
        close_qemu(monitor);
        kill_child(monitor, pid);
        return false;
    }
    open_serial(monitor);
    zone.boot_timestamp = iso(now_ms());
    zone.boot_monotonic = monotonic_ms();
    zone.stop_requested = false;
    zone.reboot_requested = false;
    zone.kill_deadline = 0;
    zone.signal_sent = 0;
    zone.quit_sent = false;
    zone.shutdown_event = false;
    write_status(monitor);
    log("qemu started, pid " + std::to_string(pid));
    check_hwsetup(monitor);
    write_status(monitor);
    return true;
}

bool attach_qemu(Monitor& monitor, std::string& error)
{
    if (!open_qmp(monitor, error)) {
        close_qemu(monitor);
        return false;
    }
    open_serial(monitor);
    check_hwsetup(monitor);
    write_status(monitor);
    return true;
}

void qmp_input(Monitor& monitor)
{
    auto& zone = monitor.zone;
    char buffer[4096];
    ssize_t const n = ::read(zone.qmp, buffer, sizeof buffer);
    if (n <= 0) {
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            return;
        }
        ::close(zone.qmp); // QEMU is going away; its exit follows
        zone.qmp = -1;
        return;
    }
    zone.qmp_buffer.append(buffer, static_cast<size_t>(n));
    for (size_t newline = zone.qmp_buffer.find('\n'); newline != std::string::npos;
         newline = zone.qmp_buffer.find('\n')) {
        std::string const line = zone.qmp_buffer.substr(0, newline);
        zone.qmp_buffer.erase(0, newline + 1);
        handle_qmp_line(monitor, line);
    }
    if (zone.qmp_buffer.size() > QMP_LINE_MAX) {
        zone.qmp_buffer.clear();
    }
}

void qemu_powerdown(Monitor& monitor)
{
    std::string const reply = qmp_command(monitor, R"({"execute": "system_powerdown"})");
    if (!has_top_level_key(reply, "return")) {
        log("system_powerdown failed: " + (reply.empty() ? std::string("no reply") : reply));
    }
}

bool qemu_quit(Monitor& monitor)
{
    if (monitor.zone.quit_sent) {
        return false;
    }
    monitor.zone.quit_sent = true;
    return has_top_level_key(qmp_command(monitor, R"({"execute": "quit"})"), "return");
}

void close_qemu(Monitor& monitor)
{
    auto& zone = monitor.zone;
    if (zone.qmp >= 0) {
        ::close(zone.qmp);
        zone.qmp = -1;
    }
    zone.qmp_buffer.clear();
    close_console(monitor);
}

} // namespace lumos_zoned
