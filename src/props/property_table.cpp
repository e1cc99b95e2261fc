// SPDX-License-Identifier: MPL-2.0
// SmartOS's property table (proptable.js), one row per property; the columns are Property's
// fields (property_table.hpp). allow() lists the actions per brand (joyent, joyent-minimal,
// builder, lx, kvm, bhyve; C=create R=receive U=update A=add).
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
using S = Storage;
using F = Flatten;

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
    return { actions(joyent), actions(joyent_minimal), actions(builder), actions(lx), actions(kvm),
        actions(bhyve) };
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
    { .name = "add_disks", .type = T::ObjectArray, .allowed = allow("", "", "", "", "U", "U"), .source = "validated as disks.*" },
    { .name = "add_filesystems", .type = T::ObjectArray, .allowed = allow("U", "U", "U", "U", "U", ""), .source = "validated as filesystems.*" },
    { .name = "add_nics", .type = T::ObjectArray, .allowed = allow("U", "U", "U", "U", "U", "U"), .source = "validated as nics.*" },
    { .name = "add_pci_devices", .type = T::ObjectArray, .allowed = allow("", "", "", "", "", "CRU"), .source = "validated as pci_devices.*" },
    { .name = "alias", .type = T::String, .allowed = allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), .flags = FLAG_LISTABLE, .max = MAX_BASE64_ATTR, .list_header = "ALIAS", .list_width = 10, .source = "xml:attr.alias" },
    { .name = "allowed_address", .type = T::ReadOnly, .allowed = allow("", "", "", "", "", ""), .source = "ignored on load; xml:network.allowed-address" },
    { .name = "app_svc_dependent", .type = T::ReadOnly, .allowed = allow("", "", "", "", "", ""), .source = "xml:attr.app-svc-dependent" },
    { .name = "archive_on_delete", .type = T::Boolean, .allowed = allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), .storage = S::WhenTrue, .table_default = "false", .source = "xml:attr.archive-on-delete" },
    { .name = "autoboot", .type = T::Boolean, .allowed = allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), .flags = FLAG_LISTABLE, .list_header = "AUTOBOOT", .list_width = 8, .source = "xml:autoboot" },
    { .name = "bhyve_extra_opts", .type = T::String, .allowed = allow("", "", "", "", "", "CRU"), .source = "xml:attr.bhyve-extra-opts" },
    { .name = "billing_id", .type = T::String, .allowed = allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), .flags = FLAG_LISTABLE, .max = MAX_ATTR, .list_header = "BILLING_ID", .list_width = 36, .source = "xml:attr.billing-id" },
    { .name = "boot", .type = T::String, .allowed = allow("", "", "", "", "CRU", "CRU"), .source = "xml:attr.boot" },
    { .name = "boot_timestamp", .type = T::ReadOnly, .allowed = allow("", "", "", "", "", ""), .flags = FLAG_LISTABLE, .list_header = "BOOT_TIMESTAMP", .list_width = 24, .source = "kstat:boot_time" },
    { .name = "bootrom", .type = T::String, .allowed = allow("", "", "", "", "", "CRU"), .source = "xml:attr.bootrom" },
    { .name = "brand", .type = T::String, .allowed = allow("CR", "CR", "CR", "CR", "CR", "CR"), .required_on_create = req(Brand::Joyent) | req(Brand::JoyentMinimal) | req(Brand::Builder) | req(Brand::Kvm) | req(Brand::Lx), .flags = FLAG_LISTABLE, .list_header = "BRAND", .list_width = 14, .source = "xml:brand" },
    { .name = "com1", .type = T::String, .allowed = allow("", "", "", "", "", "CRU"), .source = "xml:attr.com1" },
    { .name = "com2", .type = T::String, .allowed = allow("", "", "", "", "", "CRU"), .source = "xml:attr.com2" },
    { .name = "cpu_cap", .type = T::Integer, .allowed = allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), .flags = FLAG_LISTABLE, .min = 0, .list_header = "CPU_CAP", .list_width = 7, .storage = S::RemovedAtZero, .source = "xml:rctl.zone.cpu-cap.privileged.deny" },
    { .name = "cpu_shares", .type = T::Integer, .allowed = allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), .flags = FLAG_LISTABLE, .min = 0, .list_header = "CPU_SHARE", .list_width = 9, .source = "xml:rctl.zone.cpu-shares.privileged.none" },
    { .name = "cpu_type", .type = T::String, .allowed = allow("", "", "", "", "CRU", ""), .flags = FLAG_LISTABLE, .list_header = "CPU_TYPE", .list_width = 8, .source = "xml:attr.cpu-type" },
    { .name = "create_only", .type = T::Boolean, .allowed = allow("R", "R", "R", "R", "R", "R"), .storage = S::Never },
    { .name = "create_timestamp", .type = T::String, .allowed = allow("R", "R", "R", "R", "R", "R"), .flags = FLAG_LISTABLE, .list_header = "CREATE_TIMESTAMP", .list_width = 24, .source = "xml:attr.create-timestamp; zfs:creation" },
    { .name = "customer_metadata", .type = T::FlatObject, .allowed = allow("CR", "CR", "CR", "CR", "CR", "CR"), .flags = FLAG_MAP, .flatten = F::Keys, .source = "json:customer_metadata" },
    { .name = "datacenter_name", .type = T::ReadOnly, .allowed = allow("", "", "", "", "", ""), .source = "sysinfo:\"Datacenter Name\"" },
    { .name = "dataset_uuid", .type = T::Uuid, .allowed = allow("CR", "CR", "CR", "CR", "", ""), .flags = FLAG_DEPRECATED, .storage = S::Never },
    { .name = "datasets", .type = T::List, .allowed = allow("R", "R", "R", "R", "R", "R"), .storage = S::Never, .source = "zfs:name" },
    { .name = "debug_id", .type = T::ReadOnly, .allowed = allow("", "", "", "", "", ""), .source = "ignored on load; xml:debugid" },
    { .name = "default_gateway", .type = T::ReadOnly, .allowed = allow("", "", "", "", "", ""), .flags = FLAG_DEPRECATED, .source = "xml:attr.default-gateway" },
    { .name = "delegate_dataset", .type = T::Boolean, .allowed = allow("CR", "CR", "CR", "CR", "", ""), .storage = S::Never },
    { .name = "disk_driver", .type = T::String, .allowed = allow("", "", "", "", "CRU", "CRU"), .source = "xml:attr.disk-driver" },
    { .name = "disks", .type = T::ObjectArray, .allowed = allow("", "", "", "", "CR", "CR"), .flatten = F::Elements, .source = "xml:device; zfs:compression/name/refreservation/usedbysnapshots/volblocksize/volsize" },
    { .name = "disks.*.block_size", .type = T::Integer, .allowed = allow("", "", "", "", "A", "A"), .min = 0, .source = "zfs:volblocksize" },
    { .name = "disks.*.boot", .type = T::Boolean, .allowed = allow("", "", "", "", "UA", "UA"), .flags = FLAG_UPDATABLE, .source = "xml:device.net-attr.boot" },
    { .name = "disks.*.compression", .type = T::String, .allowed = allow("", "", "", "", "UA", "UA"), .source = "zfs:compression" },
    { .name = "disks.*.dangerous_allow_shrink", .type = T::Boolean, .allowed = allow("", "", "", "", "", "U") },
    { .name = "disks.*.guest_block_size", .type = T::String, .allowed = allow("", "", "", "", "", "UA"), .flags = FLAG_UPDATABLE, .validator = V::BhyveSectSize, .source = "xml:device.net-attr.guest-block-size" },
    { .name = "disks.*.image_name", .type = T::String, .allowed = allow("", "", "", "", "UA", ""), .flags = FLAG_DEPRECATED, .source = "ignored on load; xml:device.net-attr.image-name" },
    { .name = "disks.*.image_size", .type = T::Integer, .allowed = allow("", "", "", "", "A", "A"), .min = 0, .max = MAX_MIB, .source = "xml:device.net-attr.image-size" },
    { .name = "disks.*.image_uuid", .type = T::Uuid, .allowed = allow("", "", "", "", "A", "A"), .source = "xml:device.net-attr.image-uuid" },
    { .name = "disks.*.media", .type = T::String, .allowed = allow("", "", "", "", "UA", "UA"), .source = "xml:device.net-attr.media" },
    { .name = "disks.*.model", .type = T::String, .allowed = allow("", "", "", "", "UA", "UA"), .flags = FLAG_UPDATABLE, .source = "xml:device.net-attr.model" },
    { .name = "disks.*.nocreate", .type = T::Boolean, .allowed = allow("", "", "", "", "A", "A") },
    { .name = "disks.*.notrim", .type = T::Boolean, .allowed = allow("", "", "", "", "", "UA"), .flags = FLAG_UPDATABLE, .source = "xml:device.net-attr.notrim" },
    { .name = "disks.*.path", .type = T::String, .allowed = allow("", "", "", "", "UA", "UA"), .source = "xml:device.match" },
    { .name = "disks.*.pci_slot", .type = T::String, .allowed = allow("", "", "", "", "", "UA"), .flags = FLAG_UPDATABLE, .source = "xml:device.net-attr.pci-slot" },
    { .name = "disks.*.refreservation", .type = T::Integer, .allowed = allow("", "", "", "", "UA", "UA"), .min = 0, .max = MAX_MIB, .source = "zfs:refreservation" },
    { .name = "disks.*.size", .type = T::Integer, .allowed = allow("", "", "", "", "A", "UA"), .min = 0, .max = MAX_MIB, .source = "zfs:volsize" },
    { .name = "disks.*.uuid", .type = T::Uuid, .allowed = allow("", "", "", "", "", "UA"), .flags = FLAG_UPDATABLE, .source = "xml:device.net-attr.uuid" },
    { .name = "disks.*.zfs_filesystem", .type = T::String, .allowed = allow("", "", "", "", "R", "R"), .source = "zfs:name" },
    { .name = "disks.*.zonexml_size", .type = T::ReadOnly, .allowed = allow("", "", "", "", "", ""), .source = "ignored on load; xml:device.net-attr.size" },
    { .name = "disks.*.zpool", .type = T::String, .allowed = allow("", "", "", "", "A", "A"), .source = "zfs:name" },
    { .name = "dns_domain", .type = T::String, .allowed = allow("CRU", "CRU", "CRU", "CRU", "", ""), .flags = FLAG_LISTABLE, .max = MAX_ATTR, .list_header = "DOMAIN", .list_width = 32, .source = "xml:attr.dns-domain" },
    { .name = "do_not_inventory", .type = T::Boolean, .allowed = allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), .flags = FLAG_LISTABLE, .list_header = "DNI", .list_width = 5, .storage = S::WhenTrue, .table_default = "false", .source = "xml:attr.do-not-inventory" },
    { .name = "docker", .type = T::Boolean, .allowed = allow("", "CRU", "", "CRU", "", ""), .flags = FLAG_LISTABLE, .list_header = "DOCKER", .list_width = 6, .storage = S::WhenTrue, .table_default = "false", .source = "xml:attr.docker" },
    { .name = "exit_status", .type = T::ReadOnly, .allowed = allow("", "", "", "", "", ""), .flags = FLAG_LISTABLE, .list_header = "EXIT", .list_width = 4 },
    { .name = "exit_timestamp", .type = T::ReadOnly, .allowed = allow("", "", "", "", "", ""), .flags = FLAG_LISTABLE, .list_header = "EXIT_TIMESTAMP", .list_width = 24 },
    { .name = "failed", .type = T::ReadOnly, .allowed = allow("", "", "", "", "", ""), .source = "xml:attr.failed" },
    { .name = "filesystems", .type = T::ObjectArray, .allowed = allow("CR", "CR", "CR", "CR", "", ""), .source = "xml:fs" },
    { .name = "filesystems.*.options", .type = T::List, .allowed = allow("UA", "UA", "UA", "UA", "", ""), .flags = FLAG_UPDATABLE },
    { .name = "filesystems.*.raw", .type = T::String, .allowed = allow("UA", "UA", "UA", "UA", "", ""), .flags = FLAG_UPDATABLE, .source = "xml:filesystem.raw" },
    { .name = "filesystems.*.source", .type = T::String, .allowed = allow("UA", "UA", "UA", "UA", "", ""), .flags = FLAG_UPDATABLE, .source = "xml:filesystem.special" },
    { .name = "filesystems.*.target", .type = T::String, .allowed = allow("UA", "UA", "UA", "UA", "", ""), .flags = FLAG_UPDATABLE, .source = "xml:filesystem.directory" },
    { .name = "filesystems.*.type", .type = T::String, .allowed = allow("UA", "UA", "UA", "UA", "", ""), .flags = FLAG_UPDATABLE, .source = "xml:filesystem.type" },
    { .name = "firewall_enabled", .type = T::Boolean, .allowed = allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), .flags = FLAG_LISTABLE, .list_header = "FIREWALL_ENABLED", .list_width = 16, .storage = S::WhenTrue, .table_default = "false", .source = "xml:attr.firewall-enabled" },
    { .name = "flexible_disk_size", .type = T::Integer, .allowed = allow("", "", "", "", "", "CRU"), .flags = FLAG_LISTABLE, .min = 0, .max = MAX_MIB, .list_header = "FLEX_DISK_SIZE", .list_width = 14, .storage = S::RemovedAtZero, .source = "xml:attr.flexible-disk-size" },
    { .name = "free_space", .type = T::ReadOnly, .allowed = allow("", "", "", "", "", ""), .flags = FLAG_LISTABLE, .list_header = "FREE_SPACE", .list_width = 14, .source = "zfs:volsize/usedbysnapshots" },
    { .name = "fs_allowed", .type = T::List, .allowed = allow("CRU", "CRU", "CRU", "CRU", "", ""), .source = "xml:fs-allowed" },
    { .name = "headnode_id", .type = T::ReadOnly, .allowed = allow("", "", "", "", "", ""), .source = "sysinfo:\"Headnode ID\"" },
    { .name = "hostname", .type = T::String, .allowed = allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), .flags = FLAG_LISTABLE, .max = MAX_ATTR, .list_header = "HOSTNAME", .list_width = 32, .source = "xml:attr.hostname" },
    { .name = "image_uuid", .type = T::Uuid, .allowed = allow("CR", "CR", "CR", "CR", "CR", "CR"), .required_on_create = req(Brand::Joyent) | req(Brand::JoyentMinimal) | req(Brand::Builder) | req(Brand::Lx), .flags = FLAG_LISTABLE, .list_header = "IMAGE_UUID", .list_width = 36, .source = "xml:attr.dataset-uuid" },
    { .name = "indestructible_delegated", .type = T::Boolean, .allowed = allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), .flags = FLAG_LISTABLE, .list_header = "INDESTR_DATA", .list_width = 12, .storage = S::WhenTrue, .table_default = "false", .source = "zfs:userrefs" },
    { .name = "indestructible_zoneroot", .type = T::Boolean, .allowed = allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), .flags = FLAG_LISTABLE, .list_header = "INDESTR_ROOT", .list_width = 12, .storage = S::WhenTrue, .table_default = "false", .source = "zfs:userrefs" },
    { .name = "init_name", .type = T::String, .allowed = allow("CRU", "CRU", "CRU", "CRU", "", ""), .source = "xml:attr.init-name" },
    { .name = "init_restarts", .type = T::ReadOnly, .allowed = allow("", "", "", "", "", ""), .source = "kstat:init_restarts" },
    { .name = "internal_metadata", .type = T::FlatObject, .allowed = allow("CR", "CR", "CR", "CR", "CR", "CR"), .flags = FLAG_MAP, .flatten = F::Keys, .source = "json:internal_metadata" },
    { .name = "internal_metadata_namespaces", .type = T::List, .allowed = allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), .validator = V::AttrValue, .flatten = F::Indexes, .source = "xml:attr.internal-metadata-namespaces" },
    { .name = "ip_type", .type = T::ReadOnly, .allowed = allow("", "", "", "", "", ""), .source = "ignored on load; xml:ip-type" },
    { .name = "kernel_version", .type = T::String, .allowed = allow("", "", "", "CRU", "", ""), .required_on_create = req(Brand::Lx), .source = "xml:attr.kernel-version" },
    { .name = "last_modified", .type = T::ReadOnly, .allowed = allow("", "", "", "", "", "") },
    { .name = "limit_priv", .type = T::List, .allowed = allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), .source = "xml:limitpriv" },
    { .name = "maintain_resolvers", .type = T::Boolean, .allowed = allow("CRU", "CRU", "CRU", "CRU", "", ""), .storage = S::WhenTrue, .table_default = "false", .source = "xml:attr.maintain-resolvers" },
    { .name = "max_locked_memory", .type = T::Integer, .allowed = allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), .flags = FLAG_LISTABLE, .min = 0, .max = MAX_MIB, .list_header = "MAX_LOCKED", .list_width = 10, .source = "xml:rctl.zone.max-locked-memory.privileged.deny" },
    { .name = "max_lwps", .type = T::Integer, .allowed = allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), .flags = FLAG_LISTABLE, .min = 0, .list_header = "MAX_LWP", .list_width = 7, .source = "xml:rctl.zone.max-lwps.privileged.deny" },
    { .name = "max_msg_ids", .type = T::Integer, .allowed = allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), .min = 0, .source = "xml:rctl.zone.max-msg-ids.privileged.deny" },
    { .name = "max_physical_memory", .type = T::Integer, .allowed = allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), .flags = FLAG_LISTABLE, .min = 0, .max = MAX_MIB, .list_header = "MAX_PHYS", .list_width = 8, .source = "xml:rctl.zone.max-physical-memory.privileged.deny" },
    { .name = "max_sem_ids", .type = T::Integer, .allowed = allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), .min = 0, .source = "xml:rctl.zone.max-sem-ids.privileged.deny" },
    { .name = "max_shm_ids", .type = T::Integer, .allowed = allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), .min = 0, .source = "xml:rctl.zone.max-shm-ids.privileged.deny" },
    { .name = "max_shm_memory", .type = T::Integer, .allowed = allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), .min = 0, .max = MAX_MIB, .source = "xml:rctl.zone.max-shm-memory.privileged.deny" },
    { .name = "max_swap", .type = T::Integer, .allowed = allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), .flags = FLAG_LISTABLE, .min = 256, .max = MAX_MIB, .list_header = "MAX_SWAP", .list_width = 8, .source = "xml:rctl.zone.max-swap.privileged.deny" },
    { .name = "mdata_exec_timeout", .type = T::Integer, .allowed = allow("C", "C", "C", "C", "", ""), .min = 0, .storage = S::Never },
    { .name = "missing", .type = T::ReadOnly, .allowed = allow("", "", "", "", "", ""), .source = "zfs:name" },
    { .name = "nic_driver", .type = T::String, .allowed = allow("", "", "", "", "CRU", "CRU"), .source = "xml:attr.nic-driver" },
    { .name = "nics", .type = T::ObjectArray, .allowed = allow("CR", "CR", "CR", "CR", "CR", "CR"), .flatten = F::Elements, .source = "xml:network" },
    { .name = "nics.*.allow_dhcp_spoofing", .type = T::Boolean, .allowed = allow("UA", "UA", "UA", "UA", "UA", "UA"), .flags = FLAG_UPDATABLE, .table_default = "false", .source = "xml:network.net-attr.allow_dhcp_spoofing" },
    { .name = "nics.*.allow_ip_spoofing", .type = T::Boolean, .allowed = allow("UA", "UA", "UA", "UA", "UA", "UA"), .flags = FLAG_UPDATABLE, .table_default = "false", .source = "xml:network.net-attr.allow_ip_spoofing" },
    { .name = "nics.*.allow_mac_spoofing", .type = T::Boolean, .allowed = allow("UA", "UA", "UA", "UA", "UA", "UA"), .flags = FLAG_UPDATABLE, .table_default = "false", .source = "xml:network.net-attr.allow_mac_spoofing" },
    { .name = "nics.*.allow_restricted_traffic", .type = T::Boolean, .allowed = allow("UA", "UA", "UA", "UA", "UA", "UA"), .flags = FLAG_UPDATABLE, .table_default = "false", .source = "xml:network.net-attr.allow_restricted_traffic" },
    { .name = "nics.*.allow_unfiltered_promisc", .type = T::Boolean, .allowed = allow("", "", "", "", "UA", "UA"), .flags = FLAG_UPDATABLE, .table_default = "false", .source = "xml:network.net-attr.allow_unfiltered_promisc" },
    { .name = "nics.*.allowed_dhcp_cids", .type = T::List, .allowed = allow("UA", "UA", "UA", "UA", "UA", ""), .validator = V::Cid, .source = "xml:network.net-attr.allowed_dhcp_cids" },
    { .name = "nics.*.allowed_ips", .type = T::List, .allowed = allow("UA", "UA", "UA", "UA", "UA", "UA"), .source = "xml:network.net-attr.allowed_ips" },
    { .name = "nics.*.blocked_outgoing_ports", .type = T::List, .allowed = allow("UA", "UA", "UA", "UA", "UA", "UA"), .flags = FLAG_UPDATABLE, .source = "xml:network.net-attr.blocked_outgoing_ports" },
    { .name = "nics.*.dhcp_server", .type = T::Boolean, .allowed = allow("UA", "UA", "UA", "UA", "UA", "UA"), .flags = FLAG_UPDATABLE, .table_default = "false", .source = "xml:network.net-attr.dhcp_server" },
    { .name = "nics.*.gateway", .type = T::String, .allowed = allow("UA", "UA", "UA", "UA", "UA", "UA"), .flags = FLAG_UPDATABLE, .source = "xml:network.net-attr.gateway" },
    { .name = "nics.*.gateways", .type = T::List, .allowed = allow("UA", "UA", "UA", "UA", "UA", "UA"), .flags = FLAG_UPDATABLE, .source = "xml:network.net-attr.gateways" },
    { .name = "nics.*.interface", .type = T::String, .allowed = allow("UA", "UA", "UA", "UA", "UA", "UA"), .source = "xml:network.physical" },
    { .name = "nics.*.ip", .type = T::String, .allowed = allow("UA", "UA", "UA", "UA", "UA", "UA"), .flags = FLAG_UPDATABLE, .source = "xml:network.net-attr.ip" },
    { .name = "nics.*.ips", .type = T::List, .allowed = allow("UA", "UA", "UA", "UA", "UA", "UA"), .flags = FLAG_UPDATABLE, .source = "xml:network.net-attr.ips" },
    { .name = "nics.*.mac", .type = T::String, .allowed = allow("UA", "UA", "UA", "UA", "UA", "UA"), .flags = FLAG_UPDATABLE, .validator = V::Mac, .source = "xml:network.mac-addr" },
    // lumos's own: the NIC's bandwidth cap in Mbit/s, both directions (illumos dladm's maxbw).
    { .name = "nics.*.maxbw", .type = T::Integer, .allowed = allow("UA", "UA", "UA", "UA", "UA", "UA"), .flags = FLAG_UPDATABLE, .min = 1, .max = 100000, .source = "lumos:tc" },
    { .name = "nics.*.model", .type = T::String, .allowed = allow("", "", "", "", "UA", "UA"), .flags = FLAG_UPDATABLE, .source = "xml:network.net-attr.model" },
    { .name = "nics.*.mtu", .type = T::Integer, .allowed = allow("UA", "UA", "UA", "UA", "UA", "UA"), .flags = FLAG_UPDATABLE, .min = 576, .max = 9000, .source = "xml:network.net-attr.mtu" },
    { .name = "nics.*.netmask", .type = T::String, .allowed = allow("UA", "UA", "UA", "UA", "UA", "UA"), .flags = FLAG_UPDATABLE, .source = "xml:network.net-attr.netmask" },
    { .name = "nics.*.network_uuid", .type = T::Uuid, .allowed = allow("UA", "UA", "UA", "UA", "UA", "UA"), .flags = FLAG_UPDATABLE, .source = "xml:network.net-attr.network_uuid" },
    { .name = "nics.*.nic_tag", .type = T::String, .allowed = allow("UA", "UA", "UA", "UA", "UA", "UA"), .flags = FLAG_UPDATABLE, .source = "xml:network.global-nic" },
    { .name = "nics.*.primary", .type = T::Boolean, .allowed = allow("UA", "UA", "UA", "UA", "UA", "UA"), .flags = FLAG_UPDATABLE, .table_default = "false", .source = "xml:network.net-attr.primary" },
    { .name = "nics.*.vlan_id", .type = T::Integer, .allowed = allow("UA", "UA", "UA", "UA", "UA", "UA"), .flags = FLAG_UPDATABLE, .min = 0, .max = 4095, .source = "xml:network.vlan-id" },
    { .name = "nics.*.vrrp_primary_ip", .type = T::String, .allowed = allow("UA", "UA", "UA", "UA", "UA", "UA"), .flags = FLAG_UPDATABLE, .source = "xml:network.net-attr.vrrp_primary_ip" },
    { .name = "nics.*.vrrp_vrid", .type = T::Integer, .allowed = allow("UA", "UA", "UA", "UA", "UA", "UA"), .flags = FLAG_UPDATABLE, .min = 0, .max = 255, .source = "xml:network.net-attr.vrrp_vrid" },
    { .name = "nowait", .type = T::Boolean, .allowed = allow("CR", "CR", "CR", "CR", "", ""), .storage = S::Never },
    { .name = "owner_uuid", .type = T::String, .allowed = allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), .flags = FLAG_LISTABLE, .max = MAX_ATTR, .list_header = "OWNER_UUID", .list_width = 36, .source = "xml:attr.owner-uuid" },
    { .name = "package_name", .type = T::String, .allowed = allow("CRU", "CRU", "CRU", "CRU", "CRU", ""), .flags = FLAG_LISTABLE | FLAG_DEPRECATED, .max = MAX_ATTR, .list_header = "PACKAGE_NAME", .list_width = 32, .source = "xml:attr.package-name" },
    { .name = "package_version", .type = T::String, .allowed = allow("CRU", "CRU", "CRU", "CRU", "CRU", ""), .flags = FLAG_LISTABLE | FLAG_DEPRECATED, .max = MAX_ATTR, .list_header = "PACKAGE_VER", .list_width = 11, .source = "xml:attr.package-version" },
    { .name = "pci_devices", .type = T::ObjectArray, .allowed = allow("", "", "", "", "", "CRU"), .flatten = F::Elements, .source = "xml:device" },
    { .name = "pci_devices.*.path", .type = T::String, .allowed = allow("", "", "", "", "", "UA"), .source = "xml:device.match" },
    { .name = "pci_devices.*.pci_slot", .type = T::String, .allowed = allow("", "", "", "", "", "UA"), .flags = FLAG_UPDATABLE, .source = "xml:device.net-attr.pci-slot" },
    { .name = "pid", .type = T::ReadOnly, .allowed = allow("", "", "", "", "", ""), .flags = FLAG_LISTABLE, .list_header = "PID", .list_width = 6, .source = "kstat:init_pid" },
    { .name = "platform_buildstamp", .type = T::ReadOnly, .allowed = allow("", "", "", "", "", ""), .source = "sysinfo:\"Live Image\"" },
    { .name = "provisioning", .type = T::ReadOnly, .allowed = allow("", "", "", "", "", ""), .source = "xml:attr.provisioning" },
    { .name = "qemu_extra_opts", .type = T::String, .allowed = allow("", "", "", "", "CRU", ""), .flags = FLAG_LISTABLE, .list_header = "QEMU_EXTRA_OPTS", .list_width = 15, .source = "xml:attr.qemu-extra-opts" },
    { .name = "qemu_opts", .type = T::String, .allowed = allow("", "", "", "", "CRU", ""), .source = "xml:attr.qemu-opts" },
    { .name = "quota", .type = T::Integer, .allowed = allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), .flags = FLAG_LISTABLE, .min = 0, .max = MAX_GIB, .list_header = "QUOTA", .list_width = 5, .source = "zfs:refquota/quota" },
    { .name = "ram", .type = T::Integer, .allowed = allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), .flags = FLAG_LISTABLE, .min = 0, .max = MAX_RAM_MIB, .list_header = "RAM", .list_width = 7, .source = "xml:attr.ram" },
    { .name = "remove_customer_metadata", .type = T::List, .allowed = allow("U", "U", "U", "U", "U", "U") },
    { .name = "remove_disks", .type = T::List, .allowed = allow("", "", "", "", "U", "U") },
    { .name = "remove_filesystems", .type = T::List, .allowed = allow("U", "U", "U", "U", "U", "U") },
    { .name = "remove_internal_metadata", .type = T::List, .allowed = allow("U", "U", "U", "U", "U", "U") },
    { .name = "remove_nics", .type = T::List, .allowed = allow("U", "U", "U", "U", "U", "U") },
    { .name = "remove_pci_devices", .type = T::List, .allowed = allow("", "", "", "", "", "U") },
    { .name = "remove_routes", .type = T::List, .allowed = allow("U", "U", "U", "U", "U", "U") },
    { .name = "remove_tags", .type = T::List, .allowed = allow("U", "U", "U", "U", "U", "U") },
    { .name = "resolvers", .type = T::List, .allowed = allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), .validator = V::Resolver, .flatten = F::Indexes, .source = "xml:attr.resolvers" },
    { .name = "restart_init", .type = T::Boolean, .allowed = allow("CRU", "CRU", "CRU", "CRU", "", ""), .storage = S::WhenFalse, .table_default = "true", .source = "xml:attr.restart-init" },
    { .name = "routes", .type = T::FlatObject, .allowed = allow("CR", "CR", "CR", "CR", "CR", "CR"), .flags = FLAG_MAP, .flatten = F::Keys, .source = "json:routes" },
    { .name = "server_uuid", .type = T::ReadOnly, .allowed = allow("", "", "", "", "", ""), .source = "sysinfo:\"UUID\"" },
    { .name = "set_customer_metadata", .type = T::FlatObject, .allowed = allow("U", "U", "U", "U", "U", "U") },
    { .name = "set_internal_metadata", .type = T::FlatObject, .allowed = allow("U", "U", "U", "U", "U", "U") },
    { .name = "set_routes", .type = T::FlatObject, .allowed = allow("U", "U", "U", "U", "U", "U") },
    { .name = "set_tags", .type = T::FlatObject, .allowed = allow("U", "U", "U", "U", "U", "U") },
    { .name = "snapshots", .type = T::ReadOnly, .allowed = allow("", "", "", "", "", ""), .source = "zfs:creation/name/written" },
    { .name = "spice_opts", .type = T::String, .allowed = allow("", "", "", "", "CRU", ""), .source = "xml:attr.spice-opts" },
    { .name = "spice_password", .type = T::String, .allowed = allow("", "", "", "", "CRU", ""), .source = "xml:attr.spice-password" },
    { .name = "spice_port", .type = T::Integer, .allowed = allow("", "", "", "", "CRU", ""), .min = -1, .storage = S::RemovedAtZero, .source = "xml:attr.spice-port" },
    { .name = "state", .type = T::ReadOnly, .allowed = allow("", "", "", "", "", ""), .flags = FLAG_LISTABLE, .list_header = "STATE", .list_width = 16, .source = "computed (needs failed,provisioning,transition,zone_state)" },
    { .name = "tags", .type = T::FlatObject, .allowed = allow("CR", "CR", "CR", "CR", "CR", "CR"), .flags = FLAG_MAP, .flatten = F::Keys, .source = "json:tags" },
    { .name = "tmpfs", .type = T::Integer, .allowed = allow("CRU", "CRU", "CRU", "CRU", "", ""), .flags = FLAG_LISTABLE, .min = 0, .max = MAX_MIB, .list_header = "TMPFS", .list_width = 5, .source = "xml:attr.tmpfs" },
    { .name = "transition", .type = T::FlatObject, .allowed = allow("R", "R", "R", "R", "R", "R"), .storage = S::Never, .source = "xml:attr.transition" },
    { .name = "transition_expire", .type = T::ReadOnly, .allowed = allow("", "", "", "", "", ""), .source = "derived from transition; computed (needs transition)" },
    { .name = "transition_to", .type = T::ReadOnly, .allowed = allow("", "", "", "", "", ""), .source = "derived from transition; computed (needs transition)" },
    { .name = "type", .type = T::ReadOnly, .allowed = allow("", "", "", "", "", ""), .flags = FLAG_LISTABLE, .list_header = "TYPE", .list_width = 4, .source = "computed (needs brand)" },
    { .name = "update_disks", .type = T::ObjectArray, .allowed = allow("", "", "", "", "U", "U"), .source = "validated as disks.*" },
    { .name = "update_filesystems", .type = T::ObjectArray, .allowed = allow("U", "U", "U", "U", "U", ""), .source = "validated as filesystems.*" },
    { .name = "update_nics", .type = T::ObjectArray, .allowed = allow("U", "U", "U", "U", "U", "U"), .source = "validated as nics.*" },
    { .name = "update_pci_devices", .type = T::ObjectArray, .allowed = allow("", "", "", "", "", "U"), .source = "validated as pci_devices.*" },
    { .name = "uuid", .type = T::Uuid, .allowed = allow("CR", "CR", "CR", "CR", "CR", "CR"), .flags = FLAG_LISTABLE, .list_header = "UUID", .list_width = 36 },
    { .name = "v", .type = T::Integer, .allowed = allow("R", "R", "R", "R", "R", "R"), .min = 0, .source = "xml:attr.vm-version" },
    { .name = "vcpus", .type = T::Integer, .allowed = allow("", "", "", "", "CRU", "CRU"), .flags = FLAG_LISTABLE, .min = 1, .list_header = "VCPUS", .list_width = 5, .storage = S::RemovedAtZero, .source = "xml:attr.vcpus" },
    { .name = "vga", .type = T::String, .allowed = allow("", "", "", "", "CRU", ""), .source = "xml:attr.vga" },
    { .name = "virtio_txburst", .type = T::Integer, .allowed = allow("", "", "", "", "CRU", ""), .min = 0, .storage = S::RemovedAtZero, .source = "xml:attr.virtio-txburst" },
    { .name = "virtio_txtimer", .type = T::Integer, .allowed = allow("", "", "", "", "CRU", ""), .min = 0, .storage = S::RemovedAtZero, .source = "xml:attr.virtio-txtimer" },
    { .name = "vm_autoboot", .type = T::ReadOnly, .allowed = allow("", "", "", "", "", ""), .source = "xml:attr.vm-autoboot" },
    { .name = "vnc_password", .type = T::String, .allowed = allow("", "", "", "", "CRU", "CRU"), .source = "xml:attr.vnc-password" },
    { .name = "vnc_port", .type = T::Integer, .allowed = allow("", "", "", "", "CRU", "CRU"), .min = -1, .storage = S::RemovedAtZero, .source = "xml:attr.vnc-port" },
    { .name = "zfs_data_compression", .type = T::String, .allowed = allow("CRU", "CRU", "CRU", "CRU", "", ""), .table_default = "\"off\"", .source = "zfs:compression" },
    { .name = "zfs_data_recsize", .type = T::Integer, .allowed = allow("CRU", "CRU", "CRU", "CRU", "", ""), .min = 0, .source = "zfs:recsize" },
    { .name = "zfs_filesystem", .type = T::String, .allowed = allow("R", "R", "R", "R", "R", "R"), .storage = S::Never, .source = "zfs:name" },
    { .name = "zfs_filesystem_limit", .type = T::Integer, .allowed = allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), .min = 0, .table_default = "\"none\"", .source = "zfs:filesystem_limit" },
    { .name = "zfs_io_priority", .type = T::Integer, .allowed = allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), .flags = FLAG_LISTABLE, .min = 0, .list_header = "IO_PRIORITY", .list_width = 11, .source = "xml:rctl.zone.zfs-io-priority.privileged.none" },
    { .name = "zfs_root_compression", .type = T::String, .allowed = allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), .table_default = "\"off\"", .source = "zfs:compression" },
    { .name = "zfs_root_recsize", .type = T::Integer, .allowed = allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), .min = 0, .table_default = "131072", .source = "zfs:recsize" },
    { .name = "zfs_snapshot_limit", .type = T::Integer, .allowed = allow("CRU", "CRU", "CRU", "CRU", "CRU", "CRU"), .min = 0, .table_default = "\"none\"", .source = "zfs:snapshot_limit" },
    { .name = "zfs_storage_pool_name", .type = T::Zpool, .allowed = allow("CR", "CR", "CR", "CR", "CR", ""), .flags = FLAG_DEPRECATED, .storage = S::Never },
    { .name = "zlog_max_size", .type = T::Integer, .allowed = allow("CRU", "CRU", "CRU", "CRU", "", ""), .min = 0, .max = INT64_MAX, .storage = S::RemovedAtZero, .source = "xml:attr.zlog-max-size" },
    { .name = "zlog_mode", .type = T::ReadOnly, .allowed = allow("", "", "", "", "", ""), .source = "xml:attr.zlog-mode" },
    { .name = "zlog_name", .type = T::ReadOnly, .allowed = allow("", "", "", "", "", ""), .source = "xml:attr.zlog-name" },
    { .name = "zone_dataset_uuid", .type = T::Uuid, .allowed = allow("", "", "", "", "CR", "CR"), .storage = S::Never },
    { .name = "zonename", .type = T::String, .allowed = allow("CR", "CR", "CR", "CR", "CR", "CR"), .flags = FLAG_LISTABLE, .validator = V::Zonename, .list_header = "ZONENAME", .list_width = 12, .source = "xml:name" },
    { .name = "zonepath", .type = T::ReadOnly, .allowed = allow("", "", "", "", "", ""), .flags = FLAG_LISTABLE, .list_header = "ZONEPATH", .list_width = 40, .source = "ignored on load; xml:zonepath" },
    { .name = "zpool", .type = T::Zpool, .allowed = allow("CR", "CR", "CR", "CR", "CR", "CR"), .flags = FLAG_LISTABLE, .list_header = "ZPOOL", .list_width = 12, .source = "zfs:name" },
    { .name = "zone_state", .type = T::ReadOnly, .allowed = allow("", "", "", "", "", ""), .flags = FLAG_LISTABLE, .list_header = "ZONE_STATE", .list_width = 10, .source = "runtime, list column" },
    { .name = "hvm", .type = T::ReadOnly, .allowed = allow("", "", "", "", "", ""), .flags = FLAG_LISTABLE, .list_header = "HVM", .list_width = 5, .source = "runtime, list column" },
    { .name = "zoneid", .type = T::ReadOnly, .allowed = allow("", "", "", "", "", ""), .flags = FLAG_LISTABLE, .list_header = "ZONEID", .list_width = 6, .source = "runtime, list column" },
};
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

namespace {

constexpr size_t MAP_COUNT = static_cast<size_t>(std::ranges::count_if(
    PROPERTIES, [](Property const& property) { return property.has_flag(FLAG_MAP); }));

constexpr std::array<std::string_view, MAP_COUNT> MAP_NAMES = [] {
    std::array<std::string_view, MAP_COUNT> names {};
    size_t next = 0;
    for (auto const& property : PROPERTIES) {
        if (property.has_flag(FLAG_MAP)) {
            names[next++] = property.name;
        }
    }
    return names;
}();

} // namespace

std::span<std::string_view const> map_properties()
{
    return MAP_NAMES;
}

bool is_map_property(std::string_view name)
{
    return std::ranges::find(MAP_NAMES, name) != MAP_NAMES.end();
}

Flatten flatten_kind(std::string_view name)
{
    Property const* property = find_property(name);
    return property == nullptr ? Flatten::None : property->flatten;
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
