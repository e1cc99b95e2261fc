// SPDX-License-Identifier: MPL-2.0
// The monitor records the OCI runtime a zone was booted with (<rundir>/oci-runtime), and later
// commands exec that program for the zone. A record that is not the absolute path of an
// executable file (truncated, corrupt, planted) is no record: the probe's choice is used.
#include "runtime/monitor.hpp"
#include "runtime/monitor_protocol.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace lumos::runtime {
namespace {

namespace fs = std::filesystem;

class ZoneMonitorRecord : public ::testing::Test {
protected:
    void SetUp() override
    {
        char pattern[] = "/tmp/lumos-test-monitor-record.XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        m_dir = pattern;
    }
    void TearDown() override { fs::remove_all(m_dir); }

    std::optional<std::string> recorded(std::string const& content) const
    {
        std::ofstream(m_dir + "/" + monitor_protocol::OCI_RUNTIME_FILE, std::ios::trunc) << content;
        return ZoneMonitor(m_dir, "uuid").oci_runtime();
    }

    std::string m_dir;
};

TEST_F(ZoneMonitorRecord, AnExecutableFileIsTheRecord)
{
    EXPECT_EQ(recorded("/bin/sh\n"), "/bin/sh");
    EXPECT_EQ(recorded("/bin/sh"), "/bin/sh");
}

TEST_F(ZoneMonitorRecord, NoFileIsNoRecord)
{
    EXPECT_EQ(ZoneMonitor(m_dir, "uuid").oci_runtime(), std::nullopt);
}

TEST_F(ZoneMonitorRecord, ACorruptOrHostileRecordIsNoRecord)
{
    EXPECT_EQ(recorded(""), std::nullopt);
    EXPECT_EQ(recorded("\n/bin/sh\n"), std::nullopt);
    EXPECT_EQ(recorded("bin/sh\n"), std::nullopt); // relative: would resolve against the cwd
    EXPECT_EQ(recorded("/nonexistent/runc\n"), std::nullopt);
    std::ofstream(m_dir + "/plain") << "#!/bin/sh\n";
    fs::permissions(m_dir + "/plain", fs::perms::owner_read | fs::perms::owner_write);
    EXPECT_EQ(recorded(m_dir + "/plain\n"), std::nullopt); // not executable
    EXPECT_EQ(recorded("/bin\n"), std::nullopt); // a directory
    EXPECT_EQ(recorded(std::string("/bin/sh\0 --evil\n", 16)), std::nullopt);
    EXPECT_EQ(recorded("\xff\xfe\x01garbage"), std::nullopt);
    EXPECT_EQ(recorded("/" + std::string(5000, 'a')), std::nullopt); // over PATH_MAX
}

} // namespace
} // namespace lumos::runtime
