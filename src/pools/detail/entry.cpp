// SPDX-License-Identifier: MPL-2.0
#include "pools/detail/entry.hpp"

namespace lumos::pools::detail {

Json entry_to_json(Entry const& entry)
{
    Json json = Json::object();
    json["type"] = dataset_type_name(entry.type);
    json["creation"] = entry.creation;
    if (entry.origin) {
        json["origin"] = *entry.origin;
    }
    if (entry.quota) {
        json["quota"] = *entry.quota;
    }
    if (entry.volsize) {
        json["volsize"] = *entry.volsize;
    }
    if (!entry.properties.empty()) {
        json["properties"] = entry.properties;
    }
    if (!entry.holds.empty()) {
        json["holds"] = entry.holds;
    }
    if (!entry.storage.empty()) {
        json["storage"] = entry.storage;
    }
    if (entry.subvolume_id != 0) {
        json["subvolume_id"] = entry.subvolume_id;
    }
    if (entry.sequence != 0) {
        json["sequence"] = entry.sequence;
    }
    if (entry.state != EntryState::Whole) {
        json["state"] = entry_state_name(entry.state);
    }
    if (!entry.rollback_id.empty()) {
        json["rollback_id"] = entry.rollback_id;
    }
    if (!entry.rename_root.empty()) {
        json["rename_root"] = entry.rename_root;
        json["rename_to"] = entry.rename_to;
    }
    return json;
}

namespace {

template <typename T>
T member(Json const& json, char const* key, T fallback)
{
    auto it = json.find(key);
    if (it == json.end()) {
        return fallback;
    }
    if constexpr (std::is_same_v<T, std::string>) {
        return it->is_string() ? it->template get<std::string>() : fallback;
    } else if constexpr (std::is_same_v<T, uint64_t>) {
        return it->is_number_unsigned() ? it->template get<uint64_t>() : fallback;
    } else {
        return it->is_number_integer() ? it->template get<T>() : fallback;
    }
}

} // namespace

namespace {

struct StateName {
    EntryState state;
    char const* name;
};

constexpr StateName STATE_NAMES[] = {
    { EntryState::Whole, "" },
    { EntryState::Creating, "creating" },
    { EntryState::Destroying, "destroying" },
    { EntryState::Renaming, "renaming" },
    { EntryState::RollingBack, "rollingback" },
};

} // namespace

char const* entry_state_name(EntryState state)
{
    for (auto const& [known, name] : STATE_NAMES) {
        if (known == state) {
            return name;
        }
    }
    return "unknown";
}

EntryState entry_state_from_name(std::string_view name)
{
    for (auto const& [state, known] : STATE_NAMES) {
        if (name == known) {
            return state;
        }
    }
    return EntryState::Unknown;
}

Entry entry_from_json(Json const& json)
{
    Entry entry;
    if (!json.is_object()) {
        return entry;
    }
    auto type = member(json, "type", std::string("filesystem"));
    entry.type = type == "volume" ? DatasetType::Volume
        : type == "snapshot"      ? DatasetType::Snapshot
                                  : DatasetType::Filesystem;
    entry.creation = member(json, "creation", int64_t { 0 });
    if (json.contains("origin") && json["origin"].is_string()) {
        entry.origin = json["origin"].get<std::string>();
    }
    if (json.contains("quota") && json["quota"].is_number_unsigned()) {
        entry.quota = json["quota"].get<uint64_t>();
    }
    if (json.contains("volsize") && json["volsize"].is_number_unsigned()) {
        entry.volsize = json["volsize"].get<uint64_t>();
    }
    if (json.contains("properties") && json["properties"].is_object()) {
        for (auto const& [key, value] : json["properties"].items()) {
            if (value.is_string()) {
                entry.properties[key] = value.get<std::string>();
            }
        }
    }
    if (json.contains("holds") && json["holds"].is_array()) {
        for (auto const& tag : json["holds"]) {
            if (tag.is_string()) {
                entry.holds.push_back(tag.get<std::string>());
            }
        }
    }
    entry.storage = member(json, "storage", std::string());
    entry.subvolume_id = member(json, "subvolume_id", uint64_t { 0 });
    entry.sequence = member(json, "sequence", uint64_t { 0 });
    entry.state = entry_state_from_name(member(json, "state", std::string()));
    entry.rollback_id = member(json, "rollback_id", std::string());
    entry.rename_root = member(json, "rename_root", std::string());
    entry.rename_to = member(json, "rename_to", std::string());
    return entry;
}

} // namespace lumos::pools::detail
