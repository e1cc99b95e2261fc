// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "props/brand.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace lumos::props {

// The payload type of a property (proptable.js pr_type); ReadOnly rows appear in VM objects but
// can never be supplied.
enum class PropType : uint8_t {
    String,
    Integer,
    Boolean,
    Uuid,
    List,
    FlatObject,
    ObjectArray,
    Zpool,
    ReadOnly,
};

// Actions a property may appear in. Top-level keys use Create/Receive/Update; sub-keys of
// nics/disks/filesystems/pci_devices use Add (inside nics, add_nics, ...) and Update (inside
// update_nics, ...).
enum Action : uint8_t {
    ACTION_NONE = 0,
    ACTION_CREATE = 1U << 0U,
    ACTION_RECEIVE = 1U << 1U,
    ACTION_UPDATE = 1U << 2U,
    ACTION_ADD = 1U << 3U,
};

enum class Validator : uint8_t { None, Mac, Resolver, AttrValue, Cid, BhyveSectSize, Zonename };

enum PropFlag : uint16_t {
    FLAG_NONE = 0,
    FLAG_LISTABLE = 1U << 0U, // usable as a vmadm list column / sort / filter key
    FLAG_DEPRECATED = 1U << 1U,
    FLAG_UPDATABLE = 1U << 2U, // a sub-key that update_* copies onto the existing element
    FLAG_MAP = 1U << 3U, // a map kept whole: set_<name>/remove_<name> change it, and the
                         // store keeps it in its own file (metadata, tags, routes)
};

// How a top-level value is kept in the VM object (SmartOS's unset rules).
enum class Storage : uint8_t {
    Always, // stored as given (0 and false included)
    WhenTrue, // a boolean that vanishes from the config when false
    WhenFalse, // a boolean that vanishes when true, its table default (restart_init)
    RemovedAtZero, // an integer kept as a zone attribute: 0 removes it (cpu_cap: 0 uncaps)
    Never, // steers create or receive and is never stored as such (nowait, datasets)
};

// How vmadm's flatten (list columns, sort keys, filters) reaches inside the value.
enum class Flatten : uint8_t {
    None, // only the whole value: "alias"
    Elements, // an array of objects: "nics.0.ip" (FLATTENABLE_ARRAY_HASH_KEYS)
    Keys, // a map: "tags.role" (FLATTENABLE_HASH_KEYS)
    Indexes, // an array of strings: "resolvers.0" (FLATTENABLE_ARRAYS)
};

// One row of SmartOS's property table. The table (property_table.cpp) is the single source for
// validation, normalization, storage, list columns and flattening: adding a property is adding
// a row.
struct Property {
    std::string_view name;
    PropType type = PropType::ReadOnly;
    std::array<uint8_t, BRAND_COUNT> allowed {}; // Action bits per brand, indexed by Brand
    uint8_t required_on_create = 0; // bit per brand (1 << Brand)
    uint16_t flags = FLAG_NONE;
    std::optional<int64_t> min {};
    std::optional<int64_t> max {}; // for strings: the longest value in bytes
    Validator validator = Validator::None;
    std::string_view list_header {}; // "" when not a list column
    int list_width = 0;
    Storage storage = Storage::Always;
    Flatten flatten = Flatten::None;
    std::string_view table_default {}; // proptable.js's default, as JSON ("" when none)
    std::string_view source {}; // where SmartOS's loader reads it (xml:, zfs:, kstat:, ...)

    constexpr bool allows(Brand brand, uint8_t action) const
    {
        return (allowed[static_cast<size_t>(brand)] & action) != 0;
    }
    constexpr bool required_for(Brand brand) const
    {
        return (required_on_create & (1U << static_cast<unsigned>(brand))) != 0;
    }
    constexpr bool listable() const { return (flags & FLAG_LISTABLE) != 0; }
    constexpr bool has_flag(PropFlag flag) const { return (flags & flag) != 0; }
    constexpr std::optional<int64_t> minimum() const { return min; }
    constexpr std::optional<int64_t> maximum() const { return max; }
};

std::span<Property const> property_table();

// Looks a property up by its full name ("alias", "nics.*.mac"); nullptr when unknown.
Property const* find_property(std::string_view name);

// The FLAG_MAP properties, in table order: customer_metadata, internal_metadata, routes, tags.
std::span<std::string_view const> map_properties();
bool is_map_property(std::string_view name);
// A top-level property's Flatten kind; Flatten::None for unknown names.
Flatten flatten_kind(std::string_view name);

bool valid_mac_address(std::string_view text);
bool valid_resolver(std::string_view text);
bool valid_attr_value(std::string_view text);
bool valid_cid(std::string_view text);
bool valid_bhyve_sect_size(std::string_view text);
bool valid_zonename(std::string_view text);
bool run_validator(Validator validator, std::string_view text);

} // namespace lumos::props
