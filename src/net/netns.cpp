// SPDX-License-Identifier: MPL-2.0
#include "net/netns.hpp"

#include "base/rollback.hpp"

#include <cerrno>
#include <system_error>
#include <thread>

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lumos::net {
namespace {

Error errno_error(std::string const& what)
{
    return Error::from_errno(what, errno);
}

// One thread running f() to completion; a thread that cannot be started is an error, not an
// exception (std::thread throws std::system_error then).
Result<void> on_new_thread(std::function<Result<void>()> const& f)
{
    Result<void> result = make_error(ErrorCode::Internal, "thread did not run");
    try {
        std::thread worker([&] { result = f(); });
        worker.join();
    } catch (std::system_error const& e) {
        return make_error(ErrorCode::System, std::string("start a thread: ") + e.what());
    }
    return result;
}

} // namespace

Result<Netns> Netns::open(std::string const& path)
{
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) {
        return tl::unexpected(errno_error("open netns " + path));
    }
    int const type = ::ioctl(fd.get(), NS_GET_NSTYPE);
    if (type != CLONE_NEWNET) {
        return make_error(
            ErrorCode::InvalidArgument, "open netns " + path + ": not a network namespace");
    }
    return Netns(std::move(fd), path);
}

Result<Netns> Netns::current()
{
    UniqueFd fd(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) {
        return tl::unexpected(errno_error("open the current netns"));
    }
    return Netns(std::move(fd), "");
}

Result<Netns> Netns::duplicate() const
{
    UniqueFd fd(::fcntl(m_fd.get(), F_DUPFD_CLOEXEC, 0));
    if (!fd.valid()) {
        return tl::unexpected(errno_error("duplicate netns " + m_path));
    }
    return Netns(std::move(fd), m_path);
}

Result<Netns> Netns::create_persistent(std::string const& path)
{
    std::string const what = "create netns " + path;
    {
        UniqueFd file(
            ::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0));
        if (!file.valid()) {
            return tl::unexpected(errno_error(what));
        }
    }
    Rollback undo;
    undo.push([&path] { ::unlink(path.c_str()); });

    // unshare on a thread of its own: the new namespace is that thread's alone, and its nsfs
    // file is bind-mounted before the thread ends. The mount namespace is the process's.
    TRY(on_new_thread([&]() -> Result<void> {
        if (::unshare(CLONE_NEWNET) != 0) {
            return tl::unexpected(errno_error(what + ": unshare"));
        }
        if (::mount("/proc/thread-self/ns/net", path.c_str(), nullptr, MS_BIND, nullptr) != 0) {
            return tl::unexpected(errno_error(what + ": bind mount"));
        }
        return {};
    }));
    undo.push([&path] { ::umount2(path.c_str(), MNT_DETACH); });
    TRY_ASSIGN(netns, open(path));
    undo.disarm();
    return netns;
}

Result<void> Netns::remove_persistent(std::string const& path)
{
    std::string const what = "remove netns " + path;
    // EINVAL: not a mount point (a create killed before its mount); ENOENT: gone already.
    if (::umount2(path.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0 && errno != EINVAL
        && errno != ENOENT) {
        return tl::unexpected(errno_error(what));
    }
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        return tl::unexpected(errno_error(what));
    }
    return {};
}

Result<void> in_netns(Netns const& netns, std::function<Result<void>()> const& work)
{
    return on_new_thread([&]() -> Result<void> {
        if (::setns(netns.fd(), CLONE_NEWNET) != 0) {
            std::string const where = netns.path().empty() ? "netns" : "netns " + netns.path();
            return tl::unexpected(errno_error("enter " + where));
        }
        return work();
    });
}

} // namespace lumos::net
