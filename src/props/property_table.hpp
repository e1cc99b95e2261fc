// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "props/brand.hpp"

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
    FLAG_LISTABLE = 1U << 0U,    // usable as a vmadm list column / sort / filter key
    FLAG_KEEP_ZERO = 1U << 1U,   // 0 is stored, not treated as unset (tmpfs)
    FLAG_DEPRECATED = 1U << 2U,
    FLAG_UPDATABLE = 1U << 3U,   // sub-key copied by update_* ("copied by update_*")
    FLAG_HAS_MIN = 1U << 4U,
    FLAG_HAS_MAX = 1U << 5U,
};

// One row of SmartOS's property table. The table (property_table.cpp) is the single source for
// validation, normalization, list columns and docs/properties.md: adding a property is adding a
// row.
struct Property {
    std::string_view name;
    PropType type;
    std::array<uint8_t, BRAND_COUNT> allowed; // Action bits per brand, indexed by Brand
    uint8_t required_on_create;               // bit per brand (1 << Brand)
    uint16_t flags;
    int64_t min;
    int64_t max; // for strings (FLAG_HAS_MAX): the longest value in bytes
    Validator validator;
    std::string_view list_header; // "" when not a list column
    int list_width;
    std::string_view description;

    bool allows(Brand brand, uint8_t action) const
    {
        return (allowed[static_cast<size_t>(brand)] & action) != 0;
    }
    bool required_for(Brand brand) const
    {
        return (required_on_create & (1U << static_cast<unsigned>(brand))) != 0;
    }
    bool listable() const { return (flags & FLAG_LISTABLE) != 0; }
    bool has_flag(PropFlag flag) const { return (flags & flag) != 0; }
    std::optional<int64_t> minimum() const
    {
        return has_flag(FLAG_HAS_MIN) ? std::optional<int64_t>(min) : std::nullopt;
    }
    std::optional<int64_t> maximum() const
    {
        return has_flag(FLAG_HAS_MAX) ? std::optional<int64_t>(max) : std::nullopt;
    }
};

std::span<Property const> property_table();

// Looks a property up by its full name ("alias", "nics.*.mac"); nullptr when unknown.
Property const* find_property(std::string_view name);

bool valid_mac_address(std::string_view text);
bool valid_resolver(std::string_view text);
bool valid_attr_value(std::string_view text);
bool valid_cid(std::string_view text);
bool valid_bhyve_sect_size(std::string_view text);
bool valid_zonename(std::string_view text);
bool run_validator(Validator validator, std::string_view text);

} // namespace lumos::props
