// SPDX-License-Identifier: MPL-2.0
#include "runtime/monitor.hpp"

#include "base/child_process.hpp"
#include "base/file.hpp"
#include "base/posix_util.hpp"
#include "runtime/monitor_protocol.hpp"
#include "sys/host_probe.hpp"

#include <cerrno>
#include <climits>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

namespace lumos::runtime {

namespace {

bool executable(std::string const& path)
{
    return ::access(path.c_str(), X_OK) == 0;
}

namespace protocol = monitor_protocol;

// Reads one line (without its newline) within the timeout; nullopt timeout: no limit.
Result<std::string> read_line(
    int fd, std::optional<std::chrono::milliseconds> timeout, std::string const& what)
{
    std::string line;
    auto const deadline
        = std::chrono::steady_clock::now() + timeout.value_or(std::chrono::milliseconds(0));
    for (;;) {
        int wait = -1;
        if (timeout) {
            auto const left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) {
                return make_error(ErrorCode::Timeout, "no answer from " + what);
            }
            wait = static_cast<int>(left.count());
        }
        struct pollfd poll_fd {
            fd, POLLIN, 0
        };
        int const ready = ::poll(&poll_fd, 1, wait);
        if (ready < 0 && errno == EINTR) {
            continue;
        }
        if (ready <= 0) {
            continue;
        }
        char c = 0;
        ssize_t const n = ::read(fd, &c, 1);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            if (line.empty()) {
                return make_error(ErrorCode::System, what + " ended without an answer");
            }
            return line;
        }
        if (c == '\n') {
            return line;
        }
        line += c;
    }
}

} // namespace

Result<Helpers> find_helpers(sys::HostFeatures const& features)
{
    Helpers helpers;
    std::vector<std::string> dirs;
    if (char const* libexec = std::getenv("LUMOS_LIBEXEC_DIR");
        libexec != nullptr && *libexec != '\0') {
        dirs.emplace_back(libexec);
    }
    std::string const self = executable_dir();
    dirs.push_back(self + "/../lib/lumos");
    // The libexec directories first, then the build tree: src/cmd/<build dir>/<program>, the
    // build dir being the program's own unless named.
    auto find
        = [&](std::string& found, std::string const& program, std::string const& build_dir = {}) {
              for (auto const& dir : dirs) {
                  if (executable(dir + "/" + program)) {
                      found = dir + "/" + program;
                      return;
                  }
              }
              std::string const built
                  = self + "/../" + (build_dir.empty() ? program : build_dir) + "/" + program;
              if (executable(built)) {
                  found = built;
              }
          };
    find(helpers.zoned, "lumos-zoned");
    find(helpers.zinit, "zinit");
    find(helpers.netdown, "lumos-netdown");
    find(helpers.dhcp_event, "lumos-dhcp-event");
    find(helpers.metadata, "lumos-metadata");
    find(helpers.mdata_execute, "mdata-execute", "zinit");
    for (char const* client : { "mdata-get", "mdata-put", "mdata-list", "mdata-delete" }) {
        std::string found;
        find(found, client, "mdata");
        // Installed, they are beside this program (sbin: the host's tools too).
        if (found.empty() && executable(self + "/" + client)) {
            found = self + "/" + client;
        }
        if (found.empty()) {
            helpers.mdata_clients.clear();
            break;
        }
        helpers.mdata_clients.push_back(found);
    }
    // The OCI runtime the host probe proved works here, crun before runc; LUMOS_RUNC names
    // another runc-compatible one.
    if (char const* runc = std::getenv("LUMOS_RUNC");
        runc != nullptr && *runc != '\0' && executable(runc)) {
        helpers.oci_runtime = runc;
    } else if (auto const* runtime = features.oci_runtime()) {
        helpers.oci_runtime = runtime->path;
    } else {
        std::string why;
        for (auto const& candidate : features.oci_runtimes) {
            why += (why.empty() ? "" : "; ") + candidate.name + ": " + candidate.reason;
        }
        return make_error(ErrorCode::Unsupported,
            "no OCI runtime works on this host (" + (why.empty() ? "none probed" : why) + ")");
    }
    if (helpers.zoned.empty() || helpers.zinit.empty()) {
        return make_error(ErrorCode::Unsupported,
            "lumos-zoned and zinit are not installed next to this program (lib/lumos)");
    }
    return helpers;
}

ZoneMonitor::ZoneMonitor(std::string run_dir, std::string uuid)
    : m_dir(std::move(run_dir))
    , m_uuid(std::move(uuid))
{
}

std::optional<ZoneStatus> ZoneMonitor::status() const
{
    auto text = read_file(m_dir + "/" + protocol::STATUS_FILE);
    if (!text) {
        return std::nullopt;
    }
    auto const parsed = protocol::parse_status(*text);
    // A zombie init has exited: the zone is ending (its monitor reaps it), not running.
    if (!parsed || posix::running_proc_start_time(parsed->pid) != parsed->pid_start) {
        return std::nullopt; // init is gone (a monitor that died did not clean up)
    }
    ZoneStatus status;
    status.pid = parsed->pid;
    status.boot_timestamp = parsed->boot_timestamp;
    status.provisioning = parsed->provisioning;
    // The monitor holds its lock exclusively while it lives.
    UniqueFd lock(::open((m_dir + "/" + protocol::LOCK_FILE).c_str(), O_RDONLY | O_CLOEXEC));
    status.monitored = lock.valid() && ::flock(lock.get(), LOCK_SH | LOCK_NB) != 0;
    return status;
}

std::string ZoneMonitor::provision_outcome() const
{
    auto text = read_file(m_dir + "/" + protocol::PROVISION_FILE);
    if (!text) {
        return {};
    }
    std::string outcome = *text;
    while (!outcome.empty() && outcome.back() == '\n') {
        outcome.pop_back();
    }
    return outcome;
}

std::optional<std::string> ZoneMonitor::oci_runtime() const
{
    // One line naming a program; anything else (a truncated or corrupt file) is no record, and
    // the caller uses the runtime the host probe chose.
    auto text = read_file_bounded(m_dir + "/" + protocol::OCI_RUNTIME_FILE, PATH_MAX);
    if (!text) {
        return std::nullopt;
    }
    std::string path = text->substr(0, text->find('\n'));
    struct stat info { };
    if (!path.starts_with('/') || path.find('\0') != std::string::npos
        || ::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode) || !executable(path)) {
        return std::nullopt;
    }
    return path;
}

Result<void> ZoneMonitor::launch(Launch const& launch) const
{
    TRY(make_directories(m_dir, 0700));
    protocol::LaunchFlags flags;
    flags.id = m_uuid;
    flags.dir = m_dir;
    flags.oci_runtime = launch.helpers.oci_runtime;
    flags.oci_runtime_root = launch.oci_runtime_root;
    flags.zonepath = launch.zonepath;
    flags.attach = launch.attach;
    flags.restart_init = launch.restart_init;
    flags.provision_timeout_ms = launch.provision_timeout_ms;
    flags.ready_fd = 3;
    flags.stop_signal = launch.stop_signal;
    flags.stop_command = launch.stop_command;
    flags.netdown = launch.netdown;
    flags.metadata = launch.helpers.metadata;
    flags.dhcp = launch.dhcp;
    flags.dhcp_event = launch.dhcp.empty() ? std::string() : launch.helpers.dhcp_event;
    flags.dhcp_resolv = launch.dhcp_resolv;
    flags.dhcp_hostname = launch.dhcp_hostname;
    flags.lx_uname = launch.lx_uname_release.has_value();
    flags.lx_uname_release = launch.lx_uname_release.value_or("");
    if (launch.qemu) {
        flags.oci_runtime.clear();
        flags.oci_runtime_root.clear();
        flags.qemu = launch.qemu->argv_file;
        flags.qmp = launch.qemu->qmp;
        flags.serial = launch.qemu->serial;
        flags.qemu_log = launch.qemu->log;
        flags.cgroups = launch.qemu->cgroups;
        flags.qemu_binds = launch.qemu->binds;
        flags.display_listen = launch.qemu->display_listen;
        flags.display_socket = launch.qemu->display_socket;
        flags.display_protocol = launch.qemu->display_protocol;
    }
    if (!flags.dhcp.empty() && flags.dhcp_event.empty()) {
        return make_error(ErrorCode::Unsupported,
            "lumos-dhcp-event is not installed next to this program (lib/lumos)");
    }
    std::vector<std::string> args { launch.helpers.zoned };
    for (auto& arg : protocol::format_flags(flags)) {
        args.push_back(std::move(arg));
    }
    std::string const log = m_dir + "/" + protocol::MONITOR_LOG;
    UniqueFd out(::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
        return tl::unexpected(Error::from_errno("pipe", errno));
    }
    UniqueFd read_end(pipe_fds[0]);
    UniqueFd write_end(pipe_fds[1]);
    // Detached: a session of its own, re-parented away from vmadm at once, holding none of
    // vmadm's descriptors (its locks above all); fd 3 says "booted" or why not.
    SpawnOptions options(std::move(args));
    options.stdio[STDIN_FILENO] = Stdio::null();
    options.stdio[STDOUT_FILENO] = out.valid() ? Stdio::fd(out.get()) : Stdio::null();
    options.stdio[STDERR_FILENO] = out.valid() ? Stdio::fd(out.get()) : Stdio::null();
    options.stdio[3] = Stdio::fd(write_end.get());
    options.close_other_fds = true;
    options.reset_signals = true;
    auto started = ChildProcess::spawn_detached(options);
    write_end = UniqueFd();
    out = UniqueFd();
    // A monitor that cannot be executed says nothing on fd 3: reported below, with its log.
    if (!started && started.error().code() != ErrorCode::Unsupported) {
        return tl::unexpected(started.error());
    }
    auto line = read_line(read_end.get(), std::chrono::seconds(90), "the zone's monitor");
    if (!line) {
        std::string reason = line.error().message();
        if (auto text = read_file(log)) {
            size_t const end = text->find_last_not_of('\n');
            if (end != std::string::npos) {
                size_t const begin = text->rfind('\n', end);
                reason += " ("
                    + text->substr(begin == std::string::npos ? 0 : begin + 1,
                        end - (begin == std::string::npos ? 0 : begin + 1) + 1)
                    + ")";
            }
        }
        return make_error(ErrorCode::System, reason);
    }
    auto const reply = protocol::parse_reply(*line);
    if (reply.ok) {
        return {};
    }
    return make_error(ErrorCode::System, reply.text);
}

Result<UniqueFd> ZoneMonitor::connect() const
{
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd.valid()) {
        return tl::unexpected(Error::from_errno("socket", errno));
    }
    std::string const path = m_dir + "/" + protocol::CONTROL_SOCKET;
    struct sockaddr_un address { };
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof address.sun_path) {
        return make_error(ErrorCode::System, "socket path too long: " + path);
    }
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    if (::connect(fd.get(), reinterpret_cast<struct sockaddr*>(&address), sizeof address) != 0) {
        return tl::unexpected(Error::from_errno("cannot reach the zone's monitor", errno));
    }
    return fd;
}

Result<std::string> ZoneMonitor::request(
    protocol::Request const& request, std::optional<std::chrono::milliseconds> timeout) const
{
    TRY_ASSIGN(fd, connect());
    std::string const text = protocol::format_request(request) + "\n";
    if (!write_fully(fd.get(), text.data(), text.size())) {
        return tl::unexpected(Error::from_errno("cannot reach the zone's monitor", errno));
    }
    return read_line(fd.get(), timeout, "the zone's monitor");
}

Result<UniqueFd> ZoneMonitor::console() const
{
    TRY_ASSIGN(fd, connect());
    std::string const text = protocol::format_request({ .verb = protocol::Verb::Console }) + "\n";
    if (!write_fully(fd.get(), text.data(), text.size())) {
        return tl::unexpected(Error::from_errno("cannot reach the zone's monitor", errno));
    }
    TRY_ASSIGN(line, read_line(fd.get(), std::chrono::seconds(10), "the zone's monitor"));
    if (line != protocol::REPLY_OK) {
        return make_error(ErrorCode::Busy, protocol::parse_reply(line).text);
    }
    return fd;
}

} // namespace lumos::runtime
