// SPDX-License-Identifier: MPL-2.0
#include "net/tap.hpp"

#include "base/unique_fd.hpp"
#include "net/address.hpp"
#include "net/detail/netlink.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>

namespace lumos::net {

Result<void> create_tap(Netns const& netns, TapSpec const& spec)
{
    std::string const what
        = "create tap " + spec.name + (spec.owner.empty() ? "" : " for " + spec.owner);
    TRY(check_link_name(spec.name).map_error(
        [&](Error e) { return std::move(e).with_context(what); }));
    // /dev/net/tun makes the tap in the namespace of whoever opened it, so it is opened on a
    // thread that entered netns. Until TUNSETPERSIST the tap lives only as long as this
    // descriptor: a failure before it (the close below) leaves nothing behind.
    return in_netns(netns, [&]() -> Result<void> {
        UniqueFd tun(::open("/dev/net/tun", O_RDWR | O_CLOEXEC));
        if (!tun.valid()) {
            return tl::unexpected(detail::kernel_error(what + ": open /dev/net/tun", errno));
        }
        ifreq request {};
        std::memcpy(request.ifr_name, spec.name.data(), spec.name.size());
        // IFF_TUN_EXCL: a link of that name already there (a tap or not) is refused rather than
        // attached to. It is the top bit of the kernel's 16-bit flags, which ifreq declares
        // signed.
        request.ifr_flags
            = static_cast<short>(static_cast<unsigned short>(IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL));
        if (::ioctl(tun.get(), TUNSETIFF, &request) != 0) {
            if (errno == EBUSY) {
                return make_error(ErrorCode::AlreadyExists, what + ": a link of that name exists");
            }
            return tl::unexpected(detail::kernel_error(what, errno));
        }
        if (::ioctl(tun.get(), TUNSETOWNER, static_cast<unsigned long>(spec.owner_uid)) != 0) {
            return tl::unexpected(detail::kernel_error(what + ": set its owner", errno));
        }
        if (::ioctl(tun.get(), TUNSETGROUP, static_cast<unsigned long>(spec.owner_gid)) != 0) {
            return tl::unexpected(detail::kernel_error(what + ": set its group", errno));
        }
        if (::ioctl(tun.get(), TUNSETPERSIST, 1UL) != 0) {
            return tl::unexpected(detail::kernel_error(what + ": make it persistent", errno));
        }
        return {};
    });
}

} // namespace lumos::net
