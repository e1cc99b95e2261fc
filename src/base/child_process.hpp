// SPDX-License-Identifier: MPL-2.0
#pragma once

// The owner of a child process: spawned with a map of its descriptors, waited for, killed. A
// ChildProcess that goes out of scope still running is killed (SIGKILL) and reaped, unless it was
// detach()ed, so no path leaves a helper running or a zombie behind.

#include "base/result.hpp"
#include "base/unique_fd.hpp"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <sys/types.h>

namespace lumos {

// What one descriptor of the child is connected to.
class Stdio {
public:
    Stdio()
        : Stdio(Kind::Null, -1)
    {
    }
    static Stdio null() { return Stdio(Kind::Null, -1); } // /dev/null, read-write
    static Stdio fd(int ours) { return Stdio(Kind::Fd, ours); } // one of ours (not taken over)
    static Stdio pipe_from_child() { return Stdio(Kind::PipeFromChild, -1); } // we read
    static Stdio pipe_to_child() { return Stdio(Kind::PipeToChild, -1); } // we write

    enum class Kind { Null, Fd, PipeFromChild, PipeToChild };
    Kind kind() const { return m_kind; }
    int ours() const { return m_fd; }

private:
    Stdio(Kind kind, int fd)
        : m_kind(kind)
        , m_fd(fd)
    {
    }
    Kind m_kind;
    int m_fd;
};

struct SpawnOptions {
    SpawnOptions() = default;
    explicit SpawnOptions(std::vector<std::string> args)
        : argv(std::move(args))
    {
    }

    std::vector<std::string> argv; // argv[0] is looked up in PATH
    std::optional<std::vector<std::string>> env; // "NAME=value"; nullopt: ours
    // Child descriptor -> what it is. Descriptors 0-2 not listed are /dev/null; every other
    // descriptor of ours is close-on-exec in this code base, and close_other_fds makes sure.
    std::map<int, Stdio> stdio;
    bool close_other_fds { false }; // closes every descriptor not in stdio before exec
    bool die_with_parent { false }; // SIGKILL when we die (PR_SET_PDEATHSIG)
    bool reset_signals { false }; // empty signal mask, SIGPIPE back to its default
    bool new_session { false }; // setsid()
};

class ChildProcess {
public:
    // fork + exec. Everything is prepared before the fork (the child only makes system calls, so
    // a process with other threads may spawn). Fails when the program cannot be started:
    // Unsupported "cannot execute <argv[0]>: <strerror>".
    static Result<ChildProcess> spawn(SpawnOptions const& options);

    // Runs options in a session of its own (new_session is implied and die_with_parent makes no
    // sense), re-parented away from us at once by a double fork: there is nothing to wait for or
    // to kill. Fails as spawn does.
    static Result<void> spawn_detached(SpawnOptions const& options);

    ChildProcess(ChildProcess&& other) noexcept;
    ChildProcess& operator=(ChildProcess&& other) noexcept;
    ChildProcess(ChildProcess const&) = delete;
    ChildProcess& operator=(ChildProcess const&) = delete;
    ~ChildProcess();

    pid_t pid() const { return m_pid; }
    // A pidfd for the child, or -1 where the kernel has none (pidfd_open, Linux 5.3).
    int pidfd() const { return m_pidfd.get(); }
    bool running() const { return m_pid > 0; }

    // Our end of the pipe connected to the child's descriptor child_fd (Stdio::pipe_*), taken
    // over by the caller; an invalid UniqueFd when there is none.
    UniqueFd take_pipe(int child_fd);

    // Waits for the child to end; its wait status (as waitpid gives it). Once only.
    Result<int> wait();
    // Sends sig (a no-op once waited for).
    Result<void> kill(int sig);
    // Lets the child run on unowned: the destructor no longer kills it.
    void detach();

private:
    ChildProcess() = default;
    pid_t m_pid { -1 };
    UniqueFd m_pidfd;
    std::map<int, UniqueFd> m_pipes;
};

// A wait status as a shell's $?: the exit code, or 128 + the signal that ended the process.
int exit_code_of(int wait_status);

// Whether this kernel has pidfd_open (probed once).
bool have_pidfd();

} // namespace lumos
