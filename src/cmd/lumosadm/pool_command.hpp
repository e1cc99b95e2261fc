// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/paths.hpp"

#include <iosfwd>
#include <string>
#include <vector>

namespace lumos::lumosadm {

// Exit statuses: 0 ok, 1 operational error, 2 usage.
constexpr int EXIT_USAGE = 2;

// "lumosadm pool ..." with args after "pool".
// lumosadm autoboot (autoboot_command.cpp).
int run_autoboot(
    std::vector<std::string> const& args, Paths const& paths, std::ostream& out, std::ostream& err);

// lumosadm reindex (reindex_command.cpp).
int run_reindex(
    std::vector<std::string> const& args, Paths const& paths, std::ostream& out, std::ostream& err);

int run_pool(
    std::vector<std::string> const& args, Paths const& paths, std::ostream& out, std::ostream& err);

// lumosadm pool check [-n] [pool] (check_command.cpp).
int run_pool_check(
    std::vector<std::string> const& args, Paths const& paths, std::ostream& out, std::ostream& err);

void print_usage(std::ostream& stream);

} // namespace lumos::lumosadm
