// SPDX-License-Identifier: MPL-2.0
// Test helper run inside a zone (tests/runtime/runc_test.cpp, tests/zones/metadata_test.cpp):
// tries, each in a child process of its own, the syscalls a zone's seccomp profile refuses or
// hands to the monitor, and prints one line per probe, "<probe> ok" or "<probe> <errno name>".
// Static and linking nothing of lumos, so it runs in any zone root.
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

// struct clone_args, version 0 (64 bytes).
struct CloneArgs {
    uint64_t flags;
    uint64_t pidfd;
    uint64_t child_tid;
    uint64_t parent_tid;
    uint64_t exit_signal;
    uint64_t stack;
    uint64_t stack_size;
    uint64_t tls;
};

// A clone-like result: -1 with errno, 0 in the new child (which exits at once), else reaped.
int reap(long pid)
{
    if (pid < 0) {
        return errno;
    }
    if (pid == 0) {
        _exit(0);
    }
    int status = 0;
    waitpid(static_cast<pid_t>(pid), &status, 0);
    return 0;
}

int result(long value)
{
    return value < 0 ? errno : 0;
}

int probe(char const* name)
{
    unsigned long const newuser = CLONE_NEWUSER;
    unsigned long const sigchld = SIGCHLD;
    if (std::strcmp(name, "unshare-user") == 0) {
        return result(syscall(SYS_unshare, newuser));
    }
    if (std::strcmp(name, "clone-user") == 0) {
        return reap(syscall(SYS_clone, newuser | sigchld, 0UL, 0UL, 0UL, 0UL));
    }
    if (std::strcmp(name, "clone-plain") == 0) {
        return reap(syscall(SYS_clone, sigchld, 0UL, 0UL, 0UL, 0UL));
    }
    if (std::strcmp(name, "clone3") == 0) {
        CloneArgs args {};
        args.exit_signal = SIGCHLD;
        return reap(syscall(SYS_clone3, &args, sizeof args));
    }
    if (std::strcmp(name, "setns-user") == 0) {
        int fd = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            return errno;
        }
        return result(syscall(SYS_setns, fd, newuser));
    }
    // uname into memory the caller cannot write: EFAULT, as from the kernel's own uname (an lx
    // zone's monitor answers it, and must neither write there nor fail otherwise).
    if (std::strcmp(name, "uname-bad-address") == 0) {
        return result(syscall(SYS_uname, 16UL));
    }
    if (std::strcmp(name, "uname-read-only") == 0) {
        void* page = mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (page == MAP_FAILED) {
            return errno;
        }
        int const error = result(syscall(SYS_uname, page));
        // Still zero: nothing was written behind the protection.
        auto const* bytes = static_cast<unsigned char const*>(page);
        for (size_t i = 0; i < 4096; ++i) {
            if (bytes[i] != 0) {
                return EIO;
            }
        }
        return error;
    }
    if (std::strcmp(name, "io_uring_setup") == 0) {
        unsigned char params[256] {}; // struct io_uring_params, zeroed
        return result(syscall(SYS_io_uring_setup, 1U, params));
    }
    if (std::strcmp(name, "io_uring_enter") == 0) {
        return result(syscall(SYS_io_uring_enter, -1, 0U, 0U, 0U, nullptr, 0UL));
    }
    if (std::strcmp(name, "io_uring_register") == 0) {
        return result(syscall(SYS_io_uring_register, -1, 0U, nullptr, 0U));
    }
    return EINVAL;
}

} // namespace

int main(int argc, char** argv)
{
    for (int i = 1; i < argc; ++i) {
        pid_t child = fork();
        if (child == 0) {
            _exit(probe(argv[i]));
        }
        int status = 0;
        if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status)) {
            std::printf("%s failed\n", argv[i]);
            continue;
        }
        int const error = WEXITSTATUS(status);
        std::printf("%s %s\n", argv[i], error == 0 ? "ok" : strerrorname_np(error));
    }
    return 0;
}
