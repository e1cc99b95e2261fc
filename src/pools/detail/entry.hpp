// SPDX-License-Identifier: MPL-2.0
// One dataset's or snapshot's metadata in a dir or btrfs pool, and its JSON form (a row's `data`
// in the pool's database, pools/detail/dataset_db.hpp; an entry of a pre-database
// datasets.json).
#pragma once

#include "base/json.hpp"
#include "base/result.hpp"
#include "pools/pool.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lumos::pools::detail {

// Where an entry's journal stands: Whole unless an operation on it is under way, or was cut off
// (then the pool's recovery finishes or undoes it). The names are the database's text (the
// `state` column and the "state" member of `data`, "" for Whole): existing pools hold them, so
// they never change. Unknown is a name this lumos does not know; it is neither shown nor
// recovered.
enum class EntryState { Whole, Creating, Destroying, Renaming, RollingBack, Unknown };

char const* entry_state_name(EntryState state);
EntryState entry_state_from_name(std::string_view name);

struct Entry {
    DatasetType type { DatasetType::Filesystem };
    int64_t creation { 0 };
    std::optional<std::string> origin; // relative snapshot name ("<image>@final")
    std::optional<uint64_t> quota;
    std::optional<uint64_t> volsize; // volumes, and snapshots of volumes
    std::map<std::string, std::string> properties;
    std::vector<std::string> holds;
    std::string storage; // snapshots: directory/file name under .snapshots/
    uint64_t subvolume_id { 0 }; // btrfs: the subvolume (and level-0 qgroup) id
    uint64_t sequence { 0 }; // snapshots: order of creation within the pool (for rollback)
    EntryState state { EntryState::Whole }; // Renaming: with rename_root and rename_to

    std::string rename_root;
    std::string rename_to;
    std::string rollback_id; // "rollingback": scratch names of the new and the old content
};

// Relative name ("<uuid>", "<uuid>@final") and entry, in name order.
using Row = std::pair<std::string, Entry>;
using Rows = std::vector<Row>;

Json entry_to_json(Entry const& entry);
Entry entry_from_json(Json const& json);

} // namespace lumos::pools::detail
