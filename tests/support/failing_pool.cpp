// SPDX-License-Identifier: MPL-2.0
#include "support/failing_pool.hpp"

namespace lumos::test {

FailingPool::FailingPool(std::unique_ptr<pools::Pool> inner, std::shared_ptr<FaultPlan> plan)
    : m_inner(std::move(inner))
    , m_plan(std::move(plan))
{
}

template <typename Operation>
Result<void> FailingPool::mutate(std::string const& what, Operation&& operation)
{
    int const call = ++m_plan->calls;
    m_plan->log.push_back(what);
    if (call != m_plan->fail_at) {
        return operation();
    }
    if (m_plan->mode == FaultPlan::Mode::After) {
        (void)operation();
    }
    return make_error(ErrorCode::System,
        std::string(FaultPlan::MESSAGE) + " at call " + std::to_string(call) + " (" + what + ")");
}

Result<void> FailingPool::create_filesystem(
    std::string const& name, pools::CreateOptions const& options)
{
    return mutate(
        "create_filesystem " + name, [&] { return m_inner->create_filesystem(name, options); });
}

Result<void> FailingPool::create_volume(
    std::string const& name, uint64_t size_bytes, pools::CreateOptions const& options)
{
    return mutate(
        "create_volume " + name, [&] { return m_inner->create_volume(name, size_bytes, options); });
}

Result<void> FailingPool::snapshot(std::string const& snapshot_name)
{
    return mutate("snapshot " + snapshot_name, [&] { return m_inner->snapshot(snapshot_name); });
}

Result<void> FailingPool::clone(std::string const& snapshot_name, std::string const& target,
    pools::CreateOptions const& options)
{
    return mutate("clone " + snapshot_name + " " + target,
        [&] { return m_inner->clone(snapshot_name, target, options); });
}

Result<void> FailingPool::rename(std::string const& from, std::string const& to)
{
    return mutate("rename " + from + " " + to, [&] { return m_inner->rename(from, to); });
}

Result<void> FailingPool::destroy(std::string const& name, pools::Recursive recursive)
{
    return mutate("destroy " + name, [&] { return m_inner->destroy(name, recursive); });
}

Result<void> FailingPool::rollback(std::string const& snapshot_name)
{
    return mutate("rollback " + snapshot_name, [&] { return m_inner->rollback(snapshot_name); });
}

Result<void> FailingPool::set_quota(std::string const& name, std::optional<uint64_t> bytes)
{
    return mutate("set_quota " + name, [&] { return m_inner->set_quota(name, bytes); });
}

Result<void> FailingPool::resize_volume(std::string const& name, uint64_t bytes)
{
    return mutate("resize_volume " + name, [&] { return m_inner->resize_volume(name, bytes); });
}

Result<void> FailingPool::set_user_property(
    std::string const& name, std::string const& key, std::string const& value)
{
    return mutate("set_user_property " + name + " " + key,
        [&] { return m_inner->set_user_property(name, key, value); });
}

Result<void> FailingPool::hold(std::string const& snapshot_name, std::string const& tag)
{
    return mutate("hold " + snapshot_name, [&] { return m_inner->hold(snapshot_name, tag); });
}

Result<void> FailingPool::release(std::string const& snapshot_name, std::string const& tag)
{
    return mutate("release " + snapshot_name, [&] { return m_inner->release(snapshot_name, tag); });
}

Result<void> FailingPool::receive(std::string const& target, int fd)
{
    return mutate("receive " + target, [&] { return m_inner->receive(target, fd); });
}

pools::PoolDecorator failing_pools(std::shared_ptr<FaultPlan> plan)
{
    return [plan = std::move(plan)](
               std::unique_ptr<pools::Pool> pool) -> std::unique_ptr<pools::Pool> {
        return std::make_unique<FailingPool>(std::move(pool), plan);
    };
}

} // namespace lumos::test
