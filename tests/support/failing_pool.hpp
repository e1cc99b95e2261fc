// SPDX-License-Identifier: MPL-2.0
// Fault injection for the engine's storage (tests/unit/vm/engine_faults_*): a Pool that wraps a
// real one, counts every call that changes the pool, and fails the Nth. A PoolRegistry given
// failing_pools(plan) as its decorator hands out such pools, all sharing one plan, so the count
// runs over every pool an engine command opens.
#pragma once

#include "pools/pool.hpp"

#include <memory>
#include <string>
#include <vector>

namespace lumos::test {

struct FaultPlan {
    // Before: the call fails without touching the pool. After: the wrapped pool does it, then
    // the call reports failure (a backend that lost its answer).
    enum class Mode { Before, After };

    int fail_at { 0 }; // 1-based index of the mutating call that fails; 0: none fails
    Mode mode { Mode::Before };
    int calls { 0 }; // mutating calls so far
    std::vector<std::string> log; // "destroy zones/<uuid>", one per mutating call

    // The message of the injected error.
    static constexpr char const* MESSAGE = "injected pool fault";
};

class FailingPool final : public pools::Pool {
public:
    FailingPool(std::unique_ptr<pools::Pool> inner, std::shared_ptr<FaultPlan> plan);

    std::string const& name() const override { return m_inner->name(); }
    pools::Backend backend() const override { return m_inner->backend(); }
    std::string const& mountpoint() const override { return m_inner->mountpoint(); }
    bool enforces_quotas() const override { return m_inner->enforces_quotas(); }
    std::string path_of(std::string const& dataset) const override
    {
        return m_inner->path_of(dataset);
    }
    Result<bool> exists(std::string const& name) const override { return m_inner->exists(name); }
    Result<pools::DatasetInfo> info(std::string const& name) const override
    {
        return m_inner->info(name);
    }
    Result<std::vector<pools::DatasetInfo>> list(std::string const& prefix) const override
    {
        return m_inner->list(prefix);
    }

    Result<void> create_filesystem(
        std::string const& name, pools::CreateOptions const& options) override;
    Result<void> create_volume(
        std::string const& name, uint64_t size_bytes, pools::CreateOptions const& options) override;
    Result<void> snapshot(std::string const& snapshot_name) override;
    Result<void> clone(std::string const& snapshot_name, std::string const& target,
        pools::CreateOptions const& options) override;
    Result<void> rename(std::string const& from, std::string const& to) override;
    Result<void> destroy(std::string const& name, pools::Recursive recursive) override;
    Result<void> rollback(std::string const& snapshot_name) override;
    // lumosadm pool check's repair: forwarded, not counted (no engine command calls it).
    Result<void> recover() override { return m_inner->recover(); }
    Result<void> set_quota(std::string const& name, std::optional<uint64_t> bytes) override;
    Result<void> resize_volume(std::string const& name, uint64_t bytes) override;
    Result<void> set_user_property(
        std::string const& name, std::string const& key, std::string const& value) override;
    Result<void> hold(std::string const& snapshot_name, std::string const& tag) override;
    Result<void> release(std::string const& snapshot_name, std::string const& tag) override;
    Result<void> send(std::string const& snapshot_name,
        std::optional<std::string> const& from_snapshot, int fd) const override
    {
        return m_inner->send(snapshot_name, from_snapshot, fd);
    }
    Result<void> receive(std::string const& target, int fd) override;

private:
    // Counts the call; runs `operation` unless the plan fails this call before it.
    template <typename Operation>
    Result<void> mutate(std::string const& what, Operation&& operation);

    std::unique_ptr<pools::Pool> m_inner;
    std::shared_ptr<FaultPlan> m_plan;
};

// The decorator for PoolRegistry: every pool it opens becomes a FailingPool over plan.
pools::PoolDecorator failing_pools(std::shared_ptr<FaultPlan> plan);

} // namespace lumos::test
