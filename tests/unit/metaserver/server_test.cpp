// SPDX-License-Identifier: MPL-2.0
// The metadata server's connection loop on a real UNIX socket, with the VM in memory and
// updates applied by the test: the reference's worked frames byte for byte, and the hostile
// clients the issue names (bad frames, oversized lines, stalled and non-reading clients, more
// clients than the limit, updates that take their time).
#include "metadata/protocol.hpp"
#include "metaserver/server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace lumos::metaserver {
namespace {

using namespace std::chrono_literals;

// An update that ends when the test says so (or at once): its fd is a pipe's read end.
class TestUpdate : public PendingUpdate {
public:
    TestUpdate(int read_end, Result<void> outcome)
        : m_read(read_end)
        , m_outcome(std::move(outcome))
    {
    }
    int fd() const override { return m_read.get(); }
    std::optional<Result<void>> step() override
    {
        char byte = 0;
        if (::read(m_read.get(), &byte, 1) < 0 && errno == EAGAIN) {
            return std::nullopt;
        }
        return m_outcome;
    }

private:
    UniqueFd m_read;
    Result<void> m_outcome;
};

class MetadataServer : public ::testing::Test {
protected:
    void start(ServerLimits limits = {})
    {
        m_dir = std::filesystem::temp_directory_path()
            / ("lumos-metaserver-" + std::to_string(::getpid()) + "-"
                + std::to_string(m_counter++));
        std::filesystem::create_directories(m_dir);
        m_path = (m_dir / "metadata.sock").string();
        UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        struct sockaddr_un address = socket_address();
        ASSERT_EQ(
            ::bind(listener.get(), reinterpret_cast<struct sockaddr*>(&address), sizeof address),
            0);
        ASSERT_EQ(::listen(listener.get(), 256), 0);
        m_stop = UniqueFd(::eventfd(0, EFD_CLOEXEC));
        m_vm = Json::parse(R"({"uuid": "9f8e7d6c-1111-2222-3333-444455556666",
            "customer_metadata": {"foo": "x", "bar": ".dot\nline"}, "internal_metadata": {}})");
        m_server = std::make_unique<Server>(
            std::move(listener),
            [this]() -> Result<std::shared_ptr<Json const>> {
                std::lock_guard lock(m_mutex);
                return std::make_shared<Json const>(m_vm);
            },
            [this](Json const& payload) -> Result<std::unique_ptr<PendingUpdate>> {
                int fds[2];
                EXPECT_EQ(::pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
                std::lock_guard lock(m_mutex);
                m_payloads.push_back(payload);
                apply(payload);
                if (m_hold_updates) {
                    m_held.emplace_back(fds[1]);
                } else {
                    ::close(fds[1]);
                }
                return std::make_unique<TestUpdate>(fds[0], Result<void>());
            },
            limits);
        m_thread = std::thread([this] { m_result = m_server->run(m_stop.get()); });
    }

    void TearDown() override
    {
        if (m_thread.joinable()) {
            uint64_t one = 1;
            EXPECT_EQ(::write(m_stop.get(), &one, sizeof one), 8);
            m_thread.join();
            EXPECT_TRUE(m_result) << m_result.error().message();
        }
        m_held.clear();
        std::filesystem::remove_all(m_dir);
    }

    void apply(Json const& payload)
    {
        for (auto const& [key, value] : payload.items()) {
            if (key == "set_customer_metadata") {
                m_vm["customer_metadata"].update(value);
            } else if (key == "remove_customer_metadata") {
                for (auto const& name : value) {
                    m_vm["customer_metadata"].erase(name.get<std::string>());
                }
            }
        }
    }

    struct sockaddr_un socket_address() const
    {
        struct sockaddr_un address { };
        address.sun_family = AF_UNIX;
        std::strncpy(address.sun_path, m_path.c_str(), sizeof address.sun_path - 1);
        return address;
    }

    UniqueFd connect() const
    {
        UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        struct sockaddr_un address = socket_address();
        EXPECT_EQ(
            ::connect(fd.get(), reinterpret_cast<struct sockaddr*>(&address), sizeof address), 0);
        return fd;
    }

    static void send_all(int fd, std::string const& text)
    {
        std::size_t done = 0;
        while (done < text.size()) {
            ssize_t const n = ::send(fd, text.data() + done, text.size() - done, MSG_NOSIGNAL);
            if (n <= 0) {
                return;
            }
            done += static_cast<std::size_t>(n);
        }
    }

    // One line, or "" at EOF or after the timeout.
    static std::string read_line(int fd, std::chrono::milliseconds timeout = 5s)
    {
        std::string line;
        auto const deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            struct pollfd pfd {
                fd, POLLIN, 0
            };
            if (::poll(&pfd, 1, 50) <= 0) {
                continue;
            }
            char c = 0;
            if (::read(fd, &c, 1) != 1) {
                return line;
            }
            line += c;
            if (c == '\n') {
                return line;
            }
        }
        return line;
    }

    // True when the server closed the connection within the timeout.
    static bool closed_by_server(int fd, std::chrono::milliseconds timeout = 5s)
    {
        auto const deadline = std::chrono::steady_clock::now() + timeout;
        char buffer[4096];
        while (std::chrono::steady_clock::now() < deadline) {
            struct pollfd pfd {
                fd, POLLIN, 0
            };
            if (::poll(&pfd, 1, 50) <= 0) {
                continue;
            }
            ssize_t const n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
            if (n == 0 || (n < 0 && errno == ECONNRESET)) {
                return true;
            }
        }
        return false;
    }

    std::string get(int fd, std::string const& key, std::string const& reqid = "0000abcd")
    {
        send_all(fd, metadata::format_v2_request(reqid, "GET", key));
        return read_line(fd);
    }

    std::filesystem::path m_dir;
    std::string m_path;
    UniqueFd m_stop;
    std::unique_ptr<Server> m_server;
    std::thread m_thread;
    Result<void> m_result;
    std::mutex m_mutex;
    Json m_vm;
    std::vector<Json> m_payloads;
    std::atomic<bool> m_hold_updates { false };
    std::vector<UniqueFd> m_held;
    static inline int m_counter = 0;
};

TEST_F(MetadataServer, AnswersTheReferencesWorkedFramesByteForByte)
{
    start();
    UniqueFd client = connect();
    send_all(client.get(), "NEGOTIATE V2\n");
    EXPECT_EQ(read_line(client.get()), "V2_OK\n");
    send_all(client.get(), "V2 25 8cf8e622 dc4fae17 GET c2RjOnV1aWQ=\n");
    EXPECT_EQ(read_line(client.get()),
        "V2 65 417a7542 dc4fae17 SUCCESS OWY4ZTdkNmMtMTExMS0yMjIyLTMzMzMtNDQ0NDU1NTU2NjY2\n");
    send_all(client.get(), "V2 49 4bedf838 1a2b3c4d PUT YlhsclpYaz0gYUdWc2JHOGdkMjl5YkdRPQ==\n");
    EXPECT_EQ(read_line(client.get()), "V2 21 25b21f01 1a2b3c4d SUCCESS T0s=\n");
    EXPECT_EQ(m_vm["customer_metadata"]["mykey"], "hello world");
    send_all(client.get(), metadata::format_v2_request("1a2b3c4d", "GET", "nope"));
    EXPECT_EQ(read_line(client.get()), "V2 17 b68286f0 1a2b3c4d NOTFOUND\n");
    send_all(client.get(),
        metadata::format_v2_request(
            "1a2b3c4d", "PUT", metadata::format_put_argument("sdc:uuid", "x")));
    EXPECT_EQ(read_line(client.get()),
        "V2 65 d55fb085 1a2b3c4d FAILURE Q2Fubm90IHVwZGF0ZSB0aGUgInNkYyIgTmFtZXNwYWNlLg==\n");
    send_all(client.get(), "V2 24 bd512dac 5e6f7a8b DELETE bXlrZXk=\n");
    EXPECT_EQ(read_line(client.get()), metadata::format_v2_response("5e6f7a8b", "SUCCESS", "OK"));
    EXPECT_FALSE(m_vm["customer_metadata"].contains("mykey"));
}

TEST_F(MetadataServer, SpeaksV1ForGetAndKeysAndRefusesWritesThere)
{
    start();
    UniqueFd client = connect();
    send_all(client.get(), "GET bar\n");
    EXPECT_EQ(read_line(client.get()), "SUCCESS\n");
    EXPECT_EQ(read_line(client.get()), "..dot\n");
    EXPECT_EQ(read_line(client.get()), "line\n");
    EXPECT_EQ(read_line(client.get()), ".\n");
    send_all(client.get(), "GET\n");
    EXPECT_EQ(read_line(client.get()), "invalid command\n");
    send_all(client.get(), "\n");
    EXPECT_EQ(read_line(client.get()), "invalid command\n");
    send_all(client.get(), "PUT a b\n");
    EXPECT_EQ(read_line(client.get()), "FAILURE\n");
    send_all(client.get(), "NEGOTIATE V3\n");
    EXPECT_EQ(read_line(client.get()), "FAILURE\n");
    send_all(client.get(), "GET nope\n");
    EXPECT_EQ(read_line(client.get()), "NOTFOUND\n");
}

TEST_F(MetadataServer, BadFramesGetNoReplyAndUnknownCommandsAFailure)
{
    start();
    UniqueFd client = connect();
    // A wrong CRC, a wrong length, a frame that is not one: ignored, as agent.js does.
    send_all(client.get(), "V2 25 8cf8e623 dc4fae17 GET c2RjOnV1aWQ=\n");
    send_all(client.get(), "V2 26 8cf8e622 dc4fae17 GET c2RjOnV1aWQ=\n");
    send_all(client.get(), "V2 garbage\n");
    send_all(client.get(), metadata::format_v2_request("00000001", "SUPPORTED", std::nullopt));
    EXPECT_EQ(read_line(client.get()),
        metadata::format_v2_response("00000001", "FAILURE", "Unknown command SUPPORTED"));
    EXPECT_EQ(get(client.get(), "foo"), metadata::format_v2_response("0000abcd", "SUCCESS", "x"));
}

TEST_F(MetadataServer, ALineLongerThanAnyRequestDisconnectsOnlyThatClient)
{
    start();
    UniqueFd attacker = connect();
    UniqueFd other = connect();
    std::thread flood([&] { send_all(attacker.get(), std::string(metadata::MAX_LINE + 1, 'A')); });
    EXPECT_TRUE(closed_by_server(attacker.get()));
    flood.join();
    EXPECT_EQ(get(other.get(), "foo"), metadata::format_v2_response("0000abcd", "SUCCESS", "x"));
}

TEST_F(MetadataServer, StalledAndManyConcurrentClientsDoNotBlockTheOthers)
{
    start();
    std::vector<UniqueFd> stalled;
    for (int i = 0; i < 50; ++i) {
        stalled.push_back(connect());
        send_all(stalled.back().get(), "V2 25 8cf8e622 dc4fae17 GET c2R"); // never finished
    }
    std::vector<std::thread> clients;
    std::atomic<int> answered { 0 };
    for (int i = 0; i < 100; ++i) {
        clients.emplace_back([&] {
            UniqueFd fd = connect();
            for (int n = 0; n < 10; ++n) {
                if (get(fd.get(), "foo")
                    == metadata::format_v2_response("0000abcd", "SUCCESS", "x")) {
                    ++answered;
                }
            }
        });
    }
    for (auto& client : clients) {
        client.join();
    }
    EXPECT_EQ(answered.load(), 1000);
}

TEST_F(MetadataServer, AClientThatDoesNotReadIsDisconnectedAtTheOutputBound)
{
    ServerLimits limits;
    limits.max_output = 64 * 1024;
    start(limits);
    m_vm["customer_metadata"]["big"] = std::string(60000, 'b');
    UniqueFd hog = connect();
    int small = 4096;
    ASSERT_EQ(::setsockopt(hog.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
    std::string requests;
    for (int i = 0; i < 200; ++i) {
        requests += metadata::format_v2_request("0000abcd", "GET", "big");
    }
    std::thread writer([&] { send_all(hog.get(), requests); });
    // Not reading: the server's replies pile up past the bound (reading would make room).
    std::this_thread::sleep_for(500ms);
    EXPECT_TRUE(closed_by_server(hog.get(), 10s));
    writer.join();
    UniqueFd other = connect();
    EXPECT_EQ(get(other.get(), "foo"), metadata::format_v2_response("0000abcd", "SUCCESS", "x"));
}

TEST_F(MetadataServer, ConnectionsBeyondTheLimitAreClosedAndIdleOnesExpire)
{
    ServerLimits limits;
    limits.max_connections = 4;
    limits.idle_timeout = 300ms;
    start(limits);
    std::vector<UniqueFd> held;
    for (int i = 0; i < 4; ++i) {
        held.push_back(connect());
        EXPECT_EQ(get(held.back().get(), "foo"),
            metadata::format_v2_response("0000abcd", "SUCCESS", "x"));
    }
    UniqueFd extra = connect();
    EXPECT_TRUE(closed_by_server(extra.get()));
    EXPECT_TRUE(closed_by_server(held[0].get())); // idle past the timeout
    UniqueFd again = connect();
    EXPECT_EQ(get(again.get(), "foo"), metadata::format_v2_response("0000abcd", "SUCCESS", "x"));
}

TEST_F(MetadataServer, AnUpdateInFlightHoldsOnlyItsOwnConnection)
{
    m_hold_updates = true;
    start(); // one update in flight at a time, the default
    UniqueFd writer = connect();
    UniqueFd queued = connect();
    UniqueFd reader = connect();
    send_all(writer.get(),
        metadata::format_v2_request("00000001", "PUT", metadata::format_put_argument("k", "v1")));
    send_all(writer.get(), metadata::format_v2_request("00000002", "GET", "k"));
    send_all(queued.get(),
        metadata::format_v2_request("00000003", "PUT", metadata::format_put_argument("j", "v2")));
    // The reader is answered while both writes wait (one in flight, one for its slot).
    EXPECT_EQ(get(reader.get(), "foo"), metadata::format_v2_response("0000abcd", "SUCCESS", "x"));
    EXPECT_EQ(read_line(writer.get(), 200ms), "");
    EXPECT_EQ(read_line(queued.get(), 200ms), "");
    m_hold_updates = false;
    {
        std::lock_guard lock(m_mutex);
        m_held.clear(); // ends the first update: the second starts and ends at once
    }
    EXPECT_EQ(read_line(writer.get()), metadata::format_v2_response("00000001", "SUCCESS", "OK"));
    EXPECT_EQ(read_line(writer.get()), metadata::format_v2_response("00000002", "SUCCESS", "v1"));
    EXPECT_EQ(read_line(queued.get()), metadata::format_v2_response("00000003", "SUCCESS", "OK"));
    EXPECT_EQ(m_payloads.size(), 2U);
}

TEST_F(MetadataServer, AValueOverOneMebibyteIsRefusedAndOneOfExactlyThatIsStored)
{
    start();
    UniqueFd client = connect();
    std::string const largest(metadata::MAX_VALUE, 'v');
    send_all(client.get(),
        metadata::format_v2_request(
            "00000001", "PUT", metadata::format_put_argument("big", largest + "v")));
    EXPECT_EQ(read_line(client.get()),
        metadata::format_v2_response("00000001", "FAILURE", "Invalid PUT Request"));
    send_all(client.get(),
        metadata::format_v2_request(
            "00000002", "PUT", metadata::format_put_argument("big", largest)));
    EXPECT_EQ(read_line(client.get()), metadata::format_v2_response("00000002", "SUCCESS", "OK"));
    std::lock_guard lock(m_mutex);
    EXPECT_EQ(m_vm["customer_metadata"]["big"].get<std::string>().size(), metadata::MAX_VALUE);
}

} // namespace
} // namespace lumos::metaserver
