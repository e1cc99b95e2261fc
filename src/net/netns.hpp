// SPDX-License-Identifier: MPL-2.0
// Network namespaces as owned file descriptors. No thread of the caller ever enters one: work
// inside a namespace runs on a short-lived thread that setns()'d there (in_netns).
#pragma once

#include "base/result.hpp"
#include "base/unique_fd.hpp"

#include <functional>
#include <string>

namespace lumos::net {

class Netns {
public:
    // The namespace whose nsfs file (or bind mount of one, as `ip netns add` makes) is at path.
    // NotFound when nothing is there, InvalidArgument when it is not a network namespace.
    static Result<Netns> open(std::string const& path);
    // The calling thread's own namespace.
    static Result<Netns> current();

    // What `ip netns add` does: a new, empty namespace (loopback only, down) made by unshare on
    // a short-lived thread, kept alive by a bind mount of its nsfs file onto a new empty file at
    // path (mode 0). AlreadyExists when path exists. The directory must exist. Nothing is left
    // behind on failure.
    static Result<Netns> create_persistent(std::string const& path);
    // Undoes create_persistent: detaches the bind mount and unlinks path. A path that is gone is
    // success. The namespace dies when its last user goes (open Netns and Rtnl handles, processes
    // in it); its links go with it, veth peers in other namespaces included.
    static Result<void> remove_persistent(std::string const& path);

    int fd() const { return m_fd.get(); }
    // Where it was opened from, for messages ("" for current()).
    std::string const& path() const { return m_path; }
    // A second handle on the same namespace.
    Result<Netns> duplicate() const;

private:
    Netns(UniqueFd fd, std::string path)
        : m_fd(std::move(fd))
        , m_path(std::move(path))
    {
    }
    UniqueFd m_fd;
    std::string m_path;
};

// Runs work on a new thread that has entered netns, and waits for it. The thread exits after
// work returns, so no thread ever leaves the namespace again. work must not throw.
Result<void> in_netns(Netns const& netns, std::function<Result<void>()> const& work);

} // namespace lumos::net
