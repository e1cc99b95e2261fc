// SPDX-License-Identifier: MPL-2.0
// The engine's lifecycle rules (which states allow start, stop, reboot, kill and console, the
// stop deadline) and autoboot's outcomes, over a temp LUMOS_ROOT and a fake runtime.
#include "vm/engine.hpp"
#include "vm/host.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

using namespace lumos;

namespace {

constexpr char const* UUID = "54f1cc77-68f1-42ab-acac-5c4f64f5d6e0";
constexpr char const* OTHER = "9d1b2a6e-1c55-4c2f-a4a9-0f6f3b0e7d21";

// Guests that "run" as entries of a map; every call is recorded.
class LifecycleFakeRuntime final : public vm::Runtime {
public:
    std::map<std::string, vm::LiveState> running;
    std::vector<std::string> calls;
    std::optional<vm::StopMode> last_mode;
    int last_timeout_s { -1 };
    int last_signal { 0 };
    bool fail_reattach { false };

    Result<void> can_boot(std::string const&) const override { return {}; }
    std::optional<vm::LiveState> live(std::string const& uuid) const override
    {
        auto const it = running.find(uuid);
        return it == running.end() ? std::nullopt : std::optional(it->second);
    }
    std::string provision_outcome(std::string const&) const override { return {}; }
    Result<void> start(Json const& vm, int64_t) override
    {
        calls.push_back("start " + string_or(vm, "uuid"));
        running[string_or(vm, "uuid")]
            = vm::LiveState { 42, "2026-01-01T00:00:00.000Z", "none", true };
        return {};
    }
    Result<std::string> wait_provisioning(Json const&) override { return std::string("success"); }
    Result<void> stop(Json const& vm, vm::StopMode mode, int timeout_s) override
    {
        calls.push_back("stop " + string_or(vm, "uuid"));
        last_mode = mode;
        last_timeout_s = timeout_s;
        running.erase(string_or(vm, "uuid"));
        return {};
    }
    Result<void> reboot(Json const& vm, vm::StopMode mode) override
    {
        calls.push_back("reboot " + string_or(vm, "uuid"));
        last_mode = mode;
        return {};
    }
    Result<void> kill(Json const& vm, int signal) override
    {
        calls.push_back("kill " + string_or(vm, "uuid"));
        last_signal = signal;
        return {};
    }
    Result<void> reattach(Json const& vm) override
    {
        calls.push_back("reattach " + string_or(vm, "uuid"));
        if (fail_reattach) {
            return make_error(ErrorCode::System, "no monitor");
        }
        running[string_or(vm, "uuid")].monitored = true;
        return {};
    }
    Result<void> apply_limits(Json const&) override { return {}; }
    Result<UniqueFd> console(Json const& vm) override
    {
        calls.push_back("console " + string_or(vm, "uuid"));
        return UniqueFd();
    }
    Result<std::vector<std::string>> exec_argv(
        Json const&, std::vector<std::string> const&, vm::Terminal) const override
    {
        return std::vector<std::string> {};
    }
    Result<vm::GuestStats> stats(std::string const&) const override { return vm::GuestStats {}; }
    void forget(std::string const&) override { }
};

class EngineLifecycleTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char pattern[] = "/tmp/lumos-test-lifecycle.XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        m_root = pattern;
        m_paths = std::make_unique<Paths>(m_root);
        m_store = std::make_unique<store::VmStore>(*m_paths);
        m_pools = std::make_unique<pools::PoolRegistry>(*m_paths);
        vm::Runtimes runtimes(m_unbootable);
        runtimes.add("joyent", m_runtime);
        m_engine = std::make_unique<vm::Engine>(*m_store, runtimes, *m_pools);
    }
    void TearDown() override
    {
        m_engine.reset();
        std::filesystem::remove_all(m_root);
    }

    // A VM record as the store keeps it: installed (stopped), plus what the test adds.
    void save(std::string const& uuid, Json extra = Json::object(), std::string brand = "joyent")
    {
        Json record { { "uuid", uuid }, { "zonename", uuid }, { "zpool", "zones" },
            { "brand", brand }, { "zone_state", "installed" }, { "autoboot", false } };
        record.update(extra);
        ASSERT_TRUE(m_store->save(record));
    }
    void run(std::string const& uuid, bool monitored = true)
    {
        m_runtime.running[uuid]
            = vm::LiveState { 42, "2026-01-01T00:00:00.000Z", "none", monitored };
    }
    bool autoboot_of(std::string const& uuid)
    {
        auto record = m_store->load_record(uuid);
        return record && bool_or(*record, "autoboot", false);
    }

    std::string m_root;
    std::unique_ptr<Paths> m_paths;
    std::unique_ptr<store::VmStore> m_store;
    std::unique_ptr<pools::PoolRegistry> m_pools;
    LifecycleFakeRuntime m_runtime;
    vm::RefusingRuntime m_unbootable { "no QEMU here" };
    std::unique_ptr<vm::Engine> m_engine;
};

} // namespace

TEST_F(EngineLifecycleTest, StartFromStoppedBootsAndSetsAutoboot)
{
    save(UUID);
    auto started = m_engine->start(UUID);
    ASSERT_TRUE(started) << started.error().cause.message();
    EXPECT_EQ(started->change, vm::Change::Done);
    EXPECT_EQ(started->state, "stopped");
    EXPECT_EQ(m_runtime.calls, std::vector<std::string> { std::string("start ") + UUID });
    EXPECT_TRUE(autoboot_of(UUID));
}

TEST_F(EngineLifecycleTest, StartWhenRunningChangesNothing)
{
    save(UUID);
    run(UUID);
    auto started = m_engine->start(UUID);
    ASSERT_TRUE(started);
    EXPECT_EQ(started->change, vm::Change::AlreadyThere);
    EXPECT_EQ(started->state, "running");
    EXPECT_TRUE(m_runtime.calls.empty());
    EXPECT_FALSE(autoboot_of(UUID));
}

TEST_F(EngineLifecycleTest, StartFromFailedIsRefusedWithTheState)
{
    save(UUID, { { "failed", "provisioning" } });
    auto started = m_engine->start(UUID);
    ASSERT_FALSE(started);
    EXPECT_EQ(started.error().reason, vm::LifecycleReason::WrongState);
    EXPECT_EQ(started.error().state, "failed");
    EXPECT_TRUE(m_runtime.calls.empty());
}

TEST_F(EngineLifecycleTest, StartFromProvisioningNeedsAnInstalledZone)
{
    save(UUID, { { "provisioning", true } });
    auto started = m_engine->start(UUID);
    ASSERT_TRUE(started);
    EXPECT_EQ(started->state, "provisioning");

    save(OTHER, { { "provisioning", true }, { "zone_state", "configured" } });
    auto refused = m_engine->start(OTHER);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().reason, vm::LifecycleReason::WrongState);
}

TEST_F(EngineLifecycleTest, UnknownVmIsALookupErrorAndLeavesNoLockFile)
{
    auto started = m_engine->start(UUID);
    ASSERT_FALSE(started);
    EXPECT_EQ(started.error().reason, vm::LifecycleReason::Lookup);
    EXPECT_EQ(started.error().cause.code(), ErrorCode::NotFound);
    EXPECT_FALSE(std::filesystem::exists(m_paths->vm_lock(UUID)));
    auto killed = m_engine->kill(UUID, "TERM");
    ASSERT_FALSE(killed);
    EXPECT_EQ(killed.error().reason, vm::LifecycleReason::Lookup);
}

TEST_F(EngineLifecycleTest, StartOfABrandNoRuntimeBootsIsRefused)
{
    save(UUID, Json::object(), "kvm");
    auto started = m_engine->start(UUID);
    ASSERT_FALSE(started);
    EXPECT_EQ(started.error().reason, vm::LifecycleReason::CannotBoot);
    EXPECT_EQ(started.error().cause.message(), "Cannot boot kvm VMs: no QEMU here");
    EXPECT_TRUE(m_runtime.calls.empty());
}

TEST_F(EngineLifecycleTest, StopRunningUsesTheDeadlineAndClearsAutoboot)
{
    save(UUID, { { "autoboot", true } });
    run(UUID);
    auto stopped = m_engine->stop(UUID, vm::StopRequest {});
    ASSERT_TRUE(stopped);
    EXPECT_EQ(stopped->change, vm::Change::Done);
    EXPECT_EQ(m_runtime.last_mode, vm::StopMode::Graceful);
    EXPECT_EQ(m_runtime.last_timeout_s, vm::STOP_DEADLINE_S);
    EXPECT_FALSE(autoboot_of(UUID));
}

TEST_F(EngineLifecycleTest, StopWhenNotRunningChangesNothing)
{
    save(UUID, { { "autoboot", true } });
    auto stopped = m_engine->stop(UUID, vm::StopRequest { vm::StopMode::Force, std::nullopt });
    ASSERT_TRUE(stopped);
    EXPECT_EQ(stopped->change, vm::Change::AlreadyThere);
    EXPECT_EQ(stopped->state, "stopped");
    EXPECT_TRUE(m_runtime.calls.empty());
    EXPECT_TRUE(autoboot_of(UUID));
}

TEST_F(EngineLifecycleTest, StopTimeoutIsOnlyForHvmAndDocker)
{
    save(UUID);
    run(UUID);
    auto refused = m_engine->stop(UUID, vm::StopRequest { vm::StopMode::Graceful, 10 });
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().reason, vm::LifecycleReason::TimeoutUnsupported);
    EXPECT_TRUE(m_runtime.calls.empty());

    save(OTHER, { { "docker", true } });
    run(OTHER);
    auto stopped = m_engine->stop(OTHER, vm::StopRequest { vm::StopMode::Graceful, 10 });
    ASSERT_TRUE(stopped);
    EXPECT_EQ(m_runtime.last_timeout_s, 10);
}

TEST_F(EngineLifecycleTest, RebootAndConsoleNeedRunning)
{
    save(UUID);
    auto rebooted = m_engine->reboot(UUID, vm::StopMode::Graceful);
    ASSERT_FALSE(rebooted);
    EXPECT_EQ(rebooted.error().reason, vm::LifecycleReason::WrongState);
    EXPECT_EQ(rebooted.error().state, "stopped");
    auto console = m_engine->console(UUID);
    ASSERT_FALSE(console);
    EXPECT_EQ(console.error().reason, vm::LifecycleReason::WrongState);
    EXPECT_TRUE(m_runtime.calls.empty());

    run(UUID);
    ASSERT_TRUE(m_engine->reboot(UUID, vm::StopMode::Force));
    EXPECT_EQ(m_runtime.last_mode, vm::StopMode::Force);
    ASSERT_TRUE(m_engine->console(UUID));
}

TEST_F(EngineLifecycleTest, KillNeedsAnInitPidBeforeItReadsTheSignal)
{
    save(UUID);
    auto refused = m_engine->kill(UUID, "NOSUCHSIGNAL");
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().reason, vm::LifecycleReason::NoInitPid);

    run(UUID);
    auto unknown = m_engine->kill(UUID, "NOSUCHSIGNAL");
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().reason, vm::LifecycleReason::UnknownSignal);
    EXPECT_TRUE(m_runtime.calls.empty());

    ASSERT_TRUE(m_engine->kill(UUID, "SIGHUP"));
    EXPECT_EQ(m_runtime.last_signal, SIGHUP);
    ASSERT_TRUE(m_engine->kill(UUID, "9"));
    EXPECT_EQ(m_runtime.last_signal, 9);
}

TEST_F(EngineLifecycleTest, GetOnlyReadsEnsureMonitoredReattaches)
{
    save(UUID);
    run(UUID, false);
    auto vm = m_engine->get(UUID);
    ASSERT_TRUE(vm);
    EXPECT_EQ((*vm)["state"], "running");
    EXPECT_TRUE(m_runtime.calls.empty());
    m_engine->ensure_monitored(*vm);
    EXPECT_EQ(m_runtime.calls, std::vector<std::string> { std::string("reattach ") + UUID });
}

TEST_F(EngineLifecycleTest, AutobootReattachesAndStartsWhatItShould)
{
    std::string const unmonitored = "11111111-1111-4111-8111-111111111111";
    std::string const monitored = "22222222-2222-4222-8222-222222222222";
    std::string const to_start = "33333333-3333-4333-8333-333333333333";
    std::string const manual = "44444444-4444-4444-8444-444444444444";
    std::string const hvm = "55555555-5555-4555-8555-555555555555";
    std::string const failed = "66666666-6666-4666-8666-666666666666";
    save(unmonitored, { { "autoboot", true } });
    run(unmonitored, false);
    save(monitored, { { "autoboot", true } });
    run(monitored);
    save(to_start, { { "autoboot", true } });
    save(manual);
    save(hvm, { { "autoboot", true } }, "bhyve");
    save(failed, { { "autoboot", true }, { "failed", "provisioning" } });

    auto outcomes = m_engine->autoboot();
    ASSERT_TRUE(outcomes);
    std::map<std::string, vm::AutobootOutcome> by_uuid;
    for (auto const& outcome : *outcomes) {
        by_uuid.emplace(outcome.uuid, outcome);
    }
    ASSERT_EQ(by_uuid.size(), 3U);
    EXPECT_EQ(by_uuid.at(unmonitored).action, vm::AutobootAction::Reattach);
    EXPECT_FALSE(by_uuid.at(unmonitored).failure);
    EXPECT_EQ(by_uuid.at(to_start).action, vm::AutobootAction::Start);
    EXPECT_FALSE(by_uuid.at(to_start).failure);
    EXPECT_EQ(by_uuid.at(hvm).action, vm::AutobootAction::Start);
    ASSERT_TRUE(by_uuid.at(hvm).failure);
    EXPECT_EQ(by_uuid.at(hvm).failure->message(), "Cannot boot bhyve VMs: no QEMU here");
    EXPECT_TRUE(m_runtime.live(to_start));
    EXPECT_TRUE(autoboot_of(to_start));
    EXPECT_FALSE(m_runtime.live(manual));

    // Run again: everything is where it should be, nothing to do but the VM that cannot boot.
    m_runtime.calls.clear();
    auto again = m_engine->autoboot();
    ASSERT_TRUE(again);
    ASSERT_EQ(again->size(), 1U);
    EXPECT_EQ(again->front().uuid, hvm);
    EXPECT_TRUE(m_runtime.calls.empty());
}

TEST_F(EngineLifecycleTest, AutobootReportsAFailedReattach)
{
    save(UUID);
    run(UUID, false);
    m_runtime.fail_reattach = true;
    auto outcomes = m_engine->autoboot();
    ASSERT_TRUE(outcomes);
    ASSERT_EQ(outcomes->size(), 1U);
    EXPECT_EQ(outcomes->front().action, vm::AutobootAction::Reattach);
    ASSERT_TRUE(outcomes->front().failure);
    EXPECT_EQ(outcomes->front().failure->message(), "no monitor");
}

TEST_F(EngineLifecycleTest, HostSendsOsBrandsToZonesAndHvmBrandsToQemu)
{
    auto host = vm::Host::open(*m_paths);
    ASSERT_TRUE(host);
    vm::Engine& engine = (*host)->engine();
    Json const zone { { "brand", "lx" } };
    Json const kvm { { "brand", "kvm" } };
    EXPECT_EQ(&engine.runtime_for(zone), &engine.runtime_for(Json { { "brand", "joyent" } }));
    EXPECT_NE(&engine.runtime_for(zone), &engine.runtime_for(kvm));
    EXPECT_EQ(&engine.runtime_for(kvm), &engine.runtime_for(Json { { "brand", "bhyve" } }));
    // Without QEMU an HVM boot is refused with what to install.
    ::setenv("LUMOS_QEMU", "/nonexistent/qemu-system-x86_64", 1);
    for (char const* brand : { "kvm", "bhyve" }) {
        auto refused = engine.can_boot(brand);
        ASSERT_FALSE(refused);
        EXPECT_EQ(refused.error().code(), ErrorCode::Unsupported);
        EXPECT_EQ(refused.error().message(),
            "LUMOS_QEMU (/nonexistent/qemu-system-x86_64) is not an executable program");
    }
    ::unsetenv("LUMOS_QEMU");
    auto unknown = engine.can_boot("solaris8");
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().message(),
        "Cannot boot solaris8 VMs: no runtime of this lumos build boots them");
}
