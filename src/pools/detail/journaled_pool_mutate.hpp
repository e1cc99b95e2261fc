// SPDX-License-Identifier: MPL-2.0
// Private to journaled_pool*.cpp: the definition of JournaledPool::mutate, which each of them
// instantiates with its own bodies.
#pragma once

#include "pools/detail/journaled_pool.hpp"
#include "pools/detail/legacy_journal.hpp"

#include <filesystem>

namespace lumos::pools::detail {

// Receives' scratch directories under .snapshots are named "<prefix><hex>".
inline constexpr char RECEIVE_PREFIX[] = ".recv-";

template <typename Body>
Result<void> JournaledPool::mutate(Body&& body)
{
    TRY_ASSIGN(held, lock());
    if (has_legacy_journal(metadata_dir())) {
        TRY(migrate_legacy_journal(metadata_dir()));
    }
    TRY_ASSIGN(db, DatasetDb::open(metadata_dir(), DatasetDb::Access::Write, has_room()));
    TRY(db.begin());
    TRY_ASSIGN(pending, db.pending());
    std::error_code ec;
    if (!pending.empty() || std::filesystem::exists(scratch_root(), ec)) {
        TRY(recover(db));
        TRY(db.checkpoint());
    }
    Result<void> result = body(db);
    if (!result) {
        db.rollback();
        return result;
    }
    return db.commit();
}

} // namespace lumos::pools::detail
