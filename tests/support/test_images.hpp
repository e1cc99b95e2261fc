// SPDX-License-Identifier: MPL-2.0
// The test images every suite installs or fakes, one uuid each (unit host facts, the vmadm
// fixtures, the zones suite).
#pragma once

namespace lumos::test_images {

inline constexpr char const* IMAGE_UUID = "01b2c898-945f-11e1-a523-af1afbe22822"; // zone-dataset
inline constexpr char const* LX_IMAGE_UUID = "04179d8e-46cc-11e6-9c8b-8b1b9ae5c4ba"; // lx-dataset
inline constexpr char const* ZVOL_IMAGE_UUID = "71101322-43a5-11e1-8f01-cf2a3031a7f4"; // zvol
inline constexpr char const* ABSENT_UUID = "5b1f1c3e-0a0c-4d1e-9e39-9c1a2f6d0a11"; // never created

} // namespace lumos::test_images
