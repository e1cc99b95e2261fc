// SPDX-License-Identifier: MPL-2.0
// The DHCP client of one zone NIC, run by the host: zones have no CAP_NET_ADMIN, so nothing
// inside may set an address. busybox udhcpc runs in the zone's network namespace only (nsenter
// --net, the host's mount namespace and files), stays in the foreground and renews; its event
// program, lumos-dhcp-event, checks each lease and applies it there (net/dhcp_lease.hpp).
//
//   nsenter --net=<netns> -- busybox udhcpc -f -i <if> -s <event program> -t 3 -T 3 -A 20
//       [-x hostname:<name>]
//
// with LUMOS_DHCP_DIR (where <if>.lease is written), LUMOS_DHCP_PRIMARY=1 for the primary NIC
// (its first router becomes the default route), LUMOS_DHCP_RESOLV (the resolv.conf to fill, when
// the VM has no static resolvers) and LUMOS_DHCP_LOG (the event program's log) added to the
// environment udhcpc passes on. udhcpc's own lines ("sending discover" every few seconds while
// no server answers) go to /dev/null: the event program logs what happened to each lease.
//
// Client owns the process: started with PR_SET_PDEATHSIG (it dies with the thread that started
// it, a SIGKILLed owner included), stopped by stop() or the destructor, restarted after it dies
// with a backoff. Its owner reaps children (lumos-zoned waits for any child) and reports each
// exit with exited().
//
// Header-only, standard library and POSIX only: lumos-zoned, which links nothing of lumos,
// runs the clients of its zone (tools/check-deps.sh's STANDALONE_OK).
#pragma once

#include "base/restart_backoff.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace lumos::net::dhcp {

inline constexpr char const* ENV_DIR = "LUMOS_DHCP_DIR";
inline constexpr char const* ENV_PRIMARY = "LUMOS_DHCP_PRIMARY";
inline constexpr char const* ENV_RESOLV = "LUMOS_DHCP_RESOLV";
inline constexpr char const* ENV_LOG = "LUMOS_DHCP_LOG";
// The host's network namespace (the monitor's: /proc/<pid>/ns/net), where the NIC's
// anti-spoofing rules are: a lease's address is added to them (<if>.filter.json beside the lease).
inline constexpr char const* ENV_HOST_NETNS = "LUMOS_DHCP_HOST_NETNS";
inline constexpr char const* FILTER_SUFFIX = ".filter.json"; // <LUMOS_DHCP_DIR>/<if>.filter.json
inline constexpr char const* LEASE_SUFFIX = ".lease"; // <LUMOS_DHCP_DIR>/<if>.lease

inline constexpr char const* PRIMARY_MARK = ":primary";

// A NIC to run a client for, as lumos-zoned's --dhcp flag names it: "net0" or "net0:primary".
struct Nic {
    std::string interface;
    bool primary { false };
};

// nullopt for an interface name the kernel would refuse (1..15 bytes, no '/', ':', space or
// control character) or another suffix than ":primary".
inline std::optional<Nic> parse_nic(std::string_view flag)
{
    Nic nic;
    if (flag.ends_with(PRIMARY_MARK)) {
        nic.primary = true;
        flag.remove_suffix(std::string_view(PRIMARY_MARK).size());
    }
    bool const bad = std::any_of(flag.begin(), flag.end(), [](char c) {
        return c == '/' || c == ':' || static_cast<unsigned char>(c) <= ' ' || c == 0x7f;
    });
    if (flag.empty() || flag.size() > 15 || flag == "." || flag == ".." || bad) {
        return std::nullopt;
    }
    nic.interface = flag;
    return nic;
}

inline std::string format_nic(Nic const& nic)
{
    return nic.interface + (nic.primary ? PRIMARY_MARK : "");
}

// A hostname udhcpc may send (option 12): 1..63 letters, digits and '-'; anything else is not
// sent at all.
inline bool sendable_hostname(std::string_view name)
{
    return !name.empty() && name.size() <= 63 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || c == '-';
    });
}

struct ClientSpec {
    std::string netns; // the persistent namespace's path
    Nic nic;
    std::string event_program; // absolute path of lumos-dhcp-event
    std::string lease_dir; // LUMOS_DHCP_DIR
    std::string resolv_file; // "" when this client fills none
    std::string log_file; // "" the event program logs to udhcpc's stderr (/dev/null)
    std::string hostname; // "" none
    std::string host_netns; // LUMOS_DHCP_HOST_NETNS, "" none
    std::string nsenter { "/usr/bin/nsenter" };
    std::string busybox { "/bin/busybox" };
};

inline std::vector<std::string> client_argv(ClientSpec const& spec)
{
    std::vector<std::string> argv { spec.nsenter, "--net=" + spec.netns, "--", spec.busybox,
        "udhcpc", "-f", "-i", spec.nic.interface, "-s", spec.event_program,
        // 3 discovers 3 s apart, then 20 s of quiet, forever: a missing server is waited for.
        "-t", "3", "-T", "3", "-A", "20" };
    if (sendable_hostname(spec.hostname)) {
        argv.insert(argv.end(), { "-x", "hostname:" + spec.hostname });
    }
    return argv;
}

// What is added to the environment (NAME=value).
inline std::vector<std::string> client_environment(ClientSpec const& spec)
{
    std::vector<std::string> env { std::string(ENV_DIR) + "=" + spec.lease_dir };
    if (spec.nic.primary) {
        env.push_back(std::string(ENV_PRIMARY) + "=1");
    }
    if (!spec.resolv_file.empty()) {
        env.push_back(std::string(ENV_RESOLV) + "=" + spec.resolv_file);
    }
    if (!spec.log_file.empty()) {
        env.push_back(std::string(ENV_LOG) + "=" + spec.log_file);
    }
    if (!spec.host_netns.empty()) {
        env.push_back(std::string(ENV_HOST_NETNS) + "=" + spec.host_netns);
    }
    return env;
}

// The busybox to run: the first executable "busybox" on PATH, else /bin/busybox.
inline std::string find_busybox()
{
    char const* path = std::getenv("PATH");
    std::string_view dirs = path != nullptr ? path : "";
    while (!dirs.empty()) {
        std::size_t const colon = std::min(dirs.find(':'), dirs.size());
        std::string_view const dir = dirs.substr(0, colon);
        dirs.remove_prefix(std::min(colon + 1, dirs.size()));
        if (!dir.empty() && dir.front() == '/') {
            std::string candidate = std::string(dir) + "/busybox";
            if (::access(candidate.c_str(), X_OK) == 0) {
                return candidate;
            }
        }
    }
    return "/bin/busybox";
}

inline long long monotonic_ms()
{
    struct timespec ts { };
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<long long>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

class Client {
public:
    // Restarted after a death as lumos::RestartBackoff says (1 s, doubling to 60 s).
    explicit Client(ClientSpec spec)
        : m_spec(std::move(spec))
    {
    }
    Client(Client const&) = delete;
    Client& operator=(Client const&) = delete;
    Client(Client&& other) noexcept
        : m_spec(std::move(other.m_spec))
        , m_pid(std::exchange(other.m_pid, -1))
        , m_backoff(std::exchange(other.m_backoff, RestartBackoff {}))
    {
    }
    Client& operator=(Client&&) = delete;
    ~Client() { stop(); }

    ClientSpec const& spec() const { return m_spec; }
    int pid() const { return m_pid; }
    // When the next restart is due (monotonic ms), 0 when none is.
    long long restart_due() const { return m_backoff.due(); }

    // Starts udhcpc unless it runs; false (errno set) when it could not be forked, and a restart
    // is then due as after an exit. The child gets an empty signal mask and default SIGPIPE
    // whatever its owner blocks or ignores.
    bool start()
    {
        if (m_pid > 0) {
            return true;
        }
        std::vector<std::string> const argv = client_argv(m_spec);
        std::vector<std::string> env = client_environment(m_spec);
        // The owner's environment, less ours and the lower-case names udhcpc passes a lease in
        // (an inherited "dns" would otherwise read as the server's when the lease has none).
        for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
            std::string_view const text(*entry);
            std::string_view const name = text.substr(0, text.find('='));
            bool const lower = std::any_of(
                name.begin(), name.end(), [](char c) { return c >= 'a' && c <= 'z'; });
            if (!lower && !name.starts_with("LUMOS_DHCP_")) {
                env.emplace_back(text);
            }
        }
        std::vector<char*> args = pointers(argv);
        std::vector<char*> envp = pointers(env);
        pid_t const parent = ::getpid();
        pid_t const pid = ::fork();
        if (pid < 0) {
            int const saved = errno;
            m_backoff.start_failed(monotonic_ms());
            errno = saved;
            return false;
        }
        if (pid == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != parent) {
                ::_exit(127); // the owner died before the line above
            }
            sigset_t none;
            ::sigemptyset(&none);
            ::sigprocmask(SIG_SETMASK, &none, nullptr);
            (void)::signal(SIGPIPE, SIG_DFL);
            int const null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
            ::dup2(null, STDIN_FILENO);
            ::dup2(null, STDOUT_FILENO);
            ::dup2(null, STDERR_FILENO);
            ::execve(args[0], args.data(), envp.data());
            ::_exit(127);
        }
        m_pid = pid;
        m_backoff.started(monotonic_ms());
        return true;
    }

    // The owner reaped pid: true when it was this client, whose restart is then due after the
    // backoff (see restart_due()).
    bool exited(int pid)
    {
        if (pid <= 0 || pid != m_pid) {
            return false;
        }
        m_pid = -1;
        m_backoff.exited(monotonic_ms());
        return true;
    }

    // Starts it again when its restart is due.
    void tick()
    {
        if (m_pid < 0 && m_backoff.due_by(monotonic_ms())) {
            (void)start();
        }
    }

    // Ends udhcpc (SIGTERM, SIGKILL after 2 s) and reaps it; no restart follows. Nothing when
    // it does not run (or its owner reaped it already).
    void stop()
    {
        m_backoff.cancel();
        if (m_pid <= 0) {
            return;
        }
        pid_t const pid = std::exchange(m_pid, -1);
        ::kill(pid, SIGTERM);
        for (int waited = 0; waited < 200; ++waited) {
            pid_t const done = ::waitpid(pid, nullptr, WNOHANG);
            if (done == pid || (done < 0 && errno != EINTR)) {
                return;
            }
            struct timespec const pause { 0, 10L * 1000 * 1000 };
            ::nanosleep(&pause, nullptr);
        }
        ::kill(pid, SIGKILL);
        while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
    }

private:
    static std::vector<char*> pointers(std::vector<std::string> const& strings)
    {
        std::vector<char*> out;
        out.reserve(strings.size() + 1);
        for (auto const& text : strings) {
            // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): exec writes none of them
            out.push_back(const_cast<char*>(text.c_str()));
        }
        out.push_back(nullptr);
        return out;
    }

    ClientSpec m_spec;
    int m_pid { -1 };
    RestartBackoff m_backoff;
};

} // namespace lumos::net::dhcp
