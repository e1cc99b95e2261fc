// SPDX-License-Identifier: MPL-2.0
// Shared fixture for the black-box vmadm acceptance tests: a private LUMOS_ROOT with an installed
// image and a few NIC tags, plus helpers that run the real binary.
//
// Helpers that must succeed (create_ok, get, ...) throw std::runtime_error with the command's
// output on failure; GoogleTest reports that as a test failure, which keeps the tests short.
#pragma once

#include "support/cli_runner.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace lumos::test {

using nlohmann::json;

inline constexpr const char* IMAGE_UUID = "01b2c898-945f-11e1-a523-af1afbe22822"; // zone-dataset
inline constexpr const char* LX_IMAGE_UUID = "04179d8e-46cc-11e6-9c8b-8b1b9ae5c4ba"; // lx-dataset
inline constexpr const char* ABSENT_UUID = "5b1f1c3e-0a0c-4d1e-9e39-9c1a2f6d0a11"; // never created

// LUMOS_VMADM_BIN from the environment if set, else the one this suite was built against.
std::string vmadm_path();

// A create payload for an OS brand with the installed image and autoboot off.
json os_payload(const std::string& brand = "joyent");
// A create payload for kvm/bhyve with autoboot off.
json hvm_payload(const std::string& brand);
// os_payload / hvm_payload depending on the brand.
json payload_for(const std::string& brand);

bool is_lower_uuid(const std::string& text);

// Removes a cgroup (and its empty children) from every controller of the host; absent is fine.
void remove_cgroup(const std::string& path);

class VmadmTest : public ::testing::Test {
protected:
    void SetUp() override;
    // Halts any zone a test left running (vmadm stop -F) and removes the root's cgroup parent,
    // so that no process or cgroup outlives the temp root.
    void TearDown() override;
    // The cgroup parent this root's zones go under (host config cgroup_parent).
    [[nodiscard]] std::string cgroup_parent() const;

    [[nodiscard]] const TempRoot& root() const { return *m_root; }
    [[nodiscard]] std::filesystem::path vms_dir() const;
    [[nodiscard]] std::filesystem::path config_path(const std::string& uuid) const;
    [[nodiscard]] std::vector<std::string> config_files() const; // names in vms_dir()

    // Runs vmadm with LUMOS_ROOT set; stdin is /dev/null unless options say otherwise.
    RunResult vmadm(const std::vector<std::string>& args, RunOptions options = {}) const;
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
