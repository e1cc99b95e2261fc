// SPDX-License-Identifier: MPL-2.0
// The contract between lumos-zoned (the monitor of one zone) and its clients
// (runtime/monitor.cpp, vm/zone_runtime.cpp), written once: the files of a zone's run dir, the
// launch flags, the ready report, the requests on ctl.sock and their replies, and the status
// file with its flat JSON object.
//
// Header-only and standard library only: lumos-zoned is static and links nothing of lumos
// (tools/check-deps.sh allows it this header and base/posix_util.hpp).
#pragma once

#include <charconv>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace lumos::runtime::monitor_protocol {

// The files of a zone's run dir ($LUMOS_ROOT/run/lumos/zones/<uuid>/) the protocol names.
inline constexpr char const* CONTROL_SOCKET = "ctl.sock";
inline constexpr char const* STATUS_FILE = "status"; // while running, replaced by rename
inline constexpr char const* PROVISION_FILE = "provision"; // the last outcome, one line
inline constexpr char const* LOCK_FILE = "monitor.lock"; // flock held by the live monitor
inline constexpr char const* MONITOR_LOG = "monitor.log";
// The OCI runtime the zone was started with (its path, one line): stop, kill and exec keep
// using it even when a later probe prefers another one.
inline constexpr char const* OCI_RUNTIME_FILE = "oci-runtime";
// The zone's persistent network namespace (made by vm::ZoneRuntime before the monitor starts,
// Paths::zone_netns), where the monitor runs the DHCP clients of its --dhcp NICs.
inline constexpr char const* NETNS_FILE = "netns";

// ---- Provisioning -----------------------------------------------------------------------

enum class Provisioning { None, Waiting, Success, Failed };

inline constexpr std::string_view to_string(Provisioning provisioning)
{
    switch (provisioning) {
    case Provisioning::Waiting:
        return "waiting";
    case Provisioning::Success:
        return "success";
    case Provisioning::Failed:
        return "failed";
    case Provisioning::None:
        break;
    }
    return "none";
}

inline constexpr std::optional<Provisioning> parse_provisioning(std::string_view text)
{
    for (auto const value : { Provisioning::None, Provisioning::Waiting, Provisioning::Success,
             Provisioning::Failed }) {
        if (text == to_string(value)) {
            return value;
        }
    }
    return std::nullopt;
}

// ---- Numbers ----------------------------------------------------------------------------

// A whole decimal integer of T ("-" only for signed T), nothing else: no spaces, no "+", no
// overflow.
template <typename T>
std::optional<T> parse_integer(std::string_view text)
{
    T value {};
    auto const* const end = text.data() + text.size();
    auto const [stop, error] = std::from_chars(text.data(), end, value, 10);
    if (text.empty() || error != std::errc() || stop != end) {
        return std::nullopt;
    }
    return value;
}

// ---- Launch flags -----------------------------------------------------------------------

inline constexpr char const* FLAG_ID = "--id";
inline constexpr char const* FLAG_DIR = "--dir";
inline constexpr char const* FLAG_OCI_RUNTIME = "--oci-runtime";
inline constexpr char const* FLAG_OCI_RUNTIME_ROOT = "--oci-runtime-root";
inline constexpr char const* FLAG_ZONEPATH = "--zonepath";
inline constexpr char const* FLAG_ATTACH = "--attach";
inline constexpr char const* FLAG_RESTART_INIT = "--restart-init";
inline constexpr char const* FLAG_PROVISION_TIMEOUT_MS = "--provision-timeout-ms";
inline constexpr char const* FLAG_READY_FD = "--ready-fd";
inline constexpr char const* FLAG_STOP_SIGNAL = "--stop-signal";
inline constexpr char const* FLAG_STOP_COMMAND = "--stop-command";
inline constexpr char const* FLAG_NETDOWN = "--netdown";
// The metadata server (lumos-metadata), run as `<program> <id> <zonepath>/.zonecontrol/
// metadata.sock` for the zone's life.
inline constexpr char const* FLAG_METADATA = "--metadata";
// DHCP (net/dhcp_client.hpp): one --dhcp per NIC ("net0", or "net0:primary" for the primary
// NIC), the event program udhcpc runs, the resolv.conf the leases fill (only when the VM has
// no static resolvers) and the hostname sent.
inline constexpr char const* FLAG_DHCP = "--dhcp";
inline constexpr char const* FLAG_DHCP_EVENT = "--dhcp-event";
inline constexpr char const* FLAG_DHCP_RESOLV = "--dhcp-resolv";
inline constexpr char const* FLAG_DHCP_HOSTNAME = "--dhcp-hostname";
// lx zones: uname(2) answered as SmartOS's lx brand answers it, release the value (the VM's
// kernel_version; "" keeps the host's) and version "BrandZ virtual linux". The zone's config.json
// sends its seccomp listener to <dir>/seccomp.sock (SECCOMP_SOCKET) at every boot.
inline constexpr char const* FLAG_LX_UNAME = "--lx-uname";
inline constexpr char const* SECCOMP_SOCKET = "seccomp.sock";
// kvm and bhyve: the monitor runs QEMU instead of an OCI runtime. --qemu names the file holding
// QEMU's argv (NUL-terminated words, written by the host at every start: QEMU_ARGV_FILE), --qmp
// the QMP socket QEMU listens on for the monitor (in the zone root's tmp), --serial the
// socket of its first serial port (the console), --cgroup each cgroup.procs file QEMU joins
// before it runs (one per controller). QEMU's own output goes to --qemu-log.
inline constexpr char const* FLAG_QEMU = "--qemu";
inline constexpr char const* FLAG_QMP = "--qmp";
inline constexpr char const* FLAG_SERIAL = "--serial";
inline constexpr char const* FLAG_CGROUP = "--cgroup";
inline constexpr char const* FLAG_QEMU_LOG = "--qemu-log";
// A host path QEMU sees (read-write, at the same path) in the mount namespace it runs in: the
// zone root, each volume. Repeated.
inline constexpr char const* FLAG_QEMU_BIND = "--qemu-bind";
inline constexpr char const* QEMU_ARGV_FILE = "qemu.argv";
// An HVM guest's remote display: a TCP listener at --display-listen HOST:PORT (port 0: any)
// relaying to QEMU's --display-socket, for --display-protocol vnc or spice; the listener's
// address is in DISPLAY_FILE ("<protocol> <host> <port>") while the monitor runs.
inline constexpr char const* FLAG_DISPLAY_LISTEN = "--display-listen";
inline constexpr char const* FLAG_DISPLAY_SOCKET = "--display-socket";
inline constexpr char const* FLAG_DISPLAY_PROTOCOL = "--display-protocol";
inline constexpr char const* DISPLAY_FILE = "display";

inline constexpr char const* USAGE
    = "usage: lumos-zoned --id ID --dir RUNDIR --oci-runtime PATH --oci-runtime-root DIR "
      "--zonepath PATH [--attach] [--restart-init] [--provision-timeout-ms N] [--ready-fd N] "
      "[--stop-signal N] [--stop-command PATH] [--netdown PATH] [--metadata PATH] "
      "[--dhcp IF[:primary]]... "
      "[--dhcp-event PATH] "
      "[--dhcp-resolv FILE] [--dhcp-hostname NAME] [--lx-uname RELEASE]\n"
      "       lumos-zoned --id ID --dir RUNDIR --zonepath PATH --qemu ARGVFILE --qmp SOCKET "
      "--serial SOCKET --qemu-log FILE [--cgroup PROCSFILE]... [--qemu-bind PATH]... "
      "[--display-listen HOST:PORT "
      "--display-socket SOCKET --display-protocol vnc|spice] [--attach] "
      "[--provision-timeout-ms N] [--ready-fd N] [--netdown PATH] [--metadata PATH]";

struct LaunchFlags {
    std::string id; // the OCI runtime's container id: the VM's uuid
    std::string dir; // the zone's run dir (bundle, ctl.sock, status, ...)
    std::string oci_runtime; // runc or crun (path)
    std::string oci_runtime_root; // its --root state dir
    std::string zonepath;
    bool attach { false }; // follow a running zone instead of booting it
    bool restart_init { false };
    int64_t provision_timeout_ms { 0 }; // 0: no provisioning to watch
    int ready_fd { -1 }; // where the ready report goes
    int stop_signal { 15 }; // SIGTERM
    std::string stop_command; // run in the zone for a graceful stop ("": the signal)
    // Run as `<netdown> <id> <dir>/netns` once the zone has ended for good: removes its NICs
    // (lumos-netdown). "": the zone has none.
    std::string netdown;
    std::string metadata; // lumos-metadata ("": no metadata server)
    std::vector<std::string> dhcp; // NICs whose address comes from DHCP ("net0:primary")
    std::string dhcp_event; // required with dhcp
    std::string dhcp_resolv; // "": the VM has static resolvers (or none come from DHCP)
    std::string dhcp_hostname;
    bool lx_uname { false }; // FLAG_LX_UNAME given
    std::string lx_uname_release;
    std::string qemu; // QEMU's argv file: an HVM guest ("": an OS zone)
    std::string qmp;
    std::string serial;
    std::string qemu_log;
    std::vector<std::string> cgroups; // cgroup.procs files
    std::vector<std::string> qemu_binds; // absolute paths
    std::string display_listen; // "" no remote display
    std::string display_socket;
    std::string display_protocol;
};

// The arguments after the program's name.
inline std::vector<std::string> format_flags(LaunchFlags const& flags)
{
    std::vector<std::string> args { FLAG_ID, flags.id, FLAG_DIR, flags.dir, FLAG_ZONEPATH,
        flags.zonepath, FLAG_STOP_SIGNAL, std::to_string(flags.stop_signal) };
    for (auto const& [flag, value] : { std::pair { FLAG_OCI_RUNTIME, &flags.oci_runtime },
             std::pair { FLAG_OCI_RUNTIME_ROOT, &flags.oci_runtime_root },
             std::pair { FLAG_QEMU, &flags.qemu }, std::pair { FLAG_QMP, &flags.qmp },
             std::pair { FLAG_SERIAL, &flags.serial }, std::pair { FLAG_QEMU_LOG, &flags.qemu_log },
             std::pair { FLAG_DISPLAY_LISTEN, &flags.display_listen },
             std::pair { FLAG_DISPLAY_SOCKET, &flags.display_socket },
             std::pair { FLAG_DISPLAY_PROTOCOL, &flags.display_protocol } }) {
        if (!value->empty()) {
            args.insert(args.end(), { flag, *value });
        }
    }
    for (auto const& cgroup : flags.cgroups) {
        args.insert(args.end(), { FLAG_CGROUP, cgroup });
    }
    for (auto const& shared : flags.qemu_binds) {
        args.insert(args.end(), { FLAG_QEMU_BIND, shared });
    }
    if (flags.ready_fd >= 0) {
        args.insert(args.end(), { FLAG_READY_FD, std::to_string(flags.ready_fd) });
    }
    if (flags.attach) {
        args.emplace_back(FLAG_ATTACH);
    }
    if (flags.restart_init) {
        args.emplace_back(FLAG_RESTART_INIT);
    }
    if (!flags.stop_command.empty()) {
        args.insert(args.end(), { FLAG_STOP_COMMAND, flags.stop_command });
    }
    if (!flags.netdown.empty()) {
        args.insert(args.end(), { FLAG_NETDOWN, flags.netdown });
    }
    if (!flags.metadata.empty()) {
        args.insert(args.end(), { FLAG_METADATA, flags.metadata });
    }
    if (flags.provision_timeout_ms > 0) {
        args.insert(
            args.end(), { FLAG_PROVISION_TIMEOUT_MS, std::to_string(flags.provision_timeout_ms) });
    }
    for (auto const& nic : flags.dhcp) {
        args.insert(args.end(), { FLAG_DHCP, nic });
    }
    for (auto const& [flag, value] : { std::pair { FLAG_DHCP_EVENT, &flags.dhcp_event },
             std::pair { FLAG_DHCP_RESOLV, &flags.dhcp_resolv },
             std::pair { FLAG_DHCP_HOSTNAME, &flags.dhcp_hostname } }) {
        if (!value->empty()) {
            args.insert(args.end(), { flag, *value });
        }
    }
    if (flags.lx_uname) {
        args.insert(args.end(), { FLAG_LX_UNAME, flags.lx_uname_release });
    }
    return args;
}

// The flags, or nullopt for an unknown flag, a missing or malformed value, or a missing
// required flag (id, dir, zonepath; an OS zone's OCI runtime and its root, an HVM guest's QEMU
// argv file, QMP and serial sockets and log; the event program with --dhcp), or flags of both.
inline std::optional<LaunchFlags> parse_flags(std::vector<std::string_view> const& args)
{
    LaunchFlags flags;
    for (size_t i = 0; i < args.size(); ++i) {
        std::string_view const arg = args[i];
        if (arg == FLAG_ATTACH) {
            flags.attach = true;
            continue;
        }
        if (arg == FLAG_RESTART_INIT) {
            flags.restart_init = true;
            continue;
        }
        if (i + 1 >= args.size()) {
            return std::nullopt;
        }
        std::string_view const value = args[++i];
        auto set_int = [&](auto& field) {
            auto parsed = parse_integer<std::remove_reference_t<decltype(field)>>(value);
            if (parsed) {
                field = *parsed;
            }
            return parsed.has_value();
        };
        bool ok = true;
        if (arg == FLAG_ID) {
            flags.id = value;
        } else if (arg == FLAG_DIR) {
            flags.dir = value;
        } else if (arg == FLAG_OCI_RUNTIME) {
            flags.oci_runtime = value;
        } else if (arg == FLAG_OCI_RUNTIME_ROOT) {
            flags.oci_runtime_root = value;
        } else if (arg == FLAG_ZONEPATH) {
            flags.zonepath = value;
        } else if (arg == FLAG_PROVISION_TIMEOUT_MS) {
            ok = set_int(flags.provision_timeout_ms) && flags.provision_timeout_ms >= 0;
        } else if (arg == FLAG_READY_FD) {
            ok = set_int(flags.ready_fd) && flags.ready_fd >= 0;
        } else if (arg == FLAG_STOP_SIGNAL) {
            ok = set_int(flags.stop_signal) && flags.stop_signal > 0;
        } else if (arg == FLAG_STOP_COMMAND) {
            flags.stop_command = value;
        } else if (arg == FLAG_NETDOWN) {
            flags.netdown = value;
        } else if (arg == FLAG_METADATA) {
            flags.metadata = value;
        } else if (arg == FLAG_DHCP) {
            ok = !value.empty();
            flags.dhcp.emplace_back(value);
        } else if (arg == FLAG_DHCP_EVENT) {
            flags.dhcp_event = value;
        } else if (arg == FLAG_DHCP_RESOLV) {
            flags.dhcp_resolv = value;
        } else if (arg == FLAG_DHCP_HOSTNAME) {
            flags.dhcp_hostname = value;
        } else if (arg == FLAG_LX_UNAME) {
            flags.lx_uname = true;
            flags.lx_uname_release = value;
        } else if (arg == FLAG_QEMU) {
            flags.qemu = value;
        } else if (arg == FLAG_QMP) {
            flags.qmp = value;
        } else if (arg == FLAG_SERIAL) {
            flags.serial = value;
        } else if (arg == FLAG_QEMU_LOG) {
            flags.qemu_log = value;
        } else if (arg == FLAG_DISPLAY_LISTEN) {
            flags.display_listen = value;
        } else if (arg == FLAG_DISPLAY_SOCKET) {
            flags.display_socket = value;
        } else if (arg == FLAG_DISPLAY_PROTOCOL) {
            ok = value == "vnc" || value == "spice";
            flags.display_protocol = value;
        } else if (arg == FLAG_CGROUP) {
            ok = !value.empty();
            flags.cgroups.emplace_back(value);
        } else if (arg == FLAG_QEMU_BIND) {
            // Absolute, normalized: every component is made below QEMU's root.
            ok = value.starts_with('/') && value.find("/../") == std::string_view::npos
                && !value.ends_with("/..") && value.find("//") == std::string_view::npos;
            flags.qemu_binds.emplace_back(value);
        } else {
            ok = false;
        }
        if (!ok) {
            return std::nullopt;
        }
    }
    bool const hvm = !flags.qemu.empty();
    bool const runnable = hvm ? !flags.qmp.empty() && !flags.serial.empty()
            && !flags.qemu_log.empty() && flags.oci_runtime.empty() && flags.dhcp.empty()
            && !flags.lx_uname && flags.display_listen.empty() == flags.display_socket.empty()
            && flags.display_listen.empty() == flags.display_protocol.empty()
                              : !flags.oci_runtime.empty() && !flags.oci_runtime_root.empty()
            && flags.qmp.empty() && flags.serial.empty() && flags.cgroups.empty()
            && flags.display_listen.empty() && flags.qemu_binds.empty();
    if (flags.id.empty() || flags.dir.empty() || flags.zonepath.empty() || !runnable
        || (!flags.dhcp.empty() && flags.dhcp_event.empty())) {
        return std::nullopt;
    }
    return flags;
}

// ---- Replies ----------------------------------------------------------------------------
// Every reply is one line: "ok", "ok <detail>", "error <message>", or for status and
// wait-provision a word ("running"/"stopped", a provisioning outcome). The ready report on
// --ready-fd is "ok <init pid>" or "error <message>".

inline constexpr char const* REPLY_OK = "ok";
inline constexpr char const* REPLY_RUNNING = "running";
inline constexpr char const* REPLY_STOPPED = "stopped";

inline std::string error_reply(std::string_view message)
{
    return "error " + std::string(message);
}

inline std::string ready_reply(int init_pid)
{
    return std::string(REPLY_OK) + " " + std::to_string(init_pid);
}

// What a reply line says: ok (with what follows "ok "), or an error's message.
struct Reply {
    bool ok { false };
    std::string text;
};

inline Reply parse_reply(std::string_view line)
{
    if (line == REPLY_OK) {
        return { true, {} };
    }
    if (line.starts_with("ok ")) {
        return { true, std::string(line.substr(3)) };
    }
    if (line.starts_with("error ")) {
        return { false, std::string(line.substr(6)) };
    }
    return { false, std::string(line) };
}

// ---- Requests on ctl.sock ---------------------------------------------------------------
// One request per connection: a line, then one reply line (later, for requests that wait).

enum class Verb { Stop, Halt, Reboot, Kill, WaitProvision, Console, Status };

inline constexpr int64_t DEFAULT_STOP_TIMEOUT_S = 60;
inline constexpr size_t MAX_REQUEST_LINE = 256;

struct Request {
    Verb verb { Verb::Status };
    int64_t timeout_s { DEFAULT_STOP_TIMEOUT_S }; // stop: seconds before init gets SIGKILL
    bool force { false }; // reboot force: SIGKILL instead of a graceful stop
    int signal { 0 }; // kill
};

inline constexpr std::string_view verb_name(Verb verb)
{
    switch (verb) {
    case Verb::Stop:
        return "stop";
    case Verb::Halt:
        return "halt";
    case Verb::Reboot:
        return "reboot";
    case Verb::Kill:
        return "kill";
    case Verb::WaitProvision:
        return "wait-provision";
    case Verb::Console:
        return "console";
    case Verb::Status:
        break;
    }
    return "status";
}

inline std::string format_request(Request const& request)
{
    std::string line(verb_name(request.verb));
    if (request.verb == Verb::Stop) {
        line += " " + std::to_string(request.timeout_s);
    } else if (request.verb == Verb::Reboot && request.force) {
        line += " force";
    } else if (request.verb == Verb::Kill) {
        line += " " + std::to_string(request.signal);
    }
    return line;
}

// A request line (without its newline), or the message of the error reply it gets.
inline std::variant<Request, std::string> parse_request(std::string_view line, int max_signal)
{
    size_t const space = line.find(' ');
    std::string_view const verb = line.substr(0, space);
    std::string_view const argument
        = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
    Request request;
    if (verb == "stop") {
        request.verb = Verb::Stop;
        if (!argument.empty()) {
            auto const seconds = parse_integer<int64_t>(argument);
            if (!seconds || *seconds < 0 || *seconds > 1000000000) {
                return std::string("invalid stop timeout: ") + std::string(argument);
            }
            request.timeout_s = *seconds;
        }
        return request;
    }
    if (verb == "reboot") {
        request.verb = Verb::Reboot;
        if (!argument.empty() && argument != "force") {
            return std::string("invalid reboot argument: ") + std::string(argument);
        }
        request.force = argument == "force";
        return request;
    }
    if (verb == "kill") {
        request.verb = Verb::Kill;
        auto const signal = parse_integer<int>(argument);
        if (!signal || *signal <= 0 || *signal >= max_signal) {
            return std::string("invalid signal");
        }
        request.signal = *signal;
        return request;
    }
    for (auto const plain : { Verb::Halt, Verb::WaitProvision, Verb::Console, Verb::Status }) {
        if (verb == verb_name(plain)) {
            if (!argument.empty()) {
                return std::string(verb) + " takes no argument";
            }
            request.verb = plain;
            return request;
        }
    }
    return "unknown request: " + std::string(verb);
}

// ---- Flat JSON objects ------------------------------------------------------------------
// The status file is one JSON object whose values are strings or integers, nothing nested.
// The reader accepts exactly that (any whitespace, the JSON string escapes) and refuses the
// rest: truncation, nesting, fractions, integers out of int64_t/uint64_t, duplicate keys, more
// than 64 KiB.

using FlatValue = std::variant<std::string, int64_t, uint64_t>;
using FlatObject = std::map<std::string, FlatValue, std::less<>>;

namespace detail {

inline void append_json_string(std::string& out, std::string_view text)
{
    static constexpr char HEX[] = "0123456789abcdef";
    out += '"';
    for (char const c : text) {
        auto const byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (byte < 0x20) {
            out += "\\u00";
            out += HEX[byte >> 4];
            out += HEX[byte & 0xf];
        } else {
            out += c;
        }
    }
    out += '"';
}

class FlatReader {
public:
    explicit FlatReader(std::string_view text)
        : m_text(text)
    {
    }

    std::optional<FlatObject> object()
    {
        FlatObject result;
        skip_space();
        if (!take('{')) {
            return std::nullopt;
        }
        skip_space();
        if (take('}')) {
            return finish(std::move(result));
        }
        for (;;) {
            skip_space();
            auto key = string();
            skip_space();
            if (!key || !take(':')) {
                return std::nullopt;
            }
            skip_space();
            auto value = this->value();
            if (!value || !result.emplace(std::move(*key), std::move(*value)).second) {
                return std::nullopt; // malformed, or a duplicate key
            }
            skip_space();
            if (take('}')) {
                return finish(std::move(result));
            }
            if (!take(',')) {
                return std::nullopt;
            }
        }
    }

private:
    std::optional<FlatObject> finish(FlatObject result)
    {
        skip_space();
        return m_at == m_text.size() ? std::optional<FlatObject>(std::move(result)) : std::nullopt;
    }

    bool take(char c)
    {
        if (m_at < m_text.size() && m_text[m_at] == c) {
            ++m_at;
            return true;
        }
        return false;
    }

    void skip_space()
    {
        while (m_at < m_text.size()
            && (m_text[m_at] == ' ' || m_text[m_at] == '\t' || m_text[m_at] == '\n'
                || m_text[m_at] == '\r')) {
            ++m_at;
        }
    }

    std::optional<FlatValue> value()
    {
        if (m_at < m_text.size() && m_text[m_at] == '"') {
            auto text = string();
            return text ? std::optional<FlatValue>(std::move(*text)) : std::nullopt;
        }
        size_t const begin = m_at;
        if (m_at < m_text.size() && m_text[m_at] == '-') {
            ++m_at;
        }
        size_t const digits = m_at;
        while (m_at < m_text.size() && m_text[m_at] >= '0' && m_text[m_at] <= '9') {
            ++m_at;
        }
        if (m_at == digits || (m_text[digits] == '0' && m_at - digits > 1)) {
            return std::nullopt; // not a number, or a leading zero
        }
        std::string_view const number = m_text.substr(begin, m_at - begin);
        if (auto const value = parse_integer<int64_t>(number)) {
            return FlatValue(*value);
        }
        if (auto const value = parse_integer<uint64_t>(number)) {
            return FlatValue(*value);
        }
        return std::nullopt; // out of range
    }

    std::optional<std::string> string()
    {
        if (!take('"')) {
            return std::nullopt;
        }
        std::string out;
        while (m_at < m_text.size()) {
            char const c = m_text[m_at++];
            if (c == '"') {
                return out;
            }
            if (static_cast<unsigned char>(c) < 0x20) {
                return std::nullopt;
            }
            if (c != '\\') {
                out += c;
                continue;
            }
            if (m_at >= m_text.size()) {
                return std::nullopt;
            }
            char const escape = m_text[m_at++];
            switch (escape) {
            case '"':
            case '\\':
            case '/':
                out += escape;
                break;
            case 'b':
                out += '\b';
                break;
            case 'f':
                out += '\f';
                break;
            case 'n':
                out += '\n';
                break;
            case 'r':
                out += '\r';
                break;
            case 't':
                out += '\t';
                break;
            case 'u': {
                auto const code = hex4();
                if (!code || (*code >= 0xd800 && *code <= 0xdfff)) {
                    return std::nullopt; // surrogates: never written by the monitor
                }
                append_utf8(out, *code);
                break;
            }
            default:
                return std::nullopt;
            }
        }
        return std::nullopt; // unterminated
    }

    std::optional<unsigned> hex4()
    {
        if (m_text.size() - m_at < 4) {
            return std::nullopt;
        }
        unsigned code = 0;
        auto const [stop, error]
            = std::from_chars(m_text.data() + m_at, m_text.data() + m_at + 4, code, 16);
        if (error != std::errc() || stop != m_text.data() + m_at + 4) {
            return std::nullopt;
        }
        m_at += 4;
        return code;
    }

    static void append_utf8(std::string& out, unsigned code)
    {
        if (code < 0x80) {
            out += static_cast<char>(code);
        } else if (code < 0x800) {
            out += static_cast<char>(0xc0 | (code >> 6));
            out += static_cast<char>(0x80 | (code & 0x3f));
        } else {
            out += static_cast<char>(0xe0 | (code >> 12));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
            out += static_cast<char>(0x80 | (code & 0x3f));
        }
    }

    std::string_view m_text;
    size_t m_at { 0 };
};

} // namespace detail

inline constexpr size_t MAX_FLAT_JSON = 65536;

// One line: the members in the order given.
inline std::string write_flat_json(std::vector<std::pair<std::string, FlatValue>> const& members)
{
    std::string out = "{";
    for (auto const& [key, value] : members) {
        if (out.size() > 1) {
            out += ',';
        }
        detail::append_json_string(out, key);
        out += ':';
        if (auto const* text = std::get_if<std::string>(&value)) {
            detail::append_json_string(out, *text);
        } else if (auto const* number = std::get_if<int64_t>(&value)) {
            out += std::to_string(*number);
        } else {
            out += std::to_string(std::get<uint64_t>(value));
        }
    }
    out += "}\n";
    return out;
}

inline std::optional<FlatObject> read_flat_json(std::string_view text)
{
    if (text.size() > MAX_FLAT_JSON) {
        return std::nullopt;
    }
    return detail::FlatReader(text).object();
}

// ---- The status file --------------------------------------------------------------------

inline constexpr char const* KEY_ZONE_STATE = "zone_state";
inline constexpr char const* KEY_PID = "pid";
inline constexpr char const* KEY_PID_START = "pid_start";
inline constexpr char const* KEY_BOOT_TIMESTAMP = "boot_timestamp";
inline constexpr char const* KEY_MONITOR_PID = "monitor_pid";
inline constexpr char const* KEY_PROVISIONING = "provisioning";

struct Status {
    int64_t pid { 0 }; // the zone's init
    uint64_t pid_start { 0 }; // its start time (/proc/<pid>/stat field 22): tells it from a reuse
    std::string boot_timestamp; // ISO 8601, milliseconds
    int64_t monitor_pid { 0 };
    Provisioning provisioning { Provisioning::None };
};

inline std::string format_status(Status const& status)
{
    return write_flat_json({ { KEY_ZONE_STATE, std::string("running") }, { KEY_PID, status.pid },
        { KEY_PID_START, status.pid_start }, { KEY_BOOT_TIMESTAMP, status.boot_timestamp },
        { KEY_MONITOR_PID, status.monitor_pid },
        { KEY_PROVISIONING, std::string(to_string(status.provisioning)) } });
}

// A status file, or nullopt when it is not one: not a flat object, pid or pid_start missing,
// not positive or of the wrong type, or an unknown provisioning state. boot_timestamp and
// monitor_pid may be missing.
inline std::optional<Status> parse_status(std::string_view text)
{
    auto const object = read_flat_json(text);
    if (!object) {
        return std::nullopt;
    }
    auto integer = [&](char const* key) -> std::optional<uint64_t> {
        auto const found = object->find(key);
        if (found == object->end()) {
            return std::nullopt;
        }
        if (auto const* value = std::get_if<int64_t>(&found->second)) {
            return *value > 0 ? std::optional<uint64_t>(static_cast<uint64_t>(*value))
                              : std::nullopt;
        }
        if (auto const* value = std::get_if<uint64_t>(&found->second)) {
            return *value;
        }
        return std::nullopt;
    };
    auto text_of = [&](char const* key) -> std::optional<std::string> {
        auto const found = object->find(key);
        if (found == object->end()) {
            return std::string();
        }
        auto const* value = std::get_if<std::string>(&found->second);
        return value != nullptr ? std::optional<std::string>(*value) : std::nullopt;
    };
    Status status;
    auto const pid = integer(KEY_PID);
    auto const pid_start = integer(KEY_PID_START);
    if (!pid || *pid > INT32_MAX || !pid_start) {
        return std::nullopt;
    }
    status.pid = static_cast<int64_t>(*pid);
    status.pid_start = *pid_start;
    if (object->contains(KEY_MONITOR_PID)) {
        auto const monitor = integer(KEY_MONITOR_PID);
        if (!monitor || *monitor > INT32_MAX) {
            return std::nullopt;
        }
        status.monitor_pid = static_cast<int64_t>(*monitor);
    }
    auto const boot = text_of(KEY_BOOT_TIMESTAMP);
    auto const provisioning = text_of(KEY_PROVISIONING);
    if (!boot || !provisioning) {
        return std::nullopt;
    }
    status.boot_timestamp = *boot;
    if (!provisioning->empty()) {
        auto const state = parse_provisioning(*provisioning);
        if (!state) {
            return std::nullopt;
        }
        status.provisioning = *state;
    }
    return status;
}

} // namespace lumos::runtime::monitor_protocol
