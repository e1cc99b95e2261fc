// SPDX-License-Identifier: MPL-2.0
#pragma once

// The undo list of a multi-step operation: each step that succeeded pushes how to undo it; if the
// operation returns before disarm(), the destructor runs the undo steps newest first. Undo steps
// are best effort and must not throw.

#include <functional>
#include <utility>
#include <vector>

namespace lumos {

class Rollback {
public:
    Rollback() = default;
    Rollback(Rollback const&) = delete;
    Rollback& operator=(Rollback const&) = delete;
    Rollback(Rollback&&) = delete;
    Rollback& operator=(Rollback&&) = delete;
    ~Rollback() { run(); }

    void push(std::function<void()> undo) { m_steps.push_back(std::move(undo)); }
    // The operation succeeded: nothing is undone.
    void disarm() { m_steps.clear(); }
    // Undoes now (newest first), leaving nothing to undo.
    void run()
    {
        while (!m_steps.empty()) {
            auto step = std::move(m_steps.back());
            m_steps.pop_back();
            step();
        }
    }
    bool empty() const { return m_steps.empty(); }

private:
    std::vector<std::function<void()>> m_steps;
};

} // namespace lumos
