// SPDX-License-Identifier: MPL-2.0
// The host's server uuid: where it comes from, and that it stays the same once recorded.
#include "base/file.hpp"
#include "base/host_identity.hpp"
#include "base/uuid.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

using namespace lumos;

namespace {

class HostIdentityTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char pattern[] = "/tmp/lumos-test-identity.XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        m_dir = pattern;
        m_sources.product_uuid_file = m_dir + "/product_uuid";
        m_sources.machine_id_file = m_dir + "/machine-id";
    }
    void TearDown() override { std::filesystem::remove_all(m_dir); }

    Paths paths() const { return Paths(m_dir + "/root"); }
    void write(std::string const& name, std::string const& text) const
    {
        ASSERT_TRUE(write_file_atomic(m_dir + "/" + name, text).has_value());
    }
    std::string recorded() const
    {
        return read_file(m_dir + "/root/etc/lumos/server_uuid").value_or("(none)");
    }

    std::string m_dir;
    HostIdentitySources m_sources;
};

constexpr char const* SMBIOS_UUID = "4c4c4544-0051-3610-8052-b4c04f4b4d32";
constexpr char const* MACHINE_ID = "0a5a8e1c2b3d4e5f60718293a4b5c6d7\n";
constexpr char const* MACHINE_UUID = "0a5a8e1c-2b3d-4e5f-6071-8293a4b5c6d7";

TEST_F(HostIdentityTest, SmbiosUuidFirstAsSmartOSAndRecorded)
{
    write("product_uuid", "4C4C4544-0051-3610-8052-B4C04F4B4D32\n");
    write("machine-id", MACHINE_ID);
    EXPECT_EQ(server_uuid(paths(), m_sources).value_or(""), SMBIOS_UUID);
    EXPECT_EQ(recorded(), std::string(SMBIOS_UUID) + "\n");
}

TEST_F(HostIdentityTest, MachineIdWithoutSmbiosOrWithItsPlaceholder)
{
    write("machine-id", MACHINE_ID);
    EXPECT_EQ(server_uuid(paths(), m_sources).value_or(""), MACHINE_UUID);
    std::filesystem::remove_all(m_dir + "/root");
    write("product_uuid", "03000200-0400-0500-0006-000700080009\n");
    EXPECT_EQ(server_uuid(paths(), m_sources).value_or(""), MACHINE_UUID);
    std::filesystem::remove_all(m_dir + "/root");
    write("product_uuid", "00000000-0000-0000-0000-000000000000\n");
    EXPECT_EQ(server_uuid(paths(), m_sources).value_or(""), MACHINE_UUID);
}

TEST_F(HostIdentityTest, RecordedUuidWinsOverAChangedSmbiosUuid)
{
    write("product_uuid", SMBIOS_UUID);
    ASSERT_EQ(server_uuid(paths(), m_sources).value_or(""), SMBIOS_UUID);
    // A misbehaving BMC reporting another UUID on a later boot changes nothing.
    write("product_uuid", "11111111-2222-3333-4444-555555555555");
    EXPECT_EQ(server_uuid(paths(), m_sources).value_or(""), SMBIOS_UUID);
}

TEST_F(HostIdentityTest, NoSourceGivesARandomUuidThatIsKept)
{
    auto first = server_uuid(paths(), m_sources);
    ASSERT_TRUE(first.has_value());
    EXPECT_TRUE(is_uuid(*first));
    EXPECT_EQ(server_uuid(paths(), m_sources).value_or(""), *first);
}

TEST_F(HostIdentityTest, MalformedRecordIsReplaced)
{
    write("machine-id", MACHINE_ID);
    ASSERT_TRUE(make_directories(m_dir + "/root/etc/lumos").has_value());
    write("root/etc/lumos/server_uuid", "not-a-uuid\n");
    EXPECT_EQ(server_uuid(paths(), m_sources).value_or(""), MACHINE_UUID);
    EXPECT_EQ(recorded(), std::string(MACHINE_UUID) + "\n");
}

TEST_F(HostIdentityTest, BuildstampIsSmartOSShaped)
{
    std::string const stamp = platform_buildstamp();
    ASSERT_EQ(stamp.size(), 16u);
    EXPECT_EQ(stamp[8], 'T');
    EXPECT_EQ(stamp[15], 'Z');
}

} // namespace
