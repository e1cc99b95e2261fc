// SPDX-License-Identifier: MPL-2.0
// lumos-imgapi under hostile clients, over raw sockets on 127.0.0.1: slow clients (slowloris),
// the connection limit, Range fields (RFC 9110 §14) and request bodies. Every socket read has a
// guard timeout, so a server that hangs fails the test instead of hanging it.
#include "image/imgapi_client.hpp"
#include "imgadm/imgapi_server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace lumos::image {
namespace {

std::string const UUID = "4b2dd3c0-0a8c-11ef-8f2f-5b0c6d5a4e0a";
std::string const BIG_UUID = "4b2dd3c0-0a8c-11ef-8f2f-5b0c6d5a4e0b";
std::string const FILE_PATH = "/images/" + UUID + "/file";

// A client socket whose reads give up after `guard` (the server is then hanging).
class Client {
public:
    explicit Client(int port, int receive_buffer = 0,
        std::chrono::milliseconds guard = std::chrono::milliseconds(5000))
    {
        m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (receive_buffer > 0) {
            ::setsockopt(m_fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
        }
        timeval timeout { static_cast<time_t>(guard.count() / 1000),
            static_cast<suseconds_t>((guard.count() % 1000) * 1000) };
        ::setsockopt(m_fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        sockaddr_in address {};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<uint16_t>(port));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        m_connected = ::connect(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    }
    Client(Client&& other) noexcept
        : m_fd(std::exchange(other.m_fd, -1))
        , m_connected(other.m_connected)
    {
    }
    Client(Client const&) = delete;
    Client& operator=(Client const&) = delete;
    ~Client()
    {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
    }

    bool connected() const { return m_connected; }
    bool send(std::string const& data) const
    {
        return ::send(m_fd, data.data(), data.size(), MSG_NOSIGNAL)
            == static_cast<ssize_t>(data.size());
    }
    // Up to `size` bytes; "" at the end of the stream, on an error or past the guard.
    std::string receive(size_t size = 65536) const
    {
        std::string buffer(size, '\0');
        ssize_t got = ::recv(m_fd, buffer.data(), size, 0);
        buffer.resize(got > 0 ? static_cast<size_t>(got) : 0);
        return buffer;
    }
    // Everything until the server closes the connection (or the guard passes).
    std::string receive_all() const
    {
        std::string all;
        for (std::string part = receive(); !part.empty(); part = receive()) {
            all += part;
        }
        return all;
    }
    // One response with a Content-Length, on a connection that stays open.
    std::string receive_response() const
    {
        std::string all;
        while (true) {
            size_t head_end = all.find("\r\n\r\n");
            if (head_end != std::string::npos) {
                size_t length_at = all.find("Content-Length: ");
                size_t length = length_at < head_end
                    ? std::strtoul(all.c_str() + length_at + 16, nullptr, 10)
                    : 0;
                if (all.size() >= head_end + 4 + length) {
                    return all;
                }
            }
            std::string part = receive();
            if (part.empty()) {
                return all;
            }
            all += part;
        }
    }
    // Whether the server has closed the connection (after any bytes it sent first).
    bool closed_by_server() const
    {
        receive_all();
        char byte = 0;
        ssize_t got = ::recv(m_fd, &byte, 1, MSG_DONTWAIT);
        return got == 0 || (got < 0 && errno != EAGAIN);
    }
    int fd() const { return m_fd; }

private:
    int m_fd { -1 };
    bool m_connected { false };
};

struct Response {
    int status { 0 };
    std::map<std::string, std::string> headers; // lower-case names
    std::string body;
};

// Parses one whole response (the connection was asked to close after it).
Response parse_response(std::string const& raw)
{
    Response response;
    size_t head_end = raw.find("\r\n\r\n");
    if (raw.rfind("HTTP/1.1 ", 0) != 0 || head_end == std::string::npos) {
        return response;
    }
    response.status = std::atoi(raw.c_str() + 9);
    size_t line = raw.find("\r\n") + 2;
    while (line < head_end) {
        size_t next = raw.find("\r\n", line);
        std::string field = raw.substr(line, next - line);
        size_t colon = field.find(':');
        std::string name = field.substr(0, colon);
        for (auto& c : name) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        response.headers[name] = field.substr(field.find_first_not_of(' ', colon + 1));
        line = next + 2;
    }
    response.body = raw.substr(head_end + 4);
    return response;
}

Response get(int port, std::string const& path, std::string const& fields = {})
{
    Client client(port);
    EXPECT_TRUE(client.connected());
    EXPECT_TRUE(client.send(
        "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + fields + "\r\n"));
    return parse_response(client.receive_all());
}

class ImgapiServerTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        test::write_image(m_images.path(), "a", test::make_manifest(UUID, "alpha", m_data), m_data);
    }

    test::TempRoot m_images;
    std::string m_data = test::random_bytes(300000, 11);
};

// Slowloris: 64 clients each send a request line, then a header line every second for longer
// than the header deadline. Before, they held all eight of httplib's worker threads and /ping
// waited for as long as they kept trickling; now a ping and a download are served at once, and
// the deadline cuts every slow client with 408.
TEST_F(ImgapiServerTest, SlowClientsDoNotStarveOthers)
{
    test::ImgapiServer server(m_images.path(), { "--header-timeout", "2", "--idle-timeout", "2" });
    std::vector<Client> slow;
    for (int i = 0; i < 64; ++i) {
        slow.emplace_back(server.port());
        ASSERT_TRUE(slow.back().connected());
        ASSERT_TRUE(slow.back().send("GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
    }
    std::thread trickler([&] {
        for (int round = 0; round < 3; ++round) {
            std::this_thread::sleep_for(std::chrono::seconds(1));
            for (auto& client : slow) {
                client.send("X-Slow-" + std::to_string(round) + ": 1\r\n");
            }
        }
    });

    // Guards shorter than the trickle: a server that queues these behind the slow clients fails.
    Client ping_client(server.port(), 0, std::chrono::milliseconds(3000));
    ASSERT_TRUE(
        ping_client.send("GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"));
    Response ping = parse_response(ping_client.receive_all());
    Response file = get(server.port(), FILE_PATH);
    trickler.join();

    EXPECT_EQ(ping.status, 200);
    EXPECT_NE(ping.body.find("\"pong\""), std::string::npos) << ping.body;
    EXPECT_EQ(file.status, 200);
    EXPECT_TRUE(file.body == m_data) << file.body.size();
    for (auto& client : slow) {
        std::string answer = client.receive_all();
        EXPECT_EQ(answer.rfind("HTTP/1.1 408 ", 0), 0U) << answer;
        EXPECT_TRUE(client.closed_by_server());
    }
}

// The same over TLS, where the slow part is the handshake: 64 clients trickle a ClientHello a
// byte a second while a real client pings; the header deadline covers the handshake.
TEST(ImgapiServerTls, SlowHandshakesDoNotStarveOthers)
{
    test::TempRoot dir;
    std::string cert = (dir.path() / "cert.pem").string();
    std::string key = (dir.path() / "key.pem").string();
    test::RunResult made = test::run({ "/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048",
        "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1" });
    if (made.exit_code != 0) {
        GTEST_SKIP() << "openssl cannot make a test certificate: " << made.describe();
    }
    test::TempRoot images;
    test::ImgapiServer server(images.path(),
        { "--tls-cert", cert, "--tls-key", key, "--header-timeout", "2", "--idle-timeout", "2" });
    std::vector<Client> slow;
    for (int i = 0; i < 64; ++i) {
        slow.emplace_back(server.port());
        ASSERT_TRUE(slow.back().connected());
    }
    // They trickle until the ping is answered (at most 20 s): a server that serves the ping
    // only once they stop fails below.
    std::atomic<bool> pinged { false };
    std::atomic<bool> gave_up { false };
    std::thread trickler([&] {
        std::string const record = "\x16\x03\x01\x02\x00\x01"; // a ClientHello's start
        for (int tick = 0; tick < 200 && !pinged; ++tick) {
            if (tick % 10 == 0) {
                char byte = static_cast<size_t>(tick / 10) < record.size() ? record[tick / 10] : 0;
                for (auto& client : slow) {
                    client.send(std::string(1, byte));
                }
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        gave_up = !pinged;
    });
    std::string url = "https://127.0.0.1:" + std::to_string(server.port());
    auto pong = ImgapiClient(make_source(url, "imgapi", true)).ping();
    pinged = true;
    trickler.join();
    EXPECT_TRUE(pong) << pong.error().message;
    EXPECT_FALSE(gave_up) << "the ping was answered only after the slow clients stopped";
    for (auto& client : slow) {
        EXPECT_TRUE(client.closed_by_server());
    }
}

// A full table of idle or slow connections makes room: the longest-waiting one is cut. Each
// client that pings (and keeps its connection open, so it holds a slot) cuts one slow client.
TEST_F(ImgapiServerTest, ConnectionLimitCutsTheLongestWaiting)
{
    test::ImgapiServer server(m_images.path(),
        { "--max-connections", "4", "--header-timeout", "60", "--idle-timeout", "60" });
    std::vector<Client> slow;
    for (int i = 0; i < 4; ++i) {
        slow.emplace_back(server.port());
        ASSERT_TRUE(slow.back().send("GET /ping HTTP/1.1\r\n"));
    }
    std::vector<Client> pingers;
    for (int i = 0; i < 4; ++i) {
        pingers.emplace_back(server.port());
        ASSERT_TRUE(pingers.back().send("GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
        Response ping = parse_response(pingers.back().receive_response());
        EXPECT_EQ(ping.status, 200) << i;
    }
    for (auto& client : slow) {
        EXPECT_TRUE(client.closed_by_server());
    }
}

// When every connection is answering, a newcomer is refused at once (503), not queued; it is
// served again as soon as a slot frees.
TEST_F(ImgapiServerTest, ConnectionLimitRefusesWhenAllAreBusy)
{
    std::string big(16 << 20, 'x');
    test::write_image(m_images.path(), "big", test::make_manifest(BIG_UUID, "big", big), big);
    test::ImgapiServer server(
        m_images.path(), { "--max-connections", "2", "--idle-timeout", "60" });
    std::vector<Client> busy;
    for (int i = 0; i < 2; ++i) {
        // A small receive window: the server blocks writing 16 MiB nobody reads.
        busy.emplace_back(server.port(), 4096);
        ASSERT_TRUE(busy.back().send(
            "GET /images/" + BIG_UUID + "/file HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
        EXPECT_EQ(busy.back().receive(12), "HTTP/1.1 200");
    }

    Client refused(server.port());
    std::string answer = refused.receive_all();
    EXPECT_EQ(answer.rfind("HTTP/1.1 503 ", 0), 0U) << answer;
    EXPECT_TRUE(refused.closed_by_server());

    busy.clear();
    int status = 0;
    for (int attempt = 0; attempt < 100 && status != 200; ++attempt) {
        status = get(server.port(), "/ping").status;
        if (status != 200) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    EXPECT_EQ(status, 200);
}

TEST_F(ImgapiServerTest, SingleRangeIs206)
{
    test::ImgapiServer server(m_images.path());
    Response head = get(server.port(), FILE_PATH, "Range: bytes=100-199\r\n");
    EXPECT_EQ(head.status, 206);
    EXPECT_EQ(head.headers["content-range"], "bytes 100-199/300000");
    EXPECT_EQ(head.headers["content-length"], "100");
    EXPECT_TRUE(head.body == m_data.substr(100, 100));

    Response tail = get(server.port(), FILE_PATH, "Range: bytes=-10\r\n");
    EXPECT_EQ(tail.status, 206);
    EXPECT_EQ(tail.headers["content-range"], "bytes 299990-299999/300000");
    EXPECT_TRUE(tail.body == m_data.substr(299990));

    Response whole = get(server.port(), FILE_PATH);
    EXPECT_EQ(whole.status, 200);
    EXPECT_EQ(whole.headers["accept-ranges"], "bytes");
    EXPECT_TRUE(whole.body == m_data);
}

// 200 copies of the whole file in one Range field: before, a 200 with 200 copies (60 MB for a
// 300 kB file); now the copies merge into one range, and no answer outgrows the file.
TEST_F(ImgapiServerTest, RepeatedRangesDoNotAmplify)
{
    test::ImgapiServer server(m_images.path());
    std::string field = "Range: bytes=0-";
    for (int i = 1; i < 200; ++i) {
        field += ",0-";
    }
    Response copies = get(server.port(), FILE_PATH, field + "\r\n");
    EXPECT_TRUE(copies.status == 200 || copies.status == 206) << copies.status;
    EXPECT_LE(copies.body.size(), m_data.size());
    EXPECT_TRUE(copies.body == m_data);
    if (copies.status == 206) {
        EXPECT_EQ(copies.headers["content-range"], "bytes 0-299999/300000");
    }

    Response overlapping = get(server.port(), FILE_PATH, "Range: bytes=0-99,50-149,150-199\r\n");
    EXPECT_EQ(overlapping.status, 206);
    EXPECT_EQ(overlapping.headers["content-range"], "bytes 0-199/300000");
    EXPECT_TRUE(overlapping.body == m_data.substr(0, 200));

    // Many small disjoint ranges: more parts than served, so the whole file.
    std::string many = "Range: bytes=0-0";
    for (int i = 1; i < 40; ++i) {
        many += "," + std::to_string(i * 1000) + "-" + std::to_string(i * 1000 + 9);
    }
    Response scattered = get(server.port(), FILE_PATH, many + "\r\n");
    EXPECT_EQ(scattered.status, 200);
    EXPECT_TRUE(scattered.body == m_data);
}

TEST_F(ImgapiServerTest, DisjointRangesAreMultipart)
{
    test::ImgapiServer server(m_images.path());
    Response parts = get(server.port(), FILE_PATH, "Range: bytes=1000-1009,0-9\r\n");
    EXPECT_EQ(parts.status, 206);
    std::string type = parts.headers["content-type"];
    std::string prefix = "multipart/byteranges; boundary=";
    ASSERT_EQ(type.rfind(prefix, 0), 0U) << type;
    std::string boundary = type.substr(prefix.size());
    std::string expected = "--" + boundary
        + "\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes 0-9/300000\r\n\r\n"
        + m_data.substr(0, 10) + "\r\n--" + boundary
        + "\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes "
          "1000-1009/300000\r\n\r\n"
        + m_data.substr(1000, 10) + "\r\n--" + boundary + "--\r\n";
    EXPECT_TRUE(parts.body == expected) << parts.body;
    EXPECT_EQ(parts.headers["content-length"], std::to_string(expected.size()));
}

TEST_F(ImgapiServerTest, UnsatisfiableRangeIs416)
{
    test::ImgapiServer server(m_images.path());
    Response past = get(server.port(), FILE_PATH, "Range: bytes=300000-\r\n");
    EXPECT_EQ(past.status, 416);
    EXPECT_EQ(past.headers["content-range"], "bytes */300000");
    EXPECT_NE(past.body.find("RequestedRangeNotSatisfiable"), std::string::npos) << past.body;
}

// RFC 9110: a Range field that is not a valid range set is ignored, the whole file served (it
// was a 416 before). So is a Range with an If-Range, which no validator here can match.
TEST_F(ImgapiServerTest, MalformedRangeIsIgnored)
{
    test::ImgapiServer server(m_images.path());
    for (std::string field :
        { "bytes=abc", "bytes=5-1", "items=0-9", "bytes=0-9;x", "bytes=", "bytes=--1" }) {
        Response whole = get(server.port(), FILE_PATH, "Range: " + field + "\r\n");
        EXPECT_EQ(whole.status, 200) << field;
        EXPECT_TRUE(whole.body == m_data) << field;
        EXPECT_EQ(whole.headers.count("content-range"), 0U) << field;
    }
    Response conditional
        = get(server.port(), FILE_PATH, "Range: bytes=0-9\r\nIf-Range: \"some-etag\"\r\n");
    EXPECT_EQ(conditional.status, 200);
    EXPECT_TRUE(conditional.body == m_data);
    // Range on a resource other than a file is ignored too.
    EXPECT_EQ(get(server.port(), "/ping", "Range: bytes=0-1\r\n").status, 200);
}

// A request body is never read: a POST that announces a terabyte gets 405 at once (httplib read
// bodies of any size into memory) and its connection is closed.
TEST_F(ImgapiServerTest, RequestBodiesAreNotRead)
{
    test::ImgapiServer server(m_images.path());
    Client client(server.port(), 0, std::chrono::milliseconds(3000));
    ASSERT_TRUE(client.send(
        "POST /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000000000\r\n\r\nxx"));
    Response response = parse_response(client.receive_all());
    EXPECT_EQ(response.status, 405);
    EXPECT_EQ(response.headers["allow"], "GET, HEAD");
    EXPECT_EQ(response.headers["connection"], "close");
    EXPECT_TRUE(client.closed_by_server());
}

// A head past 64 KiB is refused (httplib bounded each line, not their number).
TEST_F(ImgapiServerTest, OversizedHeadIs431)
{
    test::ImgapiServer server(m_images.path());
    Client client(server.port());
    std::string head = "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    while (head.size() < 70 * 1024) {
        head += "X-Filler: " + std::string(1000, 'f') + "\r\n";
    }
    client.send(head);
    std::string answer = client.receive_all();
    EXPECT_EQ(answer.rfind("HTTP/1.1 431 ", 0), 0U) << answer;
    EXPECT_TRUE(client.closed_by_server());
}

// HEAD of a file: its length, no body, no range.
TEST_F(ImgapiServerTest, HeadOfAFile)
{
    test::ImgapiServer server(m_images.path());
    Client client(server.port());
    ASSERT_TRUE(client.send("HEAD " + FILE_PATH
        + " HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: bytes=0-9\r\nConnection: close\r\n\r\n"));
    Response head = parse_response(client.receive_all());
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.headers["content-length"], "300000");
    EXPECT_EQ(head.headers["accept-ranges"], "bytes");
    EXPECT_EQ(head.body, "");
}

// Keep-alive and pipelining still work: two requests sent at once on one connection.
TEST_F(ImgapiServerTest, PipelinedRequestsOnOneConnection)
{
    test::ImgapiServer server(m_images.path());
    Client client(server.port());
    ASSERT_TRUE(client.send("GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                            "GET "
        + FILE_PATH
        + " HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: bytes=0-4\r\n"
          "Connection: close\r\n\r\n"));
    std::string all = client.receive_all();
    size_t second = all.find("HTTP/1.1 206 ");
    ASSERT_NE(second, std::string::npos) << all;
    EXPECT_EQ(parse_response(all.substr(0, second)).status, 200);
    Response range = parse_response(all.substr(second));
    EXPECT_TRUE(range.body == m_data.substr(0, 5));
}

TEST(ImgapiServerOptions, RefusesBadLimits)
{
    test::TempRoot images;
    for (std::vector<std::string> args :
        { std::vector<std::string> { "--header-timeout", "0" }, { "--idle-timeout", "x" },
            { "--max-connections", "0" }, { "--max-connections", "-1" } }) {
        std::vector<std::string> argv { LUMOS_LUMOS_IMGAPI_BIN, "--dir", images.str() };
        argv.insert(argv.end(), args.begin(), args.end());
        test::RunResult result = test::run(argv);
        EXPECT_EQ(result.exit_code, 2) << result.describe();
        EXPECT_NE(result.err.find("invalid"), std::string::npos) << result.err;
    }
    test::RunResult help = test::run({ LUMOS_LUMOS_IMGAPI_BIN, "--help" });
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.out.find("--header-timeout SEC"), std::string::npos) << help.out;
    EXPECT_NE(help.out.find("--max-connections N"), std::string::npos) << help.out;
}

} // namespace
} // namespace lumos::image
