// SPDX-License-Identifier: MPL-2.0
#include "cmd/lumos-imgapi/connection_table.hpp"

#include <sys/socket.h>

namespace lumos::imgapi {

std::optional<ConnectionTable::Id> ConnectionTable::admit(int fd)
{
    std::lock_guard lock(m_mutex);
    if (m_closed || m_limit == 0) {
        return std::nullopt;
    }
    if (m_entries.size() >= m_limit) {
        auto oldest = m_entries.end();
        for (auto it = m_entries.begin(); it != m_entries.end(); ++it) {
            if (it->second.phase != Phase::Busy
                && (oldest == m_entries.end() || it->second.since < oldest->second.since)) {
                oldest = it;
            }
        }
        if (oldest == m_entries.end()) {
            return std::nullopt;
        }
        // Its thread sees the end of the stream (or an error) and ends; the entry goes now, so
        // that its release() later is a no-op and the slot is free at once.
        ::shutdown(oldest->second.fd, SHUT_RDWR);
        m_entries.erase(oldest);
        ++m_evictions;
    }
    Id id = m_next++;
    m_entries.emplace(id, Entry { fd, Phase::Waiting, std::chrono::steady_clock::now() });
    return id;
}

void ConnectionTable::set_phase(Id id, Phase phase)
{
    std::lock_guard lock(m_mutex);
    auto it = m_entries.find(id);
    if (it != m_entries.end()) {
        // A connection waits from its admission or from the end of its last answer; sending a
        // head, however slowly, does not make it any younger.
        if (it->second.phase == Phase::Busy && phase == Phase::Waiting) {
            it->second.since = std::chrono::steady_clock::now();
        }
        it->second.phase = phase;
    }
}

void ConnectionTable::release(Id id)
{
    std::lock_guard lock(m_mutex);
    m_entries.erase(id);
}

void ConnectionTable::close()
{
    std::lock_guard lock(m_mutex);
    m_closed = true;
    for (auto const& [id, entry] : m_entries) {
        ::shutdown(entry.fd, SHUT_RDWR);
    }
}

size_t ConnectionTable::size() const
{
    std::lock_guard lock(m_mutex);
    return m_entries.size();
}

size_t ConnectionTable::evictions() const
{
    std::lock_guard lock(m_mutex);
    return m_evictions;
}

} // namespace lumos::imgapi
