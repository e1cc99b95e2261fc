// SPDX-License-Identifier: MPL-2.0
#include "sys/kvm.hpp"

#include "base/file.hpp"

#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>

namespace lumos::sys {

KvmSupport probe_kvm(std::string const& device)
{
    KvmSupport support;
    UniqueFd kvm(::open(device.c_str(), O_RDWR | O_CLOEXEC | O_NOCTTY));
    if (!kvm.valid() || ::ioctl(kvm.get(), KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
        return support;
    }
    UniqueFd const vm(::ioctl(kvm.get(), KVM_CREATE_VM, 0UL));
    if (!vm.valid()) {
        return support;
    }
    support.usable = true;
    int vcpus = ::ioctl(kvm.get(), KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
    if (vcpus <= 0) {
        // Kernels without KVM_CAP_MAX_VCPUS: the recommended count is the maximum.
        vcpus = ::ioctl(kvm.get(), KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
    }
    support.max_vcpus = vcpus > 0 ? static_cast<uint32_t>(vcpus) : 0;
    return support;
}

} // namespace lumos::sys
