// SPDX-License-Identifier: MPL-2.0
// mdata-get, mdata-put, mdata-list and mdata-delete run in-process against an in-test host:
// the reference's worked frames byte for byte (5.4), and each tool's output and exit status
// (5.8).
#include "cmd/mdata/tools.hpp"
#include "metadata/protocol.hpp"
#include "support/fake_metadata_host.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <string>
#include <vector>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

namespace lumos::mdata {
namespace {

using namespace std::chrono_literals;
using metadata::format_v1_response;
using metadata::format_v2_response;
using test::FakeMetadataHost;
using test::MemoryStream;
using Lines = std::vector<std::vector<std::string>>;
using Tool = int (*)(std::span<std::string const>, metadata::Client&, Streams const&);

// The request ids the client takes, in order (the reference's worked frames have fixed ones).
std::deque<std::string>& reqids()
{
    static std::deque<std::string> queue;
    return queue;
}

std::string next_reqid()
{
    if (reqids().empty()) {
        return metadata::make_reqid();
    }
    std::string reqid = reqids().front();
    reqids().pop_front();
    return reqid;
}

struct Ran {
    int status { -1 };
    std::string out;
    std::string err;
};

struct RunOptions {
    std::string in; // stdin's bytes
    std::chrono::milliseconds timeout { 30s };
    unsigned attempts { 3 };
};

Ran run(Tool tool, std::vector<std::string> const& args, std::string const& socket_path,
    RunOptions const& how = {})
{
    MemoryStream out;
    MemoryStream err;
    std::FILE* in = std::tmpfile();
    std::fwrite(how.in.data(), 1, how.in.size(), in);
    std::rewind(in);
    metadata::ClientOptions options;
    options.socket_paths = { socket_path };
    options.v1_timeout = how.timeout;
    options.v2_timeout = how.timeout;
    options.retry = metadata::RetryPolicy { .interval = 1ms, .attempts = how.attempts };
    options.diagnostics = err.file();
    options.reqid_source = next_reqid;
    Ran ran;
    {
        metadata::Client client(std::move(options));
        ran.status = tool(args, client, Streams { .in = in, .out = out.file(), .err = err.file() });
    }
    std::fclose(in);
    ran.out = out.text();
    ran.err = err.text();
    return ran;
}

// A host that answers the listed lines with the listed bytes (and V2_OK to NEGOTIATE V2).
FakeMetadataHost::Script replies(std::vector<std::pair<std::string, std::string>> table)
{
    return FakeMetadataHost::answering(
        [table = std::move(table)](std::string const& line) -> std::optional<std::string> {
            if (line == "NEGOTIATE V2") {
                return "V2_OK\n";
            }
            for (auto const& [request, reply] : table) {
                if (line == request) {
                    return reply;
                }
            }
            return std::nullopt;
        });
}

FakeMetadataHost::Script answering_v2(std::string code, std::string payload)
{
    return FakeMetadataHost::v2_host(
        [code = std::move(code), payload = std::move(payload)](std::string const&,
            std::optional<std::string> const&) { return std::make_pair(code, payload); });
}

FakeMetadataHost::Script v1_host(std::function<std::optional<std::string>(std::string const&)> get)
{
    return FakeMetadataHost::answering(
        [get = std::move(get)](std::string const& line) -> std::optional<std::string> {
            if (line == "NEGOTIATE V2") {
                return "invalid command\n";
            }
            return get(line);
        });
}

class MdataTools : public ::testing::Test {
protected:
    void SetUp() override { reqids().clear(); }
    void TearDown() override { reqids().clear(); }
};

TEST_F(MdataTools, GetSendsTheWorkedFrameAndPrintsTheValue)
{
    reqids() = { "dc4fae17" };
    FakeMetadataHost host({ replies({ { "V2 25 8cf8e622 dc4fae17 GET c2RjOnV1aWQ=",
        "V2 65 417a7542 dc4fae17 SUCCESS "
        "OWY4ZTdkNmMtMTExMS0yMjIyLTMzMzMtNDQ0NDU1NTU2NjY2\n" } }) });
    Ran const ran = run(mdata_get, { "sdc:uuid" }, host.socket_path());
    EXPECT_EQ(ran.status, EXIT_OK);
    EXPECT_EQ(ran.out, "9f8e7d6c-1111-2222-3333-444455556666\n");
    EXPECT_EQ(ran.err, "");
    EXPECT_EQ(
        host.lines(), (Lines { { "NEGOTIATE V2", "V2 25 8cf8e622 dc4fae17 GET c2RjOnV1aWQ=" } }));
}

TEST_F(MdataTools, ListSendsTheWorkedFrameAndPrintsTheKeys)
{
    reqids() = { "0000002a" };
    FakeMetadataHost host({ replies({ { "V2 13 698bf6e6 0000002a KEYS",
        "V2 29 d54ff848 0000002a SUCCESS Zm9vCmJhcg==\n" } }) });
    Ran const ran = run(mdata_list, {}, host.socket_path());
    EXPECT_EQ(ran.status, EXIT_OK);
    EXPECT_EQ(ran.out, "foo\nbar\n");
    EXPECT_EQ(ran.err, "");
    EXPECT_EQ(host.lines(), (Lines { { "NEGOTIATE V2", "V2 13 698bf6e6 0000002a KEYS" } }));
}

TEST_F(MdataTools, PutSendsTheWorkedFrameFromItsArgumentOrFromStdin)
{
    std::string const frame = "V2 49 4bedf838 1a2b3c4d PUT YlhsclpYaz0gYUdWc2JHOGdkMjl5YkdRPQ==";
    for (bool const from_stdin : { false, true }) {
        reqids() = { "1a2b3c4d" };
        FakeMetadataHost host({ replies({ { frame, "V2 21 25b21f01 1a2b3c4d SUCCESS T0s=\n" } }) });
        Ran const ran = from_stdin
            ? run(mdata_put, { "mykey" }, host.socket_path(), { .in = "hello world" })
            : run(mdata_put, { "mykey", "hello world" }, host.socket_path(), { .in = "ignored" });
        EXPECT_EQ(ran.status, EXIT_OK) << from_stdin;
        EXPECT_EQ(ran.out, "");
        EXPECT_EQ(ran.err, "");
        EXPECT_EQ(host.lines(), (Lines { { "NEGOTIATE V2", frame } }));
    }
}

TEST_F(MdataTools, DeleteSendsTheWorkedFrame)
{
    reqids() = { "5e6f7a8b" };
    std::string const frame = "V2 24 bd512dac 5e6f7a8b DELETE bXlrZXk=";
    FakeMetadataHost host(
        { replies({ { frame, format_v2_response("5e6f7a8b", "SUCCESS", "OK") } }) });
    Ran const ran = run(mdata_delete, { "mykey" }, host.socket_path());
    EXPECT_EQ(ran.status, EXIT_OK);
    EXPECT_EQ(ran.out, "");
    EXPECT_EQ(ran.err, "");
    EXPECT_EQ(host.lines(), (Lines { { "NEGOTIATE V2", frame } }));
}

TEST_F(MdataTools, PutOfAnSdcKeyPrintsTheHostsFailure)
{
    reqids() = { "1a2b3c4d" };
    FakeMetadataHost host(
        { FakeMetadataHost::answering([](std::string const& line) -> std::optional<std::string> {
            if (line == "NEGOTIATE V2") {
                return "V2_OK\n";
            }
            return "V2 65 d55fb085 1a2b3c4d FAILURE "
                   "Q2Fubm90IHVwZGF0ZSB0aGUgInNkYyIgTmFtZXNwYWNlLg==\n";
        }) });
    Ran const ran = run(mdata_put, { "sdc:uuid", "x" }, host.socket_path());
    EXPECT_EQ(ran.status, EXIT_ERROR);
    EXPECT_EQ(ran.out, "");
    EXPECT_EQ(ran.err,
        "Error putting metadata for key 'sdc:uuid': Cannot update the \"sdc\" Namespace.\n");
}

TEST_F(MdataTools, GetAddsANewlineOnlyWhenTheValueLacksOne)
{
    for (auto const& [value, printed] :
        std::vector<std::pair<std::string, std::string>> { { "one line", "one line\n" },
            { "ends\n", "ends\n" }, { "", "\n" }, { "a\nb", "a\nb\n" },
            { std::string("nul\0byte", 8), std::string("nul\0byte\n", 9) } }) {
        FakeMetadataHost host({ answering_v2("SUCCESS", value) });
        Ran const ran = run(mdata_get, { "key" }, host.socket_path());
        EXPECT_EQ(ran.status, EXIT_OK);
        EXPECT_EQ(ran.out, printed);
        EXPECT_EQ(ran.err, "");
    }
}

TEST_F(MdataTools, NotFound)
{
    FakeMetadataHost host({ answering_v2("NOTFOUND", "") });
    Ran ran = run(mdata_get, { "nope" }, host.socket_path());
    EXPECT_EQ(ran.status, EXIT_NOT_FOUND);
    EXPECT_EQ(ran.out, "");
    EXPECT_EQ(ran.err, "No metadata for 'nope'\n");
    ran = run(mdata_list, {}, host.socket_path());
    EXPECT_EQ(ran.status, EXIT_NOT_FOUND);
    EXPECT_EQ(ran.out, "");
    EXPECT_EQ(ran.err, "No metadata\n");
}

TEST_F(MdataTools, FailuresPrintTheHostsMessage)
{
    FakeMetadataHost host({ answering_v2("FAILURE", "Cannot update the \"foo\" Namespace.") });
    Ran ran = run(mdata_delete, { "foo:bar" }, host.socket_path());
    EXPECT_EQ(ran.status, EXIT_ERROR);
    EXPECT_EQ(
        ran.err, "Error deleting metadata key 'foo:bar': Cannot update the \"foo\" Namespace.\n");
    ran = run(mdata_get, { "foo:bar" }, host.socket_path());
    EXPECT_EQ(ran.status, EXIT_ERROR);
    EXPECT_EQ(ran.err,
        "Error getting metadata for key 'foo:bar': Cannot update the \"foo\" Namespace.\n");
    ran = run(mdata_list, {}, host.socket_path());
    EXPECT_EQ(ran.status, EXIT_ERROR);
    EXPECT_EQ(ran.err, "Error getting metadata: Cannot update the \"foo\" Namespace.\n");
    EXPECT_EQ(ran.out, "");
}

TEST_F(MdataTools, AFailureWithoutAMessage)
{
    // agent.js: a key whose value is an object (sdc:disks) is FAILURE with no payload.
    FakeMetadataHost host({ answering_v2("FAILURE", "") });
    Ran const ran = run(mdata_get, { "sdc:disks" }, host.socket_path());
    EXPECT_EQ(ran.status, EXIT_ERROR);
    EXPECT_EQ(ran.out, "");
    EXPECT_EQ(ran.err, "Error getting metadata for key 'sdc:disks': \n");
}

TEST_F(MdataTools, ListPrintsNothingForNoKeys)
{
    FakeMetadataHost host({ answering_v2("SUCCESS", "") });
    Ran const ran = run(mdata_list, {}, host.socket_path());
    EXPECT_EQ(ran.status, EXIT_OK);
    EXPECT_EQ(ran.out, "");
    EXPECT_EQ(ran.err, "");
}

TEST_F(MdataTools, UsageErrorsNeverConnect)
{
    FakeMetadataHost host({ answering_v2("SUCCESS", "") });
    for (auto const& [tool, usage] :
        std::vector<std::pair<Tool, std::string>> { { mdata_get, "Usage: mdata-get <keyname>\n" },
            { mdata_put, "Usage: mdata-put <keyname> [ <value> ]\n" },
            { mdata_delete, "Usage: mdata-delete <keyname>\n" } }) {
        Ran const ran = run(tool, {}, host.socket_path());
        EXPECT_EQ(ran.status, EXIT_USAGE);
        EXPECT_EQ(ran.out, "");
        EXPECT_EQ(ran.err, usage);
    }
    EXPECT_EQ(host.connections(), 0U);
}

TEST_F(MdataTools, AV1HostServesGetWithDotStuffingAndRefusesPutAndDelete)
{
    FakeMetadataHost host({ v1_host([](std::string const& line) -> std::optional<std::string> {
        if (line == "GET motd") {
            return "SUCCESS\n..dotted\nplain\n..\n.\n";
        }
        if (line == "GET gone") {
            return "NOTFOUND\n";
        }
        if (line == "GET broken") {
            return "FAILURE\n";
        }
        if (line == "KEYS") {
            return format_v1_response("SUCCESS", "motd\n.dotkey");
        }
        return "invalid command\n";
    }) });
    Ran ran = run(mdata_get, { "motd" }, host.socket_path());
    EXPECT_EQ(ran.status, EXIT_OK);
    EXPECT_EQ(ran.out, ".dotted\nplain\n.\n");
    EXPECT_EQ(ran.err, "");
    ran = run(mdata_list, {}, host.socket_path());
    EXPECT_EQ(ran.status, EXIT_OK);
    EXPECT_EQ(ran.out, "motd\n.dotkey\n");
    ran = run(mdata_get, { "gone" }, host.socket_path());
    EXPECT_EQ(ran.status, EXIT_NOT_FOUND);
    EXPECT_EQ(ran.err, "No metadata for 'gone'\n");
    // mdata-client prints a V1 line it does not know as the error's message.
    ran = run(mdata_get, { "broken" }, host.socket_path());
    EXPECT_EQ(ran.status, EXIT_ERROR);
    EXPECT_EQ(ran.err, "Error getting metadata for key 'broken': FAILURE\n");
    ran = run(mdata_get, { "other" }, host.socket_path());
    EXPECT_EQ(ran.status, EXIT_ERROR);
    EXPECT_EQ(ran.err, "ERROR: host does not support GET\n");
    std::size_t const before = host.connections();
    ran = run(mdata_put, { "key", "value" }, host.socket_path());
    EXPECT_EQ(ran.status, EXIT_ERROR);
    EXPECT_EQ(ran.out, "");
    EXPECT_EQ(ran.err, "ERROR: host does not support PUT\n");
    ran = run(mdata_delete, { "key" }, host.socket_path());
    EXPECT_EQ(ran.status, EXIT_ERROR);
    EXPECT_EQ(ran.out, "");
    EXPECT_EQ(ran.err, "ERROR: host does not support DELETE\n");
    // Neither sent anything after the negotiation.
    Lines const lines = host.lines();
    ASSERT_EQ(lines.size(), before + 2);
    EXPECT_EQ(lines[before], (std::vector<std::string> { "NEGOTIATE V2" }));
    EXPECT_EQ(lines[before + 1], (std::vector<std::string> { "NEGOTIATE V2" }));
}

TEST_F(MdataTools, AV1HostThatDoesNotKnowKeys)
{
    FakeMetadataHost host({ v1_host([](std::string const&) { return "invalid command\n"; }) });
    Ran const ran = run(mdata_list, {}, host.socket_path());
    EXPECT_EQ(ran.status, EXIT_ERROR);
    EXPECT_EQ(ran.err, "ERROR: host does not support KEYS\n");
}

TEST_F(MdataTools, PutRefusesATerminalOnStdin)
{
    FakeMetadataHost host({ answering_v2("SUCCESS", "OK") });
    int const master = ::posix_openpt(O_RDWR | O_NOCTTY);
    ASSERT_GE(master, 0);
    ASSERT_EQ(::grantpt(master), 0);
    ASSERT_EQ(::unlockpt(master), 0);
    std::FILE* terminal = std::fopen(::ptsname(master), "r");
    ASSERT_NE(terminal, nullptr);
    MemoryStream out;
    MemoryStream err;
    metadata::ClientOptions options;
    options.socket_paths = { host.socket_path() };
    options.diagnostics = err.file();
    metadata::Client client(std::move(options));
    std::vector<std::string> const args = { "key" };
    int const status
        = mdata_put(args, client, Streams { .in = terminal, .out = out.file(), .err = err.file() });
    std::fclose(terminal);
    ::close(master);
    EXPECT_EQ(status, EXIT_ERROR);
    EXPECT_EQ(out.text(), "");
    EXPECT_EQ(err.text(),
        "ERROR: either specify the metadata value as the second command-line argument, or pipe "
        "content to stdin.\n");
    EXPECT_EQ(host.lines(), (Lines { { "NEGOTIATE V2" } }));
}

TEST_F(MdataTools, PutSendsStdinByteForByte)
{
    std::string const value = std::string("line one\n.line two\n\0binary\xff\n", 27);
    std::optional<std::string> received;
    FakeMetadataHost host({ FakeMetadataHost::v2_host(
        [&](std::string const& command, std::optional<std::string> const& argument) {
            if (command == "PUT" && argument) {
                if (auto put = metadata::parse_put_argument(*argument)) {
                    received = put->first + "=" + put->second;
                }
            }
            return std::make_pair(std::string("SUCCESS"), std::string("OK"));
        }) });
    Ran const ran = run(mdata_put, { "key" }, host.socket_path(), { .in = value });
    EXPECT_EQ(ran.status, EXIT_OK);
    EXPECT_EQ(ran.err, "");
    EXPECT_EQ(received, "key=" + value);
}

TEST_F(MdataTools, PutOfAnEmptyValueIsTheHostsInvalidRequest)
{
    // The argument is "<base64(key)> " with nothing after the space (reference 5.4).
    FakeMetadataHost host({ FakeMetadataHost::v2_host(
        [](std::string const&, std::optional<std::string> const& argument) {
            if (argument && metadata::parse_put_argument(*argument)) {
                return std::make_pair(std::string("SUCCESS"), std::string("OK"));
            }
            return std::make_pair(std::string("FAILURE"), std::string("Invalid PUT Request"));
        }) });
    for (std::vector<std::string> const& args :
        { std::vector<std::string> { "key", "" }, std::vector<std::string> { "key" } }) {
        Ran const ran = run(mdata_put, args, host.socket_path(), { .in = "" });
        EXPECT_EQ(ran.status, EXIT_ERROR);
        EXPECT_EQ(ran.err, "Error putting metadata for key 'key': Invalid PUT Request\n");
    }
    Lines const lines = host.lines();
    ASSERT_EQ(lines.size(), 2U);
    for (auto const& connection : lines) {
        ASSERT_EQ(connection.size(), 2U);
        EXPECT_TRUE(connection[1].ends_with(" PUT YTJWNSA=")) << connection[1];
    }
}

TEST_F(MdataTools, PutRefusesAValueLongerThanTheHostStores)
{
    FakeMetadataHost host({ answering_v2("SUCCESS", "OK") });
    Ran const ran = run(mdata_put, { "key" }, host.socket_path(),
        { .in = std::string(metadata::MAX_VALUE + 1, 'v') });
    EXPECT_EQ(ran.status, EXIT_ERROR);
    EXPECT_EQ(ran.err, "ERROR: the value is longer than 1048576 bytes\n");
    EXPECT_EQ(host.lines(), (Lines { { "NEGOTIATE V2" } }));
}

TEST_F(MdataTools, NoSocketIsAProtocolInitialisationError)
{
    Ran const ran = run(mdata_get, { "key" }, "/nonexistent/lumos/metadata.sock");
    EXPECT_EQ(ran.status, EXIT_ERROR);
    EXPECT_EQ(ran.out, "");
    EXPECT_EQ(ran.err, "ERROR: could not initialise protocol: Could not find metadata socket.\n");
}

TEST_F(MdataTools, ATimeoutIsRetriedOnANewConnection)
{
    FakeMetadataHost host(
        { FakeMetadataHost::answering([](std::string const& line) -> std::optional<std::string> {
             return line == "NEGOTIATE V2" ? std::optional<std::string>("V2_OK\n") : std::nullopt;
         }),
            answering_v2("SUCCESS", "second time") });
    Ran const ran = run(mdata_get, { "key" }, host.socket_path(), { .in = "", .timeout = 200ms });
    EXPECT_EQ(ran.status, EXIT_OK);
    EXPECT_EQ(ran.out, "second time\n");
    EXPECT_EQ(ran.err, "receive timeout, resetting protocol...\n");
}

TEST_F(MdataTools, GivingUpIsAnError)
{
    FakeMetadataHost host(
        { FakeMetadataHost::answering([](std::string const& line) -> std::optional<std::string> {
            return line == "NEGOTIATE V2" ? std::optional<std::string>("V2_OK\n") : std::nullopt;
        }) });
    Ran const ran = run(
        mdata_get, { "key" }, host.socket_path(), { .in = "", .timeout = 50ms, .attempts = 1 });
    EXPECT_EQ(ran.status, EXIT_ERROR);
    EXPECT_EQ(ran.out, "");
    EXPECT_EQ(ran.err, "ERROR: could not execute GET\n");
}

} // namespace
} // namespace lumos::mdata
