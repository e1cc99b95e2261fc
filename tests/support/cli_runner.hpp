// SPDX-License-Identifier: MPL-2.0
// Black-box helpers for the acceptance suite: run a program, capture its output and status,
// and give each test its own LUMOS_ROOT.
#pragma once

#include "support/temp_dir.hpp" // TempRoot, which every user of these helpers takes

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <sys/types.h>

namespace lumos::test {

enum class StdinMode {
    DevNull, // stdin is /dev/null (the default)
    Bytes, // stdin is a pipe fed with RunOptions::stdin_bytes, then closed
    Tty, // stdin is the slave side of a fresh pseudo-terminal
};

struct RunOptions {
    std::vector<std::pair<std::string, std::string>> env; // added to (or replacing) environ
    StdinMode stdin_mode = StdinMode::DevNull;
    std::string stdin_bytes;
    std::chrono::milliseconds timeout { 30000 }; // SIGKILL after this; RunResult::timed_out
    std::optional<uid_t> uid; // setgid/setuid to this before exec (needs root)
    bool stdout_closed = false; // stdout is a pipe whose read end is already closed (EPIPE)
};

struct RunResult {
    std::string out;
    std::string err;
    int exit_code = -1; // valid when exited()
    int term_signal = 0; // non-zero when killed by a signal
    bool timed_out = false;

    [[nodiscard]] bool exited() const { return term_signal == 0 && exit_code >= 0; }
    // One-line summary for assertion messages.
    [[nodiscard]] std::string describe() const;
};

// A started child process. wait() feeds stdin, drains stdout/stderr and reaps it.
class Process {
public:
    static Process spawn(const std::vector<std::string>& argv, const RunOptions& options);

    Process(Process&& other) noexcept;
    Process& operator=(Process&& other) noexcept;
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;
    ~Process();

    [[nodiscard]] pid_t pid() const { return m_pid; }
    void kill(int signal) const;
    RunResult wait();

private:
    Process() = default;
    void close_fds();

    pid_t m_pid = -1;
    int m_stdin_fd = -1;
    int m_stdout_fd = -1;
    int m_stderr_fd = -1;
    int m_pty_master_fd = -1;
    std::string m_stdin_bytes;
    std::chrono::milliseconds m_timeout { 30000 };
    bool m_reaped = false;
};

RunResult run(const std::vector<std::string>& argv, const RunOptions& options = {});

std::string read_file(const std::filesystem::path& path);
std::vector<std::string> split_lines(const std::string& text);

} // namespace lumos::test
