// SPDX-License-Identifier: MPL-2.0
// A guest's metadata round trips (bench/metadata.sh runs it inside a zone): NEGOTIATE V2, then
// COUNT GETs of KEY in a row on one connection, each timed from the request's write to the
// response's last byte, against the server at SOCKET. With --floor, the same frames against an
// in-process responder on a socketpair that answers each line with a fixed frame: the cost of
// the transport and the client alone, the peer the server's figures are read against.
// Statically linked: it runs in any zone. Prints "median_us p99_us gets_per_second".
#include "metadata/protocol.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace {

bool write_all(int fd, std::string const& text)
{
    std::size_t done = 0;
    while (done < text.size()) {
        ssize_t const n = ::write(fd, text.data() + done, text.size() - done);
        if (n <= 0) {
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

// Reads up to and including '\n' into line (buffered in pending).
bool read_line(int fd, std::string& pending, std::string& line)
{
    char buffer[4096];
    while (true) {
        std::size_t const newline = pending.find('\n');
        if (newline != std::string::npos) {
            line = pending.substr(0, newline + 1);
            pending.erase(0, newline + 1);
            return true;
        }
        ssize_t const n = ::read(fd, buffer, sizeof buffer);
        if (n <= 0) {
            return false;
        }
        pending.append(buffer, static_cast<std::size_t>(n));
    }
}

int connect_to(char const* path)
{
    int const fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un address { };
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path, sizeof address.sun_path - 1);
    if (fd < 0
        || ::connect(fd, reinterpret_cast<struct sockaddr*>(&address), sizeof address) != 0) {
        std::perror(path);
        std::exit(2);
    }
    return fd;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 4) {
        (void)std::fprintf(stderr, "usage: metadata_bench <socket|--floor> <key> <count>\n");
        return 2;
    }
    std::string const key = argv[2];
    long const count = std::strtol(argv[3], nullptr, 10);
    bool const floor = std::string(argv[1]) == "--floor";
    int fd = -1;
    std::thread responder;
    if (floor) {
        int pair[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
            return 2;
        }
        fd = pair[0];
        responder = std::thread([peer = pair[1]] {
            std::string pending;
            std::string line;
            std::string const reply = lumos::metadata::format_v2_response(
                "0000abcd", "SUCCESS", "9f8e7d6c-1111-2222-3333-444455556666");
            while (read_line(peer, pending, line)) {
                if (!write_all(peer, line.starts_with("NEGOTIATE") ? "V2_OK\n" : reply)) {
                    break;
                }
            }
            ::close(peer);
        });
    } else {
        fd = connect_to(argv[1]);
    }
    std::string pending;
    std::string line;
    if (!write_all(fd, "NEGOTIATE V2\n") || !read_line(fd, pending, line) || line != "V2_OK\n") {
        (void)std::fprintf(stderr, "metadata_bench: negotiation failed\n");
        return 2;
    }
    std::string const request = lumos::metadata::format_v2_request("0000abcd", "GET", key);
    std::vector<double> micros;
    micros.reserve(static_cast<std::size_t>(count));
    auto const start = std::chrono::steady_clock::now();
    for (long i = 0; i < count; ++i) {
        auto const t0 = std::chrono::steady_clock::now();
        if (!write_all(fd, request) || !read_line(fd, pending, line)) {
            (void)std::fprintf(stderr, "metadata_bench: connection lost\n");
            return 2;
        }
        auto const t1 = std::chrono::steady_clock::now();
        if (i == 0 && !lumos::metadata::parse_v2_response(line.substr(0, line.size() - 1))) {
            (void)std::fprintf(stderr, "metadata_bench: bad response %s", line.c_str());
            return 2;
        }
        micros.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    double const seconds
        = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
    if (responder.joinable()) {
        responder.join();
    }
    std::sort(micros.begin(), micros.end());
    double const median = micros[micros.size() / 2];
    double const p99 = micros[micros.size() * 99 / 100];
    std::printf("%.1f %.1f %.0f\n", median, p99, static_cast<double>(count) / seconds);
    return 0;
}
