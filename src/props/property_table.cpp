// SPDX-License-Identifier: MPL-2.0
// SmartOS's property table (proptable.js), one row per property. Columns: name, type, allowed
// actions per brand (joyent, joyent-minimal, builder, lx, kvm, bhyve; C=create R=receive
// U=update A=add), brands that require it on create, flags, min, max, value validator, vmadm list
// header and width, description.
#include "props/property_table.hpp"

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <string>

#include <arpa/inet.h>

namespace lumos::props {

namespace {

using T = PropType;
using V = Validator;

constexpr uint8_t actions(std::string_view text)
{
    uint8_t bits = ACTION_NONE;
    for (char const c : text) {
        switch (c) {
        case 'C':
            bits |= ACTION_CREATE;
            break;
        case 'R':
            bits |= ACTION_RECEIVE;
            break;
        case 'U':
            bits |= ACTION_UPDATE;
            break;
        case 'A':
            bits |= ACTION_ADD;
            break;
        default:
            break;
        }
    }
    return bits;
}

constexpr std::array<uint8_t, BRAND_COUNT> allow(std::string_view joyent,
    std::string_view joyent_minimal, std::string_view builder, std::string_view lx,
    std::string_view kvm, std::string_view bhyve)
{
    return { actions(joyent), actions(joyent_minimal), actions(builder), actions(lx),
        actions(kvm), actions(bhyve) };
}

// Size bounds: a size times its unit must fit in an int64 of bytes (what zfs, btrfs and the
// cgroup files take), so that no later multiplication can wrap to a small limit. SmartOS's table
// has no maximum; zfs and zonecfg refuse values beyond 64 bits where lumos would wrap. ram leaves
// room for the HVM memory overhead that create adds to it.
constexpr int64_t MAX_MIB = INT64_MAX >> 20U;
constexpr int64_t MAX_GIB = INT64_MAX >> 30U;
constexpr int64_t MAX_RAM_MIB = MAX_MIB - 2048;
// Free text stored as a zone attribute: zonecfg's attribute value is 2 * BUFSIZ bytes with its
// NUL; alias is stored base64-encoded, so 3/4 of that.
constexpr int64_t MAX_ATTR = 2047;
constexpr int64_t MAX_BASE64_ATTR = 1535;

constexpr uint8_t req(Brand brand)
{
    return static_cast<uint8_t>(1U << static_cast<unsigned>(brand));
}

// clang-format off
constexpr Property PROPERTIES[] = {
    { "add_disks", T::ObjectArray, allow("", "", "", "", "U", "U"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "validated as disks.*" },
    { "add_filesystems", T::ObjectArray, allow("U", "U", "U", "U", "U", ""), 0, FLAG_NONE, 0, 0, V::None, "", 0, "validated as filesystems.*" },
    { "add_nics", T::ObjectArray, allow("U", "U", "U", "U", "U", "U"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "validated as nics.*" },
    { "add_pci_devices", T::ObjectArray, allow("", "", "", "", "", "CRU"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "validated as pci_devices.*" },
    { "alias", T::String, allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), 0, FLAG_LISTABLE | FLAG_HAS_MAX, 0, MAX_BASE64_ATTR, V::None, "ALIAS", 10, "at most 1535 bytes; xml:attr.alias" },
    { "allowed_address", T::ReadOnly, allow("", "", "", "", "", ""), 0, FLAG_NONE, 0, 0, V::None, "", 0, "ignored on load; xml:network.allowed-address" },
    { "app_svc_dependent", T::ReadOnly, allow("", "", "", "", "", ""), 0, FLAG_NONE, 0, 0, V::None, "", 0, "xml:attr.app-svc-dependent" },
    { "archive_on_delete", T::Boolean, allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "table default false; xml:attr.archive-on-delete" },
    { "autoboot", T::Boolean, allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), 0, FLAG_LISTABLE, 0, 0, V::None, "AUTOBOOT", 8, "xml:autoboot" },
    { "bhyve_extra_opts", T::String, allow("", "", "", "", "", "CRU"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "xml:attr.bhyve-extra-opts" },
    { "billing_id", T::String, allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), 0, FLAG_LISTABLE | FLAG_HAS_MAX, 0, MAX_ATTR, V::None, "BILLING_ID", 36, "at most 2047 bytes; xml:attr.billing-id" },
    { "boot", T::String, allow("", "", "", "", "CRU", "CRU"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "xml:attr.boot" },
    { "boot_timestamp", T::ReadOnly, allow("", "", "", "", "", ""), 0, FLAG_LISTABLE, 0, 0, V::None, "BOOT_TIMESTAMP", 24, "kstat:boot_time" },
    { "bootrom", T::String, allow("", "", "", "", "", "CRU"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "xml:attr.bootrom" },
    { "brand", T::String, allow("CR", "CR", "CR", "CR", "CR", "CR"), req(Brand::Joyent) | req(Brand::JoyentMinimal) | req(Brand::Builder) | req(Brand::Kvm) | req(Brand::Lx), FLAG_LISTABLE, 0, 0, V::None, "BRAND", 14, "REQUIRED on create for joyent/joyent-minimal/builder/kvm/lx; xml:brand" },
    { "com1", T::String, allow("", "", "", "", "", "CRU"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "xml:attr.com1" },
    { "com2", T::String, allow("", "", "", "", "", "CRU"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "xml:attr.com2" },
    { "cpu_cap", T::Integer, allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), 0, FLAG_LISTABLE | FLAG_HAS_MIN, 0, 0, V::None, "CPU_CAP", 7, "min 0; xml:rctl.zone.cpu-cap.privileged.deny" },
    { "cpu_shares", T::Integer, allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), 0, FLAG_LISTABLE | FLAG_HAS_MIN, 0, 0, V::None, "CPU_SHARE", 9, "min 0; xml:rctl.zone.cpu-shares.privileged.none" },
    { "cpu_type", T::String, allow("", "", "", "", "CRU", ""), 0, FLAG_LISTABLE, 0, 0, V::None, "CPU_TYPE", 8, "xml:attr.cpu-type" },
    { "create_only", T::Boolean, allow("R", "R", "R", "R", "R", "R"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "" },
    { "create_timestamp", T::String, allow("R", "R", "R", "R", "R", "R"), 0, FLAG_LISTABLE, 0, 0, V::None, "CREATE_TIMESTAMP", 24, "xml:attr.create-timestamp; zfs:creation" },
    { "customer_metadata", T::FlatObject, allow("CR", "CR", "CR", "CR", "CR", "CR"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "json:customer_metadata" },
    { "datacenter_name", T::ReadOnly, allow("", "", "", "", "", ""), 0, FLAG_NONE, 0, 0, V::None, "", 0, "sysinfo:\"Datacenter Name\"" },
    { "dataset_uuid", T::Uuid, allow("CR", "CR", "CR", "CR", "", ""), 0, FLAG_DEPRECATED, 0, 0, V::None, "", 0, "deprecated" },
    { "datasets", T::List, allow("R", "R", "R", "R", "R", "R"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "zfs:name" },
    { "debug_id", T::ReadOnly, allow("", "", "", "", "", ""), 0, FLAG_NONE, 0, 0, V::None, "", 0, "ignored on load; xml:debugid" },
    { "default_gateway", T::ReadOnly, allow("", "", "", "", "", ""), 0, FLAG_DEPRECATED, 0, 0, V::None, "", 0, "deprecated; xml:attr.default-gateway" },
    { "delegate_dataset", T::Boolean, allow("CR", "CR", "CR", "CR", "", ""), 0, FLAG_NONE, 0, 0, V::None, "", 0, "" },
    { "disk_driver", T::String, allow("", "", "", "", "CRU", "CRU"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "xml:attr.disk-driver" },
    { "disks", T::ObjectArray, allow("", "", "", "", "CR", "CR"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "xml:device; zfs:compression/name/refreservation/usedbysnapshots/volblocksize/volsize" },
    { "disks.*.block_size", T::Integer, allow("", "", "", "", "A", "A"), 0, FLAG_HAS_MIN, 0, 0, V::None, "", 0, "min 0; zfs:volblocksize" },
    { "disks.*.boot", T::Boolean, allow("", "", "", "", "UA", "UA"), 0, FLAG_UPDATABLE, 0, 0, V::None, "", 0, "copied by update_*; xml:device.net-attr.boot" },
    { "disks.*.compression", T::String, allow("", "", "", "", "UA", "UA"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "zfs:compression" },
    { "disks.*.dangerous_allow_shrink", T::Boolean, allow("", "", "", "", "", "U"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "" },
    { "disks.*.guest_block_size", T::String, allow("", "", "", "", "", "UA"), 0, FLAG_UPDATABLE, 0, 0, V::BhyveSectSize, "", 0, "validBhyveSectSize; copied by update_*; xml:device.net-attr.guest-block-size" },
    { "disks.*.image_name", T::String, allow("", "", "", "", "UA", ""), 0, FLAG_DEPRECATED, 0, 0, V::None, "", 0, "deprecated; ignored on load; xml:device.net-attr.image-name" },
    { "disks.*.image_size", T::Integer, allow("", "", "", "", "A", "A"), 0, FLAG_HAS_MIN | FLAG_HAS_MAX, 0, MAX_MIB, V::None, "", 0, "min 0; max: bytes fit an int64; xml:device.net-attr.image-size" },
    { "disks.*.image_uuid", T::Uuid, allow("", "", "", "", "A", "A"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "xml:device.net-attr.image-uuid" },
    { "disks.*.media", T::String, allow("", "", "", "", "UA", "UA"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "xml:device.net-attr.media" },
    { "disks.*.model", T::String, allow("", "", "", "", "UA", "UA"), 0, FLAG_UPDATABLE, 0, 0, V::None, "", 0, "copied by update_*; xml:device.net-attr.model" },
    { "disks.*.nocreate", T::Boolean, allow("", "", "", "", "A", "A"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "" },
    { "disks.*.notrim", T::Boolean, allow("", "", "", "", "", "UA"), 0, FLAG_UPDATABLE, 0, 0, V::None, "", 0, "copied by update_*; xml:device.net-attr.notrim" },
    { "disks.*.path", T::String, allow("", "", "", "", "UA", "UA"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "xml:device.match" },
    { "disks.*.pci_slot", T::String, allow("", "", "", "", "", "UA"), 0, FLAG_UPDATABLE, 0, 0, V::None, "", 0, "copied by update_*; xml:device.net-attr.pci-slot" },
    { "disks.*.refreservation", T::Integer, allow("", "", "", "", "UA", "UA"), 0, FLAG_HAS_MIN | FLAG_HAS_MAX, 0, MAX_MIB, V::None, "", 0, "min 0; max: bytes fit an int64; zfs:refreservation" },
    { "disks.*.size", T::Integer, allow("", "", "", "", "A", "UA"), 0, FLAG_HAS_MIN | FLAG_HAS_MAX, 0, MAX_MIB, V::None, "", 0, "min 0; max: bytes fit an int64; zfs:volsize" },
    { "disks.*.uuid", T::Uuid, allow("", "", "", "", "", "UA"), 0, FLAG_UPDATABLE, 0, 0, V::None, "", 0, "copied by update_*; xml:device.net-attr.uuid" },
    { "disks.*.zfs_filesystem", T::String, allow("", "", "", "", "R", "R"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "zfs:name" },
    { "disks.*.zonexml_size", T::ReadOnly, allow("", "", "", "", "", ""), 0, FLAG_NONE, 0, 0, V::None, "", 0, "ignored on load; xml:device.net-attr.size" },
    { "disks.*.zpool", T::String, allow("", "", "", "", "A", "A"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "zfs:name" },
    { "dns_domain", T::String, allow("CRU", "CRU", "CRU", "CRU", "", ""), 0, FLAG_LISTABLE | FLAG_HAS_MAX, 0, MAX_ATTR, V::None, "DOMAIN", 32, "at most 2047 bytes; xml:attr.dns-domain" },
    { "do_not_inventory", T::Boolean, allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), 0, FLAG_LISTABLE, 0, 0, V::None, "DNI", 5, "table default false; xml:attr.do-not-inventory" },
    { "docker", T::Boolean, allow("", "CRU", "", "CRU", "", ""), 0, FLAG_LISTABLE, 0, 0, V::None, "DOCKER", 6, "table default false; xml:attr.docker" },
    { "exit_status", T::ReadOnly, allow("", "", "", "", "", ""), 0, FLAG_LISTABLE, 0, 0, V::None, "EXIT", 4, "" },
    { "exit_timestamp", T::ReadOnly, allow("", "", "", "", "", ""), 0, FLAG_LISTABLE, 0, 0, V::None, "EXIT_TIMESTAMP", 24, "" },
    { "failed", T::ReadOnly, allow("", "", "", "", "", ""), 0, FLAG_NONE, 0, 0, V::None, "", 0, "xml:attr.failed" },
    { "filesystems", T::ObjectArray, allow("CR", "CR", "CR", "CR", "", ""), 0, FLAG_NONE, 0, 0, V::None, "", 0, "xml:fs" },
    { "filesystems.*.options", T::List, allow("UA", "UA", "UA", "UA", "", ""), 0, FLAG_UPDATABLE, 0, 0, V::None, "", 0, "copied by update_*" },
    { "filesystems.*.raw", T::String, allow("UA", "UA", "UA", "UA", "", ""), 0, FLAG_UPDATABLE, 0, 0, V::None, "", 0, "copied by update_*; xml:filesystem.raw" },
    { "filesystems.*.source", T::String, allow("UA", "UA", "UA", "UA", "", ""), 0, FLAG_UPDATABLE, 0, 0, V::None, "", 0, "copied by update_*; xml:filesystem.special" },
    { "filesystems.*.target", T::String, allow("UA", "UA", "UA", "UA", "", ""), 0, FLAG_UPDATABLE, 0, 0, V::None, "", 0, "copied by update_*; xml:filesystem.directory" },
    { "filesystems.*.type", T::String, allow("UA", "UA", "UA", "UA", "", ""), 0, FLAG_UPDATABLE, 0, 0, V::None, "", 0, "copied by update_*; xml:filesystem.type" },
    { "firewall_enabled", T::Boolean, allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), 0, FLAG_LISTABLE, 0, 0, V::None, "FIREWALL_ENABLED", 16, "table default false; xml:attr.firewall-enabled" },
    { "flexible_disk_size", T::Integer, allow("", "", "", "", "", "CRU"), 0, FLAG_LISTABLE | FLAG_HAS_MIN | FLAG_HAS_MAX, 0, MAX_MIB, V::None, "FLEX_DISK_SIZE", 14, "min 0; max: bytes fit an int64; xml:attr.flexible-disk-size" },
    { "free_space", T::ReadOnly, allow("", "", "", "", "", ""), 0, FLAG_LISTABLE, 0, 0, V::None, "FREE_SPACE", 14, "zfs:volsize/usedbysnapshots" },
    { "fs_allowed", T::List, allow("CRU", "CRU", "CRU", "CRU", "", ""), 0, FLAG_NONE, 0, 0, V::None, "", 0, "xml:fs-allowed" },
    { "headnode_id", T::ReadOnly, allow("", "", "", "", "", ""), 0, FLAG_NONE, 0, 0, V::None, "", 0, "sysinfo:\"Headnode ID\"" },
    { "hostname", T::String, allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), 0, FLAG_LISTABLE | FLAG_HAS_MAX, 0, MAX_ATTR, V::None, "HOSTNAME", 32, "at most 2047 bytes; xml:attr.hostname" },
    { "image_uuid", T::Uuid, allow("CR", "CR", "CR", "CR", "CR", "CR"), req(Brand::Joyent) | req(Brand::JoyentMinimal) | req(Brand::Builder) | req(Brand::Lx), FLAG_LISTABLE, 0, 0, V::None, "IMAGE_UUID", 36, "REQUIRED on create for joyent/joyent-minimal/builder/lx; xml:attr.dataset-uuid" },
    { "indestructible_delegated", T::Boolean, allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), 0, FLAG_LISTABLE, 0, 0, V::None, "INDESTR_DATA", 12, "table default false; zfs:userrefs" },
    { "indestructible_zoneroot", T::Boolean, allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), 0, FLAG_LISTABLE, 0, 0, V::None, "INDESTR_ROOT", 12, "table default false; zfs:userrefs" },
    { "init_name", T::String, allow("CRU", "CRU", "CRU", "CRU", "", ""), 0, FLAG_NONE, 0, 0, V::None, "", 0, "xml:attr.init-name" },
    { "init_restarts", T::ReadOnly, allow("", "", "", "", "", ""), 0, FLAG_NONE, 0, 0, V::None, "", 0, "kstat:init_restarts" },
    { "internal_metadata", T::FlatObject, allow("CR", "CR", "CR", "CR", "CR", "CR"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "json:internal_metadata" },
    { "internal_metadata_namespaces", T::List, allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), 0, FLAG_NONE, 0, 0, V::AttrValue, "", 0, "validAttrValue; xml:attr.internal-metadata-namespaces" },
    { "ip_type", T::ReadOnly, allow("", "", "", "", "", ""), 0, FLAG_NONE, 0, 0, V::None, "", 0, "ignored on load; xml:ip-type" },
    { "kernel_version", T::String, allow("", "", "", "CRU", "", ""), req(Brand::Lx), FLAG_NONE, 0, 0, V::None, "", 0, "REQUIRED on create for lx; xml:attr.kernel-version" },
    { "last_modified", T::ReadOnly, allow("", "", "", "", "", ""), 0, FLAG_NONE, 0, 0, V::None, "", 0, "" },
    { "limit_priv", T::List, allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "xml:limitpriv" },
    { "maintain_resolvers", T::Boolean, allow("CRU", "CRU", "CRU", "CRU", "", ""), 0, FLAG_NONE, 0, 0, V::None, "", 0, "table default false; xml:attr.maintain-resolvers" },
    { "max_locked_memory", T::Integer, allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), 0, FLAG_LISTABLE | FLAG_HAS_MIN | FLAG_HAS_MAX, 0, MAX_MIB, V::None, "MAX_LOCKED", 10, "min 0; max: bytes fit an int64; xml:rctl.zone.max-locked-memory.privileged.deny" },
    { "max_lwps", T::Integer, allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), 0, FLAG_LISTABLE | FLAG_HAS_MIN, 0, 0, V::None, "MAX_LWP", 7, "min 0; xml:rctl.zone.max-lwps.privileged.deny" },
    { "max_msg_ids", T::Integer, allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), 0, FLAG_HAS_MIN, 0, 0, V::None, "", 0, "min 0; xml:rctl.zone.max-msg-ids.privileged.deny" },
    { "max_physical_memory", T::Integer, allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), 0, FLAG_LISTABLE | FLAG_HAS_MIN | FLAG_HAS_MAX, 0, MAX_MIB, V::None, "MAX_PHYS", 8, "min 0; max: bytes fit an int64; xml:rctl.zone.max-physical-memory.privileged.deny" },
    { "max_sem_ids", T::Integer, allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), 0, FLAG_HAS_MIN, 0, 0, V::None, "", 0, "min 0; xml:rctl.zone.max-sem-ids.privileged.deny" },
    { "max_shm_ids", T::Integer, allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), 0, FLAG_HAS_MIN, 0, 0, V::None, "", 0, "min 0; xml:rctl.zone.max-shm-ids.privileged.deny" },
    { "max_shm_memory", T::Integer, allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), 0, FLAG_HAS_MIN | FLAG_HAS_MAX, 0, MAX_MIB, V::None, "", 0, "min 0; max: bytes fit an int64; xml:rctl.zone.max-shm-memory.privileged.deny" },
    { "max_swap", T::Integer, allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), 0, FLAG_LISTABLE | FLAG_HAS_MIN | FLAG_HAS_MAX, 256, MAX_MIB, V::None, "MAX_SWAP", 8, "min 256; max: bytes fit an int64; xml:rctl.zone.max-swap.privileged.deny" },
    { "mdata_exec_timeout", T::Integer, allow("C", "C", "C", "C", "", ""), 0, FLAG_HAS_MIN, 0, 0, V::None, "", 0, "min 0" },
    { "missing", T::ReadOnly, allow("", "", "", "", "", ""), 0, FLAG_NONE, 0, 0, V::None, "", 0, "zfs:name" },
    { "nic_driver", T::String, allow("", "", "", "", "CRU", "CRU"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "xml:attr.nic-driver" },
    { "nics", T::ObjectArray, allow("CR", "CR", "CR", "CR", "CR", "CR"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "xml:network" },
    { "nics.*.allow_dhcp_spoofing", T::Boolean, allow("UA", "UA", "UA", "UA", "UA", "UA"), 0, FLAG_UPDATABLE, 0, 0, V::None, "", 0, "table default false; copied by update_*; xml:network.net-attr.allow_dhcp_spoofing" },
    { "nics.*.allow_ip_spoofing", T::Boolean, allow("UA", "UA", "UA", "UA", "UA", "UA"), 0, FLAG_UPDATABLE, 0, 0, V::None, "", 0, "table default false; copied by update_*; xml:network.net-attr.allow_ip_spoofing" },
    { "nics.*.allow_mac_spoofing", T::Boolean, allow("UA", "UA", "UA", "UA", "UA", "UA"), 0, FLAG_UPDATABLE, 0, 0, V::None, "", 0, "table default false; copied by update_*; xml:network.net-attr.allow_mac_spoofing" },
    { "nics.*.allow_restricted_traffic", T::Boolean, allow("UA", "UA", "UA", "UA", "UA", "UA"), 0, FLAG_UPDATABLE, 0, 0, V::None, "", 0, "table default false; copied by update_*; xml:network.net-attr.allow_restricted_traffic" },
    { "nics.*.allow_unfiltered_promisc", T::Boolean, allow("", "", "", "", "UA", "UA"), 0, FLAG_UPDATABLE, 0, 0, V::None, "", 0, "table default false; copied by update_*; xml:network.net-attr.allow_unfiltered_promisc" },
    { "nics.*.allowed_dhcp_cids", T::List, allow("UA", "UA", "UA", "UA", "UA", ""), 0, FLAG_NONE, 0, 0, V::Cid, "", 0, "validCID; xml:network.net-attr.allowed_dhcp_cids" },
    { "nics.*.allowed_ips", T::List, allow("UA", "UA", "UA", "UA", "UA", "UA"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "xml:network.net-attr.allowed_ips" },
    { "nics.*.blocked_outgoing_ports", T::List, allow("UA", "UA", "UA", "UA", "UA", "UA"), 0, FLAG_UPDATABLE, 0, 0, V::None, "", 0, "copied by update_*; xml:network.net-attr.blocked_outgoing_ports" },
    { "nics.*.dhcp_server", T::Boolean, allow("UA", "UA", "UA", "UA", "UA", "UA"), 0, FLAG_UPDATABLE, 0, 0, V::None, "", 0, "table default false; copied by update_*; xml:network.net-attr.dhcp_server" },
    { "nics.*.gateway", T::String, allow("UA", "UA", "UA", "UA", "UA", "UA"), 0, FLAG_UPDATABLE, 0, 0, V::None, "", 0, "copied by update_*; xml:network.net-attr.gateway" },
    { "nics.*.gateways", T::List, allow("UA", "UA", "UA", "UA", "UA", "UA"), 0, FLAG_UPDATABLE, 0, 0, V::None, "", 0, "copied by update_*; xml:network.net-attr.gateways" },
    { "nics.*.interface", T::String, allow("UA", "UA", "UA", "UA", "UA", "UA"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "xml:network.physical" },
    { "nics.*.ip", T::String, allow("UA", "UA", "UA", "UA", "UA", "UA"), 0, FLAG_UPDATABLE, 0, 0, V::None, "", 0, "copied by update_*; xml:network.net-attr.ip" },
    { "nics.*.ips", T::List, allow("UA", "UA", "UA", "UA", "UA", "UA"), 0, FLAG_UPDATABLE, 0, 0, V::None, "", 0, "copied by update_*; xml:network.net-attr.ips" },
    { "nics.*.mac", T::String, allow("UA", "UA", "UA", "UA", "UA", "UA"), 0, FLAG_UPDATABLE, 0, 0, V::Mac, "", 0, "validMacAddress; copied by update_*; xml:network.mac-addr" },
    { "nics.*.model", T::String, allow("", "", "", "", "UA", "UA"), 0, FLAG_UPDATABLE, 0, 0, V::None, "", 0, "copied by update_*; xml:network.net-attr.model" },
    { "nics.*.mtu", T::Integer, allow("UA", "UA", "UA", "UA", "UA", "UA"), 0, FLAG_UPDATABLE | FLAG_HAS_MIN | FLAG_HAS_MAX, 576, 9000, V::None, "", 0, "min 576; max 9000; copied by update_*; xml:network.net-attr.mtu" },
    { "nics.*.netmask", T::String, allow("UA", "UA", "UA", "UA", "UA", "UA"), 0, FLAG_UPDATABLE, 0, 0, V::None, "", 0, "copied by update_*; xml:network.net-attr.netmask" },
    { "nics.*.network_uuid", T::Uuid, allow("UA", "UA", "UA", "UA", "UA", "UA"), 0, FLAG_UPDATABLE, 0, 0, V::None, "", 0, "copied by update_*; xml:network.net-attr.network_uuid" },
    { "nics.*.nic_tag", T::String, allow("UA", "UA", "UA", "UA", "UA", "UA"), 0, FLAG_UPDATABLE, 0, 0, V::None, "", 0, "copied by update_*; xml:network.global-nic" },
    { "nics.*.primary", T::Boolean, allow("UA", "UA", "UA", "UA", "UA", "UA"), 0, FLAG_UPDATABLE, 0, 0, V::None, "", 0, "table default false; copied by update_*; xml:network.net-attr.primary" },
    { "nics.*.vlan_id", T::Integer, allow("UA", "UA", "UA", "UA", "UA", "UA"), 0, FLAG_UPDATABLE | FLAG_HAS_MIN | FLAG_HAS_MAX, 0, 4095, V::None, "", 0, "min 0; max 4095; copied by update_*; xml:network.vlan-id" },
    { "nics.*.vrrp_primary_ip", T::String, allow("UA", "UA", "UA", "UA", "UA", "UA"), 0, FLAG_UPDATABLE, 0, 0, V::None, "", 0, "copied by update_*; xml:network.net-attr.vrrp_primary_ip" },
    { "nics.*.vrrp_vrid", T::Integer, allow("UA", "UA", "UA", "UA", "UA", "UA"), 0, FLAG_UPDATABLE | FLAG_HAS_MIN | FLAG_HAS_MAX, 0, 255, V::None, "", 0, "min 0; max 255; copied by update_*; xml:network.net-attr.vrrp_vrid" },
    { "nowait", T::Boolean, allow("CR", "CR", "CR", "CR", "", ""), 0, FLAG_NONE, 0, 0, V::None, "", 0, "" },
    { "owner_uuid", T::String, allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), 0, FLAG_LISTABLE | FLAG_HAS_MAX, 0, MAX_ATTR, V::None, "OWNER_UUID", 36, "at most 2047 bytes; xml:attr.owner-uuid" },
    { "package_name", T::String, allow("CRU", "CRU", "CRU", "CRU", "CRU", ""), 0, FLAG_LISTABLE | FLAG_DEPRECATED | FLAG_HAS_MAX, 0, MAX_ATTR, V::None, "PACKAGE_NAME", 32, "at most 2047 bytes; deprecated; xml:attr.package-name" },
    { "package_version", T::String, allow("CRU", "CRU", "CRU", "CRU", "CRU", ""), 0, FLAG_LISTABLE | FLAG_DEPRECATED | FLAG_HAS_MAX, 0, MAX_ATTR, V::None, "PACKAGE_VER", 11, "at most 2047 bytes; deprecated; xml:attr.package-version" },
    { "pci_devices", T::ObjectArray, allow("", "", "", "", "", "CRU"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "xml:device" },
    { "pci_devices.*.path", T::String, allow("", "", "", "", "", "UA"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "xml:device.match" },
    { "pci_devices.*.pci_slot", T::String, allow("", "", "", "", "", "UA"), 0, FLAG_UPDATABLE, 0, 0, V::None, "", 0, "copied by update_*; xml:device.net-attr.pci-slot" },
    { "pid", T::ReadOnly, allow("", "", "", "", "", ""), 0, FLAG_LISTABLE, 0, 0, V::None, "PID", 6, "kstat:init_pid" },
    { "platform_buildstamp", T::ReadOnly, allow("", "", "", "", "", ""), 0, FLAG_NONE, 0, 0, V::None, "", 0, "sysinfo:\"Live Image\"" },
    { "provisioning", T::ReadOnly, allow("", "", "", "", "", ""), 0, FLAG_NONE, 0, 0, V::None, "", 0, "xml:attr.provisioning" },
    { "qemu_extra_opts", T::String, allow("", "", "", "", "CRU", ""), 0, FLAG_LISTABLE, 0, 0, V::None, "QEMU_EXTRA_OPTS", 15, "xml:attr.qemu-extra-opts" },
    { "qemu_opts", T::String, allow("", "", "", "", "CRU", ""), 0, FLAG_NONE, 0, 0, V::None, "", 0, "xml:attr.qemu-opts" },
    { "quota", T::Integer, allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), 0, FLAG_LISTABLE | FLAG_HAS_MIN | FLAG_HAS_MAX, 0, MAX_GIB, V::None, "QUOTA", 5, "min 0; max: bytes fit an int64; zfs:refquota/quota" },
    { "ram", T::Integer, allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), 0, FLAG_LISTABLE | FLAG_HAS_MIN | FLAG_HAS_MAX, 0, MAX_RAM_MIB, V::None, "RAM", 7, "min 0; max: bytes fit an int64; xml:attr.ram" },
    { "remove_customer_metadata", T::List, allow("U", "U", "U", "U", "U", "U"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "" },
    { "remove_disks", T::List, allow("", "", "", "", "U", "U"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "" },
    { "remove_filesystems", T::List, allow("U", "U", "U", "U", "U", "U"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "" },
    { "remove_internal_metadata", T::List, allow("U", "U", "U", "U", "U", "U"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "" },
    { "remove_nics", T::List, allow("U", "U", "U", "U", "U", "U"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "" },
    { "remove_pci_devices", T::List, allow("", "", "", "", "", "U"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "" },
    { "remove_routes", T::List, allow("U", "U", "U", "U", "U", "U"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "" },
    { "remove_tags", T::List, allow("U", "U", "U", "U", "U", "U"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "" },
    { "resolvers", T::List, allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), 0, FLAG_NONE, 0, 0, V::Resolver, "", 0, "validResolver; xml:attr.resolvers" },
    { "restart_init", T::Boolean, allow("CRU", "CRU", "CRU", "CRU", "", ""), 0, FLAG_NONE, 0, 0, V::None, "", 0, "table default true; xml:attr.restart-init" },
    { "routes", T::FlatObject, allow("CR", "CR", "CR", "CR", "CR", "CR"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "json:routes" },
    { "server_uuid", T::ReadOnly, allow("", "", "", "", "", ""), 0, FLAG_NONE, 0, 0, V::None, "", 0, "sysinfo:\"UUID\"" },
    { "set_customer_metadata", T::FlatObject, allow("U", "U", "U", "U", "U", "U"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "" },
    { "set_internal_metadata", T::FlatObject, allow("U", "U", "U", "U", "U", "U"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "" },
    { "set_routes", T::FlatObject, allow("U", "U", "U", "U", "U", "U"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "" },
    { "set_tags", T::FlatObject, allow("U", "U", "U", "U", "U", "U"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "" },
    { "snapshots", T::ReadOnly, allow("", "", "", "", "", ""), 0, FLAG_NONE, 0, 0, V::None, "", 0, "zfs:creation/name/written" },
    { "spice_opts", T::String, allow("", "", "", "", "CRU", ""), 0, FLAG_NONE, 0, 0, V::None, "", 0, "xml:attr.spice-opts" },
    { "spice_password", T::String, allow("", "", "", "", "CRU", ""), 0, FLAG_NONE, 0, 0, V::None, "", 0, "xml:attr.spice-password" },
    { "spice_port", T::Integer, allow("", "", "", "", "CRU", ""), 0, FLAG_HAS_MIN, -1, 0, V::None, "", 0, "min -1; xml:attr.spice-port" },
    { "state", T::ReadOnly, allow("", "", "", "", "", ""), 0, FLAG_LISTABLE, 0, 0, V::None, "STATE", 16, "computed (needs failed,provisioning,transition,zone_state)" },
    { "tags", T::FlatObject, allow("CR", "CR", "CR", "CR", "CR", "CR"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "json:tags" },
    { "tmpfs", T::Integer, allow("CRU", "CRU", "CRU", "CRU", "", ""), 0, FLAG_LISTABLE | FLAG_KEEP_ZERO | FLAG_HAS_MIN | FLAG_HAS_MAX, 0, MAX_MIB, V::None, "TMPFS", 5, "min 0; max: bytes fit an int64; 0 kept (not unset); xml:attr.tmpfs" },
    { "transition", T::FlatObject, allow("R", "R", "R", "R", "R", "R"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "xml:attr.transition" },
    { "transition_expire", T::ReadOnly, allow("", "", "", "", "", ""), 0, FLAG_NONE, 0, 0, V::None, "", 0, "derived from transition; computed (needs transition)" },
    { "transition_to", T::ReadOnly, allow("", "", "", "", "", ""), 0, FLAG_NONE, 0, 0, V::None, "", 0, "derived from transition; computed (needs transition)" },
    { "type", T::ReadOnly, allow("", "", "", "", "", ""), 0, FLAG_LISTABLE, 0, 0, V::None, "TYPE", 4, "computed (needs brand)" },
    { "update_disks", T::ObjectArray, allow("", "", "", "", "U", "U"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "validated as disks.*" },
    { "update_filesystems", T::ObjectArray, allow("U", "U", "U", "U", "U", ""), 0, FLAG_NONE, 0, 0, V::None, "", 0, "validated as filesystems.*" },
    { "update_nics", T::ObjectArray, allow("U", "U", "U", "U", "U", "U"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "validated as nics.*" },
    { "update_pci_devices", T::ObjectArray, allow("", "", "", "", "", "U"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "validated as pci_devices.*" },
    { "uuid", T::Uuid, allow("CR", "CR", "CR", "CR", "CR", "CR"), 0, FLAG_LISTABLE, 0, 0, V::None, "UUID", 36, "" },
    { "v", T::Integer, allow("R", "R", "R", "R", "R", "R"), 0, FLAG_HAS_MIN, 0, 0, V::None, "", 0, "min 0; xml:attr.vm-version" },
    { "vcpus", T::Integer, allow("", "", "", "", "CRU", "CRU"), 0, FLAG_LISTABLE | FLAG_HAS_MIN, 1, 0, V::None, "VCPUS", 5, "min 1; xml:attr.vcpus" },
    { "vga", T::String, allow("", "", "", "", "CRU", ""), 0, FLAG_NONE, 0, 0, V::None, "", 0, "xml:attr.vga" },
    { "virtio_txburst", T::Integer, allow("", "", "", "", "CRU", ""), 0, FLAG_HAS_MIN, 0, 0, V::None, "", 0, "min 0; xml:attr.virtio-txburst" },
    { "virtio_txtimer", T::Integer, allow("", "", "", "", "CRU", ""), 0, FLAG_HAS_MIN, 0, 0, V::None, "", 0, "min 0; xml:attr.virtio-txtimer" },
    { "vm_autoboot", T::ReadOnly, allow("", "", "", "", "", ""), 0, FLAG_NONE, 0, 0, V::None, "", 0, "xml:attr.vm-autoboot" },
    { "vnc_password", T::String, allow("", "", "", "", "CRU", "CRU"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "xml:attr.vnc-password" },
    { "vnc_port", T::Integer, allow("", "", "", "", "CRU", "CRU"), 0, FLAG_HAS_MIN, -1, 0, V::None, "", 0, "min -1; xml:attr.vnc-port" },
    { "zfs_data_compression", T::String, allow("CRU", "CRU", "CRU", "CRU", "", ""), 0, FLAG_NONE, 0, 0, V::None, "", 0, "table default \"off\"; zfs:compression" },
    { "zfs_data_recsize", T::Integer, allow("CRU", "CRU", "CRU", "CRU", "", ""), 0, FLAG_HAS_MIN, 0, 0, V::None, "", 0, "min 0; zfs:recsize" },
    { "zfs_filesystem", T::String, allow("R", "R", "R", "R", "R", "R"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "zfs:name" },
    { "zfs_filesystem_limit", T::Integer, allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), 0, FLAG_HAS_MIN, 0, 0, V::None, "", 0, "min 0; table default \"none\"; zfs:filesystem_limit" },
    { "zfs_io_priority", T::Integer, allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), 0, FLAG_LISTABLE | FLAG_HAS_MIN, 0, 0, V::None, "IO_PRIORITY", 11, "min 0; xml:rctl.zone.zfs-io-priority.privileged.none" },
    { "zfs_root_compression", T::String, allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "table default \"off\"; zfs:compression" },
    { "zfs_root_recsize", T::Integer, allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), 0, FLAG_HAS_MIN, 0, 0, V::None, "", 0, "min 0; table default 131072; zfs:recsize" },
    { "zfs_snapshot_limit", T::Integer, allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), 0, FLAG_HAS_MIN, 0, 0, V::None, "", 0, "min 0; table default \"none\"; zfs:snapshot_limit" },
    { "zfs_storage_pool_name", T::Zpool, allow("CR", "CR", "CR", "CR", "CR", ""), 0, FLAG_DEPRECATED, 0, 0, V::None, "", 0, "deprecated" },
    { "zlog_max_size", T::Integer, allow("CRU", "CRU", "CRU", "CRU", "", ""), 0, FLAG_HAS_MIN | FLAG_HAS_MAX, 0, INT64_MAX, V::None, "", 0, "min 0; max 2^63; xml:attr.zlog-max-size" },
    { "zlog_mode", T::ReadOnly, allow("", "", "", "", "", ""), 0, FLAG_NONE, 0, 0, V::None, "", 0, "xml:attr.zlog-mode" },
    { "zlog_name", T::ReadOnly, allow("", "", "", "", "", ""), 0, FLAG_NONE, 0, 0, V::None, "", 0, "xml:attr.zlog-name" },
    { "zone_dataset_uuid", T::Uuid, allow("", "", "", "", "CR", "CR"), 0, FLAG_NONE, 0, 0, V::None, "", 0, "" },
    { "zonename", T::String, allow("CR", "CR", "CR", "CR", "CR", "CR"), 0, FLAG_LISTABLE, 0, 0, V::Zonename, "ZONENAME", 12, "validZonename (illumos); xml:name" },
    { "zonepath", T::ReadOnly, allow("", "", "", "", "", ""), 0, FLAG_LISTABLE, 0, 0, V::None, "ZONEPATH", 40, "ignored on load; xml:zonepath" },
    { "zpool", T::Zpool, allow("CR", "CR", "CR", "CR", "CR", "CR"), 0, FLAG_LISTABLE, 0, 0, V::None, "ZPOOL", 12, "zfs:name" },
    { "zone_state", T::ReadOnly, allow("", "", "", "", "", ""), 0, FLAG_LISTABLE, 0, 0, V::None, "ZONE_STATE", 10, "runtime, list column" },
    { "hvm", T::ReadOnly, allow("", "", "", "", "", ""), 0, FLAG_LISTABLE, 0, 0, V::None, "HVM", 5, "runtime, list column" },
    { "zoneid", T::ReadOnly, allow("", "", "", "", "", ""), 0, FLAG_LISTABLE, 0, 0, V::None, "ZONEID", 6, "runtime, list column" },};
// clang-format on

} // namespace

std::span<Property const> property_table()
{
    return { PROPERTIES, std::size(PROPERTIES) };
}

Property const* find_property(std::string_view name)
{
    for (auto const& property : PROPERTIES) {
        if (property.name == name) {
            return &property;
        }
    }
    return nullptr;
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool valid_mac_address(std::string_view text)
{
    // SmartOS parses the MAC (macaddr.parse: six ':'-separated octets of one or two hex digits)
    // and also requires the text to contain only hex digits and ':'.
    int octets = 0;
    size_t digits = 0;
    for (char const c : text) {
        if (c == ':') {
            if (digits == 0 || digits > 2) {
                return false;
            }
            ++octets;
            digits = 0;
        } else if (is_hex(c)) {
            ++digits;
        } else {
            return false;
        }
    }
    if (digits == 0 || digits > 2) {
        return false;
    }
    return octets + 1 == 6;
}

bool valid_resolver(std::string_view text)
{
    std::string const copy(text);
    unsigned char buffer[16];
    return inet_pton(AF_INET, copy.c_str(), buffer) == 1
        || inet_pton(AF_INET6, copy.c_str(), buffer) == 1;
}

bool valid_attr_value(std::string_view text)
{
    if (text.empty()) {
        return false;
    }
    return std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || c == '-' || c == '.' || c == '_';
    });
}

bool valid_cid(std::string_view text)
{
    if (text.size() < 3 || text.size() > 512 || text.size() % 2 != 0) {
        return false;
    }
    if (text[0] != '0' || text[1] != 'x') {
        return false;
    }
    return std::all_of(text.begin() + 2, text.end(), is_hex);
}

static bool power_of_two(std::string_view digits)
{
    if (digits.empty() || digits.size() > 9) {
        return false;
    }
    long value = 0;
    for (char const c : digits) {
        if (c < '0' || c > '9') {
            return false;
        }
        value = value * 10 + (c - '0');
    }
    return value > 0 && (value & (value - 1)) == 0;
}

bool valid_bhyve_sect_size(std::string_view text)
{
    size_t const slash = text.find('/');
    if (slash == std::string_view::npos) {
        return power_of_two(text);
    }
    return power_of_two(text.substr(0, slash)) && power_of_two(text.substr(slash + 1));
}

bool valid_zonename(std::string_view text)
{
    // illumos zonecfg_validate_zonename: [A-Za-z0-9][-_.A-Za-z0-9]*, shorter than ZONENAME_MAX
    // (64 with its NUL), and not "global".
    constexpr size_t ZONENAME_MAX = 64;
    auto const alnum = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    };
    if (text.empty() || text.size() >= ZONENAME_MAX || text == "global" || !alnum(text[0])) {
        return false;
    }
    return std::all_of(text.begin() + 1, text.end(),
        [&](char c) { return alnum(c) || c == '-' || c == '_' || c == '.'; });
}

bool run_validator(Validator validator, std::string_view text)
{
    switch (validator) {
    case Validator::Zonename:
        return valid_zonename(text);
    case Validator::None:
        return true;
    case Validator::Mac:
        return valid_mac_address(text);
    case Validator::Resolver:
        return valid_resolver(text);
    case Validator::AttrValue:
        return valid_attr_value(text);
    case Validator::Cid:
        return valid_cid(text);
    case Validator::BhyveSectSize:
        return valid_bhyve_sect_size(text);
    }
    return true;
}

} // namespace lumos::props
