// SPDX-License-Identifier: MPL-2.0
// The metadata service in running zones (issue 15), as a guest uses it: mdata-get/put/list/
// delete inside joyent-minimal and lx zones against the server the zone's monitor runs, the
// user-script run at boot, `vmadm update` seen at once, guest writes seen by `vmadm get`, what a
// guest may not do (write sdc: keys, reach another VM's metadata, touch its socket directory),
// and concurrent writes from both sides that a killed `vmadm update` does not lose.
#include "zones/zone_fixture.hpp"

#include <chrono>
#include <csignal>
#include <thread>

namespace lumos::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class ZoneMetadata : public ZoneTest {
protected:
    // Waits for a file in the zone's root (written by something in the zone).
    bool wait_for_file(std::string const& uuid, std::string const& path,
        std::chrono::milliseconds timeout = 20s) const
    {
        fs::path const file = fs::path(get(uuid)["zonepath"].get<std::string>()) / "root"
            / fs::path(path).relative_path();
        auto const deadline = std::chrono::steady_clock::now() + timeout;
        while (!fs::exists(file) && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(50ms);
        }
        return fs::exists(file);
    }
    std::string zone_file(std::string const& uuid, std::string const& path) const
    {
        std::ifstream in(fs::path(get(uuid)["zonepath"].get<std::string>()) / "root"
            / fs::path(path).relative_path());
        return { std::istreambuf_iterator<char>(in), {} };
    }
};

TEST_F(ZoneMetadata, AJoyentZoneRunsItsUserScriptAndReadsItsMetadata)
{
    std::string const script = "#!/bin/sh\n"
                               "mdata-get sdc:uuid > /var/tmp/uuid.new\n"
                               "mdata-get root_authorized_keys >> /var/tmp/uuid.new\n"
                               "mv /var/tmp/uuid.new /var/tmp/user-script-ran\n";
    std::string const uuid = create_ok(
        joyent_minimal({ { "customer_metadata",
                             { { "user-script", script },
                                 { "root_authorized_keys", "ssh-ed25519 AAAA test@lumos" } } },
            { "internal_metadata",
                { { "operator-script", "#!/bin/sh\ntouch /var/tmp/op-ran\n" } } },
            { "tags", { { "role", "web" } } } }));
    ASSERT_TRUE(wait_for_file(uuid, "/var/tmp/user-script-ran"));
    EXPECT_EQ(
        zone_file(uuid, "/var/tmp/user-script-ran"), uuid + "\nssh-ed25519 AAAA test@lumos\n");
    EXPECT_TRUE(wait_for_file(uuid, "/var/tmp/op-ran"));
    EXPECT_EQ(zone_file(uuid, "/var/svc/mdata-user-script"), script);

    auto r
        = zlogin({ uuid, "mdata-get sdc:uuid; mdata-get sdc:hostname; mdata-get sdc:tags.role" });
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(r.out, uuid + "\nweb01\nweb\n");
    r = zlogin({ uuid, "mdata-list" });
    EXPECT_EQ(r.out, "root_authorized_keys\nuser-script\n") << r.describe();
    r = zlogin({ uuid, "mdata-get nope" });
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "No metadata for 'nope'\n");
}

TEST_F(ZoneMetadata, UpdatesAreSeenAtOnceAndGuestWritesLandInTheRecord)
{
    std::string const uuid = create_ok(joyent_minimal());
    RunOptions payload;
    payload.stdin_mode = StdinMode::Bytes;
    payload.stdin_bytes = R"({"set_customer_metadata": {"k": "v"}})";
    ASSERT_EQ(vmadm({ "update", uuid }, payload).exit_code, 0);
    auto r = zlogin({ uuid, "mdata-get k" });
    EXPECT_EQ(r.out, "v\n") << r.describe();

    r = zlogin({ uuid, "mdata-put color blue && echo piped | mdata-put from-stdin" });
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    json vm = get(uuid);
    EXPECT_EQ(vm["customer_metadata"]["color"], "blue");
    EXPECT_EQ(vm["customer_metadata"]["from-stdin"], "piped\n");
    // Bytes that are not UTF-8 are stored as U+FFFD, as SmartOS's agent does; the server goes on.
    r = zlogin({ uuid, "printf '\\377ok' | mdata-put raw && mdata-get sdc:alias" });
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(r.out, "web01\n");
    EXPECT_EQ(get(uuid)["customer_metadata"]["raw"], "\xEF\xBF\xBDok");
    r = zlogin({ uuid, "mdata-put site_pw secret" });
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(get(uuid)["internal_metadata"]["site_pw"], "secret");

    r = zlogin({ uuid, "mdata-delete color" });
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_FALSE(get(uuid)["customer_metadata"].contains("color"));
    EXPECT_EQ(zlogin({ uuid, "mdata-get color" }).exit_code, 1);
}

TEST_F(ZoneMetadata, AGuestCannotWriteSdcKeysNamespacesOrItsSocketDirectory)
{
    std::string const uuid
        = create_ok(joyent_minimal({ { "internal_metadata_namespaces", { "ops" } },
            { "internal_metadata", { { "ops:role", "db" } } } }));
    auto r = zlogin({ uuid, "mdata-put sdc:alias evil" });
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err,
        "Error putting metadata for key 'sdc:alias': Cannot update the \"sdc\" Namespace.\n");
    r = zlogin({ uuid, "mdata-delete ops:role" });
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(
        r.err, "Error deleting metadata key 'ops:role': Cannot update the \"ops\" Namespace.\n");
    EXPECT_EQ(zlogin({ uuid, "mdata-get ops:role" }).out, "db\n");
    EXPECT_EQ(get(uuid)["alias"], "web01");
    // The socket's directory is read-only in the zone: no replacing the socket, no filling it.
    r = zlogin({ uuid,
        "rm -f /.zonecontrol/metadata.sock; touch /.zonecontrol/x; "
        "ls /.zonecontrol" });
    EXPECT_EQ(r.out, "metadata.sock\n") << r.describe();
    EXPECT_EQ(zlogin({ uuid, "mdata-get sdc:uuid" }).out, uuid + "\n");
}

TEST_F(ZoneMetadata, EachZoneReadsOnlyItsOwnMetadata)
{
    std::string const a = create_ok(
        joyent_minimal({ { "alias", "a" }, { "customer_metadata", { { "secret", "of-a" } } } }));
    std::string const b = create_ok(lx({ { "alias", "b" } }));
    auto r = zlogin({ b,
        "/native/usr/sbin/mdata-get sdc:uuid; /native/usr/sbin/mdata-get secret; "
        "ls /.zonecontrol /native/.zonecontrol" });
    EXPECT_EQ(
        r.out, b + "\n/.zonecontrol:\nmetadata.sock\n\n/native/.zonecontrol:\nmetadata.sock\n")
        << r.describe();
    EXPECT_EQ(zlogin({ a, "mdata-get secret" }).out, "of-a\n");
}

TEST_F(ZoneMetadata, AnLxImageRunsItsUserScriptThroughItsOwnInit)
{
    std::string const uuid = create_ok(lx({ { "customer_metadata",
        { { "user-script", "#!/bin/sh\nhostname > /var/tmp/user-script-ran\n" } } } }));
    ASSERT_TRUE(wait_for_file(uuid, "/var/tmp/user-script-ran"));
    EXPECT_EQ(zone_file(uuid, "/var/tmp/user-script-ran"), "bb01\n");
}

TEST_F(ZoneMetadata, AFailingOrHangingUserScriptDoesNotHoldTheZone)
{
    std::string const uuid = create_ok(joyent_minimal({ { "customer_metadata",
        { { "user-script", "#!/bin/sh\ntouch /var/tmp/started\nexec sleep 600\n" } } } }));
    EXPECT_EQ(get(uuid)["state"], "running");
    ASSERT_TRUE(wait_for_file(uuid, "/var/tmp/started"));
    EXPECT_EQ(zlogin({ uuid, "mdata-get sdc:uuid" }).out, uuid + "\n");
    EXPECT_EQ(vmadm({ "stop", uuid }).exit_code, 0);
    RunOptions payload;
    payload.stdin_mode = StdinMode::Bytes;
    payload.stdin_bytes = R"({"set_customer_metadata": {"user-script": "#!/bin/sh\nexit 3\n"}})";
    ASSERT_EQ(vmadm({ "update", uuid }, payload).exit_code, 0);
    ASSERT_EQ(vmadm({ "start", uuid }).exit_code, 0);
    auto const deadline = std::chrono::steady_clock::now() + 20s;
    while (zone_file(uuid, "/var/svc/log/mdata-execute.log").find("user-script failed: exited 3")
            == std::string::npos
        && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(100ms);
    }
    EXPECT_NE(
        zone_file(uuid, "/var/svc/log/mdata-execute.log").find("user-script failed: exited 3"),
        std::string::npos);
}

// The guest's writes and the host's both go through the VM's lock and the record's atomic
// replace: none is lost, whether or not a third writer is killed halfway.
TEST_F(ZoneMetadata, ConcurrentGuestAndHostWritesAreNeverLostEvenWhenAnUpdateIsKilled)
{
    std::string const uuid = create_ok(joyent_minimal());
    RunOptions env;
    env.env.emplace_back("LUMOS_ROOT", root().str());
    for (int i = 0; i < 6; ++i) {
        std::string const n = std::to_string(i);
        RunOptions host = env;
        host.stdin_mode = StdinMode::Bytes;
        host.stdin_bytes = R"({"set_customer_metadata": {"host)" + n + R"(": "h"}})";
        RunOptions killed = env;
        killed.stdin_mode = StdinMode::Bytes;
        killed.stdin_bytes = R"({"set_customer_metadata": {"killed)" + n + R"(": "k"}})";
        Process victim = Process::spawn({ vmadm_path(), "update", uuid }, killed);
        Process guest
            = Process::spawn({ LUMOS_ZLOGIN_BIN, uuid, "mdata-put guest" + n + " g" }, env);
        Process update = Process::spawn({ vmadm_path(), "update", uuid }, host);
        std::this_thread::sleep_for(std::chrono::milliseconds(5 * i));
        victim.kill(SIGKILL);
        (void)victim.wait();
        RunResult const put = guest.wait();
        EXPECT_EQ(put.exit_code, 0) << put.describe();
        RunResult const updated = update.wait();
        EXPECT_EQ(updated.exit_code, 0) << updated.describe();
    }
    json const metadata = get(uuid)["customer_metadata"];
    for (int i = 0; i < 6; ++i) {
        EXPECT_EQ(metadata.value("host" + std::to_string(i), ""), "h") << metadata.dump();
        EXPECT_EQ(metadata.value("guest" + std::to_string(i), ""), "g") << metadata.dump();
    }
    EXPECT_EQ(zlogin({ uuid, "mdata-get guest5" }).out, "g\n");
}

// TritonDataCenter's own mdata-client, built from its source (tests/third_party/mdata-client,
// on the zone socket platform there), reads and writes through lumos's server unchanged: its
// protocol engine is upstream's, byte for byte, including the active reset on connect.
TEST_F(ZoneMetadata, UpstreamMdataClientWorksUnchanged)
{
    fs::path const built = root().path() / "upstream-mdata";
    RunResult const compiled
        = run({ std::string(LUMOS_SOURCE_DIR) + "/tests/third_party/mdata-client/build.sh",
            built.string() });
    ASSERT_EQ(compiled.exit_code, 0) << compiled.describe();
    std::string const uuid = create_ok(joyent_minimal(
        { { "customer_metadata", { { "greeting", "hello\n.dotted line" }, { "other", "x" } } } }));
    fs::path const target
        = fs::path(get(uuid)["zonepath"].get<std::string>()) / "root/var/tmp/upstream";
    fs::create_directories(target);
    for (char const* tool : { "mdata-get", "mdata-put", "mdata-list", "mdata-delete" }) {
        fs::copy_file(built / tool, target / tool);
    }
    auto r = zlogin({ uuid,
        "cd /var/tmp/upstream && ./mdata-get sdc:uuid && ./mdata-get greeting"
        " && ./mdata-list" });
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(r.out, uuid + "\nhello\n.dotted line\ngreeting\nother\n");
    r = zlogin({ uuid, "cd /var/tmp/upstream && ./mdata-put color blue && ./mdata-delete other" });
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    json const metadata = get(uuid)["customer_metadata"];
    EXPECT_EQ(metadata.value("color", ""), "blue");
    EXPECT_FALSE(metadata.contains("other"));
    r = zlogin({ uuid, "/var/tmp/upstream/mdata-get nope" });
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "No metadata for 'nope'\n");
    r = zlogin({ uuid, "/var/tmp/upstream/mdata-put sdc:alias x" });
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("Cannot update the \"sdc\" Namespace."), std::string::npos) << r.err;
}

// An lx zone's uname(2) is SmartOS's lx brand's: version "BrandZ virtual linux", release the
// VM's kernel_version, the zone's own hostname; a joyent zone's is the kernel's. The monitor
// answers it (seccomp user notification), after a reboot too, and a caller's buffer that it
// cannot write gets EFAULT, as from the kernel, with nothing written behind its protection.
TEST_F(ZoneMetadata, AnLxZonesUnameIsSmartOSsLxBrands)
{
    std::string const uuid = create_ok(lx());
    auto r = zlogin({ uuid, "uname -s; uname -n; uname -r; uname -v; uname -m" });
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(r.out, "Linux\nbb01\n4.3.0\nBrandZ virtual linux\nx86_64\n");

    fs::path const probe
        = fs::path(get(uuid)["zonepath"].get<std::string>()) / "root/var/tmp/zone-syscalls";
    fs::copy_file(LUMOS_ZONE_SYSCALLS_BIN, probe);
    r = zlogin({ uuid, "/var/tmp/zone-syscalls uname-bad-address uname-read-only" });
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(r.out, "uname-bad-address EFAULT\nuname-read-only EFAULT\n");

    ASSERT_EQ(vmadm({ "reboot", uuid }).exit_code, 0);
    r = zlogin({ uuid, "uname -v" });
    EXPECT_EQ(r.out, "BrandZ virtual linux\n") << r.describe();

    // A killed monitor: the next zlogin re-attaches one, which listens again, so the sessions
    // exec'd from then on get their answers (and the exec itself is not refused).
    std::ifstream status_in(root().path() / "run/lumos/zones" / uuid / "status");
    json const status = json::parse(status_in, nullptr, false);
    ASSERT_TRUE(status.is_object());
    ASSERT_EQ(::kill(static_cast<pid_t>(status.value("monitor_pid", int64_t { 0 })), SIGKILL), 0);
    r = zlogin({ uuid, "uname -v" });
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(r.out, "BrandZ virtual linux\n");
    EXPECT_NE(zone_log(uuid).find("uname fails (ENOSYS) in the zone's processes that were running"),
        std::string::npos);

    std::string const joyent = create_ok(joyent_minimal());
    r = zlogin({ joyent, "uname -v" });
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_NE(r.out, "BrandZ virtual linux\n");
    EXPECT_FALSE(r.out.empty());
}

// Debian's cloud-init, unchanged, in a debian-12 lx zone: its SmartOS data source knows the
// platform by the zone's uname version and reads the hostname, the keys, the user-data and the
// user-script over /native/.zonecontrol/metadata.sock. The image is debootstrapped from the
// mirror apt uses (the one download tests may do); without it the test is skipped.
TEST_F(ZoneMetadata, CloudInitReadsHostnameKeysAndUserData)
{
    std::string const image = "7d5b5b3e-5a1f-4c55-9d71-2f0c6a1e9b04";
    if (auto why = build_and_install_image("debian-12-cloud-init", image)) {
        GTEST_SKIP() << *why;
    }
    ASSERT_FALSE(HasFailure());

    std::string const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKumos test@lumos";
    std::string const uuid = create_ok(
        lx({ { "image_uuid", image }, { "hostname", "cloud01" }, { "max_physical_memory", 512 },
            { "customer_metadata",
                { { "root_authorized_keys", key },
                    { "user-script", "#!/bin/sh\nhostname > /var/tmp/user-script-ran\n" },
                    { "cloud-init:user-data",
                        "#cloud-config\nruncmd:\n  - echo from-user-data > "
                        "/var/tmp/runcmd-ran\n" } } } }));
    // provision_success comes from cloud-init's data source once it has read the metadata;
    // the rest of the boot (config and final stages) follows.
    ASSERT_TRUE(wait_for_file(uuid, "/var/tmp/user-script-ran", 120s)) << zone_log(uuid);
    ASSERT_TRUE(wait_for_file(uuid, "/var/tmp/runcmd-ran", 60s));
    EXPECT_EQ(zone_file(uuid, "/var/tmp/user-script-ran"), "cloud01\n");
    EXPECT_EQ(zone_file(uuid, "/var/tmp/runcmd-ran"), "from-user-data\n");
    // Every stage done without an error (status error would name the module that failed).
    auto r = zlogin({ uuid,
        "cloud-init status --wait | tail -1; cat /var/lib/cloud/data/instance-id;"
        " cloud-id; cat /etc/hostname" });
    EXPECT_EQ(r.out, "status: done\n" + uuid + "\njoyent\ncloud01\n") << r.describe();
    // The key: for the image's default user, and root's refers logins to it (Debian's
    // disable_root), as on any cloud.
    r = zlogin({ uuid, "cat /home/debian/.ssh/authorized_keys /root/.ssh/authorized_keys" });
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_NE(r.out.find(key), std::string::npos) << r.out;
    EXPECT_EQ(vmadm({ "delete", uuid }).exit_code, 0);
}

} // namespace
} // namespace lumos::test
