// SPDX-License-Identifier: MPL-2.0
// lx zones: uname(2) as SmartOS's lx brand answers it. The zone's config.json filters uname with
// SCMP_ACT_NOTIFY and names <dir>/seccomp.sock as its listener: the OCI runtime sends a filter's
// notification descriptor there at every boot (the zone's init) and every exec (zlogin: each
// exec'd process gets a filter of its own), so the monitor listens on it for as long as it runs
// (attached too), keeps every descriptor until all processes under it have exited (POLLHUP),
// and answers each call:
//   sysname, machine      the kernel's
//   nodename, domainname  the zone's (its UTS namespace)
//   release               the VM's kernel_version (--lx-uname), else the kernel's
//   version               "BrandZ virtual linux"
// That version string is how Linux software knows it runs in an lx zone (cloud-init's SmartOS
// data source then reads its metadata from /native/.zonecontrol/metadata.sock).
//
// The answer is written into the caller's buffer with process_vm_writev, which honours the
// page's protection as the kernel's own copy-out does (EFAULT for a buffer it cannot write),
// after the notification is checked still pending, so the pid names the blocked caller.
//
// The descriptors live in this monitor only. A monitor that replaces a killed one cannot get
// them back: uname(2) then fails with ENOSYS in the processes that were running (logged at
// attach); processes exec'd into the zone afterwards send theirs to the new monitor.
#include "cmd/lumos-zoned/monitor.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace lumos_zoned {

namespace {

constexpr char const* LX_VERSION = "BrandZ virtual linux";
// Descriptors held at once: the zone's init and each live exec session (zlogin) hold one.
constexpr size_t MAX_UNAME_LISTENERS = 256;

// The kernel's struct new_utsname, which every uname(2) ABI on x86 (64-bit, 32-bit, x32) fills.
static_assert(sizeof(struct utsname) == size_t { 6 } * 65);

void copy_field(char* field, std::string const& value)
{
    std::memset(field, 0, 65);
    (void)value.copy(field, 64); // at most 64 bytes: the 65th stays the terminating NUL
}

// The zone's own names: uname() inside its UTS namespace, then back in ours. 0 or an errno.
int zone_utsname(int pid, struct utsname& names)
{
    static int const OWN_UTS = ::open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
    std::string const ns = "/proc/" + std::to_string(pid) + "/ns/uts";
    int const zone = ::open(ns.c_str(), O_RDONLY | O_CLOEXEC);
    if (OWN_UTS < 0 || zone < 0) {
        int const saved = errno;
        if (zone >= 0) {
            ::close(zone);
        }
        return saved;
    }
    int result = 0;
    if (::setns(zone, CLONE_NEWUTS) != 0) {
        result = errno;
    } else {
        if (::uname(&names) != 0) {
            result = errno;
        }
        if (::setns(OWN_UTS, CLONE_NEWUTS) != 0) {
            log("cannot return to the monitor's UTS namespace: "
                + std::string(std::strerror(errno)));
        }
    }
    ::close(zone);
    return result;
}

// uname for the blocked caller: 0, or the errno it gets.
int answer(Monitor const& monitor, int listener, struct seccomp_notif const& call)
{
    struct utsname names { };
    if (int const error = zone_utsname(static_cast<int>(call.pid), names); error != 0) {
        return error;
    }
    // Still pending: the caller is blocked in this call, so its pid is its own.
    auto id = call.id;
    if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) != 0) {
        return ESRCH;
    }
    copy_field(names.version, LX_VERSION);
    if (!monitor.flags.lx_uname_release.empty()) {
        copy_field(names.release, monitor.flags.lx_uname_release);
    }
    struct iovec local {
        &names, sizeof names
    };
    // The caller's buffer, an address in its own memory that only the kernel dereferences.
    // NOLINTNEXTLINE(performance-no-int-to-ptr)
    auto* const buffer = reinterpret_cast<void*>(static_cast<uintptr_t>(call.data.args[0]));
    struct iovec remote {
        buffer, sizeof names
    };
    ssize_t const written
        = ::process_vm_writev(static_cast<pid_t>(call.pid), &local, 1, &remote, 1, 0);
    return written == static_cast<ssize_t>(sizeof names) ? 0 : EFAULT;
}

} // namespace

bool listen_uname(Monitor& monitor)
{
    if (!monitor.flags.lx_uname || monitor.zone.uname_socket >= 0) {
        return true;
    }
    int const socket = listen_unix(path(monitor, protocol::SECCOMP_SOCKET));
    if (socket < 0) {
        return false;
    }
    ::fcntl(socket, F_SETFL, ::fcntl(socket, F_GETFL) | O_NONBLOCK);
    monitor.zone.uname_socket = socket;
    return true;
}

void accept_uname(Monitor& monitor)
{
    auto& zone = monitor.zone;
    if (zone.uname_socket < 0) {
        return; // not an lx zone that emulates uname: nothing listens
    }
    for (;;) {
        int const connection = ::accept4(zone.uname_socket, nullptr, nullptr, SOCK_CLOEXEC);
        if (connection < 0) {
            return; // EAGAIN: none left
        }
        int const listener = receive_fd(connection);
        ::close(connection);
        if (listener < 0) {
            continue;
        }
        if (zone.uname_listeners.size() >= MAX_UNAME_LISTENERS) {
            // Its processes get ENOSYS from uname; the zone's others keep their answers.
            log("more than " + std::to_string(MAX_UNAME_LISTENERS)
                + " seccomp listeners in use: uname fails in the newest process (ENOSYS)");
            ::close(listener);
            continue;
        }
        ::fcntl(listener, F_SETFL, ::fcntl(listener, F_GETFL) | O_NONBLOCK);
        zone.uname_listeners.push_back(listener);
    }
}

void answer_uname(Monitor& monitor, int listener)
{
    // Zeroed, as SECCOMP_IOCTL_NOTIF_RECV requires.
    struct seccomp_notif call { };
    if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &call) != 0) {
        // ENOENT: the caller was interrupted meanwhile; EAGAIN: nothing pending. Anything else
        // (ENOTTY: a descriptor that is no seccomp listener) ends this one.
        if (errno != ENOENT && errno != EAGAIN && errno != EINTR) {
            log("seccomp listener: " + std::string(std::strerror(errno)));
            close_uname(monitor, listener);
        }
        return;
    }
    struct seccomp_notif_resp response { };
    response.id = call.id;
    // Only uname is filtered to us (64-bit, x32 with its flag bit, 32-bit's newuname); anything
    // else would be a filter this monitor did not write.
    constexpr int X32_BIT = 0x40000000;
    constexpr int I386_UNAME = 122;
    bool const is_uname
        = (call.data.arch == AUDIT_ARCH_X86_64 && (call.data.nr & ~X32_BIT) == SYS_uname)
        || (call.data.arch == AUDIT_ARCH_I386 && call.data.nr == I386_UNAME);
    int const error = is_uname ? answer(monitor, listener, call) : ENOSYS;
    response.error = -error;
    // ENOENT: the caller is gone (killed meanwhile); nothing waits for the answer.
    (void)::ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &response);
}

void close_uname(Monitor& monitor, int listener)
{
    auto& listeners = monitor.zone.uname_listeners;
    auto const found = std::find(listeners.begin(), listeners.end(), listener);
    if (found != listeners.end()) {
        listeners.erase(found);
        ::close(listener);
    }
}

void close_all_uname(Monitor& monitor)
{
    for (int const listener : monitor.zone.uname_listeners) {
        ::close(listener);
    }
    monitor.zone.uname_listeners.clear();
}

void stop_uname(Monitor& monitor)
{
    close_all_uname(monitor);
    if (monitor.zone.uname_socket >= 0) {
        ::close(monitor.zone.uname_socket);
        monitor.zone.uname_socket = -1;
        ::unlink(path(monitor, protocol::SECCOMP_SOCKET).c_str());
    }
}

} // namespace lumos_zoned
