// SPDX-License-Identifier: MPL-2.0
// lumos-zoned's state and the parts that act on it. One Monitor per process, made in main()
// and passed by reference; each file owns one concern:
//   main.cpp       flags, setup, the poll loop
//   monitor.cpp    clocks, logging, the run dir's files, replies, child processes
//   boot.cpp       booting the zone with the OCI runtime (run -d, the console socket) or
//                  attaching to a running one
//   console.cpp    the pty: console.log and the attached client
//   control.cpp    ctl.sock requests, stop/halt/reboot/kill
//   zone_exit.cpp  init's exit (lastexited, OCI runtime delete, restart_init, reboot), reaping,
//                  the provisioning and stop deadlines
//   dhcp.cpp       the DHCP clients of the zone's --dhcp NICs
//   metadata.cpp   the zone's metadata server (--metadata)
//   uname.cpp      lx zones: uname(2) answered as SmartOS's lx brand does (--lx-uname)
//   qemu.cpp       kvm and bhyve (--qemu): QEMU as the guest's init, its QMP connection and
//                  serial console
//   display.cpp    kvm and bhyve: the remote display's TCP listener, relayed to QEMU's VNC
// Like zinit it links nothing of lumos: only the header-only runtime/monitor_protocol.hpp,
// base/posix_util.hpp, base/restart_backoff.hpp and net/dhcp_client.hpp.
#pragma once

#include "base/restart_backoff.hpp"
#include "net/dhcp_client.hpp"
#include "runtime/monitor_protocol.hpp"

#include <csignal>
#include <string>
#include <vector>

namespace lumos_zoned {

namespace protocol = lumos::runtime::monitor_protocol;

inline constexpr long long CONSOLE_LOG_MAX = 1 << 20;
inline constexpr int MAX_QUICK_RESTARTS = 10;

// What the monitor knows of its zone.
struct ZoneState {
    int init_pid { -1 };
    unsigned long long init_start { 0 };
    int pidfd { -1 }; // attach mode: how the zone's end is seen
    int pty { -1 };
    int uname_socket { -1 }; // lx: where the OCI runtime sends seccomp listeners (uname.cpp)
    std::vector<int> uname_listeners; // lx: the listeners whose uname(2) calls we answer
    int console_client { -1 };
    int console_log { -1 };
    long long console_log_size { 0 };
    long long pty_quiet_until { 0 }; // monotonic ms: no holder of the console's other end
    std::string boot_timestamp;
    long long boot_monotonic { 0 };
    protocol::Provisioning provisioning { protocol::Provisioning::None };
    long long provision_deadline { 0 }; // monotonic ms
    bool stop_requested { false };
    bool reboot_requested { false };
    long long kill_deadline { 0 }; // monotonic ms, 0: none
    int signal_sent { 0 }; // SIGKILL once this monitor sent it to init
    int quick_restarts { 0 };
    int stop_exec_pid { -1 }; // OCI runtime exec of the stop command
    std::vector<int> stop_waiters;
    std::vector<int> reboot_waiters;
    std::vector<int> provision_waiters;
    // HVM (--qemu): the monitor's QMP connection and what it has read of the next line; whether
    // a forced stop already asked QEMU to quit. The console (pty) is QEMU's first serial port.
    int qmp { -1 };
    std::string qmp_buffer;
    bool quit_sent { false };
    // QEMU said SHUTDOWN (the guest powered off, or quit): its exit that follows is a clean
    // one, which a monitor that only follows QEMU by pidfd could not otherwise know.
    bool shutdown_event { false };
};

// A remote display client and its connection to QEMU's socket (display.cpp), with what each
// side sent that the other has not taken yet (at most DISPLAY_BUFFER each).
inline constexpr size_t DISPLAY_BUFFER = size_t { 256 } * 1024;
struct DisplayPair {
    int client { -1 };
    int guest { -1 };
    std::string to_guest;
    std::string to_client;
};

struct Display {
    int listener { -1 };
    int port { 0 };
    std::vector<DisplayPair> pairs; // a closed pair's slot is reused
};

// The metadata server child (metadata.cpp).
struct MetadataChild {
    int pid { -1 };
    lumos::RestartBackoff backoff;
};

struct Monitor {
    protocol::LaunchFlags flags;
    ZoneState zone;
    MetadataChild metadata;
    Display display;
    sigset_t blocked {}; // the signals the loop takes from its signalfd; children unblock them
    std::vector<lumos::net::dhcp::Client> dhcp; // one per --dhcp NIC
};

// monitor.cpp
void log(std::string const& message);
long long now_ms();
long long monotonic_ms();
std::string iso(long long ms);
std::string path(Monitor const& monitor, char const* name);
bool write_file_atomic(std::string const& target, std::string const& content);
void reply(int fd, std::string const& line);
void reply_all(std::vector<int>& waiters, std::string const& line);
void write_status(Monitor const& monitor);
int listen_unix(std::string const& socket_path);
// A client of the socket (QEMU's QMP, serial and display sockets), or -1 with errno.
enum class Blocking { Yes, No };
int connect_unix(std::string const& socket_path, Blocking blocking = Blocking::Yes);
// The one descriptor a peer sent with its message (SCM_RIGHTS: the OCI runtime's pty master on
// the console socket, a seccomp listener on seccomp.sock); -1 for none.
int receive_fd(int connection);
// Starts argv with stdin from /dev/null and stdout+stderr to output (appended, or truncated);
// the child's pid, or -1.
enum class Output { Append, Truncate };
int spawn(Monitor const& monitor, std::vector<std::string> const& argv, std::string const& output,
    Output mode);
// spawn, then wait: the wait status, or -1 when it could not run.
int run_and_wait(
    Monitor const& monitor, std::vector<std::string> const& argv, std::string const& output);
// `<oci runtime> --root <root> <args...>`
std::vector<std::string> oci_runtime_argv(Monitor const& monitor, std::vector<std::string> args);

// boot.cpp
bool boot(Monitor& monitor, std::string& error);
bool attach(Monitor& monitor, std::string& error);

// console.cpp
void console_output(Monitor& monitor);
void console_input(Monitor& monitor);
void close_console(Monitor& monitor);

// control.cpp
void control(Monitor& monitor, int listener);
void signal_init(Monitor& monitor, int signal);

// zone_exit.cpp
void reap(Monitor& monitor);
void zone_exited(Monitor& monitor, int wait_status, bool known);
void check_timers(Monitor& monitor);
[[noreturn]] void finish(Monitor& monitor, int code);

// dhcp.cpp
// The clients of the --dhcp flags (not started); false for a malformed NIC.
bool configure_dhcp(Monitor& monitor);
void start_dhcp(Monitor& monitor);
void stop_dhcp(Monitor& monitor);
// A reaped child: when it was a DHCP client, its restart is scheduled.
void dhcp_exited(Monitor& monitor, int pid, int wait_status);
// Restarts the clients whose restart is due.
void dhcp_timers(Monitor& monitor);
bool dhcp_restart_pending(Monitor const& monitor);

// metadata.cpp
void start_metadata(Monitor& monitor);
void stop_metadata(Monitor& monitor);
void metadata_exited(Monitor& monitor, int pid, int wait_status);
void metadata_timers(Monitor& monitor);
bool metadata_restart_pending(Monitor const& monitor);

// qemu.cpp
inline bool is_hvm(Monitor const& monitor)
{
    return !monitor.flags.qemu.empty();
}
// Starts QEMU (our child, in its cgroups, without capabilities), connects QMP and the serial
// console; the provisioning is done once QEMU runs the machine.
bool boot_qemu(Monitor& monitor, std::string& error);
// A new monitor for a running QEMU (followed by pidfd): QMP and the console again.
bool attach_qemu(Monitor& monitor, std::string& error);
// QMP is readable: events.
void qmp_input(Monitor& monitor);
// ACPI power button (a graceful stop).
void qemu_powerdown(Monitor& monitor);
// Asks QEMU to quit (once per boot): false when it was asked before or refused.
bool qemu_quit(Monitor& monitor);
// QEMU ended: its connections.
void close_qemu(Monitor& monitor);

// display.cpp
// Listens on --display-listen (nothing to do without; false with errno).
bool listen_display(Monitor& monitor);
void accept_display(Monitor& monitor);
// One client's pair had these events (client side, QEMU side).
void relay_display(Monitor& monitor, size_t index, short client_events, short guest_events);
void stop_display(Monitor& monitor);

// uname.cpp
// Listens on seccomp.sock, where the OCI runtime sends the listeners of the zone's init and of
// each exec (--lx-uname; nothing to do otherwise or when already listening). false with errno.
bool listen_uname(Monitor& monitor);
// Takes every listener sent so far (none when not listening).
void accept_uname(Monitor& monitor);
// A listener is readable: answer one call.
void answer_uname(Monitor& monitor, int listener);
// A listener whose processes have all exited.
void close_uname(Monitor& monitor, int listener);
// The zone ended: every listener (the socket stays for its next boot).
void close_all_uname(Monitor& monitor);
// The monitor ends: the listeners and the socket.
void stop_uname(Monitor& monitor);

} // namespace lumos_zoned
