// SPDX-License-Identifier: MPL-2.0
// The host of the engine's fault-injection tests (engine_faults_*_test.cpp): a temp LUMOS_ROOT
// with the test images installed in its dir pool, an engine whose pools are FailingPools over
// one FaultPlan and whose runtime is a FakeRuntime for every brand. No root, no runc.
#pragma once

#include "base/paths.hpp"
#include "pools/pool.hpp"
#include "store/vm_store.hpp"
#include "support/failing_pool.hpp"
#include "support/fake_runtime.hpp"
#include "support/test_images.hpp"
#include "vm/engine.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

namespace lumos::test {

class FaultHost {
public:
    FaultHost()
        : m_root(copy_of_template())
        , m_paths(m_root)
        , m_plan(std::make_shared<FaultPlan>())
        , m_pools(m_paths, failing_pools(m_plan))
        , m_store(m_paths)
        , m_engine(std::make_unique<vm::Engine>(m_store, m_runtime, m_pools))
    {
    }
    ~FaultHost()
    {
        m_engine.reset();
        std::error_code ec;
        std::filesystem::remove_all(m_root, ec);
    }
    FaultHost(FaultHost const&) = delete;
    FaultHost& operator=(FaultHost const&) = delete;

    vm::Engine& engine() { return *m_engine; }
    store::VmStore& store() { return m_store; }
    FakeRuntime& runtime() { return m_runtime; }
    FaultPlan& plan() { return *m_plan; }

    // The next `n`-th mutating pool call from now fails (1: the very next one).
    void fail_pool_call(int n, FaultPlan::Mode mode)
    {
        m_plan->fail_at = m_plan->calls + n;
        m_plan->mode = mode;
    }
    void no_faults() { m_plan->fail_at = 0; }

    // The pool as it is, read without the fault plan.
    std::unique_ptr<pools::Pool> pool() const
    {
        auto opened = pools::PoolRegistry(m_paths).open("zones");
        if (!opened) {
            throw std::runtime_error("cannot open pool zones: " + opened.error().message());
        }
        return std::move(*opened);
    }
    // Every dataset and snapshot name of the pool, sorted.
    std::vector<std::string> datasets() const
    {
        auto listed = pool()->list();
        if (!listed) {
            throw std::runtime_error("cannot list pool zones: " + listed.error().message());
        }
        std::vector<std::string> names;
        for (auto const& info : *listed) {
            names.push_back(info.name);
        }
        std::sort(names.begin(), names.end());
        return names;
    }
    pools::DatasetInfo info(std::string const& dataset) const
    {
        auto found = pool()->info(dataset);
        if (!found) {
            throw std::runtime_error("no dataset " + dataset + ": " + found.error().message());
        }
        return *found;
    }
    // Paths below the pool's mountpoint, relative and sorted, without its bookkeeping (.lumos).
    std::vector<std::string> files() const
    {
        std::vector<std::string> names;
        auto const top = std::filesystem::path(m_paths.pool_mountpoint("zones"));
        std::error_code ec;
        for (auto it = std::filesystem::recursive_directory_iterator(top, ec);
             !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
            auto relative = it->path().lexically_relative(top).string();
            if (relative == ".lumos") {
                it.disable_recursion_pending();
                continue;
            }
            names.push_back(relative);
        }
        std::sort(names.begin(), names.end());
        return names;
    }
    // The pool calls so far, for a failure's message.
    std::string log() const
    {
        std::string text;
        for (size_t i = 0; i < m_plan->log.size(); ++i) {
            text += "\n  " + std::to_string(i + 1) + ": " + m_plan->log[i];
        }
        return text;
    }

private:
    // /dev/shm when writable: the dir pool syncs its database at every step.
    static std::string make_root()
    {
        std::string parent = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        std::string pattern = parent + "/lumos-test-faults.XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("mkdtemp " + pattern);
        }
        return pattern;
    }
    // The test images are installed once per process in a template root; each host starts as
    // a copy of it (the pool's database names datasets relative to its mountpoint).
    struct Template {
        std::string root { make_root() };
        Template()
        {
            Paths const paths(root);
            install_image(paths, test_images::IMAGE_UUID, "zone-dataset", "smartos");
            install_image(paths, test_images::LX_IMAGE_UUID, "lx-dataset", "linux");
            install_image(paths, test_images::ZVOL_IMAGE_UUID, "zvol", "linux");
        }
        ~Template()
        {
            std::error_code ec;
            std::filesystem::remove_all(root, ec);
        }
        Template(Template const&) = delete;
        Template& operator=(Template const&) = delete;
    };
    static std::string copy_of_template()
    {
        static Template const made;
        std::string root = make_root();
        std::filesystem::copy(made.root, root,
            std::filesystem::copy_options::recursive
                | std::filesystem::copy_options::copy_symlinks);
        return root;
    }
    // As vmadm_common's install_image: dataset with @final and the manifest in imgadm's cache,
    // made through the pool directly (no fault plan).
    static void install_image(
        Paths const& paths, std::string const& uuid, std::string const& type, std::string const& os)
    {
        Json manifest = { { "v", 2 }, { "uuid", uuid }, { "name", "base-minimal" },
            { "version", "1.0.0" }, { "type", type }, { "os", os } };
        auto opened = pools::PoolRegistry(paths).open("zones");
        if (!opened) {
            throw std::runtime_error("cannot open pool zones: " + opened.error().message());
        }
        auto const& zones = *opened;
        std::string const dataset = "zones/" + uuid;
        Result<void> made;
        if (type == "zvol") {
            manifest["image_size"] = 1;
            made = zones->create_volume(dataset, 1 << 20, {});
        } else {
            made = zones->create_filesystem(dataset, {});
            std::filesystem::create_directories(zones->path_of(dataset) + "/root/etc");
        }
        if (!made || !zones->snapshot(dataset + "@final")) {
            throw std::runtime_error("cannot install image " + uuid);
        }
        std::string const cached = paths.image_manifest("zones", uuid);
        std::filesystem::create_directories(std::filesystem::path(cached).parent_path());
        std::ofstream(cached) << Json { { "manifest", manifest }, { "zpool", "zones" } }.dump();
    }

    std::string m_root;
    Paths m_paths;
    std::shared_ptr<FaultPlan> m_plan;
    pools::PoolRegistry m_pools;
    store::VmStore m_store;
    FakeRuntime m_runtime;
    std::unique_ptr<vm::Engine> m_engine;
};

// Fault modes with their names, for SCOPED_TRACE.
inline char const* mode_name(FaultPlan::Mode mode)
{
    return mode == FaultPlan::Mode::Before ? "fails before" : "fails after doing it";
}

} // namespace lumos::test
