// SPDX-License-Identifier: MPL-2.0
// lumos-metadata <uuid> <socket>: the metadata server of one VM (metaserver::Server) on the UNIX
// socket the zone sees as /.zonecontrol/metadata.sock; lumos-metadata --serial <uuid> <socket>:
// an HVM guest's, on its second serial port (QEMU's vm.ttyb, which this server connects to,
// again every 100 ms while QEMU is not there). The zone's monitor starts it before the
// zone's init and owns it: it ends with the monitor (PR_SET_PDEATHSIG) or on SIGTERM. Requests
// are answered from the VM's record, read again whenever the record file changed, so a
// `vmadm update` is seen at the next request; a guest's PUT or DELETE runs `vmadm update`.
// Not for users: lib/lumos.
#include "base/child_process.hpp"
#include "base/file.hpp"
#include "base/paths.hpp"
#include "base/uuid.hpp"
#include "metaserver/server.hpp"
#include "store/vm_store.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <string_view>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using namespace lumos;

constexpr std::size_t MAX_STDERR = std::size_t { 64 } * 1024;

void say(std::string const& message)
{
    (void)std::fprintf(stderr, "lumos-metadata: %s\n", message.c_str());
}

// vmadm as installed (<prefix>/lib/lumos/.. /../sbin) or in the build tree (src/cmd/vmadm).
std::string find_vmadm()
{
    if (char const* given = std::getenv("LUMOS_VMADM"); given != nullptr && *given == '/') {
        return given;
    }
    std::string const self = executable_dir();
    for (std::string const& candidate : { self + "/../../sbin/vmadm", self + "/../vmadm/vmadm" }) {
        if (::access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
    }
    return "vmadm";
}

// The record as the store gives it, parsed again only when its file changed (a save renames a
// new file into place).
class RecordCache {
public:
    RecordCache(Paths const& paths, std::string uuid)
        : m_store(paths)
        , m_file(paths.vm_config(uuid))
        , m_uuid(std::move(uuid))
    {
    }

    Result<std::shared_ptr<Json const>> current()
    {
        struct stat st { };
        if (::stat(m_file.c_str(), &st) != 0) {
            m_valid = false;
            return make_error(ErrorCode::NotFound, "VM " + m_uuid + " not found");
        }
        bool const same = m_valid && st.st_ino == m_stat.st_ino && st.st_size == m_stat.st_size
            && st.st_mtim.tv_sec == m_stat.st_mtim.tv_sec
            && st.st_mtim.tv_nsec == m_stat.st_mtim.tv_nsec
            && st.st_ctim.tv_sec == m_stat.st_ctim.tv_sec
            && st.st_ctim.tv_nsec == m_stat.st_ctim.tv_nsec;
        if (!same) {
            TRY_ASSIGN(vm, m_store.load(m_uuid));
            m_vm = std::make_shared<Json const>(std::move(vm));
            m_stat = st;
            m_valid = true;
        }
        return m_vm;
    }

private:
    store::VmStore m_store;
    std::string m_file;
    std::string m_uuid;
    struct stat m_stat { };
    bool m_valid { false };
    std::shared_ptr<Json const> m_vm;
};

// `vmadm update <uuid>` with the payload on stdin (a memfd: any size, nothing on disk); its
// stderr is read as it comes and its last line is the failure's message.
class VmadmUpdate : public metaserver::PendingUpdate {
public:
    static Result<std::unique_ptr<metaserver::PendingUpdate>> start(
        std::string const& vmadm, std::string const& uuid, Json const& payload)
    {
        UniqueFd input(::memfd_create("lumos-metadata-update", MFD_CLOEXEC));
        if (!input.valid()) {
            return tl::unexpected(Error::from_errno("memfd_create", errno));
        }
        // A guest's key or value may be any bytes: what is not UTF-8 becomes U+FFFD, as agent.js's
        // Buffer.toString() makes it (a strict dump would throw and end the server).
        std::string const text = payload.dump(-1, ' ', false, Json::error_handler_t::replace);
        if (!write_fully(input.get(), text.data(), text.size())
            || ::lseek(input.get(), 0, SEEK_SET) != 0) {
            return tl::unexpected(Error::from_errno("write the update", errno));
        }
        SpawnOptions options({ vmadm, "update", uuid });
        options.stdio[STDIN_FILENO] = Stdio::fd(input.get());
        options.stdio[STDOUT_FILENO] = Stdio::null();
        options.stdio[STDERR_FILENO] = Stdio::pipe_from_child();
        options.close_other_fds = true;
        options.reset_signals = true;
        TRY_ASSIGN(child, ChildProcess::spawn(options));
        UniqueFd errors = child.take_pipe(STDERR_FILENO);
        int const flags = ::fcntl(errors.get(), F_GETFL);
        (void)::fcntl(errors.get(), F_SETFL, flags | O_NONBLOCK);
        return std::unique_ptr<metaserver::PendingUpdate>(
            new VmadmUpdate(std::move(child), std::move(errors)));
    }

    int fd() const override { return m_errors.get(); }

    std::optional<Result<void>> step() override
    {
        char buffer[4096];
        while (true) {
            ssize_t const got = ::read(m_errors.get(), buffer, sizeof buffer);
            if (got < 0 && errno == EINTR) {
                continue;
            }
            if (got < 0) {
                return std::nullopt; // EAGAIN: more to come
            }
            if (got == 0) {
                break;
            }
            if (m_text.size() < MAX_STDERR) {
                m_text.append(buffer, static_cast<std::size_t>(got));
            }
        }
        auto status = m_child.wait();
        if (!status) {
            return Result<void>(tl::unexpected(status.error()));
        }
        if (WIFEXITED(*status) && WEXITSTATUS(*status) == 0) {
            return Result<void>();
        }
        return Result<void>(make_error(ErrorCode::System, last_line()));
    }

private:
    VmadmUpdate(ChildProcess child, UniqueFd errors)
        : m_child(std::move(child))
        , m_errors(std::move(errors))
    {
    }

    std::string last_line() const
    {
        std::string text = m_text;
        while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
            text.pop_back();
        }
        std::size_t const newline = text.rfind('\n');
        text = newline == std::string::npos ? text : text.substr(newline + 1);
        return text.empty() ? std::string("vmadm update failed") : text;
    }

    ChildProcess m_child;
    UniqueFd m_errors;
    std::string m_text;
};

// The socket, made in its directory without following a link there.
Result<UniqueFd> listen_at(std::string const& socket_path)
{
    std::size_t const slash = socket_path.rfind('/');
    if (slash == std::string::npos || slash + 1 == socket_path.size()) {
        return make_error(ErrorCode::InvalidArgument, "not a socket path: " + socket_path);
    }
    std::string const dir = slash == 0 ? "/" : socket_path.substr(0, slash);
    std::string const name = socket_path.substr(slash + 1);
    UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir_fd.valid()) {
        return tl::unexpected(Error::from_errno("open " + dir, errno));
    }
    if (::unlinkat(dir_fd.get(), name.c_str(), 0) != 0 && errno != ENOENT) {
        return tl::unexpected(Error::from_errno("unlink " + socket_path, errno));
    }
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd.valid()) {
        return tl::unexpected(Error::from_errno("socket", errno));
    }
    std::string const bound = "/proc/self/fd/" + std::to_string(dir_fd.get()) + "/" + name;
    struct sockaddr_un address { };
    address.sun_family = AF_UNIX;
    if (bound.size() >= sizeof address.sun_path) {
        return make_error(ErrorCode::InvalidArgument, "socket name too long: " + name);
    }
    std::memcpy(address.sun_path, bound.c_str(), bound.size() + 1);
    if (::bind(fd.get(), reinterpret_cast<struct sockaddr*>(&address), sizeof address) != 0) {
        return tl::unexpected(Error::from_errno("bind " + socket_path, errno));
    }
    if (::listen(fd.get(), 128) != 0) {
        return tl::unexpected(Error::from_errno("listen " + socket_path, errno));
    }
    return fd;
}

// A client of the socket QEMU serves a serial port on (invalid while nothing listens).
UniqueFd connect_to(std::string const& socket_path)
{
    struct sockaddr_un address { };
    address.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof address.sun_path) {
        return {};
    }
    std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
    if (!fd.valid()
        || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        return {};
    }
    return fd;
}

int serve(int argc, char** argv)
{
    bool const serial = argc == 4 && std::string_view(argv[1]) == "--serial";
    if (serial) {
        --argc;
        ++argv;
    }
    if (argc != 3 || !is_uuid(argv[1])) {
        (void)std::fprintf(stderr,
            "usage: lumos-metadata <uuid> <socket path>\n"
            "       lumos-metadata --serial <uuid> <serial port socket path>\n");
        return 2;
    }
    std::string const uuid = argv[1];
    std::string const socket_path = argv[2];
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    sigset_t stop_signals;
    ::sigemptyset(&stop_signals);
    for (int signal : { SIGTERM, SIGINT, SIGHUP }) {
        ::sigaddset(&stop_signals, signal);
    }
    ::sigprocmask(SIG_BLOCK, &stop_signals, nullptr);
    (void)::signal(SIGPIPE, SIG_IGN);
    UniqueFd stop(::signalfd(-1, &stop_signals, SFD_CLOEXEC | SFD_NONBLOCK));
    std::string const vmadm = find_vmadm();
    auto cache = std::make_shared<RecordCache>(Paths::from_environment(), uuid);
    auto source = [cache] { return cache->current(); };
    auto updater
        = [vmadm, uuid](Json const& payload) { return VmadmUpdate::start(vmadm, uuid, payload); };
    if (serial) {
        metaserver::Server server(
            [socket_path] { return connect_to(socket_path); }, source, updater);
        auto ran = server.run(stop.get());
        if (!ran) {
            say(ran.error().message());
            return 1;
        }
        return 0;
    }
    auto listener = listen_at(socket_path);
    if (!listener) {
        say(listener.error().message());
        return 1;
    }
    metaserver::Server server(std::move(*listener), source, updater);
    auto ran = server.run(stop.get());
    ::unlink(socket_path.c_str());
    if (!ran) {
        say(ran.error().message());
        return 1;
    }
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    try {
        return serve(argc, argv);
    } catch (std::exception const& error) {
        say(error.what());
        return 1;
    }
}
