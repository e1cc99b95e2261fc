// SPDX-License-Identifier: MPL-2.0
#include "vm/runtime.hpp"

namespace lumos::vm {

namespace {

Error not_running(Json const& vm)
{
    return Error(ErrorCode::Unsupported, "VM " + string_or(vm, "uuid") + " is not running");
}

} // namespace

RefusingRuntime::RefusingRuntime(std::string reason_suffix)
    : m_reason_suffix(std::move(reason_suffix))
{
}

Result<Json> Runtime::info(Json const& vm, std::vector<std::string> const& /*types*/)
{
    return make_error(
        ErrorCode::Unsupported, "no info types supported for brand " + string_or(vm, "brand"));
}

Result<void> Runtime::sysrq(Json const& vm, std::string const& /*request*/)
{
    return make_error(ErrorCode::Unsupported,
        "The sysrq command is only supported for VMs  with brand \"bhyve\" or \"kvm\". (not "
            + string_or(vm, "brand") + ")");
}

Result<void> RefusingRuntime::can_boot(std::string const& brand) const
{
    return make_error(ErrorCode::Unsupported, "Cannot boot " + brand + " VMs: " + m_reason_suffix);
}

std::optional<LiveState> RefusingRuntime::live(std::string const&) const
{
    return std::nullopt;
}

std::string RefusingRuntime::provision_outcome(std::string const&) const
{
    return {};
}

Result<void> RefusingRuntime::start(Json const& vm, int64_t)
{
    return can_boot(string_or(vm, "brand"));
}

Result<std::string> RefusingRuntime::wait_provisioning(Json const&)
{
    return std::string("success");
}

Result<void> RefusingRuntime::stop(Json const&, StopMode, int)
{
    return {};
}

Result<void> RefusingRuntime::reboot(Json const& vm, StopMode)
{
    return tl::unexpected(not_running(vm));
}

Result<void> RefusingRuntime::kill(Json const& vm, int)
{
    return tl::unexpected(not_running(vm));
}

Result<void> RefusingRuntime::reattach(Json const&)
{
    return {};
}

Result<void> RefusingRuntime::apply_limits(Json const&)
{
    return {};
}

Result<UniqueFd> RefusingRuntime::console(Json const& vm)
{
    return tl::unexpected(not_running(vm));
}

Result<std::vector<std::string>> RefusingRuntime::exec_argv(
    Json const& vm, std::vector<std::string> const&, Terminal) const
{
    return tl::unexpected(not_running(vm));
}

Result<GuestStats> RefusingRuntime::stats(std::string const& uuid) const
{
    return make_error(ErrorCode::NotFound, "VM " + uuid + " is not running");
}

void RefusingRuntime::forget(std::string const&)
{
}

Runtime& Runtimes::for_brand(std::string_view brand) const
{
    auto const it = m_by_brand.find(brand);
    return it == m_by_brand.end() ? *m_fallback : *it->second;
}

Runtime& Runtimes::for_vm(Json const& vm) const
{
    return for_brand(string_or(vm, "brand"));
}

} // namespace lumos::vm
