// SPDX-License-Identifier: MPL-2.0
// The DHCP clients of the zone's --dhcp NICs (net/dhcp_client.hpp): busybox udhcpc in the zone's
// network namespace (<dir>/netns), started once the zone booted (or was attached to), stopped
// when its init exits, restarted with a backoff when one dies. The monitor reaps them with its
// other children; each dies with the monitor (PR_SET_PDEATHSIG), and a re-attached monitor
// starts them again. Leases go to <dir>/<if>.lease, the event program's lines to monitor.log.
#include "cmd/lumos-zoned/monitor.hpp"

#include <cerrno>
#include <cstring>

#include <sys/wait.h>
#include <unistd.h>

namespace lumos_zoned {

namespace dhcp = lumos::net::dhcp;

bool configure_dhcp(Monitor& monitor)
{
    auto const& flags = monitor.flags;
    std::vector<dhcp::Nic> nics;
    for (auto const& flag : flags.dhcp) {
        auto nic = dhcp::parse_nic(flag);
        if (!nic) {
            return false;
        }
        nics.push_back(std::move(*nic));
    }
    // One client fills the resolv.conf: the primary NIC's, else the first.
    size_t resolver = 0;
    for (size_t i = 0; i < nics.size(); ++i) {
        if (nics[i].primary) {
            resolver = i;
            break;
        }
    }
    std::string const busybox = dhcp::find_busybox();
    monitor.dhcp.reserve(nics.size());
    for (size_t i = 0; i < nics.size(); ++i) {
        dhcp::ClientSpec spec;
        spec.netns = path(monitor, protocol::NETNS_FILE);
        spec.nic = nics[i];
        spec.event_program = flags.dhcp_event;
        spec.lease_dir = flags.dir;
        spec.resolv_file = i == resolver ? flags.dhcp_resolv : std::string();
        spec.log_file = path(monitor, protocol::MONITOR_LOG);
        spec.host_netns = "/proc/" + std::to_string(::getpid()) + "/ns/net";
        spec.hostname = flags.dhcp_hostname;
        spec.busybox = busybox;
        monitor.dhcp.emplace_back(std::move(spec));
    }
    return true;
}

void start_dhcp(Monitor& monitor)
{
    for (auto& client : monitor.dhcp) {
        if (!client.start()) {
            log("cannot start the DHCP client of " + client.spec().nic.interface + ": "
                + std::strerror(errno));
        }
    }
}

void stop_dhcp(Monitor& monitor)
{
    for (auto& client : monitor.dhcp) {
        client.stop();
    }
}

void dhcp_exited(Monitor& monitor, int pid, int wait_status)
{
    for (auto& client : monitor.dhcp) {
        if (client.exited(pid)) {
            long long const delay = client.restart_due() - dhcp::monotonic_ms();
            log("the DHCP client of " + client.spec().nic.interface + " exited (wait status "
                + std::to_string(wait_status) + "), restarting in "
                + std::to_string((delay + 999) / 1000) + " s");
            return;
        }
    }
}

void dhcp_timers(Monitor& monitor)
{
    for (auto& client : monitor.dhcp) {
        client.tick();
    }
}

bool dhcp_restart_pending(Monitor const& monitor)
{
    for (auto const& client : monitor.dhcp) {
        if (client.restart_due() != 0) {
            return true;
        }
    }
    return false;
}

} // namespace lumos_zoned
