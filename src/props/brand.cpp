// SPDX-License-Identifier: MPL-2.0
#include "props/brand.hpp"

namespace lumos::props {

namespace {

constexpr std::string_view HVM_LIMIT_PRIV
    = "default,-file_link_any,-net_access,-proc_fork,-proc_info,-proc_session";

constexpr std::array<BrandFeatures, BRAND_COUNT> FEATURES { {
    { "joyent", "OS", false, 0, 0, "net", true, false, {}, { "zone-dataset", "" }, 10, "default" },
    { "joyent-minimal", "OS", false, 0, 0, "net", true, false, {}, { "zone-dataset", "" }, 10,
        "default" },
    { "builder", "OS", false, 0, 0, "net", true, false, {}, { "zone-dataset", "" }, 10, "default" },
    { "lx", "LX", false, 0, 0, "eth", true, false, {}, { "lx-dataset", "docker" }, 10, "default" },
    { "kvm", "KVM", true, 1024, 256, "net", false, true, { "virtio", "scsi", "ide" },
        { "zone-dataset", "" }, 10, HVM_LIMIT_PRIV },
    { "bhyve", "BHYVE", true, 1280, 256, "net", false, true, { "virtio", "ahci", "nvme" },
        { "zone-dataset", "" }, 1, HVM_LIMIT_PRIV },
} };

} // namespace

BrandFeatures const& features(Brand brand)
{
    return FEATURES.at(static_cast<size_t>(brand));
}

std::optional<Brand> parse_brand(std::string_view name)
{
    for (auto const brand : ALL_BRANDS) {
        if (features(brand).name == name) {
            return brand;
        }
    }
    return std::nullopt;
}

std::string_view brand_name(Brand brand)
{
    return features(brand).name;
}

} // namespace lumos::props
