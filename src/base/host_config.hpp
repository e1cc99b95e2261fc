// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/paths.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lumos {

// What a nic tag maps to (nictagadm list's TYPE column).
enum class NicTagKind {
    Normal, // "<tag>_nic=<mac>": the host link with that MAC
    Aggr, // "<tag>_nic=<aggr>": a link aggregation named in "<aggr>_aggr=..."
    Etherstub, // a name in "etherstub=a,b": an internal switch with no link
};

struct NicTag {
    std::string name;
    NicTagKind kind { NicTagKind::Normal };
    // Normal: the MAC, normalized (normalize_mac); "" when the value is not a MAC.
    std::string mac;
    // Aggr: the aggregation's name.
    std::string aggr;
    // "<tag>_mtu=<n>" (nictagadm add/update -p mtu=): the MTU asked for the tag's link.
    std::optional<int64_t> mtu;
};

// SmartOS's normalize_mac: six ':'-separated octets of one or two hex digits, printed as two
// lower-case digits each; nullopt for anything else.
std::optional<std::string> normalize_mac(std::string_view mac);
// nictagadm's valid_stub_name: letters, digits and '_', at most 31 bytes, ending in a digit
// (the rule for an etherstub's name, and what tells an aggregation from a MAC in "<tag>_nic=").
bool is_stub_name(std::string_view name);

// The host config ($LUMOS_ROOT/etc/lumos/config): SmartOS's /usbkey/config style of
// "key=value" lines, parsed once. Unknown keys are ignored; a missing or unreadable file is an
// empty config (every default), and so is one over 1 MiB (no config is that large).
struct HostConfig {
    // Nic tags: "<tag>_nic=<mac>" lines (a repeated key: the first line's place, the last
    // line's value, as nictagadm reads them), "<tag>_mtu=<n>", and the last "etherstub=a,b"
    // line (values may be quoted; '#' starts a comment line). Names nictagadm would refuse
    // (other than letters, digits and '_', or 32 bytes and more) are left out. In file order,
    // the etherstubs last.
    std::vector<NicTag> tags;
    // Link aggregations: the names of "<aggr>_aggr=<links>" keys.
    std::vector<std::string> aggregations;
    // The names of tags, in the same order (what vmadm validates a NIC's nic_tag against).
    std::vector<std::string> nic_tags;
    // "provision_timeout=<seconds>": the operator's override of SmartOS's 300 s provisioning
    // deadline; the first positive value counts.
    std::optional<int64_t> provision_timeout_s;
    // "cgroup_parent=/<path>": the cgroup under which each zone gets <uuid> (letters, digits
    // and "_-./" only, no ".."; the last such line counts). Default /lumos.
    std::string cgroup_parent { "/lumos" };
    // "admin_ip=<address>" (SmartOS's /usbkey/config key, also "dhcp"): where the host's own
    // services for the admin network listen (HVM guests' remote displays). "" when not set.
    std::string admin_ip;

    static HostConfig parse(std::string_view text);
    // The tag named name, nullptr when there is none.
    NicTag const* find_tag(std::string_view name) const;
    static HostConfig load(Paths const& paths);
    // The file's text for readers of other keys (sysinfo): "" when it is missing, unreadable
    // or over 1 MiB, as for load.
    static std::string read_text(Paths const& paths);
};

} // namespace lumos
