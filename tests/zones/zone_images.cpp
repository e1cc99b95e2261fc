// SPDX-License-Identifier: MPL-2.0
#include "zones/zone_images.hpp"

#include "support/cli_runner.hpp"

#include <cstdlib>
#include <stdexcept>

#include <unistd.h>

namespace lumos::test {
namespace {

namespace fs = std::filesystem;

bool has_images(fs::path const& dir)
{
    std::error_code ignored;
    return fs::exists(dir / "base-minimal-1.0.0.tar.gz", ignored)
        && fs::exists(dir / "busybox-1.0.0.tar.gz", ignored)
        && fs::exists(dir / "hvm-test-1.0.0.zvol.gz", ignored);
}

// Built here when no fixture made them; removed when the program exits.
class OwnImages {
public:
    OwnImages()
    {
        std::string templ = "/tmp/lumos-test-images-XXXXXX";
        if (::mkdtemp(templ.data()) == nullptr) {
            throw std::runtime_error("mkdtemp");
        }
        m_path = templ;
        for (auto const& [kind, uuid] : { std::pair { "base-minimal", BASE_UUID },
                 std::pair { "busybox", BUSYBOX_UUID }, std::pair { "hvm-test", HVM_UUID } }) {
            auto r = run({ std::string(LUMOS_SOURCE_DIR) + "/tools/build-image.sh", kind,
                m_path.string(), "--uuid", uuid, "--version", "1.0.0" });
            if (r.exit_code != 0) {
                std::error_code ignored;
                fs::remove_all(m_path, ignored);
                throw std::runtime_error("build-image " + std::string(kind) + ": " + r.describe());
            }
        }
    }
    OwnImages(OwnImages const&) = delete;
    OwnImages& operator=(OwnImages const&) = delete;
    ~OwnImages()
    {
        std::error_code ignored;
        fs::remove_all(m_path, ignored);
    }
    fs::path const& path() const { return m_path; }

private:
    fs::path m_path;
};

} // namespace

fs::path const& zone_images()
{
    static fs::path const shared = [] {
        char const* dir = std::getenv("LUMOS_TEST_IMAGES");
        return dir != nullptr && has_images(dir) ? fs::path(dir) : fs::path();
    }();
    if (!shared.empty()) {
        return shared;
    }
    static OwnImages own;
    return own.path();
}

fs::path zone_image_manifest(std::string const& kind)
{
    return zone_images() / (kind + "-1.0.0.imgmanifest");
}

fs::path zone_image_file(std::string const& kind)
{
    return zone_images() / (kind + (kind == "hvm-test" ? "-1.0.0.zvol.gz" : "-1.0.0.tar.gz"));
}

} // namespace lumos::test
