// SPDX-License-Identifier: MPL-2.0
// When to start again a helper process that keeps dying (the zone monitor's DHCP clients and
// metadata server): the first restart after MIN_MS, each quick death doubling the wait up to
// MAX_MS, and a process that ran STABLE_MS starting the count again. Times are monotonic ms the
// owner passes in. Header-only and standard library only: the static monitor includes it.
#pragma once

#include <algorithm>

namespace lumos {

class RestartBackoff {
public:
    static constexpr long long MIN_MS = 1000;
    static constexpr long long MAX_MS = 60000;
    static constexpr long long STABLE_MS = 60000;

    // The process was started at now: no restart is due.
    void started(long long now)
    {
        m_started_ms = now;
        m_due_ms = 0;
    }
    // It exited at now: the restart is due after the backoff, counted again from MIN_MS when
    // it had run STABLE_MS.
    void exited(long long now)
    {
        if (now - m_started_ms >= STABLE_MS) {
            m_wait_ms = 0;
        }
        start_failed(now);
    }
    // It could not be started at now: the restart is due after the (doubled) backoff.
    void start_failed(long long now)
    {
        m_wait_ms = std::clamp(m_wait_ms * 2, MIN_MS, MAX_MS);
        m_due_ms = now + m_wait_ms;
    }
    // Stopped for good: no restart is due.
    void cancel() { m_due_ms = 0; }

    // When the next restart is due (monotonic ms), 0 when none is.
    long long due() const { return m_due_ms; }
    bool due_by(long long now) const { return m_due_ms != 0 && now >= m_due_ms; }

private:
    long long m_started_ms { 0 };
    long long m_due_ms { 0 };
    long long m_wait_ms { 0 };
};

} // namespace lumos
