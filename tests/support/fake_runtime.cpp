// SPDX-License-Identifier: MPL-2.0
#include "support/fake_runtime.hpp"

namespace lumos::test {

Result<void> FakeRuntime::call(char const* method, std::string const& uuid)
{
    calls.push_back(std::string(method) + " " + uuid);
    if (failing.contains(method)) {
        return make_error(
            ErrorCode::System, std::string(MESSAGE) + " (" + method + " " + uuid + ")");
    }
    return {};
}

void FakeRuntime::run(std::string const& uuid)
{
    running[uuid] = vm::LiveState { 42, "2026-01-01T00:00:00.000Z", "none", true };
}

Result<void> FakeRuntime::can_boot(std::string const&) const
{
    return {};
}

std::optional<vm::LiveState> FakeRuntime::live(std::string const& uuid) const
{
    auto const it = running.find(uuid);
    return it == running.end() ? std::nullopt : std::optional(it->second);
}

std::string FakeRuntime::provision_outcome(std::string const&) const
{
    return {};
}

Result<void> FakeRuntime::start(Json const& vm, int64_t)
{
    std::string const uuid = string_or(vm, "uuid");
    TRY(call("start", uuid));
    run(uuid);
    return {};
}

Result<std::string> FakeRuntime::wait_provisioning(Json const& vm)
{
    TRY(call("wait_provisioning", string_or(vm, "uuid")));
    return provisioning_outcome;
}

Result<void> FakeRuntime::stop(Json const& vm, vm::StopMode, int)
{
    std::string const uuid = string_or(vm, "uuid");
    TRY(call("stop", uuid));
    running.erase(uuid);
    return {};
}

Result<void> FakeRuntime::reboot(Json const& vm, vm::StopMode)
{
    return call("reboot", string_or(vm, "uuid"));
}

Result<void> FakeRuntime::kill(Json const& vm, int)
{
    return call("kill", string_or(vm, "uuid"));
}

Result<void> FakeRuntime::reattach(Json const& vm)
{
    std::string const uuid = string_or(vm, "uuid");
    TRY(call("reattach", uuid));
    running[uuid].monitored = true;
    return {};
}

Result<void> FakeRuntime::apply_limits(Json const& vm)
{
    return call("apply_limits", string_or(vm, "uuid"));
}

Result<UniqueFd> FakeRuntime::console(Json const& vm)
{
    TRY(call("console", string_or(vm, "uuid")));
    return UniqueFd();
}

Result<std::vector<std::string>> FakeRuntime::exec_argv(
    Json const&, std::vector<std::string> const&, vm::Terminal) const
{
    return std::vector<std::string> {};
}

Result<vm::GuestStats> FakeRuntime::stats(std::string const&) const
{
    return vm::GuestStats {};
}

void FakeRuntime::forget(std::string const& uuid)
{
    calls.push_back("forget " + uuid);
}

} // namespace lumos::test
