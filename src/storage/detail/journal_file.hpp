// SPDX-License-Identifier: MPL-2.0
// The bytes of a pool's journal (`.lumos/datasets.json`) and of its spare, so that a full pool
// can still record a change (a delete above all).
//
// datasets.json is replaced as usual (temp + fsync + rename). That needs free space, data and, on
// btrfs, metadata: on a pool filled to 100% it fails with ENOSPC, and freeing a data reserve does
// not help when a tenant filled the metadata (btrfs refuses every new inode and rename then,
// while a subvolume delete and an in-place overwrite of a NOCOW file still work). So every pool
// also keeps `.lumos/datasets.spare`: a preallocated NOCOW file of two slots, each a header
// (magic, generation, length, checksum) and the JSON. When the rename fails for lack of space,
// the journal goes in place into the slot the previous spare write did not use; a torn write
// leaves that slot invalid and the other one (or datasets.json) whole. Every JSON carries a
// "generation", one more at each save; a reader takes the newest valid copy, and the next save
// that has room writes datasets.json again (and makes the spare anew, sized for the journal).
#pragma once

#include "base/json.hpp"
#include "base/result.hpp"

#include <cstdint>
#include <string>

namespace lumos::storage::detail {

class JournalFile {
public:
    explicit JournalFile(std::string directory);

    struct Loaded {
        Json json; // null when the pool has no journal yet
        uint64_t generation { 0 };
    };
    // The newest valid copy (datasets.json or a spare slot).
    Result<Loaded> read() const;
    // Writes json (its "generation" member set to generation): datasets.json when there is
    // room, else a spare slot. Then, when datasets.json was written, makes sure the spare exists
    // and can take a journal of this size (best effort: a full pool keeps the spare it has).
    Result<void> write(Json json, uint64_t generation) const;

    std::string journal_path() const { return m_directory + "/datasets.json"; }
    std::string spare_path() const { return m_directory + "/datasets.spare"; }

private:
    Result<void> write_spare(std::string const& text, uint64_t generation) const;
    void ensure_spare(size_t journal_size) const;

    std::string m_directory;
};

} // namespace lumos::storage::detail
