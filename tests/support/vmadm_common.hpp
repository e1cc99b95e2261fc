// SPDX-License-Identifier: MPL-2.0
// What every vmadm test fixture shares, however it runs vmadm: a private LUMOS_ROOT with the
// test images installed in its dir pool and a few NIC tags, helpers built on one vmadm() call,
// and assertions on its RunResult. VmadmTest (support/vmadm_fixture.hpp) runs the real binary
// as root; CliTest (cli/cli_fixture.hpp) calls vmadm::run() in-process, as any user.
//
// Helpers that must succeed (create_ok, get, ...) throw std::runtime_error with the command's
// output on failure; GoogleTest reports that as a test failure, which keeps the tests short.
#pragma once

#include "support/cli_runner.hpp"
#include "support/test_images.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace lumos::test {

using nlohmann::json;
using test_images::ABSENT_UUID;
using test_images::IMAGE_UUID;
using test_images::LX_IMAGE_UUID;

// A create payload for an OS brand with the installed image and autoboot off.
json os_payload(const std::string& brand = "joyent");
// A create payload for kvm/bhyve with autoboot off.
json hvm_payload(const std::string& brand);
// os_payload / hvm_payload depending on the brand.
json payload_for(const std::string& brand);

bool is_lower_uuid(const std::string& text);

class VmadmTestBase : public ::testing::Test {
protected:
    // Makes the temp root: host config, the zones pool with IMAGE_UUID and LX_IMAGE_UUID.
    void SetUp() override;
    // The cgroup parent this root's zones go under (host config cgroup_parent).
    [[nodiscard]] std::string cgroup_parent() const;

    [[nodiscard]] const TempRoot& root() const { return *m_root; }
    [[nodiscard]] std::filesystem::path vms_dir() const;
    [[nodiscard]] std::filesystem::path config_path(const std::string& uuid) const;
    [[nodiscard]] std::vector<std::string> config_files() const; // names in vms_dir()

    // Runs vmadm over root(); stdin is /dev/null unless options say otherwise.
    virtual RunResult vmadm(const std::vector<std::string>& args, RunOptions options) const = 0;
    RunResult vmadm(const std::vector<std::string>& args) const { return vmadm(args, {}); }
    RunResult vmadm_stdin(const std::vector<std::string>& args, const std::string& input) const;
    RunResult vmadm_tty(const std::vector<std::string>& args) const;

    // Writes text to a fresh file under the temp root and returns its absolute path.
    std::string write_payload(const std::string& text) const;
    std::string write_payload(const json& payload) const { return write_payload(payload.dump()); }

    RunResult create(const json& payload) const; // `vmadm create` with the payload on stdin
    std::string create_ok(const json& payload) const; // asserts success, returns the uuid
    RunResult update(const std::string& uuid, const json& payload) const; // stdin
    void update_ok(const std::string& uuid, const json& payload) const;
    json get(const std::string& uuid) const;
    std::vector<std::string> list_uuids() const; // `list -H -p -o uuid`, sorted

    // Installs a tiny image: dataset zones/<uuid> (zvol: a volume) with @final, and its manifest
    // in imgadm's cache.
    void install_image(
        const std::string& uuid, const std::string& type, const std::string& os = "smartos") const;
    // Paths below $LUMOS_ROOT/zones (the default pool's files), relative and sorted, without the
    // pool's own bookkeeping (.lumos/).
    [[nodiscard]] std::vector<std::string> zones_entries() const;
    // Whether the pool's files and datasets are what SetUp left (the installed images only).
    [[nodiscard]] ::testing::AssertionResult zones_as_set_up() const;
    // Every dataset and snapshot name of a pool, sorted.
    [[nodiscard]] std::vector<std::string> pool_datasets(const std::string& pool = "zones") const;

    [[nodiscard]] bool has_root() const { return m_root != nullptr; }
    // Where SetUp makes the temp root.
    [[nodiscard]] virtual std::filesystem::path temp_parent() const { return "/tmp"; }

private:
    std::unique_ptr<TempRoot> m_root;
    mutable int m_payload_counter = 0;
    std::vector<std::string> m_zones_after_setup;
    std::vector<std::string> m_datasets_after_setup;
};

// Assertions on a RunResult; they compare the whole stream, so messages must match exactly.
::testing::AssertionResult succeeded_with_message(
    const RunResult& r, const std::string& stderr_line);
::testing::AssertionResult failed_with(const RunResult& r, const std::string& stderr_line);
::testing::AssertionResult failed_with_prefix(const RunResult& r, const std::string& prefix);
::testing::AssertionResult usage_error(const RunResult& r, const std::string& first_line);
// Exit 1 or 2, non-empty stderr, not killed by a signal, no timeout.
::testing::AssertionResult clean_failure(const RunResult& r);

} // namespace lumos::test
