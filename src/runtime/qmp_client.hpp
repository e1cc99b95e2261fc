// SPDX-License-Identifier: MPL-2.0
// A QEMU Machine Protocol client: one connection to a QMP socket (the VM's vm.qmp), the
// greeting and capabilities negotiation done, then commands one at a time. QEMU writes one JSON
// object per line: a command's {"return": ...} or {"error": {"class", "desc"}}, and events in
// between, which this client skips. QEMU serves one client per socket at a time: connect, ask,
// close. Every read is bounded (a line of at most 16 MiB, a deadline per reply).
#pragma once

#include "base/json.hpp"
#include "base/result.hpp"
#include "base/unique_fd.hpp"

#include <chrono>
#include <string>

namespace lumos::runtime {

class QmpClient {
public:
    // Connects and negotiates; Unavailable when nothing listens there.
    static Result<QmpClient> connect(std::string const& socket_path,
        std::chrono::milliseconds timeout = std::chrono::seconds(10));

    // The command's "return" value; a QMP error is an Error with QEMU's description.
    Result<Json> execute(std::string const& command, Json const& arguments = Json());

private:
    QmpClient(UniqueFd fd, std::chrono::milliseconds timeout);
    Result<Json> read_message();

    UniqueFd m_fd;
    std::chrono::milliseconds m_timeout;
    std::string m_buffer;
};

} // namespace lumos::runtime
