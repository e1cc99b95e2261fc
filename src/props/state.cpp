// SPDX-License-Identifier: MPL-2.0
#include "props/state.hpp"

#include "base/strings.hpp"
#include "props/brand.hpp"
#include "props/detail/javascript.hpp"

#include <utility>

namespace lumos::props {

namespace {
constexpr int64_t PROVISION_TIMEOUT_MS = int64_t { 300 } * 1000;
}

VmState parse_vm_state(std::string_view state)
{
    static constexpr std::pair<std::string_view, VmState> STATES[]
        = { { "configured", VmState::Configured }, { "incomplete", VmState::Incomplete },
              { "provisioning", VmState::Provisioning }, { "stopped", VmState::Stopped },
              { "running", VmState::Running }, { "stopping", VmState::Stopping },
              { "failed", VmState::Failed } };
    for (auto const& [name, value] : STATES) {
        if (name == state) {
            return value;
        }
    }
    return VmState::Other;
}

VmState vm_state(Json const& vm)
{
    return parse_vm_state(string_or(vm, "state"));
}

int64_t provision_timeout_ms(Json const& vm)
{
    int64_t timeout = PROVISION_TIMEOUT_MS;
    auto const brand = vm.contains("brand") && vm["brand"].is_string()
        ? parse_brand(vm["brand"].get<std::string>())
        : std::nullopt;
    if (brand && is_hvm(*brand) && vm.contains("ram")) {
        double const ram = detail::js_to_number(vm["ram"]);
        if (ram >= 8192) {
            auto const multiplier = static_cast<int64_t>(ram / 4096) - 1;
            if (multiplier > 0) {
                timeout += PROVISION_TIMEOUT_MS * multiplier;
            }
        }
    }
    return timeout;
}

std::string make_transition(std::string const& state, std::string const& target, int64_t expire_ms)
{
    return state + ":" + target + ":" + std::to_string(expire_ms);
}

void derive_state(Json& vm)
{
    std::string zone_state = "configured";
    if (vm.contains(ATTR_ZONE_STATE) && vm[ATTR_ZONE_STATE].is_string()) {
        zone_state = vm[ATTR_ZONE_STATE].get<std::string>();
    }
    std::string state = zone_state == "installed" ? "stopped" : zone_state;
    bool in_transition = false;
    if (vm.contains(ATTR_TRANSITION) && vm[ATTR_TRANSITION].is_string()) {
        auto const parts = split(vm[ATTR_TRANSITION].get<std::string>(), ':');
        if (parts.size() == 3) {
            state = parts[0];
            vm["transition_to"] = parts[1];
            if (auto const expire = parse_integer(parts[2])) {
                vm["transition_expire"] = *expire;
            }
            in_transition = true;
        }
    }
    if (!in_transition && state == "stopped" && vm.contains(ATTR_PROVISIONING)
        && vm[ATTR_PROVISIONING] == true) {
        state = "provisioning";
    }
    if (vm.contains(ATTR_FAILED)) {
        state = "failed";
    }
    vm["zone_state"] = zone_state;
    vm["state"] = state;
    vm.erase(ATTR_TRANSITION);
    vm.erase(ATTR_PROVISIONING);
    vm.erase(ATTR_FAILED);
}

} // namespace lumos::props
