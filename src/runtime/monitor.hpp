// SPDX-License-Identifier: MPL-2.0
// The host side of lumos-zoned (src/cmd/lumos-zoned): where a zone's runtime files live, how a
// monitor is started (detached, reporting on a pipe whether the zone booted), what it says about
// its zone, and the requests vmadm sends it on its control socket.
//
// The contract itself (files, flags, requests, replies, the status file) is
// runtime/monitor_protocol.hpp, shared with the monitor.
//
// Per zone, $LUMOS_ROOT/run/lumos/zones/<uuid>/ holds config.json (the OCI bundle, rewritten at
// every start), monitor.lock (flock held by the live monitor), ctl.sock, status (while running),
// provision ("success" | "failed", the last provisioning outcome), oci-runtime (the OCI runtime
// the zone was booted with), console.log, runc.log, monitor.log. The OCI runtime's own state is
// under $LUMOS_ROOT/run/lumos/runc (whichever runtime it is), the container id is the VM's uuid.
#pragma once

#include "base/file.hpp"
#include "base/result.hpp"
#include "runtime/monitor_protocol.hpp"
#include "sys/host_probe.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lumos::runtime {

// The programs a zone needs: an OCI runtime (crun or runc), our monitor and zinit; and the
// event program of its DHCP clients ("" when not installed: only a zone with DHCP NICs needs it).
struct Helpers {
    std::string oci_runtime;
    std::string zoned;
    std::string zinit;
    std::string netdown; // lumos-netdown: what removes a VM's networking ("": not installed)
    std::string dhcp_event;
    std::string metadata; // lumos-metadata: the zone's metadata server ("": not installed)
    // mdata-get, mdata-put, mdata-list, mdata-delete (static), bound into zones; empty unless
    // all four were found.
    std::vector<std::string> mdata_clients;
    std::string mdata_execute; // the scripts' runner zinit starts ("": none)
};

// LUMOS_LIBEXEC_DIR, else <dir of this program>/../lib/lumos (installed), else the build tree's
// <dir>/../lumos-zoned, ../zinit and ../lumos-dhcp-event; the OCI runtime is LUMOS_RUNC, else the
// one the host probe found works (crun before runc), else an error that says why each did not.
Result<Helpers> find_helpers(sys::HostFeatures const& features);

// What the monitor's status file says, checked against the process table.
struct ZoneStatus {
    int64_t pid { 0 };
    std::string boot_timestamp;
    monitor_protocol::Provisioning provisioning { monitor_protocol::Provisioning::None };
    bool monitored { false }; // a monitor holds the lock
};

class ZoneMonitor {
public:
    ZoneMonitor(std::string run_dir, std::string uuid);

    std::string const& dir() const { return m_dir; }
    std::string const& uuid() const { return m_uuid; }

    // The running zone, or nullopt when it is not running (no status, or its init is gone).
    std::optional<ZoneStatus> status() const;
    // The last provisioning outcome the monitor recorded ("" when none).
    std::string provision_outcome() const;
    // The OCI runtime the zone was booted with, as its monitor recorded it (nullopt: none
    // recorded, e.g. a zone booted by an older lumos, or the record is not the absolute path
    // of an executable file).
    std::optional<std::string> oci_runtime() const;

    struct Launch {
        Helpers helpers;
        std::string oci_runtime_root;
        std::string zonepath;
        bool attach { false };
        bool restart_init { true };
        int64_t provision_timeout_ms { 0 };
        int stop_signal { 15 };
        std::string stop_command; // in the zone, for a graceful stop ("": the signal)
        // `<netdown> <uuid> <netns>` when the zone has ended for good ("": it has no NICs).
        std::string netdown;
        // The NICs the monitor runs a DHCP client for in the zone's netns (<dir>/netns), "net0"
        // or "net0:primary"; needs helpers.dhcp_event. dhcp_resolv: the resolv.conf the leases
        // fill when the VM has no static resolvers ("" none).
        std::vector<std::string> dhcp;
        std::string dhcp_resolv;
        std::string dhcp_hostname;
        // lx zones: the release uname(2) reports ("" the host's), the version SmartOS's lx
        // brand reports; needs the zone's config.json to send its seccomp listener to the
        // monitor (ZoneHostPaths::seccomp_listener). nullopt: uname is the host's.
        std::optional<std::string> lx_uname_release;
        // kvm and bhyve: the monitor runs QEMU (its argv file, QMP and serial sockets, log and
        // the cgroup.procs files it joins) instead of an OCI runtime (helpers.oci_runtime and
        // oci_runtime_root unused).
        struct Qemu {
            std::string argv_file;
            std::string qmp;
            std::string serial;
            std::string log;
            std::vector<std::string> cgroups;
            // What QEMU sees of the host besides its programs (read-write, at the same paths):
            // the zone root, the VM's volumes.
            std::vector<std::string> binds;
            // The remote display: "<host>:<port>" to listen on ("" none), QEMU's socket, and
            // "vnc" or "spice".
            std::string display_listen;
            std::string display_socket;
            std::string display_protocol;
        };
        std::optional<Qemu> qemu;
    };
    // Starts a detached monitor and waits until it reports: the zone booted (or, attaching, is
    // followed). The error carries the monitor's reason (e.g. runc's last line).
    Result<void> launch(Launch const& launch) const;

    // One request, one reply line; nullopt timeout waits as long as the monitor takes.
    Result<std::string> request(monitor_protocol::Request const& request,
        std::optional<std::chrono::milliseconds> timeout = std::chrono::seconds(10)) const;
    // A connection on which the console flows (after the monitor said "ok").
    Result<UniqueFd> console() const;

private:
    Result<UniqueFd> connect() const;

    std::string m_dir;
    std::string m_uuid;
};

} // namespace lumos::runtime
