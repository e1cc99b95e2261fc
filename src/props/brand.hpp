// SPDX-License-Identifier: MPL-2.0
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace lumos::props {

enum class Brand : uint8_t { Joyent, JoyentMinimal, Builder, Lx, Kvm, Bhyve };
inline constexpr size_t BRAND_COUNT = 6;
inline constexpr std::array<Brand, BRAND_COUNT> ALL_BRANDS { Brand::Joyent, Brand::JoyentMinimal,
    Brand::Builder, Brand::Lx, Brand::Kvm, Brand::Bhyve };

// SmartOS's brand_options (proptable.js), the per-brand facts the engine branches on.
struct BrandFeatures {
    std::string_view name;
    std::string_view type; // "OS", "LX", "KVM", "BHYVE"
    bool hvm;
    int memory_overhead; // MiB added to ram for max_physical_memory (HVM)
    int min_memory_overhead; // MiB that max_physical must exceed ram by (HVM)
    std::string_view interface_prefix;
    bool use_tmpfs;
    bool model_required; // nics/disks need .model
    std::array<std::string_view, 3> disk_models;
    std::array<std::string_view, 2> zoneroot_image_types;
    int default_quota; // GiB
    std::string_view default_limit_priv;
};

BrandFeatures const& features(Brand brand);
std::optional<Brand> parse_brand(std::string_view name);
std::string_view brand_name(Brand brand);
inline bool is_hvm(Brand brand)
{
    return brand == Brand::Kvm || brand == Brand::Bhyve;
}

} // namespace lumos::props
