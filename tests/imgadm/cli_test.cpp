// SPDX-License-Identifier: MPL-2.0
// imgadm's process-level behaviour (reference section 4.1), black-box against the binary.
#include "imgadm/imgadm_fixture.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <regex>
#include <string>

#include <unistd.h>

namespace {

using lumos::test::RunResult;
using lumos::test::split_lines;
using nlohmann::json;

class ImgadmCli : public lumos::test::ImgadmFixture {
protected:
    void SetUp() override
    {
        if (::geteuid() != 0) {
            GTEST_SKIP() << "imgadm refuses to run unless root";
        }
        ImgadmFixture::SetUp();
    }
};

// The last stderr line parsed as the -E Bunyan record.
json last_record(RunResult const& result)
{
    auto lines = split_lines(result.err);
    if (lines.empty()) {
        ADD_FAILURE() << "no stderr: " << result.describe();
        return json();
    }
    return json::parse(lines.back(), nullptr, false);
}

TEST_F(ImgadmCli, Version)
{
    RunResult result = imgadm({ "--version" });
    EXPECT_EQ(result.exit_code, 0) << result.describe();
    EXPECT_TRUE(std::regex_match(result.out, std::regex("imgadm [0-9]+\\.[0-9]+\\.[0-9]+\n")))
        << result.out;
    EXPECT_EQ(result.err, "");
}

TEST_F(ImgadmCli, HelpExitsZeroOnStdout)
{
    for (auto const& args : { std::vector<std::string> { "help" }, { "-h" }, { "--help" } }) {
        RunResult result = imgadm(args);
        EXPECT_EQ(result.exit_code, 0) << args[0] << ": " << result.describe();
        EXPECT_NE(result.out.find("Usage:"), std::string::npos);
        EXPECT_NE(result.out.find("imgadm list"), std::string::npos);
        EXPECT_EQ(result.err, "");
    }
}

TEST_F(ImgadmCli, SubcommandHelp)
{
    for (auto const& args : { std::vector<std::string> { "help", "list" }, { "list", "-h" },
             { "-h", "list" }, { "get", "--help" } }) {
        RunResult result = imgadm(args);
        EXPECT_EQ(result.exit_code, 0) << result.describe();
        EXPECT_EQ(result.out.rfind("Usage:\n    imgadm ", 0), 0U) << result.out;
    }
    RunResult result = imgadm({ "help", "bogus" });
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_EQ(result.err, "imgadm help: error (UnknownCommand): unknown command: \"bogus\"\n");
}

TEST_F(ImgadmCli, NoCommandPrintsHelpAndExitsOne)
{
    RunResult result = imgadm({});
    EXPECT_EQ(result.exit_code, 1) << result.describe();
    EXPECT_NE(result.out.find("Usage:"), std::string::npos);
    EXPECT_EQ(result.err, "");

    result = imgadm({ "-E" });
    EXPECT_EQ(result.exit_code, 1);
    json record = last_record(result);
    ASSERT_TRUE(record.is_object()) << result.err;
    EXPECT_EQ(record["err"]["code"], "NoCommand");
}

TEST_F(ImgadmCli, UnknownCommand)
{
    RunResult result = imgadm({ "frobnicate" });
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_EQ(result.out, "");
    EXPECT_EQ(
        result.err, "imgadm frobnicate: error (UnknownCommand): unknown command: \"frobnicate\"\n");
}

TEST_F(ImgadmCli, StructuredErrorIsTheLastLine)
{
    RunResult result = imgadm({ "-E", "frobnicate" });
    EXPECT_EQ(result.exit_code, 1);
    json record = last_record(result);
    ASSERT_TRUE(record.is_object()) << result.err;
    EXPECT_EQ(record["name"], "imgadm");
    EXPECT_EQ(record["level"], 50);
    EXPECT_EQ(record["err"]["code"], "UnknownCommand");
    EXPECT_EQ(record["err"]["name"], "UnknownCommandError");
    EXPECT_EQ(record["err"]["message"], "unknown command: \"frobnicate\"");
    EXPECT_TRUE(record.contains("time"));
    EXPECT_EQ(record["v"], 0);

    result = imgadm({ "-E", "get", "01b2c898-945f-11e1-a523-af1afbe22822" });
    EXPECT_EQ(result.exit_code, 3);
    EXPECT_EQ(last_record(result)["err"]["code"], "ImageNotInstalled");
}

TEST_F(ImgadmCli, InvalidUuid)
{
    for (char const* command : { "get", "info", "ancestry" }) {
        RunResult result = imgadm({ command, "01B2C898-945F-11E1-A523-AF1AFBE22822" });
        EXPECT_EQ(result.exit_code, 1) << command;
        EXPECT_EQ(result.err,
            std::string("imgadm ") + command
                + ": error (InvalidUUID): invalid uuid: "
                  "\"01B2C898-945F-11E1-A523-AF1AFBE22822\"\n");
        EXPECT_EQ(result.out, "");
    }
}

TEST_F(ImgadmCli, WrongNumberOfArgs)
{
    RunResult result = imgadm({ "get" });
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_EQ(result.err, "imgadm get: error (UsageError): incorrect number of args (0): \"\"\n");
}

TEST_F(ImgadmCli, UnknownOption)
{
    RunResult result = imgadm({ "list", "-Z" });
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_EQ(result.err, "imgadm list: error (UsageError): unknown option: \"-Z\"\n");
}

TEST_F(ImgadmCli, GetMissingImageExitsThree)
{
    RunResult result = imgadm({ "get", "01b2c898-945f-11e1-a523-af1afbe22822" });
    EXPECT_EQ(result.exit_code, 3) << result.describe();
    EXPECT_EQ(result.out, "");
    EXPECT_EQ(result.err,
        "imgadm get: error (ImageNotInstalled): image \"01b2c898-945f-11e1-a523-af1afbe22822\" "
        "was not found on zpool \"zones\"\n");
    result = imgadm({ "info", "-P", "other", "01b2c898-945f-11e1-a523-af1afbe22822" });
    EXPECT_EQ(result.exit_code, 3) << result.describe();
    EXPECT_EQ(result.out, "");
}

TEST_F(ImgadmCli, GlobalOptions)
{
    for (auto const& args : { std::vector<std::string> { "-v", "list" }, { "-vv", "list" },
             { "--verbose", "list" }, { "-E", "list" }, { "-vE", "list" } }) {
        RunResult result = imgadm(args);
        EXPECT_EQ(result.exit_code, 0) << args[0] << ": " << result.describe();
        EXPECT_EQ(result.out, "UUID  NAME  VERSION  OS  TYPE  PUB\n");
    }
    RunResult result = imgadm({ "-x", "list" });
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_EQ(result.err, "imgadm: error (UnknownOption): unknown option: \"-x\"\n");
    EXPECT_EQ(imgadm({ "?", "get" }).exit_code, 0);
    EXPECT_EQ(imgadm({ "-v", "--version" }).out.rfind("imgadm ", 0), 0U);
}

TEST_F(ImgadmCli, NonRootIsRefused)
{
    lumos::test::RunOptions options;
    options.uid = 65534;
    RunResult result = imgadm({ "list" }, options);
    EXPECT_EQ(result.exit_code, 2) << result.describe();
    EXPECT_EQ(result.err, "imgadm: error: cannot run: must be run as root\n");
    EXPECT_EQ(result.out, "");
}

} // namespace
