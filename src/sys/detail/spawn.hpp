// SPDX-License-Identifier: MPL-2.0
// Running a probe's helper program: what it printed on stdout (bounded) and how it ended. Used
// only by the host probe (sys/host_probe), which runs before any thread of a command starts.
#pragma once

#include "base/result.hpp"

#include <string>
#include <vector>

namespace lumos::sys::detail {

enum class Namespace { Host, NewNetwork };

struct Outcome {
    int exit_status { -1 }; // -1 when killed by a signal
    std::string output; // stdout, at most 64 KiB; stderr goes to /dev/null
};

// Runs argv[0] (an absolute path) with argv and a minimal environment (PATH, LC_ALL=C). With
// NewNetwork, in a network namespace of its own that dies with it (unshare(CLONE_NEWNET) in
// the child before exec): the host's namespace is never changed.
Result<Outcome> run_program(std::vector<std::string> const& argv, Namespace ns = Namespace::Host);

} // namespace lumos::sys::detail
