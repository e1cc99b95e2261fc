// SPDX-License-Identifier: MPL-2.0
// A Runtime without runc or root for the engine's tests: guests "run" as entries of a map,
// every call is recorded ("start <uuid>"), and any call can be told to fail.
#pragma once

#include "vm/runtime.hpp"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace lumos::test {

class FakeRuntime final : public vm::Runtime {
public:
    // What the fake runtime does and remembers; tests read and set these directly.
    std::map<std::string, vm::LiveState> running; // by uuid
    std::vector<std::string> calls; // "<method> <uuid>", in order
    // Methods that fail ("start", "wait_provisioning", "stop", "apply_limits", ...): the call
    // is recorded and returns an error with MESSAGE, changing nothing.
    std::set<std::string> failing;
    std::string provisioning_outcome { "success" }; // what wait_provisioning answers

    static constexpr char const* MESSAGE = "injected runtime fault";

    // Marks the VM as running, as start does.
    void run(std::string const& uuid);

    Result<void> can_boot(std::string const& brand) const override;
    std::optional<vm::LiveState> live(std::string const& uuid) const override;
    std::string provision_outcome(std::string const& uuid) const override;
    Result<void> start(Json const& vm, int64_t provision_timeout_ms) override;
    Result<std::string> wait_provisioning(Json const& vm) override;
    Result<void> stop(Json const& vm, vm::StopMode mode, int timeout_s) override;
    Result<void> reboot(Json const& vm, vm::StopMode mode) override;
    Result<void> kill(Json const& vm, int signal) override;
    Result<void> reattach(Json const& vm) override;
    Result<void> apply_limits(Json const& vm) override;
    Result<UniqueFd> console(Json const& vm) override;
    Result<std::vector<std::string>> exec_argv(Json const& vm,
        std::vector<std::string> const& command, vm::Terminal terminal) const override;
    Result<vm::GuestStats> stats(std::string const& uuid) const override;
    void forget(std::string const& uuid) override;

private:
    // Records "<method> <uuid>"; an error when the method is told to fail.
    Result<void> call(char const* method, std::string const& uuid);
};

} // namespace lumos::test
