// SPDX-License-Identifier: MPL-2.0
// The connections lumos-imgapi serves, bounded: at most `limit` at a time. When a new one comes
// in and the table is full, the connection that has waited longest for a request (idle or still
// sending its request head, since its admission or the end of its last answer) is cut to make
// room; only when every connection
// is in the middle of an answer is the newcomer refused. So slow or idle clients can hold slots
// only until someone needs them, and never more than `limit` threads serve at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>

namespace lumos::imgapi {

enum class Phase {
    Waiting, // for the first byte of a request
    Head, // reading a request line and headers (or the TLS handshake)
    Busy, // answering
};

class ConnectionTable {
public:
    using Id = uint64_t;

    explicit ConnectionTable(size_t limit)
        : m_limit(limit)
    {
    }

    // Registers the connection on socket `fd` (Waiting); when full, shuts down (shutdown(2),
    // which wakes its thread) the longest-waiting connection not Busy and takes its place.
    // nullopt when every connection is Busy or the table is closed.
    std::optional<Id> admit(int fd);
    void set_phase(Id id, Phase phase);
    // Forgets the connection; call it before closing its socket, so that a concurrent eviction
    // never shuts down a descriptor number that has been reused.
    void release(Id id);
    // Shuts down every connection and refuses new ones (server shutdown).
    void close();

    size_t size() const;
    size_t evictions() const;

private:
    struct Entry {
        int fd;
        Phase phase;
        std::chrono::steady_clock::time_point since; // admitted, or its last answer ended
    };

    size_t const m_limit;
    mutable std::mutex m_mutex;
    std::map<Id, Entry> m_entries;
    Id m_next { 1 };
    size_t m_evictions { 0 };
    bool m_closed { false };
};

} // namespace lumos::imgapi
