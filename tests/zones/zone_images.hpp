// SPDX-License-Identifier: MPL-2.0
// The images the zone tests boot, built by tools/build-image.sh as a user builds them:
// base-minimal (joyent brands), busybox (lx) and hvm-test (kvm and bhyve: a raw disk that boots
// a Debian kernel and busybox, tools/build-image.sh's hvm-test). Under ctest the `zones:images`
// fixture builds them once for the whole run into the directory named by LUMOS_TEST_IMAGES; a
// zones_tests run by hand builds them once per program in a temp directory, removed at exit.
#pragma once

#include <filesystem>
#include <string>

namespace lumos::test {

inline std::string const BASE_UUID = "7d5b5b3e-5a1f-4c55-9d71-2f0c6a1e9b01";
inline std::string const BUSYBOX_UUID = "7d5b5b3e-5a1f-4c55-9d71-2f0c6a1e9b02";
inline std::string const HVM_UUID = "7d5b5b3e-5a1f-4c55-9d71-2f0c6a1e9b03";

// The directory holding <kind>-1.0.0.imgmanifest and its file (<kind>-1.0.0.tar.gz, hvm-test's
// <kind>-1.0.0.zvol.gz) for every kind (throws when they cannot be built).
std::filesystem::path const& zone_images();

// The manifest and file of one kind ("base-minimal", "busybox", "hvm-test") in zone_images().
std::filesystem::path zone_image_manifest(std::string const& kind);
std::filesystem::path zone_image_file(std::string const& kind);

} // namespace lumos::test
