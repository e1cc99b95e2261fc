// SPDX-License-Identifier: MPL-2.0
#pragma once

#include <cstdint>
#include <string>

namespace lumos::sys {

// Whether this host can run a KVM guest, checked for real: a /dev/kvm may exist and still
// fail every guest (nested virtualization off, the module loaded without the CPU's vmx/svm).
struct KvmSupport {
    bool usable { false }; // the device opened, speaks API 12, and KVM_CREATE_VM succeeded
    uint32_t max_vcpus { 0 }; // KVM_CAP_MAX_VCPUS (or KVM_CAP_NR_VCPUS); 0 when not usable
};

// Opens device (normally /dev/kvm) read-write and creates, then closes, one empty VM.
KvmSupport probe_kvm(std::string const& device = "/dev/kvm");

} // namespace lumos::sys
