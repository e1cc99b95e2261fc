// SPDX-License-Identifier: MPL-2.0
// What the NIC, disk and route tests share (reference 2.4, 1.7, 2.7): a host, the create and
// update paths for the object arrays, and the VMs the SmartOS tests start from.
#pragma once

#include "base/uuid.hpp"
#include "props/apply_arrays.hpp"
#include "props/disks.hpp"
#include "props/nics.hpp"
#include "props/payload_checks.hpp"

#include <string>

namespace lumos::props::arrays_test {

inline constexpr char const* VM_UUID = "54f1cc77-68f1-42ab-acac-5c4f64f5d6e0";

inline HostFacts host()
{
    HostFacts facts;
    facts.nic_tags = { "admin", "external" };
    return facts;
}

inline std::string message(Result<void> const& result)
{
    return result ? std::string("<ok>") : result.error().message();
}

template <typename T>
std::string message(Result<T> const& result)
{
    return result ? std::string("<ok>") : result.error().message();
}

// normalizePayload's NIC and disk steps, then checkPayloadProperties.
inline Result<Json> prepare(
    Json payload, Json const& vm, Brand brand, HostFacts const& facts = host())
{
    TRY(normalize_nics(payload, vm, brand));
    TRY(normalize_disks(payload, vm, brand));
    TRY(check_payload_properties(payload, vm, brand, facts));
    return payload;
}

inline Result<Json> create(Json nics, Brand brand = Brand::Joyent, HostFacts const& facts = host())
{
    Json payload { { "add_nics", std::move(nics) } };
    return prepare(std::move(payload), Json::object(), brand, facts);
}

inline std::string create_error(
    Json nics, Brand brand = Brand::Joyent, HostFacts const& facts = host())
{
    return message(create(std::move(nics), brand, facts));
}

// The whole create path for the arrays: normalize, check, apply to a fresh VM object.
inline Result<Json> created_vm(Json payload, Brand brand = Brand::Joyent)
{
    TRY_ASSIGN(normalized, prepare(std::move(payload), Json::object(), brand));
    Json vm { { "uuid", VM_UUID }, { "zpool", "zones" }, { "nics", Json::array() } };
    if (is_hvm(brand)) {
        vm["disks"] = Json::array();
    }
    TRY(apply_object_arrays(vm, normalized, brand));
    return vm;
}

inline Result<Json> updated_vm(
    Json vm, Json payload, Brand brand = Brand::Joyent, HostFacts const& facts = host())
{
    TRY_ASSIGN(normalized, prepare(std::move(payload), vm, brand, facts));
    TRY(apply_object_arrays(vm, normalized, brand));
    return vm;
}

// A stopped joyent-minimal VM with one static NIC, as vmadm get shows it.
inline Json one_nic_vm()
{
    return Json { { "uuid", VM_UUID }, { "brand", "joyent-minimal" }, { "zpool", "zones" },
        { "state", "stopped" }, { "zone_state", "installed" },
        { "nics",
            Json::array({ Json { { "interface", "net0" }, { "mac", "01:02:03:04:05:06" },
                { "nic_tag", "external" }, { "ips", { "10.254.254.254/24" } },
                { "ip", "10.254.254.254" }, { "netmask", "255.255.255.0" },
                { "gateways", { "10.254.254.1" } }, { "gateway", "10.254.254.1" },
                { "primary", true } } }) } };
}

// The VM of test-vrrp-nics.js "vrrp vnics: updating" after its create.
inline Json vrrp_vm()
{
    Json vm = one_nic_vm();
    vm["nics"] = Json::array({
        Json { { "interface", "net0" }, { "mac", "00:00:5e:00:01:01" }, { "nic_tag", "external" },
            { "vrrp_vrid", 1 }, { "ips", { "172.18.1.101/24" } },
            { "vrrp_primary_ip", "172.18.1.2" }, { "primary", true } },
        Json { { "interface", "net1" }, { "mac", "00:00:5e:00:01:02" }, { "nic_tag", "external" },
            { "vrrp_vrid", 2 }, { "ips", { "172.18.1.102/24" } },
            { "vrrp_primary_ip", "172.18.1.2" } },
        Json { { "interface", "net2" }, { "mac", "52:31:98:52:5d:01" }, { "nic_tag", "external" },
            { "ips", { "172.18.1.2/24" } } },
        Json { { "interface", "net3" }, { "mac", "52:31:98:52:5d:02" }, { "nic_tag", "external" },
            { "ips", { "172.18.1.3/24" } } },
    });
    return vm;
}

inline Json dhcp_nic(char const* tag = "admin")
{
    return Json { { "nic_tag", tag }, { "ip", "dhcp" } };
}

} // namespace lumos::props::arrays_test
