// SPDX-License-Identifier: MPL-2.0
// Reference §1.1 (process-level rules), §1.2 (subcommand messages) and §1.3 (JSON input rules).
#include "cli/cli_fixture.hpp"

#include <gmock/gmock.h>

namespace lumos::test {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class CliRules : public CliTest { };

// --- §1.1 usage and help ---------------------------------------------------------------------

TEST_F(CliRules, NoCommandPrintsUsageOnStderrExit2)
{
    auto r = vmadm({});
    EXPECT_EQ(r.exit_code, 2) << r.describe();
    EXPECT_EQ(r.out, "");
    EXPECT_THAT(r.err, HasSubstr("Usage:"));
}

class HelpCommand
    : public CliRules
    , public ::testing::WithParamInterface<const char*> { };

TEST_P(HelpCommand, PrintsUsageOnStdoutExit0)
{
    auto r = vmadm({ GetParam() });
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_THAT(r.out, HasSubstr("Usage:"));
    EXPECT_EQ(r.err, "");
}

INSTANTIATE_TEST_SUITE_P(Spellings, HelpCommand, ::testing::Values("help", "-h", "-?"));

TEST_F(CliRules, UnknownCommandIsUsageError)
{
    EXPECT_TRUE(usage_error(vmadm({ "frobnicate" }), "Invalid command: \"frobnicate\"."));
}

TEST_F(CliRules, UsageListsTheCommands)
{
    auto r = vmadm({ "help" });
    for (const char* cmd : { "create", "delete", "get", "list", "lookup", "update", "validate" }) {
        EXPECT_THAT(r.out, HasSubstr(cmd)) << cmd;
    }
}

// --- §1.1 UUID argument check -----------------------------------------------------------------

struct UuidCase {
    const char* command;
    std::vector<std::string> args;
};

class BadUuidArgument
    : public CliRules
    , public ::testing::WithParamInterface<UuidCase> { };

TEST_P(BadUuidArgument, IsUsageError)
{
    const auto& param = GetParam();
    std::vector<std::string> argv { param.command };
    argv.insert(argv.end(), param.args.begin(), param.args.end());
    EXPECT_TRUE(
        usage_error(vmadm(argv), std::string("Invalid or missing UUID for ") + param.command));
}

INSTANTIATE_TEST_SUITE_P(Commands, BadUuidArgument,
    ::testing::Values(UuidCase { "get", {} }, UuidCase { "get", { "not-a-uuid" } },
        UuidCase { "get", { "01b2c898-945f-11e1-a523-af1afbe2282" } }, // 35 chars
        UuidCase { "get", { "01b2c898x945f-11e1-a523-af1afbe22822" } }, // no dash at 8
        UuidCase { "json", { "nope" } }, UuidCase { "delete", {} },
        UuidCase { "delete", { "nope" } }, UuidCase { "destroy", { "x" } },
        UuidCase { "update", {} }, UuidCase { "update", { "nope", "alias=x" } }));

TEST_F(CliRules, UuidShapeWithNonHexPassesCliCheckAndFailsAsNotFound)
{
    // The CLI checks only length and dash positions (§1.1), so this is an operational error.
    auto r = vmadm({ "get", "ZZZZZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZZZZZZZZZ" });
    EXPECT_EQ(r.exit_code, 1) << r.describe();
    EXPECT_EQ(r.out, "");
}

// --- §1.1 aliases, flags, output streams ------------------------------------------------------

TEST_F(CliRules, JsonIsAliasOfGet)
{
    auto uuid = create_ok(os_payload());
    auto a = vmadm({ "get", uuid });
    auto b = vmadm({ "json", uuid });
    EXPECT_EQ(a.exit_code, 0);
    EXPECT_EQ(b.exit_code, 0);
    EXPECT_EQ(json::parse(a.out), json::parse(b.out));
}

TEST_F(CliRules, DestroyIsAliasOfDelete)
{
    auto uuid = create_ok(os_payload());
    EXPECT_TRUE(
        succeeded_with_message(vmadm({ "destroy", uuid }), "Successfully deleted VM " + uuid));
    EXPECT_TRUE(list_uuids().empty());
}

TEST_F(CliRules, VerboseAndDebugFlagsAreAccepted)
{
    auto uuid = create_ok(os_payload());
    EXPECT_EQ(vmadm({ "list", "-v" }).exit_code, 0);
    EXPECT_EQ(vmadm({ "list", "-d", "-H" }).exit_code, 0);
    EXPECT_EQ(vmadm({ "get", "-v", uuid }).exit_code, 0);
    EXPECT_EQ(vmadm({ "get", uuid, "-d" }).exit_code, 0);
    EXPECT_EQ(vmadm({ "lookup", "--verbose" }).exit_code, 0);
    EXPECT_EQ(vmadm({ "list", "--debug" }).exit_code, 0);
}

TEST_F(CliRules, DataGoesToStdoutAsTwoSpaceJson)
{
    auto uuid = create_ok(os_payload());
    auto r = vmadm({ "get", uuid });
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(r.err, "");
    // JSON.stringify(x, null, 2) + "\n" (key order as printed is kept by ordered_json)
    EXPECT_EQ(nlohmann::ordered_json::parse(r.out).dump(2) + "\n", r.out);
}

// --- §1.3 JSON input --------------------------------------------------------------------------

TEST_F(CliRules, CreateFromStdinAndDashF)
{
    auto a = vmadm_stdin({ "create" }, os_payload().dump());
    auto b = vmadm_stdin({ "create", "-f", "-" }, os_payload().dump());
    EXPECT_EQ(a.exit_code, 0) << a.describe();
    EXPECT_EQ(b.exit_code, 0) << b.describe();
    EXPECT_EQ(list_uuids().size(), 2U);
}

TEST_F(CliRules, CreateFromMissingFile)
{
    auto missing = root().str() + "/no-such-payload.json";
    EXPECT_TRUE(
        failed_with(vmadm({ "create", "-f", missing }), "File: " + missing + " does not exist."));
}

TEST_F(CliRules, UpdateFromMissingFile)
{
    auto uuid = create_ok(os_payload());
    auto missing = root().str() + "/no-such-payload.json";
    EXPECT_TRUE(failed_with(
        vmadm({ "update", uuid, "-f", missing }), "File: " + missing + " does not exist."));
}

class InvalidJson
    : public CliRules
    , public ::testing::WithParamInterface<const char*> { };

TEST_P(InvalidJson, CreateReportsInvalidJsonPayload)
{
    auto r = vmadm_stdin({ "create" }, GetParam());
    EXPECT_TRUE(failed_with_prefix(r, "Invalid JSON payload: "));
    EXPECT_EQ(split_lines(r.err).size(), 1U) << r.err;
    EXPECT_TRUE(config_files().empty());
}

TEST_P(InvalidJson, UpdateReportsInvalidJsonPayload)
{
    auto uuid = create_ok(os_payload());
    auto before = get(uuid);
    auto r = vmadm_stdin({ "update", uuid }, GetParam());
    EXPECT_TRUE(failed_with_prefix(r, "Invalid JSON payload: "));
    EXPECT_EQ(get(uuid), before);
}

TEST_P(InvalidJson, ValidateReportsInvalidJsonPayload)
{
    auto r = vmadm_stdin({ "validate", "create" }, GetParam());
    EXPECT_TRUE(failed_with_prefix(r, "Invalid JSON payload: "));
}

INSTANTIATE_TEST_SUITE_P(Texts, InvalidJson,
    ::testing::Values("", "{", "{\"brand\": }", "{'brand': 'joyent'}", "not json",
        "{\"a\":1} trailing", "{\"a\":1,}", "[1,2"));

class NonObjectPayload
    : public CliRules
    , public ::testing::WithParamInterface<const char*> { };

TEST_P(NonObjectPayload, CreateFailsCleanly)
{
    auto r = vmadm_stdin({ "create" }, GetParam());
    EXPECT_TRUE(clean_failure(r));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(config_files().empty());
}

INSTANTIATE_TEST_SUITE_P(Texts, NonObjectPayload,
    ::testing::Values("[]", "42", "\"joyent\"", "null", "true", "[{\"brand\":\"joyent\"}]"));

// --- §1.3 key=value update arguments ----------------------------------------------------------

TEST_F(CliRules, KeyValueSplitsAtFirstEquals)
{
    auto uuid = create_ok(os_payload());
    ASSERT_EQ(vmadm({ "update", uuid, "alias=a=b=c" }).exit_code, 0);
    EXPECT_EQ(get(uuid)["alias"], "a=b=c");
}

TEST_F(CliRules, KeyValueLaterDuplicateWins)
{
    auto uuid = create_ok(os_payload());
    ASSERT_EQ(vmadm({ "update", uuid, "alias=one", "alias=two" }).exit_code, 0);
    EXPECT_EQ(get(uuid)["alias"], "two");
}

TEST_F(CliRules, KeyValueNullIsTheStringNull)
{
    auto uuid = create_ok(os_payload());
    ASSERT_EQ(vmadm({ "update", uuid, "alias=null" }).exit_code, 0);
    EXPECT_EQ(get(uuid)["alias"], "null");
}

TEST_F(CliRules, KeyWithoutEqualsMeansEmptyValue)
{
    // §1.3: an arg without '=' yields value "", and "" unsets a string property (§1.7).
    auto p = os_payload();
    p["alias"] = "before";
    auto uuid = create_ok(p);
    EXPECT_TRUE(succeeded_with_message(
        vmadm({ "update", uuid, "alias" }), "Successfully updated VM " + uuid));
    EXPECT_FALSE(get(uuid).contains("alias"));
}

TEST_F(CliRules, KeyValueCoercesIntegersAndBooleans)
{
    auto uuid = create_ok(os_payload());
    auto r = vmadm({ "update", uuid, "cpu_shares=50", "firewall_enabled=true", "do_not_inventory=1",
        "max_lwps=3000" });
    ASSERT_TRUE(succeeded_with_message(r, "Successfully updated VM " + uuid));
    auto vm = get(uuid);
    EXPECT_EQ(vm["cpu_shares"], 50);
    EXPECT_EQ(vm["max_lwps"], 3000);
    EXPECT_EQ(vm["firewall_enabled"], true);
    EXPECT_EQ(vm["do_not_inventory"], true);

    ASSERT_EQ(
        vmadm({ "update", uuid, "firewall_enabled=false", "do_not_inventory=0" }).exit_code, 0);
    vm = get(uuid);
    EXPECT_EQ(vm["firewall_enabled"], false);
    EXPECT_FALSE(vm.contains("do_not_inventory")) << vm.dump();
}

TEST_F(CliRules, KeyValueNonNumericIntegerFails)
{
    auto uuid = create_ok(os_payload());
    auto before = get(uuid);
    auto r = vmadm({ "update", uuid, "cpu_shares=lots" });
    EXPECT_TRUE(clean_failure(r));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(get(uuid), before);
}

TEST_F(CliRules, KeyValueListIsSplitOnCommas)
{
    auto uuid = create_ok(os_payload());
    ASSERT_EQ(vmadm({ "update", uuid, "resolvers=8.8.8.8,,8.8.4.4" }).exit_code, 0);
    EXPECT_EQ(get(uuid)["resolvers"], json::array({ "8.8.8.8", "8.8.4.4" }));
}

// --- §1.2 success messages go to stderr -------------------------------------------------------

TEST_F(CliRules, SuccessMessagesAreOnStderr)
{
    auto r = create(os_payload());
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(r.out, "");
    EXPECT_THAT(r.err, StartsWith("Successfully created VM "));
}

} // namespace
} // namespace lumos::test
