// SPDX-License-Identifier: MPL-2.0
// SmartOS normalizeDisks (VM.js): media and model defaults, and for bhyve the disk uuids and
// the static PCI slot assignment of assignBhyvePCIslots.
#include "props/disks.hpp"

#include "base/uuid.hpp"
#include "props/detail/json_access.hpp"

#include <algorithm>
#include <array>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lumos::props {

namespace {

using detail::array_member;
using detail::has;
using detail::invalid;
using detail::is_create;
using detail::json_bool;
using detail::require_objects;
using detail::string_member;
using detail::stringify;

struct PciSlot {
    long long bus;
    long long dev;
    long long fn;
};

std::optional<long long> strict_integer(std::string_view text)
{
    size_t pos = 0;
    bool negative = false;
    if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
        negative = text[0] == '-';
        pos = 1;
    }
    if (pos >= text.size()) {
        return std::nullopt;
    }
    long long value = 0;
    for (; pos < text.size(); ++pos) {
        if (text[pos] < '0' || text[pos] > '9') {
            return std::nullopt;
        }
        if (value < 1000000000) {
            value = value * 10 + (text[pos] - '0');
        }
    }
    return negative ? -value : value;
}

Result<PciSlot> parse_pci_slot(std::string const& text)
{
    auto const error = invalid("pci_slot \"" + text + "\" is not valid");
    std::vector<std::optional<long long>> parts;
    size_t start = 0;
    while (true) {
        size_t const colon = text.find(':', start);
        parts.push_back(strict_integer(std::string_view(text).substr(start, colon - start)));
        if (colon == std::string::npos) {
            break;
        }
        start = colon + 1;
    }
    if (parts.size() > 3 || std::any_of(parts.begin(), parts.end(), [](auto const& part) {
            return !part.has_value();
        })) {
        return error;
    }
    PciSlot slot { 0, 0, 0 };
    if (parts.size() == 1) {
        slot.dev = *parts[0];
    } else if (parts.size() == 2) {
        slot.dev = *parts[0];
        slot.fn = *parts[1];
    } else {
        slot = PciSlot { *parts[0], *parts[1], *parts[2] };
    }
    if (slot.bus < 0 || slot.bus > 255 || slot.dev < 0 || slot.dev > 31 || slot.fn < 0
        || slot.fn > 7) {
        return error;
    }
    return slot;
}

std::string disk_description(Json const& disk)
{
    if (auto path = string_member(disk, "path"); path && !path->empty()) {
        return "path=" + *path;
    }
    if (auto slot = string_member(disk, "pci_slot"); slot && !slot->empty()) {
        return "pci_slot=" + *slot;
    }
    return "\"" + stringify(disk) + "\"";
}

using SlotMap = std::map<long long, std::map<long long, std::string>>;

// VM.js assignBhyvePCIslots (see illumos-joyent usr/src/lib/brand/bhyve/zone/boot.c): slot 0:3
// holds cdroms, 0:4 disks (0:5 for legacy non-boot disks); 0, 6, 30 and 31 are reserved.
Result<void> assign_pci_slots(Json* disks, Json const& existing, SlotMap& slots, bool legacy)
{
    constexpr long long SLOT_CD = 3;
    constexpr long long SLOT_BOOT_DISK = 4;
    constexpr long long SLOT_OTHER_DISKS = 5;
    constexpr std::array<long long, 4> RESERVED { 0, 6, 30, 31 };
    Json const& list = disks != nullptr ? *disks : existing;

    std::deque<size_t> unassigned; // the boot disk goes first
    std::optional<size_t> boot_disk;
    for (size_t i = 0; i < list.size(); ++i) {
        Json const& disk = list[i];
        if (!disk.is_object()) {
            continue;
        }
        bool const boot = has(disk, "boot") && json_bool(disk["boot"]).value_or(false);
        if (boot) {
            if (boot_disk) {
                return invalid("multiple boot disks: \"" + disk_description(list[*boot_disk])
                    + "\" and \"" + disk_description(disk) + "\"");
            }
            boot_disk = i;
        }
        if (disk.contains("pci_slot")) {
            std::string const text = js_string(disk["pci_slot"]);
            TRY_ASSIGN(slot, parse_pci_slot(text));
            if (slot.bus == 0) {
                if (std::find(RESERVED.begin(), RESERVED.end(), slot.dev) != RESERVED.end()) {
                    return invalid("pci_slot \"" + text + "\" invalid: PCI device "
                        + std::to_string(slot.dev) + " is reserved");
                }
                auto& functions = slots[slot.dev];
                if (functions.contains(slot.fn)) {
                    return invalid("VM has multiple disks in pci_slot \"" + text + "\": \""
                        + functions[slot.fn] + "\" and \""
                        + string_member(disk, "path").value_or("undefined"));
                }
                functions[slot.fn] = string_member(disk, "path").value_or("undefined");
            }
        } else if (boot) {
            unassigned.push_front(i);
        } else {
            unassigned.push_back(i);
        }
    }
    for (size_t const i : unassigned) {
        Json const& disk = list[i];
        std::string const media = string_member(disk, "media").value_or("disk");
        bool const boot = has(disk, "boot") && json_bool(disk["boot"]).value_or(false);
        long long dev = 0;
        if (media == "cdrom") {
            dev = SLOT_CD;
        } else if (media == "disk") {
            dev = boot || !legacy ? SLOT_BOOT_DISK : SLOT_OTHER_DISKS;
        } else {
            return invalid("VM has no PCI bus or slot assigned for " + media
                + " devices; automatic pci_slot assignment not possible");
        }
        auto& functions = slots[dev];
        long long fn = 0;
        while (functions.contains(fn)) {
            ++fn;
        }
        if (fn > 7) {
            return invalid(
                "VM has more than 8 " + media + " devices on PCI device " + std::to_string(dev));
        }
        functions[fn] = string_member(disk, "path").value_or("undefined");
        if (disks != nullptr) {
            (*disks)[i]["pci_slot"] = "0:" + std::to_string(dev) + ":" + std::to_string(fn);
        }
    }
    return {};
}

Result<void> assign_disk_uuids(Json& disks, Json const& vm)
{
    std::vector<std::string> uuids;
    for (auto const& disk : array_member(vm, "disks")) {
        if (auto uuid = string_member(disk, "uuid")) {
            uuids.push_back(*uuid);
        }
    }
    for (auto& disk : disks) {
        if (disk.contains("uuid")) {
            std::string const uuid = js_string(disk["uuid"]);
            if (std::find(uuids.begin(), uuids.end(), uuid) != uuids.end()) {
                return invalid("duplicate disk uuid " + uuid);
            }
            uuids.push_back(uuid);
        } else {
            std::string uuid = generate_uuid();
            disk["uuid"] = uuid;
            uuids.push_back(std::move(uuid));
        }
    }
    return {};
}

} // namespace

Result<void> normalize_disks(Json& payload, Json const& vm, Brand brand)
{
    if (!payload.is_object() || !is_hvm(brand)) {
        return {};
    }
    TRY(require_objects(payload, "add_disks"));
    TRY(require_objects(payload, "update_disks"));
    if (!payload.contains("add_disks")) {
        return {};
    }
    bool const creating = is_create(vm);
    Json disks = payload["add_disks"];
    for (auto& disk : disks) {
        if (!disk.contains("media")) {
            disk["media"] = "disk";
        }
        if (disk.contains("model") && disk["model"] != "undefined") {
            continue;
        }
        if (creating) {
            if (auto driver = string_member(payload, "disk_driver")) {
                disk["model"] = *driver;
            }
            continue;
        }
        Json const& existing = array_member(vm, "disks");
        if (auto driver = string_member(vm, "disk_driver")) {
            disk["model"] = *driver;
        } else if (!existing.empty() && has(existing[0], "model")
            && js_truthy(existing[0]["model"])) {
            disk["model"] = existing[0]["model"];
        }
    }
    if (brand == Brand::Bhyve) {
        SlotMap slots;
        if (!creating) {
            TRY(assign_pci_slots(nullptr, array_member(vm, "disks"), slots, true));
        }
        TRY(assign_pci_slots(&disks, disks, slots, false));
        TRY(assign_disk_uuids(disks, vm));
    }
    payload["add_disks"] = std::move(disks);
    return {};
}

} // namespace lumos::props
