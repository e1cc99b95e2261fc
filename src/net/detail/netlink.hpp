// SPDX-License-Identifier: MPL-2.0
// What the rtnl_*.cpp files share: owned libnl messages and the errno-to-Error rule.
#pragma once

#include "base/result.hpp"

#include <memory>
#include <string>

#include <netlink/msg.h>

namespace lumos::net::detail {

struct MsgFree {
    void operator()(nl_msg* msg) const { nlmsg_free(msg); }
};
using Msg = std::unique_ptr<nl_msg, MsgFree>;

// A new request of this type with a fixed header (ifinfomsg, ifaddrmsg, rtmsg) appended; null
// when out of memory.
template <typename Header>
Msg new_request(int type, int flags, Header header)
{
    Msg msg(nlmsg_alloc_simple(type, flags));
    if (msg && nlmsg_append(msg.get(), &header, sizeof(header), NLMSG_ALIGNTO) < 0) {
        msg.reset();
    }
    return msg;
}

// "<what>: <strerror>" with the ErrorCode of errno_value (see rtnl.hpp).
Error kernel_error(std::string const& what, int errno_value);
// A libnl failure (a negative NLE_* code) building or sending a message.
Error libnl_error(std::string const& what, int nle);
// The message could not be built (attribute space, allocation).
Error build_error(std::string const& what);

} // namespace lumos::net::detail
