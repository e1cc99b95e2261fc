// SPDX-License-Identifier: MPL-2.0
#pragma once

#include <string>
#include <string_view>

namespace lumos {

// A fresh random (version 4) UUID in lower-case 8-4-4-4-12 form.
std::string generate_uuid();

// SmartOS's engine check (utils.isUUID): lower-case hex 8-4-4-4-12 only.
bool is_uuid(std::string_view text);

// vmadm's CLI check: only the shape (length 36, '-' at offsets 8, 13, 18, 23).
bool has_uuid_shape(std::string_view text);

// Fills buffer with random bytes from the kernel; aborts if the kernel cannot supply them.
void random_bytes(void* buffer, size_t size);

} // namespace lumos
