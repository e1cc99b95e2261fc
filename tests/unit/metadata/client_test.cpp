// SPDX-License-Identifier: MPL-2.0
// The guest client against an in-test host on a UNIX socket (reference 5.1-5.4): negotiation,
// V1 dot-stuffing, dropped V2 frames, timeouts and resets, the socket lookup and its retries,
// and the bounds on what a host can make it read.
#include "metadata/client.hpp"
#include "metadata/protocol.hpp"
#include "support/fake_metadata_host.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace lumos::metadata {
namespace {

using namespace std::chrono_literals;
using test::FakeMetadataHost;
using test::MemoryStream;
using Lines = std::vector<std::vector<std::string>>;

ClientOptions options_for(std::vector<std::string> paths, MemoryStream& diagnostics)
{
    ClientOptions options;
    options.socket_paths = std::move(paths);
    // Long enough never to expire in a test that does not wait for one.
    options.v1_timeout = 30s;
    options.v2_timeout = 30s;
    options.retry = RetryPolicy { .interval = 1ms, .attempts = 3 };
    options.diagnostics = diagnostics.file();
    return options;
}

Reply reply_of(std::variant<Reply, GaveUp> const& outcome)
{
    if (auto const* gave_up = std::get_if<GaveUp>(&outcome)) {
        ADD_FAILURE() << "gave up: " << gave_up->message;
        return {};
    }
    return std::get<Reply>(outcome);
}

// A host that never answers a request after V2_OK (it reads until the client goes).
FakeMetadataHost::Script silent_v2_host()
{
    return FakeMetadataHost::answering([](std::string const& line) -> std::optional<std::string> {
        if (line == "NEGOTIATE V2") {
            return "V2_OK\n";
        }
        return std::nullopt;
    });
}

FakeMetadataHost::Script v1_host(std::function<std::optional<std::string>(std::string const&)> get)
{
    return FakeMetadataHost::answering(
        [get = std::move(get)](std::string const& line) -> std::optional<std::string> {
            if (line == "NEGOTIATE V2") {
                return "invalid command\n"; // a host from before V2
            }
            return get(line);
        });
}

std::string reqid_of(std::string const& frame)
{
    // "V2 <len> <crc> <reqid> ..."
    std::size_t const start = frame.find(' ', frame.find(' ', 3) + 1) + 1;
    return frame.substr(start, 8);
}

TEST(MetadataClient, NegotiatesV2AndSendsFramedRequests)
{
    FakeMetadataHost host({ FakeMetadataHost::v2_host(
        [](std::string const& command, std::optional<std::string> const& argument) {
            return std::make_pair(std::string("SUCCESS"), command + ":" + argument.value_or("-"));
        }) });
    MemoryStream diagnostics;
    Client client(options_for({ host.socket_path() }, diagnostics));
    ASSERT_FALSE(client.open());
    EXPECT_EQ(client.version(), Version::V2);
    Reply const reply = reply_of(client.execute("GET", "sdc:uuid"));
    EXPECT_EQ(reply.code, Code::Success);
    EXPECT_EQ(reply.data, "GET:sdc:uuid");
    Lines const lines = host.lines();
    ASSERT_EQ(lines.size(), 1U);
    ASSERT_EQ(lines[0].size(), 2U);
    EXPECT_EQ(lines[0][0], "NEGOTIATE V2");
    std::string const reqid = reqid_of(lines[0][1]);
    EXPECT_EQ(lines[0][1] + "\n", format_v2_request(reqid, "GET", "sdc:uuid"));
    EXPECT_EQ(diagnostics.text(), "");
}

TEST(MetadataClient, StaysOnV1WhenTheHostDoesNotSayV2Ok)
{
    for (std::string const answer : { "invalid command\n", "FAILURE\n", "NOTFOUND\n" }) {
        FakeMetadataHost host({ FakeMetadataHost::answering(
            [&](std::string const& line) -> std::optional<std::string> {
                if (line == "NEGOTIATE V2") {
                    return answer;
                }
                return format_v1_response("SUCCESS", "v1 value");
            }) });
        MemoryStream diagnostics;
        Client client(options_for({ host.socket_path() }, diagnostics));
        ASSERT_FALSE(client.open()) << answer;
        EXPECT_EQ(client.version(), Version::V1) << answer;
        Reply const reply = reply_of(client.execute("GET", "key"));
        EXPECT_EQ(reply.data, "v1 value");
        EXPECT_EQ(host.lines(), (Lines { { "NEGOTIATE V2", "GET key" } }));
    }
}

TEST(MetadataClient, UndoesV1DotStuffing)
{
    // The reference's V1 framing, written out: a leading '.' doubled, a lone "." ends it.
    FakeMetadataHost host({ v1_host([](std::string const& line) -> std::optional<std::string> {
        if (line == "GET motd") {
            return "SUCCESS\n..hidden\nsecond line\n..\n\nlast\n.\n";
        }
        return "NOTFOUND\n";
    }) });
    MemoryStream diagnostics;
    Client client(options_for({ host.socket_path() }, diagnostics));
    ASSERT_FALSE(client.open());
    Reply const reply = reply_of(client.execute("GET", "motd"));
    EXPECT_EQ(reply.code, Code::Success);
    EXPECT_EQ(reply.data, ".hidden\nsecond line\n.\n\nlast");
    EXPECT_EQ(reply_of(client.execute("GET", "other")).code, Code::NotFound);
}

TEST(MetadataClient, ReadsBackEveryValueTheV1HostFrames)
{
    std::vector<std::string> const values
        = { "", "\n", ".", "..", "\n\nx", ".a\n.b\n", "a\n.\nb", "trailing\n", "x\n\n" };
    FakeMetadataHost host({ v1_host([&](std::string const& line) -> std::optional<std::string> {
        std::size_t const index = std::stoul(line.substr(4));
        return format_v1_response("SUCCESS", values.at(index));
    }) });
    MemoryStream diagnostics;
    Client client(options_for({ host.socket_path() }, diagnostics));
    ASSERT_FALSE(client.open());
    for (std::size_t i = 0; i < values.size(); ++i) {
        EXPECT_EQ(reply_of(client.execute("GET", std::to_string(i))).data, values[i]) << i;
    }
}

TEST(MetadataClient, DropsRepliesToOtherRequestsAndBadFrames)
{
    FakeMetadataHost host(
        { FakeMetadataHost::answering([](std::string const& line) -> std::optional<std::string> {
            if (line == "NEGOTIATE V2") {
                return "V2_OK\n";
            }
            std::string const reqid = reqid_of(line);
            std::string const right = format_v2_response(reqid, "SUCCESS", "right");
            std::string bad_crc = right;
            bad_crc[6] = bad_crc[6] == '0' ? '1' : '0'; // "V2 NN <crc>": the CRC's first digit
            std::string bad_length = right;
            bad_length[3] = '9';
            return format_v2_response(reqid == "00000001" ? "00000002" : "00000001", "SUCCESS",
                       "another request's")
                + bad_crc + bad_length + "not a frame\n" + "V2 0 00000000 " + reqid + " SUCCESS\n"
                + right;
        }) });
    MemoryStream diagnostics;
    Client client(options_for({ host.socket_path() }, diagnostics));
    ASSERT_FALSE(client.open());
    Reply const reply = reply_of(client.execute("GET", "key"));
    EXPECT_EQ(reply.code, Code::Success);
    EXPECT_EQ(reply.data, "right");
    EXPECT_EQ(diagnostics.text(), "");
    EXPECT_EQ(host.connections(), 1U);
}

TEST(MetadataClient, ResetsAndSendsAgainAfterATimeout)
{
    // The first connection answers the request with another request's reply only.
    FakeMetadataHost host(
        { FakeMetadataHost::answering([](std::string const& line) -> std::optional<std::string> {
             if (line == "NEGOTIATE V2") {
                 return "V2_OK\n";
             }
             return format_v2_response("0badbeef", "SUCCESS", "stale");
         }),
            FakeMetadataHost::v2_host([](std::string const&, std::optional<std::string> const&) {
                return std::make_pair(std::string("SUCCESS"), std::string("fresh"));
            }) });
    MemoryStream diagnostics;
    ClientOptions options = options_for({ host.socket_path() }, diagnostics);
    options.v2_timeout = 200ms;
    Client client(std::move(options));
    ASSERT_FALSE(client.open());
    Reply const reply = reply_of(client.execute("GET", "key"));
    EXPECT_EQ(reply.data, "fresh");
    EXPECT_EQ(diagnostics.text(), "receive timeout, resetting protocol...\n");
    Lines const lines = host.lines();
    ASSERT_EQ(lines.size(), 2U);
    for (auto const& connection : lines) {
        ASSERT_EQ(connection.size(), 2U);
        EXPECT_EQ(connection[0], "NEGOTIATE V2");
        EXPECT_EQ(connection[1] + "\n", format_v2_request(reqid_of(connection[1]), "GET", "key"));
    }
    EXPECT_EQ(client.connection_attempts(), 2U);
}

TEST(MetadataClient, ReconnectsWhenTheHostClosesTheConnection)
{
    FakeMetadataHost host({ [](FakeMetadataHost::Peer& peer) {
                               if (peer.read_line() == "NEGOTIATE V2") {
                                   peer.write("V2_OK\n");
                               }
                               (void)peer.read_line(); // the request: closed unanswered
                           },
        FakeMetadataHost::v2_host([](std::string const&, std::optional<std::string> const&) {
            return std::make_pair(std::string("NOTFOUND"), std::string());
        }) });
    MemoryStream diagnostics;
    Client client(options_for({ host.socket_path() }, diagnostics));
    ASSERT_FALSE(client.open());
    EXPECT_EQ(reply_of(client.execute("GET", "key")).code, Code::NotFound);
    EXPECT_EQ(diagnostics.text(), "receive timeout, resetting protocol...\n");
    EXPECT_EQ(host.connections(), 2U);
}

TEST(MetadataClient, GivesUpWhenThePolicysSendsRunOut)
{
    FakeMetadataHost host({ silent_v2_host() });
    MemoryStream diagnostics;
    ClientOptions options = options_for({ host.socket_path() }, diagnostics);
    options.v2_timeout = 50ms;
    options.retry.attempts = 2;
    Client client(std::move(options));
    ASSERT_FALSE(client.open());
    auto const outcome = client.execute("GET", "key");
    ASSERT_TRUE(std::holds_alternative<GaveUp>(outcome));
    EXPECT_EQ(std::get<GaveUp>(outcome).message, "receive timeout");
    EXPECT_EQ(client.last_failure(), Failure::Timeout);
    EXPECT_EQ(diagnostics.text(), "receive timeout, resetting protocol...\n");
    EXPECT_EQ(host.connections(), 2U);
}

// The host writes without end; the client must stop at MAX_LINE (the timeout is an hour: a
// client that read on would never return, and its buffer would grow without bound).
TEST(MetadataClient, AnEndlessLineIsCutAtMaxLine)
{
    FakeMetadataHost host({ [](FakeMetadataHost::Peer& peer) {
        if (peer.read_line() == "NEGOTIATE V2") {
            peer.write("V2_OK\n");
        }
        (void)peer.read_line();
        std::string const chunk(65536, 'A');
        while (peer.write(chunk)) {
        }
    } });
    MemoryStream diagnostics;
    ClientOptions options = options_for({ host.socket_path() }, diagnostics);
    options.v2_timeout = 1h;
    options.retry.attempts = 1;
    Client client(std::move(options));
    ASSERT_FALSE(client.open());
    auto const outcome = client.execute("GET", "key");
    ASSERT_TRUE(std::holds_alternative<GaveUp>(outcome));
    EXPECT_EQ(client.last_failure(), Failure::LineTooLong);
    EXPECT_EQ(std::get<GaveUp>(outcome).message,
        "a reply line longer than " + std::to_string(MAX_LINE) + " bytes");
}

TEST(MetadataClient, AnEndlessV1ValueIsCutAtMaxLine)
{
    FakeMetadataHost host({ [](FakeMetadataHost::Peer& peer) {
        if (peer.read_line() == "NEGOTIATE V2") {
            peer.write("invalid command\n");
        }
        (void)peer.read_line();
        peer.write("SUCCESS\n");
        std::string chunk;
        for (int i = 0; i < 1024; ++i) {
            chunk += std::string(63, 'x') + "\n";
        }
        while (peer.write(chunk)) {
        }
    } });
    MemoryStream diagnostics;
    ClientOptions options = options_for({ host.socket_path() }, diagnostics);
    options.v1_timeout = 1h;
    options.retry.attempts = 1;
    Client client(std::move(options));
    ASSERT_FALSE(client.open());
    ASSERT_TRUE(std::holds_alternative<GaveUp>(client.execute("GET", "key")));
    EXPECT_EQ(client.last_failure(), Failure::ReplyTooLong);
}

TEST(MetadataClient, ARequestLongerThanALineIsNotSent)
{
    FakeMetadataHost host({ silent_v2_host() });
    MemoryStream diagnostics;
    Client client(options_for({ host.socket_path() }, diagnostics));
    ASSERT_FALSE(client.open());
    auto const outcome = client.execute("GET", std::string(MAX_LINE, 'k'));
    ASSERT_TRUE(std::holds_alternative<GaveUp>(outcome));
    EXPECT_EQ(std::get<GaveUp>(outcome).message,
        "request longer than " + std::to_string(MAX_LINE) + " bytes");
    EXPECT_EQ(host.lines(), (Lines { { "NEGOTIATE V2" } }));
}

TEST(MetadataClient, TakesTheFirstSocketThatExistsInOrder)
{
    FakeMetadataHost first({ silent_v2_host() });
    FakeMetadataHost second({ silent_v2_host() });
    std::string const not_a_socket = first.dir() + "/plain-file";
    std::ofstream(not_a_socket) << "x";
    MemoryStream diagnostics;
    Client client(options_for(
        { first.dir() + "/missing.sock", not_a_socket, first.socket_path(), second.socket_path() },
        diagnostics));
    ASSERT_FALSE(client.open());
    EXPECT_EQ(client.connection_attempts(), 1U);
    EXPECT_EQ(first.connections(), 1U);
    EXPECT_EQ(second.connections(), 0U);
    std::filesystem::remove(not_a_socket);
}

TEST(MetadataClient, AMissingSocketIsRetriedThenReported)
{
    MemoryStream diagnostics;
    Client client(options_for({ "/nonexistent/lumos/metadata.sock" }, diagnostics));
    auto const gave_up = client.open();
    ASSERT_TRUE(gave_up);
    EXPECT_EQ(gave_up->message, "Could not find metadata socket.");
    EXPECT_EQ(client.connection_attempts(), 3U);
}

TEST(MetadataClient, WaitsForASocketThatAppearsLater)
{
    char dir_template[] = "/tmp/lumos-mdata-later-XXXXXX";
    ASSERT_NE(::mkdtemp(&dir_template[0]), nullptr);
    std::string const dir = &dir_template[0];
    std::unique_ptr<FakeMetadataHost> host;
    std::thread late([&] {
        std::this_thread::sleep_for(50ms);
        host = std::make_unique<FakeMetadataHost>(
            std::vector<FakeMetadataHost::Script> { silent_v2_host() }, dir);
    });
    MemoryStream diagnostics;
    ClientOptions options = options_for({ dir + "/metadata.sock" }, diagnostics);
    options.retry = RetryPolicy { .interval = 5ms, .attempts = 0 }; // forever, as in a guest
    Client client(std::move(options));
    EXPECT_FALSE(client.open());
    late.join();
    EXPECT_EQ(client.version(), Version::V2);
    host.reset();
    std::filesystem::remove_all(dir);
}

// plat/sunos.c: a non-root guest that may not look at the socket's path will not be let in by
// waiting, so the client stops at once even with retries left.
TEST(MetadataClient, APathItMayNotSeeIsAPermanentFailure)
{
    char dir_template[] = "/tmp/lumos-mdata-denied-XXXXXX";
    ASSERT_NE(::mkdtemp(&dir_template[0]), nullptr);
    std::string const dir = &dir_template[0];
    std::string const locked = dir + "/locked";
    ASSERT_EQ(::mkdir(locked.c_str(), 0), 0);
    pid_t const child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        if (::geteuid() == 0
            && (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0)) {
            ::_exit(101);
        }
        MemoryStream diagnostics;
        ClientOptions options = options_for({ locked + "/metadata.sock" }, diagnostics);
        options.retry.attempts = 5;
        Client client(std::move(options));
        auto const gave_up = client.open();
        bool const said = gave_up && gave_up->message == "Could not find metadata socket.";
        ::_exit(said ? static_cast<int>(client.connection_attempts()) : 100);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ::rmdir(locked.c_str());
    ::rmdir(dir.c_str());
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 1) << "connection attempts (100: did not give up as said)";
}

TEST(MetadataClient, RequestIdsAreEightLowerCaseHexDigits)
{
    std::string const first = make_reqid();
    std::string const second = make_reqid();
    for (std::string const& reqid : { first, second }) {
        ASSERT_EQ(reqid.size(), 8U);
        EXPECT_EQ(reqid.find_first_not_of("0123456789abcdef"), std::string::npos) << reqid;
    }
    EXPECT_NE(first, second);
}

} // namespace
} // namespace lumos::metadata
