// SPDX-License-Identifier: MPL-2.0
// The metadata of pools made before the database (pools/detail/dataset_db.hpp): every dataset
// in one JSON file, `.lumos/datasets.json` ({"version":1,"generation":N,"datasets":{...}}),
// replaced whole by each change, and `.lumos/datasets.spare`, a preallocated file of two
// checksummed slots (magic, generation, length, FNV-1a; then the JSON) that took the journal in
// place when the pool was too full to replace datasets.json. The newest valid generation of
// the three copies is the pool's state. Read once, by the migration into datasets.db.
#pragma once

#include "base/result.hpp"
#include "pools/detail/entry.hpp"

#include <string>

namespace lumos::pools::detail {

std::string legacy_journal_path(std::string const& directory);
std::string legacy_spare_path(std::string const& directory);

// Whether directory holds pre-database metadata (datasets.json or datasets.spare).
bool has_legacy_journal(std::string const& directory);

// The newest valid copy's datasets.
Result<Rows> read_legacy_journal(std::string const& directory);

// Converts the pre-database metadata of directory into datasets.db, crash-safely, under the
// pool lock: the rows go into datasets.db.new (synced), which is renamed into place (the
// directory synced), and only then are datasets.json and datasets.spare removed. A crash before
// the rename leaves the old files as they were (the next attempt starts over); after it, the
// database is the pool's and the old files are leftovers that the next call removes.
Result<void> migrate_legacy_journal(std::string const& directory);

} // namespace lumos::pools::detail
