// SPDX-License-Identifier: MPL-2.0
// The monitor's contract (runtime/monitor_protocol.hpp): both lumos-zoned and its clients use
// these functions, so what one writes the other reads.
#include "runtime/monitor_protocol.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>

namespace lumos::runtime::monitor_protocol {
namespace {

Status sample_status()
{
    Status status;
    status.pid = 4242;
    status.pid_start = 123456789;
    status.boot_timestamp = "2026-12-07T02:44:34.123Z";
    status.monitor_pid = 4200;
    status.provisioning = Provisioning::Waiting;
    return status;
}

void expect_same(Status const& a, Status const& b)
{
    EXPECT_EQ(a.pid, b.pid);
    EXPECT_EQ(a.pid_start, b.pid_start);
    EXPECT_EQ(a.boot_timestamp, b.boot_timestamp);
    EXPECT_EQ(a.monitor_pid, b.monitor_pid);
    EXPECT_EQ(a.provisioning, b.provisioning);
}

TEST(MonitorProtocol, StatusRoundTrips)
{
    auto const status = sample_status();
    std::string const text = format_status(status);
    EXPECT_EQ(text,
        "{\"zone_state\":\"running\",\"pid\":4242,\"pid_start\":123456789,\"boot_timestamp\":"
        "\"2026-12-07T02:44:34.123Z\",\"monitor_pid\":4200,\"provisioning\":\"waiting\"}\n");
    auto const parsed = parse_status(text);
    ASSERT_TRUE(parsed.has_value());
    expect_same(*parsed, status);
}

TEST(MonitorProtocol, StatusRoundTripsEveryProvisioningState)
{
    for (auto const state : { Provisioning::None, Provisioning::Waiting, Provisioning::Success,
             Provisioning::Failed }) {
        auto status = sample_status();
        status.provisioning = state;
        auto const parsed = parse_status(format_status(status));
        ASSERT_TRUE(parsed.has_value()) << to_string(state);
        EXPECT_EQ(parsed->provisioning, state);
        EXPECT_EQ(parse_provisioning(to_string(state)), state);
    }
    EXPECT_FALSE(parse_provisioning("Waiting").has_value());
    EXPECT_FALSE(parse_provisioning("").has_value());
}

TEST(MonitorProtocol, StatusKeepsAStringThatHoldsKeysAndQuotes)
{
    // The old reader searched for "\"pid\":" anywhere: a value holding it was read as the pid.
    auto status = sample_status();
    status.boot_timestamp = "x\",\"pid\":1,\"provisioning\":\"success\"\\ \n\t\x01";
    std::string const text = format_status(status);
    auto const parsed = parse_status(text);
    ASSERT_TRUE(parsed.has_value()) << text;
    expect_same(*parsed, status);
}

TEST(MonitorProtocol, StatusReadsAKeyOnlyAsAKey)
{
    auto const parsed = parse_status("{\"boot_timestamp\":\"\\\"pid\\\":7\",\"pid\":42,"
                                     "\"pid_start\":9,\"provisioning\":\"none\"}");
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->pid, 42);
    EXPECT_EQ(parsed->boot_timestamp, "\"pid\":7");
}

TEST(MonitorProtocol, StatusAcceptsWhitespaceAndOrderAndMissingOptionalKeys)
{
    auto const parsed
        = parse_status(" {\n \"pid_start\" : 18446744073709551615 ,\t\"pid\": 1 }\n\n");
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->pid, 1);
    EXPECT_EQ(parsed->pid_start, 18446744073709551615ULL);
    EXPECT_EQ(parsed->boot_timestamp, "");
    EXPECT_EQ(parsed->monitor_pid, 0);
    EXPECT_EQ(parsed->provisioning, Provisioning::None);
}

TEST(MonitorProtocol, HostileStatusFilesAreNotStatus)
{
    std::string const full = format_status(sample_status());
    // Every truncation of a valid file (a monitor killed mid-write of a non-atomic copy).
    for (size_t size = 0; size + 2 < full.size(); ++size) {
        EXPECT_FALSE(parse_status(full.substr(0, size)).has_value()) << full.substr(0, size);
    }
    for (char const* text : {
             "", // empty
             "null",
             "[]",
             "{\"pid\":1,\"pid_start\":2,\"pid\":3}", // duplicate key
             "{\"pid\":1,\"pid_start\":2}{}", // trailing data
             "{\"pid\":1,\"pid_start\":2,}", // trailing comma
             "{\"pid\":99999999999999999999999,\"pid_start\":2}", // beyond uint64
             "{\"pid\":-99999999999999999999,\"pid_start\":2}", // beyond int64
             "{\"pid\":4294967297,\"pid_start\":2}", // not a pid
             "{\"pid\":-1,\"pid_start\":2}",
             "{\"pid\":0,\"pid_start\":2}",
             "{\"pid\":1.5,\"pid_start\":2}",
             "{\"pid\":1e3,\"pid_start\":2}",
             "{\"pid\":01,\"pid_start\":2}",
             "{\"pid\":\"1\",\"pid_start\":2}",
             "{\"pid\":1}", // no start time
             "{\"pid\":1,\"pid_start\":2,\"nested\":{}}",
             "{\"pid\":1,\"pid_start\":2,\"provisioning\":\"maybe\"}",
             "{\"pid\":1,\"pid_start\":2,\"provisioning\":3}",
             "{\"pid\":1,\"pid_start\":2,\"boot_timestamp\":\"\\x\"}", // bad escape
             "{\"pid\":1,\"pid_start\":2,\"boot_timestamp\":\"\\ud800\"}", // lone surrogate
             "{\"pid\":1,\"pid_start\":2,\"boot_timestamp\":\"a\nb\"}", // raw control char
             "{\"pid\":1,\"pid_start\":2,\"monitor_pid\":\"x\"}",
         }) {
        EXPECT_FALSE(parse_status(text).has_value()) << text;
    }
    std::string huge = "{\"pid\":1,\"pid_start\":2,\"boot_timestamp\":\"";
    huge.append(MAX_FLAT_JSON, 'x');
    huge += "\"}";
    EXPECT_FALSE(parse_status(huge).has_value());
}

TEST(MonitorProtocol, FlatJsonRoundTripsStringsAndIntegers)
{
    std::vector<std::pair<std::string, FlatValue>> const members {
        { "a\"b", std::string("\\/\b\f\n\r\t\x1f \xc3\xa9") },
        { "min", INT64_MIN },
        { "max", UINT64_MAX },
        { "zero", int64_t { 0 } },
    };
    auto const object = read_flat_json(write_flat_json(members));
    ASSERT_TRUE(object.has_value());
    ASSERT_EQ(object->size(), 4U);
    EXPECT_EQ(std::get<std::string>(object->at("a\"b")), "\\/\b\f\n\r\t\x1f \xc3\xa9");
    EXPECT_EQ(std::get<int64_t>(object->at("min")), INT64_MIN);
    EXPECT_EQ(std::get<uint64_t>(object->at("max")), UINT64_MAX);
    EXPECT_EQ(std::get<int64_t>(object->at("zero")), 0);
    auto const escaped = read_flat_json("{\"s\":\"\\u0041\\u00e9\\u20ac\\/\"}");
    ASSERT_TRUE(escaped.has_value());
    EXPECT_EQ(std::get<std::string>(escaped->at("s")), "A\xc3\xa9\xe2\x82\xac/");
    EXPECT_TRUE(read_flat_json("{}").has_value());
}

TEST(MonitorProtocol, EveryVerbFormatsAndParses)
{
    std::vector<std::pair<Request, std::string>> cases;
    Request stop { Verb::Stop, 30, false, 0 };
    cases.emplace_back(stop, "stop 30");
    cases.emplace_back(Request { Verb::Halt, DEFAULT_STOP_TIMEOUT_S, false, 0 }, "halt");
    cases.emplace_back(Request { Verb::Reboot, DEFAULT_STOP_TIMEOUT_S, false, 0 }, "reboot");
    cases.emplace_back(Request { Verb::Reboot, DEFAULT_STOP_TIMEOUT_S, true, 0 }, "reboot force");
    cases.emplace_back(Request { Verb::Kill, DEFAULT_STOP_TIMEOUT_S, false, 9 }, "kill 9");
    cases.emplace_back(
        Request { Verb::WaitProvision, DEFAULT_STOP_TIMEOUT_S, false, 0 }, "wait-provision");
    cases.emplace_back(Request { Verb::Console, DEFAULT_STOP_TIMEOUT_S, false, 0 }, "console");
    cases.emplace_back(Request { Verb::Status, DEFAULT_STOP_TIMEOUT_S, false, 0 }, "status");
    for (auto const& [request, line] : cases) {
        EXPECT_EQ(format_request(request), line);
        auto const parsed = parse_request(line, NSIG);
        ASSERT_TRUE(std::holds_alternative<Request>(parsed)) << line;
        auto const& back = std::get<Request>(parsed);
        EXPECT_EQ(back.verb, request.verb) << line;
        EXPECT_EQ(back.timeout_s, request.timeout_s) << line;
        EXPECT_EQ(back.force, request.force) << line;
        EXPECT_EQ(back.signal, request.signal) << line;
    }
    // stop without a timeout: 60 seconds, as it always was.
    auto const bare_stop = parse_request("stop", NSIG);
    ASSERT_TRUE(std::holds_alternative<Request>(bare_stop));
    EXPECT_EQ(std::get<Request>(bare_stop).timeout_s, 60);
}

TEST(MonitorProtocol, BadRequestsGetTheirErrorReply)
{
    std::vector<std::pair<std::string, std::string>> const cases {
        { "", "unknown request: " },
        { "shutdown", "unknown request: shutdown" },
        { "STOP 1", "unknown request: STOP" },
        { "kill", "invalid signal" },
        { "kill 0", "invalid signal" },
        { "kill 65", "invalid signal" },
        { "kill -9", "invalid signal" },
        { "kill 9x", "invalid signal" },
        { "kill 99999999999999999999", "invalid signal" },
        { "stop -1", "invalid stop timeout: -1" },
        { "stop soon", "invalid stop timeout: soon" },
        { "stop 99999999999999999999", "invalid stop timeout: 99999999999999999999" },
        { "reboot now", "invalid reboot argument: now" },
        { "halt 5", "halt takes no argument" },
        { "status x", "status takes no argument" },
    };
    for (auto const& [line, message] : cases) {
        auto const parsed = parse_request(line, 65);
        ASSERT_TRUE(std::holds_alternative<std::string>(parsed)) << line;
        EXPECT_EQ(std::get<std::string>(parsed), message) << line;
    }
}

TEST(MonitorProtocol, RepliesFormatAndParse)
{
    EXPECT_EQ(error_reply("the console is in use"), "error the console is in use");
    EXPECT_EQ(ready_reply(77), "ok 77");
    auto const ok = parse_reply(REPLY_OK);
    EXPECT_TRUE(ok.ok);
    EXPECT_EQ(ok.text, "");
    auto const ready = parse_reply(ready_reply(77));
    EXPECT_TRUE(ready.ok);
    EXPECT_EQ(ready.text, "77");
    auto const error = parse_reply(error_reply("runc failed: no such file"));
    EXPECT_FALSE(error.ok);
    EXPECT_EQ(error.text, "runc failed: no such file");
    auto const other = parse_reply("stopped");
    EXPECT_FALSE(other.ok);
    EXPECT_EQ(other.text, "stopped");
    EXPECT_FALSE(parse_reply("okay").ok);
}

TEST(MonitorProtocol, LaunchFlagsRoundTrip)
{
    LaunchFlags flags;
    flags.id = "b1f5c3c0-0000-4000-8000-000000000001";
    flags.dir = "/run/lumos/zones/x";
    flags.oci_runtime = "/usr/bin/crun";
    flags.oci_runtime_root = "/run/lumos/runc";
    flags.zonepath = "/zones/x";
    flags.attach = true;
    flags.restart_init = true;
    flags.provision_timeout_ms = 300000;
    flags.ready_fd = 3;
    flags.stop_signal = 10;
    flags.stop_command = "/sbin/halt";
    flags.dhcp = { "net0:primary", "net1" };
    flags.dhcp_event = "/usr/lib/lumos/lumos-dhcp-event";
    flags.dhcp_resolv = "/run/lumos/zones/x/resolv.conf";
    flags.dhcp_hostname = "web0";
    flags.lx_uname = true;
    flags.lx_uname_release = "4.3.0";
    auto const args = format_flags(flags);
    std::vector<std::string_view> const views(args.begin(), args.end());
    auto const parsed = parse_flags(views);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->id, flags.id);
    EXPECT_EQ(parsed->dir, flags.dir);
    EXPECT_EQ(parsed->oci_runtime, flags.oci_runtime);
    EXPECT_EQ(parsed->oci_runtime_root, flags.oci_runtime_root);
    EXPECT_EQ(parsed->zonepath, flags.zonepath);
    EXPECT_TRUE(parsed->attach);
    EXPECT_TRUE(parsed->restart_init);
    EXPECT_EQ(parsed->provision_timeout_ms, 300000);
    EXPECT_EQ(parsed->ready_fd, 3);
    EXPECT_EQ(parsed->stop_signal, 10);
    EXPECT_EQ(parsed->stop_command, "/sbin/halt");
    EXPECT_EQ(parsed->dhcp, flags.dhcp);
    EXPECT_EQ(parsed->dhcp_event, flags.dhcp_event);
    EXPECT_EQ(parsed->dhcp_resolv, flags.dhcp_resolv);
    EXPECT_EQ(parsed->dhcp_hostname, flags.dhcp_hostname);
    EXPECT_TRUE(parsed->lx_uname);
    EXPECT_EQ(parsed->lx_uname_release, "4.3.0");

    LaunchFlags plain = flags;
    plain.attach = plain.restart_init = false;
    plain.provision_timeout_ms = 0;
    plain.ready_fd = -1;
    plain.stop_command.clear();
    plain.dhcp.clear();
    plain.dhcp_event.clear();
    plain.dhcp_resolv.clear();
    plain.dhcp_hostname.clear();
    plain.lx_uname = false;
    auto const plain_args = format_flags(plain);
    auto const plain_parsed
        = parse_flags(std::vector<std::string_view>(plain_args.begin(), plain_args.end()));
    ASSERT_TRUE(plain_parsed.has_value());
    EXPECT_FALSE(plain_parsed->attach);
    EXPECT_FALSE(plain_parsed->restart_init);
    EXPECT_EQ(plain_parsed->provision_timeout_ms, 0);
    EXPECT_EQ(plain_parsed->ready_fd, -1);
    EXPECT_EQ(plain_parsed->stop_command, "");
    EXPECT_TRUE(plain_parsed->dhcp.empty());
    EXPECT_FALSE(plain_parsed->lx_uname);
    EXPECT_EQ(std::find(plain_args.begin(), plain_args.end(), "--lx-uname"), plain_args.end());
    // An lx zone whose VM has no kernel_version keeps the host's release: "" is a value.
    LaunchFlags host_release = plain;
    host_release.lx_uname = true;
    host_release.lx_uname_release.clear();
    auto const release_args = format_flags(host_release);
    auto const release_parsed
        = parse_flags(std::vector<std::string_view>(release_args.begin(), release_args.end()));
    ASSERT_TRUE(release_parsed.has_value());
    EXPECT_TRUE(release_parsed->lx_uname);
    EXPECT_EQ(release_parsed->lx_uname_release, "");
    EXPECT_EQ(std::find(plain_args.begin(), plain_args.end(), "--dhcp-event"), plain_args.end());
}

TEST(MonitorProtocol, BadLaunchFlagsAreRefused)
{
    std::vector<std::string_view> const required { "--id", "i", "--dir", "d", "--oci-runtime", "r",
        "--oci-runtime-root", "rr", "--zonepath", "z" };
    ASSERT_TRUE(parse_flags(required).has_value());
    for (size_t drop = 0; drop < required.size(); drop += 2) {
        auto args = required;
        args.erase(
            args.begin() + static_cast<long>(drop), args.begin() + static_cast<long>(drop) + 2);
        EXPECT_FALSE(parse_flags(args).has_value()) << required[drop];
    }
    for (auto const& extra : std::vector<std::vector<std::string_view>> {
             { "--runc", "/usr/sbin/runc" }, // the old name
             { "--ready-fd", "x" },
             { "--ready-fd", "-1" },
             { "--stop-signal", "0" },
             { "--provision-timeout-ms", "99999999999999999999" },
             { "--stop-command" }, // value missing
             { "--dhcp", "net0" }, // without --dhcp-event
             { "--dhcp", "", "--dhcp-event", "/e" },
         }) {
        auto args = required;
        args.insert(args.end(), extra.begin(), extra.end());
        EXPECT_FALSE(parse_flags(args).has_value()) << extra[0];
    }
}

} // namespace
} // namespace lumos::runtime::monitor_protocol
