// SPDX-License-Identifier: MPL-2.0
// Reference §1.1 and §1.2/§1.3 rules that belong to the vmadm process rather than to
// vmadm::run(): the euid check, a closed stdout, a terminal on stdin. The rest of
// cli_rules_test.cpp runs in-process in tests/cli.
#include "support/vmadm_fixture.hpp"

#include <gmock/gmock.h>

namespace lumos::test {
namespace {

using ::testing::StartsWith;

class CliRules : public VmadmTest { };

// --- §1.1 process rules -----------------------------------------------------------------------

TEST_F(CliRules, NonRootIsRefusedWithFatalExit2)
{
    RunOptions options;
    options.uid = 65534; // nobody
    auto r = vmadm({ "list" }, options);
    if (r.exit_code == 127 && r.err.find("execve failed") != std::string::npos) {
        GTEST_SKIP() << "nobody cannot execute " << vmadm_path();
    }
    EXPECT_EQ(r.exit_code, 2) << r.describe();
    EXPECT_EQ(r.out, "");
    EXPECT_THAT(r.err, StartsWith("FATAL: cannot run because: "));
}

TEST_F(CliRules, EpipeOnStdoutExitsZeroSilently)
{
    auto uuid = create_ok(os_payload());
    RunOptions options;
    options.stdout_closed = true;
    auto r = vmadm({ "get", uuid }, options);
    EXPECT_TRUE(r.exited()) << r.describe();
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(r.err, "");
}

// --- §1.2/§1.3 stdin is a tty -----------------------------------------------------------------

struct TtyCase {
    std::vector<std::string> args;
    const char* message;
};

class TtyStdin
    : public CliRules
    , public ::testing::WithParamInterface<TtyCase> { };

TEST_P(TtyStdin, IsRefused)
{
    auto args = GetParam().args;
    for (auto& a : args) {
        if (a == "<uuid>") {
            a = ABSENT_UUID;
        }
    }
    auto r = vmadm_tty(args);
    EXPECT_FALSE(r.timed_out) << "vmadm blocked reading the terminal";
    EXPECT_TRUE(usage_error(r, GetParam().message));
    EXPECT_TRUE(config_files().empty());
}

INSTANTIATE_TEST_SUITE_P(Commands, TtyStdin,
    ::testing::Values(TtyCase { { "create" }, "Will not create from stdin when stdin is a tty." },
        TtyCase { { "create", "-f", "-" }, "Will not create from stdin when stdin is a tty." },
        TtyCase { { "update", "<uuid>" }, "Will not update from stdin when stdin is a tty." },
        TtyCase {
            { "update", "<uuid>", "-f", "-" }, "Will not update from stdin when stdin is a tty." },
        TtyCase { { "validate", "create" }, "Will not validate from stdin when stdin is a tty." }));

TEST_F(CliRules, CreateFromFileWorksWithTtyStdin)
{
    auto path = write_payload(os_payload());
    auto r = vmadm_tty({ "create", "-f", path });
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(list_uuids().size(), 1U);
}

TEST_F(CliRules, UpdateWithKeyValueArgsNeverReadsStdin)
{
    auto uuid = create_ok(os_payload());
    auto r = vmadm_tty({ "update", uuid, "alias=fromargs" });
    EXPECT_TRUE(succeeded_with_message(r, "Successfully updated VM " + uuid));
    EXPECT_EQ(get(uuid)["alias"], "fromargs");
}

} // namespace
} // namespace lumos::test
