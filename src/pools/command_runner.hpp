// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/result.hpp"

#include <string>
#include <vector>

namespace lumos::pools {

struct CommandOutput {
    int status { 0 }; // exit status; 128 + signal when killed
    std::string out; // stdout, unless redirected to a file descriptor
    std::string err;
};

struct CommandIo {
    int stdin_fd { -1 }; // -1: /dev/null
    int stdout_fd { -1 }; // -1: captured into CommandOutput::out
};

// Runs external tools (btrfs, losetup, mount, zfs). An interface so the zfs backend and the
// registry can be tested with a fake that records argv and returns canned output.
class CommandRunner {
public:
    virtual ~CommandRunner() = default;
    // Runs argv (argv[0] looked up in PATH). Fails only when the program cannot be started.
    virtual Result<CommandOutput> run(std::vector<std::string> const& argv, CommandIo const& io)
        = 0;
};

// fork + exec with stdout/stderr captured.
class SystemCommandRunner final : public CommandRunner {
public:
    Result<CommandOutput> run(std::vector<std::string> const& argv, CommandIo const& io) override;
};

CommandRunner& system_command_runner();

// Runs argv and turns a non-zero exit into an Error whose message is "<argv> failed: <stderr>".
Result<CommandOutput> run_checked(
    CommandRunner& runner, std::vector<std::string> const& argv, CommandIo const& io = {});

std::string describe_argv(std::vector<std::string> const& argv);

} // namespace lumos::pools
