// SPDX-License-Identifier: MPL-2.0
// lumos-dhcp-event <event>: what busybox udhcpc runs (-s) at each DHCP event of a zone NIC, in
// the zone's network namespace (net/dhcp_client.hpp starts udhcpc there). The lease comes in
// udhcpc's environment (interface, ip, mask, subnet, router, dns, domain, lease, serverid) and is
// hostile: it is checked whole (net::parse_dhcp_lease) and refused, logged and not applied when
// any value is bad. Then, through net::Rtnl in this namespace:
//   bound, renew  the address (replacing the previous lease's when it changed) and, with
//                 LUMOS_DHCP_PRIMARY=1, the default route via the first router; the lease as
//                 JSON in $LUMOS_DHCP_DIR/<if>.lease (temp + rename); with LUMOS_DHCP_RESOLV,
//                 the name servers and domain written into that file in place (it is bind-mounted
//                 over the zone's /etc/resolv.conf, so it is never replaced by a rename)
//   deconfig      the previous lease's address and route removed, its file too
//   leasefail, nak  logged
// Log lines go to $LUMOS_DHCP_LOG (appended), else stderr. Exit 0 when done, 1 when a lease was
// refused or could not be applied, 2 for a usage error.
#include "base/file.hpp"
#include "base/json.hpp"
#include "base/time.hpp"
#include "base/unique_fd.hpp"
#include "net/antispoof.hpp"
#include "net/dhcp_client.hpp"
#include "net/dhcp_lease.hpp"
#include "net/netns.hpp"
#include "net/rtnl.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include <fcntl.h>
#include <unistd.h>

namespace lumos::dhcp_event {
namespace {

namespace dhcp = net::dhcp;

std::string env_or_empty(char const* name)
{
    char const* value = std::getenv(name);
    return value != nullptr ? value : "";
}

void log(std::string const& message)
{
    std::string const line = iso_timestamp(now_ms()) + " lumos-dhcp-event["
        + std::to_string(::getpid()) + "] " + message + "\n";
    std::string const file = env_or_empty(dhcp::ENV_LOG);
    UniqueFd fd(file.empty()
            ? -1
            : ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    (void)write_fully(fd.valid() ? fd.get() : STDERR_FILENO, line.data(), line.size());
}

net::DhcpEnvironment udhcpc_environment()
{
    net::DhcpEnvironment env;
    for (char const* key :
        { "interface", "ip", "mask", "subnet", "router", "dns", "domain", "lease", "serverid" }) {
        if (char const* value = std::getenv(key); value != nullptr) {
            env.emplace(key, value);
        }
    }
    return env;
}

// The lease this NIC had (its file), or none.
std::optional<net::DhcpLease> previous_lease(std::string const& file)
{
    auto text = read_file_bounded(file, 65536);
    if (!text) {
        return std::nullopt;
    }
    auto json = parse_json(*text);
    auto lease = json ? net::dhcp_lease_from_json(*json)
                      : Result<net::DhcpLease>(tl::unexpected(json.error()));
    if (!lease) {
        log(file + ": ignored: " + lease.error().message());
        return std::nullopt;
    }
    return *lease;
}

// Writes content into file in place (the file is a bind mount's source: a rename would leave
// the zone reading the old one).
Result<void> write_in_place(std::string const& file, std::string const& content)
{
    UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (!fd.valid()) {
        return tl::unexpected(Error::from_errno("open " + file, errno));
    }
    if (!write_fully(fd.get(), content.data(), content.size())
        || ::ftruncate(fd.get(), static_cast<off_t>(content.size())) != 0) {
        return tl::unexpected(Error::from_errno("write " + file, errno));
    }
    return {};
}

// The NIC's anti-spoofing rules in the host's namespace with the lease's address allowed (or
// none): <LUMOS_DHCP_DIR>/<if>.filter.json, written by vmadm when it made the NIC. Without
// either (a test, a NIC made by hand) there are no rules to change.
Result<void> allow_lease(std::string const& dir, std::string const& interface,
    std::optional<net::IpAddress> const& address)
{
    std::string const host_netns = env_or_empty(dhcp::ENV_HOST_NETNS);
    std::string const file = dir + "/" + interface + dhcp::FILTER_SUFFIX;
    if (host_netns.empty() || ::access(file.c_str(), F_OK) != 0) {
        return {};
    }
    TRY_ASSIGN(text, read_file_bounded(file, 65536));
    TRY_ASSIGN(json, parse_json(text));
    TRY_ASSIGN(filter, net::vnic_filter_from_json(json));
    if (address) {
        filter.ips.push_back(*address);
    }
    TRY_ASSIGN(host, net::Netns::open(host_netns));
    return net::apply_vnic_filter(host, filter);
}

Result<void> bound(std::string const& event, std::string const& lease_file, bool primary)
{
    auto lease = net::parse_dhcp_lease(udhcpc_environment());
    if (!lease) {
        return make_error(ErrorCode::InvalidArgument,
            event + ": lease refused, not applied: " + lease.error().message());
    }
    auto const previous = previous_lease(lease_file);
    // The rules first: the address may be used from the moment it is set.
    TRY(allow_lease(
        lease_file.substr(0, lease_file.rfind('/')), lease->interface, lease->address.address));
    TRY_ASSIGN(netns, net::Netns::current());
    TRY_ASSIGN(rtnl, net::Rtnl::in(netns));
    TRY(net::apply_dhcp_lease(rtnl, *lease, previous ? &*previous : nullptr, primary));
    TRY(write_file_replace(lease_file, dump_pretty(net::dhcp_lease_json(*lease)) + "\n", 0600));
    std::string const resolv = env_or_empty(dhcp::ENV_RESOLV);
    if (!resolv.empty()) {
        TRY(write_in_place(resolv, net::dhcp_resolv_conf(*lease)));
    }
    log(lease->interface + ": " + event + " " + lease->address.str()
        + (lease->routers.empty() ? "" : " router " + lease->routers.front().str())
        + (primary ? " (primary)" : "") + ", lease " + std::to_string(lease->lease_seconds) + " s");
    return {};
}

Result<void> deconfig(std::string const& interface, std::string const& lease_file, bool primary)
{
    auto const previous = previous_lease(lease_file);
    if (previous) {
        TRY_ASSIGN(netns, net::Netns::current());
        TRY_ASSIGN(rtnl, net::Rtnl::in(netns));
        TRY(net::remove_dhcp_lease(rtnl, *previous, primary));
        log(interface + ": deconfig: removed " + previous->address.str());
    }
    TRY(allow_lease(lease_file.substr(0, lease_file.rfind('/')), interface, std::nullopt));
    if (::unlink(lease_file.c_str()) != 0 && errno != ENOENT) {
        return tl::unexpected(Error::from_errno("remove " + lease_file, errno));
    }
    return {};
}

int run(int argc, char** argv)
{
    if (argc != 2) {
        (void)std::fprintf(stderr, "usage: lumos-dhcp-event deconfig|bound|renew|leasefail|nak\n");
        return 2;
    }
    std::string const event = argv[1];
    std::string const dir = env_or_empty(dhcp::ENV_DIR);
    std::string const interface = env_or_empty("interface");
    if (dir.empty() || dir.front() != '/' || !net::check_link_name(interface)) {
        log("refused: " + std::string(dhcp::ENV_DIR)
            + " must be an absolute directory and interface a link name");
        return 2;
    }
    bool const primary = env_or_empty(dhcp::ENV_PRIMARY) == "1";
    std::string const lease_file = dir + "/" + interface + dhcp::LEASE_SUFFIX;
    Result<void> done;
    if (event == "bound" || event == "renew") {
        done = bound(event, lease_file, primary);
    } else if (event == "deconfig") {
        done = deconfig(interface, lease_file, primary);
    } else if (event == "leasefail" || event == "nak") {
        log(interface + ": " + event);
    } else {
        log(interface + ": unknown event ignored");
    }
    if (!done) {
        log(interface + ": " + done.error().message());
        return 1;
    }
    return 0;
}

} // namespace
} // namespace lumos::dhcp_event

int main(int argc, char** argv)
{
    return lumos::dhcp_event::run(argc, argv);
}
