// SPDX-License-Identifier: MPL-2.0
// Hostile input, concurrency and crashes: vmadm must fail cleanly (exit 1 or 2 with a message,
// never a signal), and the store must keep exactly the VMs it had.
#include "support/vmadm_fixture.hpp"

#include <gmock/gmock.h>

#include <chrono>
#include <random>
#include <thread>

namespace lumos::test {
namespace {

using ::testing::AnyOf;

class Robustness : public VmadmTest {
protected:
    void SetUp() override
    {
        VmadmTest::SetUp();
        if (IsSkipped()) {
            return;
        }
        auto p = os_payload();
        p["alias"] = "survivor";
        p["tags"] = { { "keep", "me" } };
        m_survivor = create_ok(p);
        m_survivor_before = get(m_survivor);
    }

    void TearDown() override
    {
        if (m_survivor.empty() || HasFatalFailure()) {
            return;
        }
        // The store must still hold the survivor, unchanged, and nothing unexpected.
        auto uuids = list_uuids();
        EXPECT_NE(std::find(uuids.begin(), uuids.end(), m_survivor), uuids.end());
        if (m_expect_only_survivor) {
            EXPECT_EQ(uuids, std::vector<std::string> { m_survivor });
        }
        auto r = vmadm({ "get", m_survivor });
        ASSERT_EQ(r.exit_code, 0) << r.describe();
        auto now = json::parse(r.out);
        // a no-op rewrite may bump last_modified; everything else must be as it was
        now.erase("last_modified");
        auto before = m_survivor_before;
        before.erase("last_modified");
        EXPECT_EQ(now, before);
    }

    std::string m_survivor;
    json m_survivor_before;
    bool m_expect_only_survivor = true;
};

// --- malformed and hostile payloads -----------------------------------------------------------

struct HostileCase {
    const char* name;
    std::string text;
};

std::string nested(size_t depth, char open, char close, const std::string& inner = "")
{
    return std::string(depth, open) + inner + std::string(depth, close);
}

std::string nested_objects(size_t depth)
{
    std::string s;
    s.reserve(depth * 6);
    for (size_t i = 0; i < depth; ++i) {
        s += "{\"a\":";
    }
    s += "1";
    s += std::string(depth, '}');
    return s;
}

std::string base_with(const std::string& key, const std::string& raw_value)
{
    return std::string("{\"brand\":\"joyent\",\"autoboot\":false,\"image_uuid\":\"") + IMAGE_UUID
        + "\",\"" + key + "\":" + raw_value + "}";
}

class HostilePayload
    : public Robustness
    , public ::testing::WithParamInterface<HostileCase> { };

TEST_P(HostilePayload, CreateFailsCleanly)
{
    auto r = vmadm_stdin({ "create" }, GetParam().text);
    EXPECT_TRUE(clean_failure(r));
    EXPECT_EQ(r.exit_code, 1) << r.describe();
    EXPECT_LT(r.err.size(), 100000U) << "error message should be short";
}

TEST_P(HostilePayload, UpdateNeverCrashes)
{
    // Create-only keys are dropped by update (§1.7), so some of these payloads are valid updates.
    auto r = vmadm_stdin({ "update", m_survivor }, GetParam().text);
    EXPECT_TRUE(r.exited() && !r.timed_out) << r.describe();
    EXPECT_THAT(r.exit_code, AnyOf(0, 1)) << r.describe();
    if (r.exit_code == 0) {
        m_survivor_before = get(m_survivor);
    } else {
        EXPECT_FALSE(r.err.empty());
    }
}

TEST_P(HostilePayload, ValidateFailsCleanly)
{
    auto r = vmadm_stdin({ "validate", "create" }, GetParam().text);
    EXPECT_TRUE(clean_failure(r));
    EXPECT_EQ(r.exit_code, 1) << r.describe();
}

INSTANTIATE_TEST_SUITE_P(Payloads, HostilePayload,
    ::testing::Values(HostileCase { "empty", "" }, HostileCase { "whitespace", " \n\t " },
        HostileCase { "truncated", base_with("alias", "\"abc") },
        HostileCase { "nul_byte", std::string("{\"brand\":\"joy\0ent\"}", 19) },
        HostileCase { "deep_arrays", nested(100000, '[', ']') },
        HostileCase { "deep_arrays_in_value", base_with("alias", nested(100000, '[', ']')) },
        HostileCase { "deep_objects", base_with("customer_metadata", nested_objects(100000)) },
        HostileCase { "unbalanced_deep", nested(200000, '[', '}') },
        // 2 MB here (run three times); the 20 MB cases are TwentyMegabyte* below
        HostileCase { "big_invalid", std::string("{\"alias\":\"") + std::string(2 << 20, 'x') },
        HostileCase { "unknown_brand", base_with("brand", "\"solaris10\"") },
        HostileCase { "brand_number", base_with("brand", "7") },
        HostileCase { "brand_object", base_with("brand", "{\"x\":1}") },
        HostileCase { "uuid_traversal", base_with("uuid", "\"../../../../tmp/evil\"") },
        HostileCase { "uuid_traversal_shaped",
            base_with("uuid", "\"../../..-/../-/../-/../-/../etc/pass\"") },
        HostileCase { "uuid_upper", base_with("uuid", "\"AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE\"") },
        HostileCase { "uuid_number", base_with("uuid", "12345") },
        HostileCase { "uuid_empty", base_with("uuid", "\"\"") },
        HostileCase { "nics_wrong_type", base_with("nics", "\"net0\"") },
        HostileCase { "nics_array_of_numbers", base_with("nics", "[1,2,3]") },
        HostileCase { "nics_nested_arrays", base_with("nics", "[[[{}]]]") },
        HostileCase { "tags_nested", base_with("tags", "{\"a\":{\"b\":{\"c\":1}}}") },
        HostileCase { "ram_huge", base_with("max_physical_memory", "1e400") },
        HostileCase { "ram_negative", base_with("max_physical_memory", "-256") },
        HostileCase { "ram_fraction", base_with("max_physical_memory", "256.5") },
        HostileCase { "quota_string", base_with("quota", "\"lots\"") },
        HostileCase { "zpool_traversal", base_with("zpool", "\"../../etc\"") },
        HostileCase { "image_uuid_traversal",
            base_with("image_uuid", "\"../../../../../../../../etc/passwd\"") },
        HostileCase { "invalid_utf8_key", base_with("\xff\xfe", "1") }),
    [](const auto& test_param) { return std::string(test_param.param.name); });

// What lumos answers for each number, as create's max_physical_memory and update's
// max_locked_memory: a value past what a cap can hold is refused naming the property (a silent
// wrap-around would store another value); one that fits is accepted.
struct HugeNumberCase {
    const char* value;
    int create_status;
    const char* create_err;
    int update_status;
    const char* update_err;
};

class HugeNumber
    : public Robustness
    , public ::testing::WithParamInterface<HugeNumberCase> { };

TEST_P(HugeNumber, CreateAndUpdateAnswerExactly)
{
    const auto& param = GetParam();
    auto r = vmadm_stdin({ "create" }, base_with("max_physical_memory", param.value));
    EXPECT_TRUE(r.exited()) << r.describe();
    EXPECT_EQ(r.exit_code, param.create_status) << r.describe();
    m_expect_only_survivor = r.exit_code != 0;
    if (param.create_status == 0) {
        EXPECT_EQ(r.err.rfind("Successfully created VM ", 0), 0U) << r.err;
    } else {
        EXPECT_EQ(r.err, param.create_err);
    }
    auto u = vmadm_stdin(
        { "update", m_survivor }, std::string("{\"max_locked_memory\":") + param.value + "}");
    EXPECT_TRUE(u.exited()) << u.describe();
    EXPECT_EQ(u.exit_code, param.update_status) << u.describe();
    if (param.update_status == 0) {
        EXPECT_EQ(u.err, "Successfully updated VM " + m_survivor + "\n");
        // VM.js fixPayloadMemory clamps max_locked_memory to max_physical_memory (256).
        EXPECT_EQ(get(m_survivor)["max_locked_memory"], 256);
    } else {
        EXPECT_EQ(u.err, param.update_err);
    }
    m_survivor_before = get(m_survivor);
}

INSTANTIATE_TEST_SUITE_P(Numbers, HugeNumber,
    ::testing::Values(
        HugeNumberCase { "9223372036854775807", 1, "Invalid value(s) for: max_physical_memory\n", 1,
            "Invalid value(s) for: max_locked_memory\n" },
        HugeNumberCase { "18446744073709551617", 1, "Invalid value(s) for: max_physical_memory\n",
            1, "Invalid value(s) for: max_locked_memory\n" },
        HugeNumberCase { "-9223372036854775808", 1,
            "Invalid value(s) for: max_locked_memory,max_physical_memory,max_shm_memory,tmpfs\n", 1,
            "Invalid value(s) for: max_locked_memory\n" },
        HugeNumberCase { "1e18", 1, "Invalid value(s) for: max_physical_memory\n", 1,
            "Invalid value(s) for: max_locked_memory\n" },
        HugeNumberCase { "4294967296", 0, "", 0, "" }));

TEST_F(Robustness, KvmRamNearInt64MaxIsRefused)
{
    // ram + 1024 overhead must not overflow (reference §2.6): the ram is refused as invalid.
    auto p = hvm_payload("kvm");
    p["ram"] = 9223372036854775807LL;
    EXPECT_TRUE(failed_with(create(p), "Invalid value(s) for: ram"));
}

TEST_F(Robustness, TwentyMegabytePayloadOnStdin)
{
    // Over the 8 MiB payload bound (issue 11 point 9): refused once the bound is read.
    auto p = os_payload();
    p["customer_metadata"] = { { "big", std::string(20 << 20, 'y') } };
    auto r = create(p);
    EXPECT_FALSE(r.timed_out);
    EXPECT_TRUE(failed_with(r, "Invalid JSON payload: payload is larger than 8388608 bytes"));
}

TEST_F(Robustness, TwentyMegabyteInvalidJsonFromFile)
{
    auto path = write_payload(std::string(20 << 20, '['));
    auto r = vmadm({ "create", "-f", path });
    EXPECT_TRUE(failed_with(r, "Invalid JSON payload: payload is larger than 8388608 bytes"));
}

TEST_F(Robustness, NonUtf8AliasFromJsonNeverBreaksGet)
{
    auto r = vmadm_stdin({ "create" }, base_with("alias", "\"bad\xff\xfe\xc3(\""));
    EXPECT_TRUE(r.exited()) << r.describe();
    EXPECT_THAT(r.exit_code, AnyOf(0, 1)) << r.describe();
    m_expect_only_survivor = r.exit_code != 0;
    if (r.exit_code == 0) {
        // Whatever was stored, get/list/lookup must still produce valid output.
        for (const auto& uuid : list_uuids()) {
            auto g = vmadm({ "get", uuid });
            EXPECT_EQ(g.exit_code, 0) << g.describe();
            EXPECT_FALSE(json::parse(g.out, nullptr, false).is_discarded()) << g.out;
        }
        auto l = vmadm({ "lookup", "-j" });
        EXPECT_EQ(l.exit_code, 0) << l.describe();
        EXPECT_FALSE(json::parse(l.out, nullptr, false).is_discarded());
    }
}

TEST_F(Robustness, NonUtf8AliasFromArgvNeverBreaksGet)
{
    auto r = vmadm({ "update", m_survivor, "alias=bad\xff\xfe\xc3(" });
    EXPECT_TRUE(r.exited()) << r.describe();
    EXPECT_THAT(r.exit_code, AnyOf(0, 1)) << r.describe();
    auto g = vmadm({ "get", m_survivor });
    EXPECT_EQ(g.exit_code, 0) << g.describe();
    EXPECT_FALSE(json::parse(g.out, nullptr, false).is_discarded()) << g.out;
    auto l = vmadm({ "list" });
    EXPECT_EQ(l.exit_code, 0) << l.describe();
    if (r.exit_code == 0) {
        // restore so TearDown's comparison is meaningful
        update_ok(m_survivor, { { "alias", "survivor" } });
    }
    m_survivor_before = get(m_survivor);
}

TEST_F(Robustness, HugeArgvValue)
{
    auto r = vmadm({ "update", m_survivor, "alias=" + std::string(100000, 'a') });
    EXPECT_TRUE(r.exited()) << r.describe();
    EXPECT_THAT(r.exit_code, AnyOf(0, 1)) << r.describe();
    update_ok(m_survivor, { { "alias", "survivor" } });
    m_survivor_before = get(m_survivor);
}

TEST_F(Robustness, ManyKeyValueArgs)
{
    std::vector<std::string> args { "update", m_survivor };
    for (int i = 0; i < 5000; ++i) {
        args.push_back("bogus" + std::to_string(i) + "=" + std::to_string(i));
    }
    auto r = vmadm(args);
    EXPECT_TRUE(r.exited()) << r.describe();
    EXPECT_THAT(r.exit_code, AnyOf(0, 1)) << r.describe();
    EXPECT_FALSE(get(m_survivor).contains("bogus0"));
}

struct BadUuidArg {
    const char* name;
    std::string uuid;
};

class BadUuidCommand
    : public Robustness
    , public ::testing::WithParamInterface<BadUuidArg> { };

TEST_P(BadUuidCommand, GetUpdateDeleteFailCleanly)
{
    const auto& uuid = GetParam().uuid;
    for (const auto& args : std::vector<std::vector<std::string>> {
             { "get", uuid }, { "update", uuid, "alias=x" }, { "delete", uuid } }) {
        auto r = vmadm(args);
        EXPECT_TRUE(clean_failure(r)) << args[0];
    }
}

INSTANTIATE_TEST_SUITE_P(Uuids, BadUuidCommand,
    ::testing::Values(BadUuidArg { "empty", "" }, BadUuidArg { "short", "1234" },
        BadUuidArg { "traversal_shaped", "../../..-/../-/../-/../-/../etc/pass" },
        BadUuidArg { "upper", "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE" },
        BadUuidArg { "glob", "********-****-****-****-************" },
        BadUuidArg { "non_utf8",
            "\xff\xff\xff\xff\xff\xff\xff\xff-\xff\xff\xff\xff-\xff\xff\xff\xff-"
            "\xff\xff\xff\xff-\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" },
        BadUuidArg { "absent", ABSENT_UUID }),
    [](const auto& test_param) { return std::string(test_param.param.name); });

TEST_F(Robustness, StrayTempFilesDoNotAffectListing)
{
    root().write_file("etc/lumos/vms/" + m_survivor + ".json.tmp", "{ partial");
    root().write_file("etc/lumos/vms/.tmp-123", "");
    root().write_file("etc/lumos/vms/" + m_survivor + ".json.tmp.4242", "{\"uuid\":");
    root().write_file(
        "etc/lumos/vms/.6a1c4b1e-2d3f-4a5b-8c9d-0e1f2a3b4c5d.json.tmp", "{\"uuid\":\"x\"}");
    auto r = vmadm({ "list", "-H", "-p", "-o", "uuid" });
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(r.out, m_survivor + "\n");
    auto l = vmadm({ "lookup" });
    EXPECT_EQ(l.out, m_survivor + "\n");
}

// --- concurrency ------------------------------------------------------------------------------

TEST_F(Robustness, ConcurrentCreatesWithSameUuid)
{
    const std::string uuid = "c0ffee00-1234-4abc-8def-0123456789ab";
    auto p = os_payload();
    p["uuid"] = uuid;
    auto path = write_payload(p);
    std::vector<Process> procs;
    for (int i = 0; i < 20; ++i) {
        RunOptions options;
        options.env.emplace_back("LUMOS_ROOT", root().str());
        procs.push_back(Process::spawn({ vmadm_path(), "create", "-f", path }, options));
    }
    int successes = 0;
    for (auto& proc : procs) {
        auto r = proc.wait();
        ASSERT_TRUE(r.exited()) << r.describe();
        if (r.exit_code == 0) {
            ++successes;
            EXPECT_EQ(r.err, "Successfully created VM " + uuid + "\n");
        } else {
            EXPECT_EQ(r.exit_code, 1) << r.describe();
            EXPECT_EQ(r.err, "VM with UUID " + uuid + " already exists\n") << r.describe();
        }
    }
    EXPECT_EQ(successes, 1);
    m_expect_only_survivor = false;
    auto uuids = list_uuids();
    EXPECT_EQ(uuids.size(), 2U);
    EXPECT_EQ(get(uuid)["uuid"], uuid);
}

TEST_F(Robustness, ConcurrentCreatesWithDistinctUuidsAllLand)
{
    auto path = write_payload(os_payload());
    std::vector<Process> procs;
    for (int i = 0; i < 20; ++i) {
        RunOptions options;
        options.env.emplace_back("LUMOS_ROOT", root().str());
        procs.push_back(Process::spawn({ vmadm_path(), "create", "-f", path }, options));
    }
    for (auto& proc : procs) {
        auto r = proc.wait();
        EXPECT_EQ(r.exit_code, 0) << r.describe();
    }
    m_expect_only_survivor = false;
    EXPECT_EQ(list_uuids().size(), 21U);
}

TEST_F(Robustness, ConcurrentUpdatesAreSerialized)
{
    std::vector<Process> procs;
    for (int i = 0; i < 10; ++i) {
        RunOptions options;
        options.env.emplace_back("LUMOS_ROOT", root().str());
        auto path = write_payload(json { { "set_tags", { { "k" + std::to_string(i), i } } } });
        procs.push_back(
            Process::spawn({ vmadm_path(), "update", m_survivor, "-f", path }, options));
    }
    for (auto& proc : procs) {
        auto r = proc.wait();
        EXPECT_EQ(r.exit_code, 0) << r.describe();
    }
    auto tags = get(m_survivor)["tags"];
    EXPECT_EQ(tags.size(), 11U) << "lost update: " << tags.dump();
    update_ok(m_survivor,
        { { "remove_tags", { "k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9" } } });
}

TEST_F(Robustness, ConcurrentDeleteAndGet)
{
    auto victim = create_ok(os_payload());
    std::vector<Process> procs;
    RunOptions options;
    options.env.emplace_back("LUMOS_ROOT", root().str());
    for (int i = 0; i < 5; ++i) {
        procs.push_back(Process::spawn({ vmadm_path(), "delete", victim }, options));
        procs.push_back(Process::spawn({ vmadm_path(), "get", victim }, options));
        procs.push_back(Process::spawn({ vmadm_path(), "list" }, options));
    }
    int deleted = 0;
    for (auto& proc : procs) {
        auto r = proc.wait();
        ASSERT_TRUE(r.exited()) << r.describe();
        EXPECT_THAT(r.exit_code, AnyOf(0, 1)) << r.describe();
        if (r.err == "Successfully deleted VM " + victim + "\n") {
            ++deleted;
        }
        if (r.exit_code == 0 && r.out.rfind("{", 0) == 0) {
            EXPECT_FALSE(json::parse(r.out, nullptr, false).is_discarded()) << "torn read";
        }
    }
    EXPECT_EQ(deleted, 1);
}

// --- crash safety -----------------------------------------------------------------------------

// Kill `vmadm update` after a random delay: `get` must show the old or the new VM, never an
// error and never a mix. 0-5 ms (the range) mostly hits start-up; 0-80 ms also covers
// the writes (an update takes tens of ms in a debug build).
class SigkilledUpdate
    : public Robustness
    , public ::testing::WithParamInterface<int> { };

TEST_P(SigkilledUpdate, LeavesOldOrNewConfig)
{
    std::mt19937 rng(20240601U + static_cast<unsigned>(GetParam()));
    std::uniform_int_distribution<int> delay_us(0, GetParam() * 1000);
    RunOptions options;
    options.env.emplace_back("LUMOS_ROOT", root().str());
    auto strip = [](json vm) {
        vm.erase("last_modified");
        return vm;
    };
    json old_vm = strip(get(m_survivor));
    int completed = 0;

    for (int i = 0; i < 30; ++i) {
        const std::string next = "alias-" + std::to_string(i);
        const int next_mem = 320 + 64 * (i % 4);
        json payload = { { "alias", next }, { "set_tags", { { "iteration", i } } },
            { "set_customer_metadata", { { "iteration", i } } },
            { "max_physical_memory", next_mem } };
        auto path = write_payload(payload);
        auto proc = Process::spawn({ vmadm_path(), "update", m_survivor, "-f", path }, options);
        std::this_thread::sleep_for(std::chrono::microseconds(delay_us(rng)));
        proc.kill(SIGKILL);
        (void)proc.wait();

        auto g = vmadm({ "get", m_survivor });
        ASSERT_EQ(g.exit_code, 0) << "iteration " << i << ": " << g.describe();
        auto vm = json::parse(g.out, nullptr, false);
        ASSERT_FALSE(vm.is_discarded()) << "iteration " << i << ": torn config " << g.out;
        vm = strip(vm);
        if (vm != old_vm) {
            // Not the old VM, so it must be the whole new one.
            EXPECT_EQ(vm.value("alias", std::string()), next)
                << "iteration " << i << ": changed " << json::diff(old_vm, vm).dump();
            EXPECT_EQ(vm["tags"].value("iteration", -1), i) << "iteration " << i << ": mixed tags";
            EXPECT_EQ(vm["customer_metadata"].value("iteration", -1), i)
                << "iteration " << i << ": mixed metadata";
            EXPECT_EQ(vm["max_physical_memory"], next_mem) << "iteration " << i;
            ++completed;
        }
        old_vm = vm;

        auto l = vmadm({ "list", "-H", "-p", "-o", "uuid" });
        ASSERT_EQ(l.exit_code, 0) << l.describe();
        ASSERT_EQ(l.out, m_survivor + "\n") << "iteration " << i;
    }
    RecordProperty("completed_updates", completed);
    // A lock left by a killed update must not block the next one.
    RunOptions quick;
    quick.stdin_mode = StdinMode::Bytes;
    quick.stdin_bytes = json {
        { "alias", "survivor" }, { "remove_tags", { "iteration" } },
        { "remove_customer_metadata", { "iteration" } }, { "max_physical_memory", 256 }
    }.dump();
    quick.timeout = std::chrono::milliseconds(10000);
    auto r = vmadm({ "update", m_survivor }, quick);
    ASSERT_TRUE(succeeded_with_message(r, "Successfully updated VM " + m_survivor));
    m_survivor_before = get(m_survivor);
}

INSTANTIATE_TEST_SUITE_P(MaxDelayMs, SigkilledUpdate, ::testing::Values(5, 80));

TEST_F(Robustness, SigkilledCreatesNeverLeaveHalfVms)
{
    std::mt19937 rng(424242U);
    std::uniform_int_distribution<int> delay_us(0, 5000);
    RunOptions options;
    options.env.emplace_back("LUMOS_ROOT", root().str());
    auto path = write_payload(os_payload());
    for (int i = 0; i < 20; ++i) {
        auto proc = Process::spawn({ vmadm_path(), "create", "-f", path }, options);
        std::this_thread::sleep_for(std::chrono::microseconds(delay_us(rng)));
        proc.kill(SIGKILL);
        (void)proc.wait();
    }
    m_expect_only_survivor = false;
    auto r = vmadm({ "list", "-H", "-p", "-o", "uuid" });
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    for (const auto& uuid : split_lines(r.out)) {
        auto g = vmadm({ "get", uuid });
        EXPECT_EQ(g.exit_code, 0) << "listed VM " << uuid << " cannot be read: " << g.describe();
    }
}

} // namespace
} // namespace lumos::test

namespace lumos::test {
namespace {

TEST_F(Robustness, CorruptConfigDoesNotBreakOtherVms)
{
    const std::string bad = "6a1c4b1e-2d3f-4a5b-8c9d-0e1f2a3b4c5d";
    root().write_file("etc/lumos/vms/" + bad + ".json", "{ this is not json");
    auto g = vmadm({ "get", m_survivor });
    EXPECT_EQ(g.exit_code, 0) << g.describe();
    // The unreadable record is skipped: list shows the others.
    auto l = vmadm({ "list", "-H", "-p", "-o", "uuid" });
    EXPECT_EQ(l.exit_code, 0) << l.describe();
    EXPECT_EQ(l.out, m_survivor + "\n");
    auto b = vmadm({ "get", bad });
    EXPECT_TRUE(clean_failure(b));
    std::filesystem::remove(config_path(bad));
}

TEST_F(Robustness, MissingOrOddLumosRoot)
{
    // A root without a store lists no VMs (the header only), and creates nothing.
    for (const std::string dir : { "/nonexistent/lumos-root", "", "relative/root" }) {
        RunOptions options;
        options.env.emplace_back("LUMOS_ROOT", dir);
        auto r = run({ vmadm_path(), "list" }, options);
        EXPECT_TRUE(r.exited() && !r.timed_out) << dir << ": " << r.describe();
        EXPECT_EQ(r.exit_code, 0) << dir << ": " << r.describe();
        EXPECT_EQ(
            r.out, "UUID                                  TYPE  RAM      STATE             ALIAS\n")
            << dir;
        EXPECT_EQ(r.err, "") << dir;
        EXPECT_FALSE(std::filesystem::exists("relative/root")) << "list must not create the store";
        EXPECT_FALSE(std::filesystem::exists("/nonexistent/lumos-root"));
    }
}

struct OptionCase {
    const char* name;
    std::vector<std::string> args;
};

class MalformedOptions
    : public Robustness
    , public ::testing::WithParamInterface<OptionCase> { };

// (Unknown flags are not listed: upstream's nopt ignores them, so `list --bogus` succeeds.)
TEST_P(MalformedOptions, FailCleanly)
{
    auto r = vmadm(GetParam().args);
    EXPECT_TRUE(clean_failure(r));
}

INSTANTIATE_TEST_SUITE_P(Args, MalformedOptions,
    ::testing::Values(OptionCase { "create_f_without_value", { "create", "-f" } },
        OptionCase { "create_f_directory", { "create", "-f", "/" } },
        OptionCase { "create_f_dev_null", { "create", "-f", "/dev/null" } },
        OptionCase { "list_o_without_value", { "list", "-o" } },
        OptionCase { "list_s_without_value", { "list", "-s" } },
        OptionCase { "list_empty_o", { "list", "-o", "" } },
        OptionCase { "list_o_commas", { "list", "-o", ",,," } },
        OptionCase { "validate_bad_action", { "validate", "detonate", "-f", "/dev/null" } },
        OptionCase { "get_two_uuids", { "get", ABSENT_UUID, ABSENT_UUID } },
        OptionCase { "delete_empty_uuid", { "delete", "" } },
        OptionCase { "filter_empty_key", { "list", "=value" } }),
    [](const auto& test_param) { return std::string(test_param.param.name); });

TEST_F(Robustness, ListsDuringConcurrentCreatesNeverFail)
{
    auto path = write_payload(os_payload());
    RunOptions options;
    options.env.emplace_back("LUMOS_ROOT", root().str());
    std::vector<Process> creates;
    std::vector<Process> readers;
    for (int i = 0; i < 8; ++i) {
        creates.push_back(Process::spawn({ vmadm_path(), "create", "-f", path }, options));
        readers.push_back(Process::spawn({ vmadm_path(), "list", "-p" }, options));
        readers.push_back(Process::spawn({ vmadm_path(), "lookup", "-j" }, options));
    }
    for (auto& proc : readers) {
        auto r = proc.wait();
        EXPECT_EQ(r.exit_code, 0) << r.describe();
        EXPECT_EQ(r.err, "");
    }
    for (auto& proc : creates) {
        EXPECT_EQ(proc.wait().exit_code, 0);
    }
    m_expect_only_survivor = false;
    EXPECT_EQ(list_uuids().size(), 9U);
}

TEST_F(Robustness, CreateWorksAfterKilledCreates)
{
    RunOptions options;
    options.env.emplace_back("LUMOS_ROOT", root().str());
    auto path = write_payload(os_payload());
    for (int i = 0; i < 5; ++i) {
        auto proc = Process::spawn({ vmadm_path(), "create", "-f", path }, options);
        std::this_thread::sleep_for(std::chrono::milliseconds(i));
        proc.kill(SIGKILL);
        (void)proc.wait();
    }
    m_expect_only_survivor = false;
    RunOptions quick;
    quick.stdin_mode = StdinMode::Bytes;
    quick.stdin_bytes = os_payload().dump();
    quick.timeout = std::chrono::milliseconds(10000);
    auto r = vmadm({ "create" }, quick);
    EXPECT_EQ(r.exit_code, 0) << "a killed create left a lock behind? " << r.describe();
}

} // namespace
} // namespace lumos::test

namespace lumos::test {
namespace {

TEST_F(Robustness, ConcurrentCreatesWithSameMacOnlyOneWins)
{
    // The conflict check (§2.4) and the write must be one critical section.
    auto p = os_payload();
    p["nics"] = { { { "nic_tag", "admin" }, { "ips", { "10.77.0.1/24" } },
        { "mac", "02:77:00:00:00:01" } } };
    auto path = write_payload(p);
    RunOptions options;
    options.env.emplace_back("LUMOS_ROOT", root().str());
    std::vector<Process> procs;
    for (int i = 0; i < 10; ++i) {
        procs.push_back(Process::spawn({ vmadm_path(), "create", "-f", path }, options));
    }
    int successes = 0;
    for (auto& proc : procs) {
        auto r = proc.wait();
        ASSERT_TRUE(r.exited()) << r.describe();
        if (r.exit_code == 0) {
            ++successes;
        } else {
            EXPECT_EQ(
                r.err, "Conflict detected with another vm, please check the MAC, IP, and VRID\n")
                << r.describe();
        }
    }
    EXPECT_EQ(successes, 1);
    m_expect_only_survivor = false;
    EXPECT_EQ(list_uuids().size(), 2U);
}

} // namespace
} // namespace lumos::test

namespace lumos::test {
namespace {

TEST_F(Robustness, ConcurrentUpdatesOfTwoVmsCannotBothTakeOneMac)
{
    // Each VM has its own config lock, but the MAC conflict check spans VMs (§2.4).
    auto other = create_ok(os_payload());
    m_expect_only_survivor = false;
    RunOptions options;
    options.env.emplace_back("LUMOS_ROOT", root().str());
    int doubly_taken = 0;
    for (int round = 0; round < 6; ++round) {
        char mac[32];
        std::snprintf(mac, sizeof(mac), "02:78:00:00:00:%02x", round);
        auto path = write_payload(json {
            { "add_nics", { { { "nic_tag", "admin" }, { "ip", "dhcp" }, { "mac", mac } } } } });
        auto a = Process::spawn({ vmadm_path(), "update", m_survivor, "-f", path }, options);
        auto b = Process::spawn({ vmadm_path(), "update", other, "-f", path }, options);
        auto ra = a.wait();
        auto rb = b.wait();
        ASSERT_TRUE(ra.exited() && rb.exited()) << ra.describe() << rb.describe();
        EXPECT_THAT(ra.exit_code, AnyOf(0, 1)) << ra.describe();
        EXPECT_THAT(rb.exit_code, AnyOf(0, 1)) << rb.describe();
        if (ra.exit_code == 0 && rb.exit_code == 0) {
            ++doubly_taken;
        }
    }
    EXPECT_EQ(doubly_taken, 0) << "both VMs got the same MAC";
    m_survivor_before = get(m_survivor);
}

} // namespace
} // namespace lumos::test

namespace lumos::test {
namespace {

TEST_F(Robustness, DeleteRacingUpdateNeverResurrectsTheVm)
{
    RunOptions options;
    options.env.emplace_back("LUMOS_ROOT", root().str());
    auto path = write_payload(json { { "alias", "updated" }, { "set_tags", { { "x", 1 } } } });
    for (int round = 0; round < 8; ++round) {
        auto victim = create_ok(os_payload());
        std::vector<Process> updates;
        for (int i = 0; i < 3; ++i) {
            updates.push_back(
                Process::spawn({ vmadm_path(), "update", victim, "-f", path }, options));
        }
        auto del = Process::spawn({ vmadm_path(), "delete", victim }, options);
        for (auto& u : updates) {
            auto r = u.wait();
            EXPECT_THAT(r.exit_code, AnyOf(0, 1)) << r.describe();
        }
        auto rd = del.wait();
        ASSERT_EQ(rd.exit_code, 0) << rd.describe();
        EXPECT_EQ(vmadm({ "get", victim }).exit_code, 1)
            << "round " << round << ": deleted VM is back";
        EXPECT_FALSE(std::filesystem::exists(config_path(victim))) << "round " << round;
        EXPECT_FALSE(std::filesystem::exists(root().path() / "zones" / victim))
            << "round " << round;
    }
    EXPECT_EQ(list_uuids(), std::vector<std::string> { m_survivor });
}

TEST_F(Robustness, CreateRacingUpdateCannotBothTakeOneMac)
{
    m_expect_only_survivor = false;
    RunOptions options;
    options.env.emplace_back("LUMOS_ROOT", root().str());
    int doubly_taken = 0;
    for (int round = 0; round < 6; ++round) {
        char mac[32];
        std::snprintf(mac, sizeof(mac), "02:79:00:00:00:%02x", round);
        json nic = { { "nic_tag", "admin" }, { "ip", "dhcp" }, { "mac", mac } };
        auto upd = write_payload(json { { "add_nics", json::array({ nic }) } });
        auto p = os_payload();
        p["nics"] = json::array({ nic });
        auto crt = write_payload(p);
        auto a = Process::spawn({ vmadm_path(), "update", m_survivor, "-f", upd }, options);
        auto b = Process::spawn({ vmadm_path(), "create", "-f", crt }, options);
        auto ra = a.wait();
        auto rb = b.wait();
        if (ra.exit_code == 0 && rb.exit_code == 0) {
            ++doubly_taken;
        }
    }
    EXPECT_EQ(doubly_taken, 0) << "a new VM and an updated VM got the same MAC";
    m_survivor_before = get(m_survivor);
}

} // namespace
} // namespace lumos::test
