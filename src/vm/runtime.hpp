// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/json.hpp"
#include "base/result.hpp"

#include <string>

namespace lumos::vm {

// What boots and stops guests for a brand. The zone runtime (OCI) and QEMU fill this in; until
// they exist, NoRuntime refuses cleanly so that a create with autoboot leaves nothing behind.
class Runtime {
public:
    virtual ~Runtime() = default;

    // Whether VMs of this brand can be booted on this host; the error says why not.
    virtual Result<void> can_boot(std::string const& brand) const = 0;
};

class NoRuntime final : public Runtime {
public:
    Result<void> can_boot(std::string const& brand) const override;
};

} // namespace lumos::vm
