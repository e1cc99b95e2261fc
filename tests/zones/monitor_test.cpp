// SPDX-License-Identifier: MPL-2.0
// The zone's monitor (lumos-zoned) as it ships, static and without sanitizers
// (lumos-zoned-unsanitized, the same sources), given to vmadm through LUMOS_LIBEXEC_DIR:
//   - one runs per zone, so its memory is multiplied by the number of zones: a running zone's
//     monitor keeps its private memory (what it alone costs the host) under 1 MiB;
//   - a zone is driven by the OCI runtime it was booted with, even when the host's choice has
//     changed since (a re-attached monitor, zlogin).
#include "support/vmadm_fixture.hpp"
#include "zones/zone_images.hpp"

#include <csignal>
#include <fstream>
#include <sstream>

#include <unistd.h>

namespace lumos::test {
namespace {

namespace fs = std::filesystem;

std::string const& IMAGE_UUID = BASE_UUID;

// The sum of the Private_* lines of /proc/<pid>/smaps_rollup in KiB (-1: unreadable), each
// recorded as a test property.
long private_kib(int64_t pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/smaps_rollup");
    if (!in) {
        return -1;
    }
    long total = 0;
    std::string line;
    while (std::getline(in, line)) {
        if (line.starts_with("Private_")) {
            std::istringstream fields(line.substr(line.find(':') + 1));
            long kib = 0;
            fields >> kib;
            total += kib;
            ::testing::Test::RecordProperty(line.substr(0, line.find(':')), static_cast<int>(kib));
        }
    }
    return total;
}

class Monitor : public VmadmTest {
protected:
    void SetUp() override
    {
        VmadmTest::SetUp();
        if (IsSkipped()) {
            return;
        }
        auto installed
            = run({ LUMOS_IMGADM_BIN, "install", "-m", zone_image_manifest("base-minimal").string(),
                      "-f", zone_image_file("base-minimal").string() },
                with_root({}));
        ASSERT_EQ(installed.exit_code, 0) << installed.describe();
        // The shipped monitor beside the test's zinit, in the test's root (removed with it).
        m_libexec = root().path() / "libexec";
        fs::create_directories(m_libexec);
        fs::create_symlink(LUMOS_LUMOS_ZONED_UNSANITIZED_BIN, m_libexec / "lumos-zoned");
        fs::create_symlink(LUMOS_ZINIT_BIN, m_libexec / "zinit");
    }

    RunOptions with_root(RunOptions options) const
    {
        options.env.emplace_back("LUMOS_ROOT", root().str());
        return options;
    }

    // Options with the shipped monitor (and anything else given).
    RunOptions with_libexec(std::vector<std::pair<std::string, std::string>> env = {}) const
    {
        RunOptions options;
        options.env = std::move(env);
        options.env.emplace_back("LUMOS_LIBEXEC_DIR", m_libexec.string());
        return options;
    }

    // A running joyent-minimal zone's uuid ("" after a failed assertion).
    std::string create_running(std::string const& alias)
    {
        json const payload { { "brand", "joyent-minimal" }, { "image_uuid", IMAGE_UUID },
            { "alias", alias }, { "max_physical_memory", 256 } };
        auto created = vmadm({ "create", "-f", write_payload(payload) }, with_libexec());
        EXPECT_EQ(created.exit_code, 0) << created.describe();
        std::string const prefix = "Successfully created VM ";
        if (!created.err.starts_with(prefix)) {
            ADD_FAILURE() << created.describe();
            return {};
        }
        std::string const uuid = created.err.substr(prefix.size(), 36);
        json const vm = get(uuid);
        EXPECT_EQ(vm["state"], "running") << vm.dump();
        return uuid;
    }

    fs::path run_dir(std::string const& uuid) const
    {
        return root().path() / "run/lumos/zones" / uuid;
    }

    int64_t monitor_pid(std::string const& uuid) const
    {
        std::ifstream in(run_dir(uuid) / "status");
        json const status = json::parse(in, nullptr, false);
        return status.is_object() ? status.value("monitor_pid", int64_t { 0 }) : 0;
    }

    fs::path m_libexec;
};

TEST_F(Monitor, ARunningZonesMonitorKeepsItsPrivateMemoryUnderOneMebibyte)
{
    std::string const uuid = create_running("mem01");
    ASSERT_FALSE(uuid.empty());
    int64_t const monitor = monitor_pid(uuid);
    ASSERT_GT(monitor, 0);
    // It is the shipped monitor that runs this zone.
    std::error_code error;
    EXPECT_EQ(fs::read_symlink("/proc/" + std::to_string(monitor) + "/exe", error),
        fs::canonical(LUMOS_LUMOS_ZONED_UNSANITIZED_BIN));
    long const kib = private_kib(monitor);
    ASSERT_GT(kib, 0);
    RecordProperty("monitor_private_kib", static_cast<int>(kib));
    EXPECT_LT(kib, 1024) << "lumos-zoned " << monitor << " holds " << kib << " KiB of its own";
    EXPECT_EQ(vmadm({ "delete", uuid }).exit_code, 0);
}

TEST_F(Monitor, AKvmVmsMonitorKeepsItsPrivateMemoryUnderTwoMebibytesQemuAside)
{
    auto installed
        = run({ LUMOS_IMGADM_BIN, "install", "-m", zone_image_manifest("hvm-test").string(), "-f",
                  zone_image_file("hvm-test").string() },
            with_root({}));
    ASSERT_EQ(installed.exit_code, 0) << installed.describe();
    // The metadata server it starts (on the guest's second serial port) is its own process.
    fs::create_symlink(LUMOS_LUMOS_METADATA_BIN, m_libexec / "lumos-metadata");
    json const payload { { "brand", "kvm" }, { "alias", "kvm-mem" }, { "ram", 256 },
        { "disks",
            json::array(
                { { { "image_uuid", HVM_UUID }, { "boot", true }, { "model", "virtio" } } }) } };
    auto created = vmadm({ "create", "-f", write_payload(payload) }, with_libexec());
    ASSERT_EQ(created.exit_code, 0) << created.describe();
    std::string const uuid = created.err.substr(std::string("Successfully created VM ").size(), 36);
    int64_t const monitor = monitor_pid(uuid);
    ASSERT_GT(monitor, 0);
    std::error_code error;
    EXPECT_EQ(fs::read_symlink("/proc/" + std::to_string(monitor) + "/exe", error),
        fs::canonical(LUMOS_LUMOS_ZONED_UNSANITIZED_BIN));
    long const kib = private_kib(monitor);
    ASSERT_GT(kib, 0);
    RecordProperty("monitor_private_kib", static_cast<int>(kib));
    EXPECT_LT(kib, 2048) << "lumos-zoned " << monitor << " holds " << kib << " KiB of its own";
    EXPECT_EQ(vmadm({ "delete", uuid }).exit_code, 0);
}

TEST_F(Monitor, AZoneKeepsTheOciRuntimeItWasBootedWith)
{
    std::string const uuid = create_running("rt01");
    ASSERT_FALSE(uuid.empty());
    std::ifstream recorded_in(run_dir(uuid) / "oci-runtime");
    std::string booted_with;
    std::getline(recorded_in, booted_with);
    ASSERT_FALSE(booted_with.empty());
    EXPECT_TRUE(fs::exists(booted_with)) << booted_with;

    // The host's choice changes (LUMOS_RUNC names another runtime, one that fails whatever it
    // is asked), and the zone's monitor dies.
    std::vector<std::pair<std::string, std::string>> const other { { "LUMOS_RUNC", "/bin/false" } };
    int64_t const first = monitor_pid(uuid);
    ASSERT_GT(first, 0);
    ASSERT_EQ(::kill(static_cast<pid_t>(first), SIGKILL), 0);
    // vmadm re-attaches a monitor: with the runtime the zone was booted with.
    auto got = vmadm({ "get", uuid }, with_libexec(other));
    ASSERT_EQ(got.exit_code, 0) << got.describe();
    int64_t const second = monitor_pid(uuid);
    ASSERT_GT(second, 0);
    EXPECT_NE(second, first);
    std::ifstream cmdline_in("/proc/" + std::to_string(second) + "/cmdline");
    std::string const cmdline((std::istreambuf_iterator<char>(cmdline_in)), {});
    EXPECT_NE(
        cmdline.find(std::string("--oci-runtime") + '\0' + booted_with + '\0'), std::string::npos)
        << cmdline;
    // zlogin runs in the zone through it too.
    RunOptions zlogin_options = with_root(with_libexec(other));
    auto login = run({ LUMOS_ZLOGIN_BIN, uuid, "echo in-zone" }, zlogin_options);
    EXPECT_EQ(login.exit_code, 0) << login.describe();
    EXPECT_EQ(login.out, "in-zone\n");
    // And the new monitor stops it.
    auto stopped = vmadm({ "stop", uuid }, with_libexec(other));
    EXPECT_EQ(stopped.exit_code, 0) << stopped.describe();
    EXPECT_EQ(get(uuid)["state"], "stopped");
    EXPECT_EQ(vmadm({ "delete", uuid }).exit_code, 0);
}

} // namespace
} // namespace lumos::test
