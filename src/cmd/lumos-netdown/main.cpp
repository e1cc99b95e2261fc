// SPDX-License-Identifier: MPL-2.0
// lumos-netdown <uuid> <netns path>: removes a VM's networking from the host namespace it runs
// in (net::remove_vm_network: the VM's namespace mount, its veth ends, taps and IFBs, its
// anti-spoofing tables). The zone's monitor runs it when the zone has ended for good; it is
// safe to run again, and on a VM that has nothing left. Not for users: lib/lumos.
//
// lumos-netdown --guard <vm lock> <monitor lock> <uuid> <netns path>: the same, for a boot whose
// command was killed before the zone's monitor owned the networking. It waits for its stdin to
// close: a "keep" first means the booting command finished (the monitor owns the networking, or
// the command removed it), and it exits. A bare close means the command died: it takes the VM's
// lock, so it does not race a later command on the VM, and removes the networking unless a
// monitor holds the zone's lock by then.
#include "base/uuid.hpp"
#include "net/netns.hpp"
#include "net/vm_network.hpp"

#include <cerrno>
#include <cstdio>
#include <string>
#include <string_view>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace {

int remove(char const* uuid, char const* netns)
{
    auto host = lumos::net::Netns::current();
    if (!host) {
        (void)std::fprintf(stderr, "lumos-netdown: %s\n", host.error().message().c_str());
        return 1;
    }
    if (auto removed = lumos::net::remove_vm_network(*host, uuid, netns); !removed) {
        (void)std::fprintf(stderr, "lumos-netdown: %s\n", removed.error().message().c_str());
        return 1;
    }
    return 0;
}

// True when the booting command said "keep" before its end of stdin closed.
bool told_to_keep()
{
    char word[5] {};
    size_t have = 0;
    while (have < sizeof word) {
        ssize_t const got = ::read(STDIN_FILENO, word + have, sizeof word - have);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            return false;
        }
        have += static_cast<size_t>(got);
    }
    return std::string_view(word, sizeof word) == "keep\n";
}

int guard(char const* vm_lock, char const* monitor_lock, char const* uuid, char const* netns)
{
    if (told_to_keep()) {
        return 0;
    }
    // Held until exit: a command on the VM that took the lock first (a new `vmadm start`) has
    // finished by now, and one that comes later waits for the removal.
    int const vm = ::open(vm_lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (vm < 0 || ::flock(vm, LOCK_EX) != 0) {
        (void)std::fprintf(stderr, "lumos-netdown: cannot lock %s\n", vm_lock);
        return 1;
    }
    // A monitor holds its lock exclusively for its life; held shared here, no monitor starts on
    // the VM while its networking goes.
    int const monitor = ::open(monitor_lock, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (monitor >= 0 && ::flock(monitor, LOCK_SH | LOCK_NB) != 0) {
        return 0; // the zone's monitor owns the networking now
    }
    (void)std::fprintf(stderr,
        "lumos-netdown: the command booting VM %s ended before its monitor; removing its "
        "networking\n",
        uuid);
    return remove(uuid, netns);
}

} // namespace

int main(int argc, char** argv)
{
    if (argc == 6 && std::string_view(argv[1]) == "--guard" && lumos::is_uuid(argv[4])) {
        return guard(argv[2], argv[3], argv[4], argv[5]);
    }
    if (argc != 3 || !lumos::is_uuid(argv[1])) {
        (void)std::fprintf(stderr,
            "usage: lumos-netdown <uuid> <netns path>\n"
            "       lumos-netdown --guard <vm lock> <monitor lock> <uuid> <netns path>\n");
        return 2;
    }
    return remove(argv[1], argv[2]);
}
