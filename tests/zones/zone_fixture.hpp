// SPDX-License-Identifier: MPL-2.0
// What the zones tests share: a test root with the base-minimal and busybox images installed,
// imgadm and zlogin run against it, and the payloads of a joyent-minimal and an lx zone.
#pragma once

#include "support/vmadm_fixture.hpp"
#include "zones/zone_images.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace lumos::test {

// Running, not a zombie (on a host whose PID 1 does not reap, the init of a zone whose first
// monitor was killed stays one).
inline bool alive(int64_t pid)
{
    if (pid <= 0) {
        return false;
    }
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), {});
    size_t const paren = text.rfind(')');
    return paren != std::string::npos && paren + 2 < text.size() && text[paren + 2] != 'Z';
}

class ZoneTest : public VmadmTest {
protected:
    void SetUp() override
    {
        VmadmTest::SetUp();
        if (IsSkipped()) {
            return;
        }
        for (std::string const& kind : images()) {
            auto r = imgadm({ "install", "-m", zone_image_manifest(kind).string(), "-f",
                zone_image_file(kind).string() });
            ASSERT_EQ(r.exit_code, 0) << r.describe();
        }
    }

    // The images SetUp installs (zone_images.hpp's kinds).
    virtual std::vector<std::string> images() const { return { "base-minimal", "busybox" }; }

    // The zone's cgroup directory in the memory controller (v1) or the unified tree.
    std::filesystem::path memory_cgroup(std::string const& uuid) const
    {
        std::filesystem::path const v1
            = std::filesystem::path("/sys/fs/cgroup/memory") / cgroup_parent().substr(1) / uuid;
        return std::filesystem::exists("/sys/fs/cgroup/memory")
            ? v1
            : std::filesystem::path("/sys/fs/cgroup") / cgroup_parent().substr(1) / uuid;
    }

    // Polls vmadm get until pred holds (at most timeout); {} while the VM does not exist.
    template <typename Pred>
    json wait_for(std::string const& uuid, Pred pred,
        std::chrono::milliseconds timeout = std::chrono::seconds(10)) const
    {
        auto const deadline = std::chrono::steady_clock::now() + timeout;
        auto fetch = [&] {
            auto r = vmadm({ "get", uuid });
            return r.exit_code == 0 ? json::parse(r.out) : json::object();
        };
        json vm = fetch();
        while (!(vm.contains("state") && pred(vm)) && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            vm = fetch();
        }
        return vm;
    }

    RunResult imgadm(std::vector<std::string> const& args) const
    {
        std::vector<std::string> argv { LUMOS_IMGADM_BIN };
        argv.insert(argv.end(), args.begin(), args.end());
        RunOptions options;
        options.env.emplace_back("LUMOS_ROOT", root().str());
        return run(argv, options);
    }

    RunResult zlogin(std::vector<std::string> const& args, RunOptions options = {}) const
    {
        std::vector<std::string> argv { LUMOS_ZLOGIN_BIN };
        argv.insert(argv.end(), args.begin(), args.end());
        options.env.emplace_back("LUMOS_ROOT", root().str());
        return run(argv, options);
    }

    // Builds a `kind` image with tools/build-image.sh as a user runs it and installs it as
    // `uuid`. The debian kinds debootstrap from the mirror apt uses (the one download tests may
    // do): nullopt when installed, else why it cannot be built here (the caller skips). A failed
    // install fails the test.
    std::optional<std::string> build_and_install_image(
        std::string const& kind, std::string const& uuid) const
    {
        std::string templ = "/tmp/lumos-test-image-XXXXXX";
        if (::mkdtemp(templ.data()) == nullptr) {
            return "mkdtemp failed";
        }
        std::filesystem::path const dir = templ;
        RunOptions slow;
        slow.timeout = std::chrono::seconds(900);
        auto built = run({ std::string(LUMOS_SOURCE_DIR) + "/tools/build-image.sh", kind,
                             dir.string(), "--uuid", uuid, "--version", "1.0.0" },
            slow);
        if (built.exit_code != 0) {
            std::filesystem::remove_all(dir);
            return "cannot build " + kind + " here: " + built.err.substr(0, 400);
        }
        auto installed = imgadm({ "install", "-m", (dir / (kind + "-1.0.0.imgmanifest")).string(),
            "-f", (dir / (kind + "-1.0.0.tar.gz")).string() });
        std::filesystem::remove_all(dir);
        EXPECT_EQ(installed.exit_code, 0) << installed.describe();
        return std::nullopt;
    }

    void add_config(std::string const& line) const
    {
        std::ofstream(root().path() / "etc/lumos/config", std::ios::app) << line << "\n";
    }

    json joyent_minimal(json extra = json::object()) const
    {
        json p { { "brand", "joyent-minimal" }, { "image_uuid", BASE_UUID }, { "alias", "web01" },
            { "hostname", "web01" }, { "max_physical_memory", 256 } };
        p.update(extra);
        return p;
    }

    json lx(json extra = json::object()) const
    {
        json p { { "brand", "lx" }, { "image_uuid", BUSYBOX_UUID }, { "alias", "bb01" },
            { "hostname", "bb01" }, { "kernel_version", "4.3.0" }, { "max_physical_memory", 256 } };
        p.update(extra);
        return p;
    }
};

} // namespace lumos::test
