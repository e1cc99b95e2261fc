// SPDX-License-Identifier: MPL-2.0
// What runc_test.cpp and zinit_test.cpp share: a zone of one uuid under a temp dir (zonepath,
// bundle, runc state, a cgroup parent of this test's own), its bundle written from a ZoneSpec
// with this host's probed layout, and a teardown that leaves no zone, runc state or cgroup.
#pragma once

#include "runtime/host_layout.hpp"
#include "runtime/zone_spec.hpp"
#include "support/cli_runner.hpp"
#include "sys/host_probe.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace lumos::runtime {

// This host's layout as the probe finds it for the zones' cgroup parent.
inline HostLayout probed_layout(std::string const& cgroup_parent = "/lumos")
{
    sys::ProbeRoots roots;
    roots.cgroup_parent = cgroup_parent;
    auto features = sys::probe_host(roots);
    return host_layout(features ? *features : sys::HostFeatures {});
}

class ZoneBundleTest : public ::testing::Test {
protected:
    ZoneBundleTest(std::string uuid, std::string id)
        : m_uuid(std::move(uuid))
        , m_id(std::move(id))
    {
    }

    void SetUp() override
    {
        if (::geteuid() != 0) {
            GTEST_SKIP() << "running a zone needs root";
        }
        m_zonepath = m_dir.path() / m_uuid;
        std::filesystem::create_directories(m_zonepath / "root");
        std::filesystem::create_directories(m_zonepath / ".zonecontrol");
        m_bundle = m_dir.path() / "bundle";
        std::filesystem::create_directories(m_bundle);
        m_cgroup_parent = "/lumos-test-" + std::to_string(::getpid());
    }

    void TearDown() override
    {
        if (::geteuid() != 0) {
            return;
        }
        // A zone a failed test left running: its processes and its runc state go first.
        (void)test::run(runc({ "delete", "--force", m_id }));
        // runc removes the zone's own cgroups; the parent is this test's to remove.
        for (auto const& controller : std::filesystem::directory_iterator("/sys/fs/cgroup")) {
            std::error_code ignored;
            std::filesystem::remove(controller.path() / m_cgroup_parent.substr(1), ignored);
        }
    }

    std::vector<std::string> runc(std::vector<std::string> const& args) const
    {
        std::vector<std::string> argv { "/usr/sbin/runc", "--root",
            (m_dir.path() / "runc").string() };
        argv.insert(argv.end(), args.begin(), args.end());
        return argv;
    }

    // Where the zone's host-side files are (zinit: the build's; the tests mostly run /bin/sh).
    ZoneHostPaths host_paths() const
    {
        ZoneHostPaths paths;
        paths.zonepath = m_zonepath.string();
        paths.zinit = LUMOS_ZINIT_BIN;
        paths.cgroup_parent = m_cgroup_parent;
        return paths;
    }

    // The root readied (prepare_root) and the bundle's config.json written.
    ::testing::AssertionResult write_bundle(ZoneSpec const& spec) const
    {
        auto prepared = prepare_root(spec); // a sparse root's /lib* links to the host's /usr
        if (!prepared) {
            return ::testing::AssertionFailure() << prepared.error().message();
        }
        std::ofstream(m_bundle / "config.json") << oci_config(spec).dump(2);
        return ::testing::AssertionSuccess();
    }

    // `runc run` of the bundle, in the foreground.
    test::RunResult run_bundle() const
    {
        test::RunOptions options;
        options.timeout = std::chrono::milliseconds(30000);
        return test::run(runc({ "run", "--bundle", m_bundle.string(), m_id }), options);
    }

    std::string m_uuid;
    std::string m_id;
    test::TempRoot m_dir;
    std::filesystem::path m_zonepath;
    std::filesystem::path m_bundle;
    std::string m_cgroup_parent;
};

} // namespace lumos::runtime
