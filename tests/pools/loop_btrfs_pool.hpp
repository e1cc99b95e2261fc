// SPDX-License-Identifier: MPL-2.0
// A btrfs pool on a loop-backed file, as `lumosadm pool create --file` makes one, for the tests
// that need the real filesystem (root only).
#pragma once

#include "base/paths.hpp"
#include "base/result.hpp"
#include "base/sizes.hpp"
#include "pools/pool.hpp"
#include "support/temp_dir.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace lumos::test {

// The pool lives in its own temporary LUMOS_ROOT (<root>/<name>.img, mounted at <root>/<name>);
// the destructor destroys it (unmount, loop device, file) and then the directory, also when a
// test failed half-way.
class LoopBtrfsPool {
public:
    struct Options {
        std::string name { "zones" };
        bool quotas { true };
        uint64_t size_bytes { 512 * MIB };
    };

    // Why this host cannot make one (empty: it can): loop devices, mkfs.btrfs and mount need root.
    static std::string unavailable();

    LoopBtrfsPool() = default;
    LoopBtrfsPool(LoopBtrfsPool const&) = delete;
    LoopBtrfsPool& operator=(LoopBtrfsPool const&) = delete;
    ~LoopBtrfsPool();

    Result<void> make(Options const& options);
    // Unmounts and detaches (lumosadm pool destroy); a failure is a test failure. Once.
    void destroy();

    std::string dir() const { return m_root.str(); }
    Paths const& paths() const { return m_paths; }
    pools::PoolConfig const& config() const { return m_config; }
    std::string const& mountpoint() const { return m_config.mountpoint; }
    // A new Pool object over it (each stands for one process).
    std::unique_ptr<pools::Pool> open() const;

private:
    TempRoot m_root;
    Paths m_paths { m_root.str() };
    pools::PoolConfig m_config;
    bool m_made { false };
};

} // namespace lumos::test
