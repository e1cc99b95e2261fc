// SPDX-License-Identifier: MPL-2.0
#include "base/child_process.hpp"
#include "base/file.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iterator>
#include <string>

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace lumos;
namespace fs = std::filesystem;

namespace {

std::string read_all(int fd)
{
    std::string text;
    char buffer[4096];
    ssize_t n = 0;
    while ((n = ::read(fd, buffer, sizeof buffer)) > 0) {
        text.append(buffer, static_cast<size_t>(n));
    }
    return text;
}

bool alive(pid_t pid)
{
    return ::kill(pid, 0) == 0;
}

TEST(ChildProcess, WaitGivesTheWaitStatus)
{
    auto child = ChildProcess::spawn(SpawnOptions({ "sh", "-c", "exit 7" }));
    ASSERT_TRUE(child) << child.error().message();
    auto status = child->wait();
    ASSERT_TRUE(status);
    EXPECT_TRUE(WIFEXITED(*status));
    EXPECT_EQ(exit_code_of(*status), 7);
    EXPECT_FALSE(child->running());
    EXPECT_FALSE(child->wait()); // once only
}

TEST(ChildProcess, AProgramThatCannotBeStartedIsAnError)
{
    auto child = ChildProcess::spawn(SpawnOptions({ "/nonexistent/lumos-no-such-tool" }));
    ASSERT_FALSE(child);
    EXPECT_EQ(child.error().code(), ErrorCode::Unsupported);
    EXPECT_EQ(child.error().message(),
        "cannot execute /nonexistent/lumos-no-such-tool: No such file or directory");
    EXPECT_FALSE(ChildProcess::spawn(SpawnOptions()));
}

TEST(ChildProcess, StdioMapConnectsPipesAndDescriptors)
{
    SpawnOptions options({ "sh", "-c", "cat; echo err >&2; echo three >&3" });
    options.stdio[0] = Stdio::pipe_to_child();
    options.stdio[1] = Stdio::pipe_from_child();
    options.stdio[2] = Stdio::pipe_from_child();
    options.stdio[3] = Stdio::pipe_from_child();
    auto child = ChildProcess::spawn(options);
    ASSERT_TRUE(child) << child.error().message();
    {
        UniqueFd in = child->take_pipe(0);
        ASSERT_TRUE(in.valid());
        ASSERT_TRUE(write_fully(in.get(), "hello\n", 6));
    }
    UniqueFd out = child->take_pipe(1);
    UniqueFd err = child->take_pipe(2);
    UniqueFd three = child->take_pipe(3);
    EXPECT_FALSE(child->take_pipe(1).valid()); // taken
    EXPECT_EQ(read_all(out.get()), "hello\n");
    EXPECT_EQ(read_all(err.get()), "err\n");
    EXPECT_EQ(read_all(three.get()), "three\n");
    auto status = child->wait();
    ASSERT_TRUE(status);
    EXPECT_EQ(exit_code_of(*status), 0);
}

TEST(ChildProcess, DescriptorsMayBeSwapped)
{
    // The child's 1 is our pipe's write end and its 2 is /dev/null: whatever the numbers, one
    // placement does not overwrite another's source.
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    UniqueFd read_end(fds[0]);
    UniqueFd write_end(fds[1]);
    SpawnOptions options({ "sh", "-c", "echo out; echo err >&2; echo four >&4" });
    options.stdio[1] = Stdio::fd(write_end.get());
    options.stdio[4] = Stdio::fd(write_end.get());
    options.stdio[2] = Stdio::null();
    auto child = ChildProcess::spawn(options);
    ASSERT_TRUE(child) << child.error().message();
    ASSERT_TRUE(child->wait());
    write_end = UniqueFd();
    EXPECT_EQ(read_all(read_end.get()), "out\nfour\n");
}

TEST(ChildProcess, UnlistedStandardDescriptorsAreDevNull)
{
    SpawnOptions options({ "sh", "-c", "cat; readlink /proc/self/fd/2" });
    options.stdio[1] = Stdio::pipe_from_child();
    auto child = ChildProcess::spawn(options);
    ASSERT_TRUE(child);
    UniqueFd out = child->take_pipe(1);
    EXPECT_EQ(read_all(out.get()), "/dev/null\n");
    ASSERT_TRUE(child->wait());
}

TEST(ChildProcess, CloseOtherFdsLeavesOnlyTheMap)
{
    // A descriptor of ours without close-on-exec: inherited unless close_other_fds.
    int const leaked = ::open("/dev/null", O_RDONLY);
    ASSERT_GE(leaked, 0);
    std::string const probe = "test -e /proc/self/fd/" + std::to_string(leaked) + " && echo open";
    for (bool close_others : { false, true }) {
        SpawnOptions options({ "sh", "-c", probe });
        options.stdio[1] = Stdio::pipe_from_child();
        options.close_other_fds = close_others;
        auto child = ChildProcess::spawn(options);
        ASSERT_TRUE(child);
        UniqueFd out = child->take_pipe(1);
        EXPECT_EQ(read_all(out.get()), close_others ? "" : "open\n");
        ASSERT_TRUE(child->wait());
    }
    ::close(leaked);
}

TEST(ChildProcess, EnvironmentIsTheGivenOne)
{
    SpawnOptions options({ "/bin/sh", "-c", "echo \"$A:$HOME\"" });
    options.env = std::vector<std::string> { "A=b" };
    options.stdio[1] = Stdio::pipe_from_child();
    auto child = ChildProcess::spawn(options);
    ASSERT_TRUE(child);
    UniqueFd out = child->take_pipe(1);
    EXPECT_EQ(read_all(out.get()), "b:\n");
    ASSERT_TRUE(child->wait());
}

TEST(ChildProcess, KillEndsTheChildWithTheSignal)
{
    auto child = ChildProcess::spawn(SpawnOptions({ "sleep", "600" }));
    ASSERT_TRUE(child);
    EXPECT_EQ(child->pidfd() >= 0, have_pidfd());
    ASSERT_TRUE(child->kill(SIGTERM));
    auto status = child->wait();
    ASSERT_TRUE(status);
    EXPECT_TRUE(WIFSIGNALED(*status));
    EXPECT_EQ(WTERMSIG(*status), SIGTERM);
    EXPECT_EQ(exit_code_of(*status), 128 + SIGTERM);
    EXPECT_TRUE(child->kill(SIGTERM)); // reaped: a no-op
}

TEST(ChildProcess, DestructionKillsAndReaps)
{
    pid_t pid = -1;
    {
        auto child = ChildProcess::spawn(SpawnOptions({ "sleep", "600" }));
        ASSERT_TRUE(child);
        pid = child->pid();
        ChildProcess moved = std::move(*child); // the moved-from owner does nothing
        EXPECT_FALSE(child->running());
        EXPECT_TRUE(alive(pid));
    }
    // Reaped, not a zombie: waitpid finds no such child.
    EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1);
    EXPECT_EQ(errno, ECHILD);
}

// A kernel without pidfd_open (before 5.3, or a seccomp policy that refuses it): the owner
// falls back to the pid, which it may still use because it has not reaped the child. Forced
// here in a forked process whose seccomp filter answers ENOSYS to pidfd_open.
#if defined(__x86_64__)
constexpr uint32_t THIS_AUDIT_ARCH = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr uint32_t THIS_AUDIT_ARCH = AUDIT_ARCH_AARCH64;
#else
constexpr uint32_t THIS_AUDIT_ARCH = 0;
#endif

TEST(ChildProcess, WithoutPidfdTheOwnerSignalsAndReapsByPid)
{
    if (THIS_AUDIT_ARCH == 0) {
        GTEST_SKIP() << "no seccomp filter written for this architecture";
    }
    pid_t const tester = ::fork();
    ASSERT_GE(tester, 0);
    if (tester == 0) {
        sock_filter filter[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, THIS_AUDIT_ARCH, 1, 0),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pidfd_open, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        sock_fprog const program { static_cast<unsigned short>(std::size(filter)), filter };
        if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
            || ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
            ::_exit(10);
        }
        if (::syscall(SYS_pidfd_open, ::getpid(), 0U) != -1 || errno != ENOSYS) {
            ::_exit(11); // the filter is not in force: the test would prove nothing
        }
        pid_t orphan = -1;
        {
            auto child = ChildProcess::spawn(SpawnOptions({ "sleep", "600" }));
            if (!child || child->pidfd() != -1) {
                ::_exit(12);
            }
            auto killed = child->kill(SIGTERM);
            auto status = child->wait();
            if (!killed || !status || exit_code_of(*status) != 128 + SIGTERM) {
                ::_exit(13);
            }
            auto owned = ChildProcess::spawn(SpawnOptions({ "sleep", "600" }));
            if (!owned) {
                ::_exit(14);
            }
            orphan = owned->pid();
        } // the owner's destruction kills and reaps by pid
        ::_exit(::waitpid(orphan, nullptr, WNOHANG) == -1 && errno == ECHILD ? 0 : 15);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(tester, &status, 0), tester);
    ASSERT_TRUE(WIFEXITED(status));
    if (WEXITSTATUS(status) == 10) {
        GTEST_SKIP() << "this host refuses seccomp filters (PR_SET_SECCOMP)";
    }
    // 10: no seccomp here, 11: filter not applied, 12: a pidfd anyway, 13: kill/wait by pid
    // failed, 14: second spawn failed, 15: destruction did not reap.
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(ChildProcess, DetachedChildOutlivesItsOwner)
{
    pid_t pid = -1;
    {
        auto child = ChildProcess::spawn(SpawnOptions({ "sleep", "600" }));
        ASSERT_TRUE(child);
        pid = child->pid();
        child->detach();
    }
    EXPECT_TRUE(alive(pid));
    EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), 0); // still ours to reap, and running
    ::kill(pid, SIGKILL);
    EXPECT_EQ(::waitpid(pid, nullptr, 0), pid);
}

TEST(ChildProcess, SpawnDetachedRunsInItsOwnSessionAndIsNotOurs)
{
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    UniqueFd read_end(fds[0]);
    UniqueFd write_end(fds[1]);
    // Prints its session, its parent and its pid.
    SpawnOptions options({ "sh", "-c", "echo $(ps -o sid= -p $$) $PPID $$" });
    options.stdio[1] = Stdio::fd(write_end.get());
    options.close_other_fds = true;
    ASSERT_TRUE(ChildProcess::spawn_detached(options));
    write_end = UniqueFd();
    std::string const text = read_all(read_end.get());
    long sid = 0;
    long parent = 0;
    long pid = 0;
    ASSERT_EQ(std::sscanf(text.c_str(), "%ld %ld %ld", &sid, &parent, &pid), 3) << text;
    EXPECT_NE(sid, static_cast<long>(::getsid(0)));
    EXPECT_NE(parent, static_cast<long>(::getpid()));
    EXPECT_EQ(::waitpid(static_cast<pid_t>(pid), nullptr, WNOHANG), -1); // not our child
    EXPECT_FALSE(ChildProcess::spawn_detached(SpawnOptions({ "/nonexistent/lumos-no-such-tool" })));
}

} // namespace
