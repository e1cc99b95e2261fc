// SPDX-License-Identifier: MPL-2.0
// libFuzzer target for btrfs send streams, which imgadm takes as image files from any image
// server it is pointed at: the checker that stands between them and `btrfs receive`. The first
// byte picks the policy (zone or lx) and how the rest is cut into feeds; whatever the bytes,
// nothing may crash, leak or loop, the checked bytes are always a prefix of the input, and every
// refusal says why.
#include "image/detail/btrfs_stream.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(uint8_t const* data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    auto const control = data[0];
    std::string_view const stream(reinterpret_cast<char const*>(data) + 1, size - 1);
    auto const policy = lumos::image::detail::tree_policy_for(
        (control & 1U) != 0 ? "lx-dataset" : "zone-dataset");
    size_t const chunk = (control >> 1) == 0 ? stream.size() + 1 : (control >> 1);
    lumos::image::detail::BtrfsStreamChecker checker(policy);
    std::string passed;
    auto refused = [](lumos::image::ImgError const& error) {
        if (error.message.empty() || error.code != lumos::image::ImgCode::InvalidImageFile) {
            __builtin_trap();
        }
    };
    for (size_t at = 0; at < stream.size(); at += chunk) {
        auto fed = checker.feed(stream.substr(at, chunk));
        passed += checker.ready();
        checker.ready().clear();
        if (!fed) {
            refused(fed.error());
            break;
        }
    }
    if (passed.size() > stream.size() || stream.substr(0, passed.size()) != passed) {
        __builtin_trap();
    }
    auto finished = checker.finish();
    if (!finished) {
        refused(finished.error());
    } else if (passed != stream) {
        __builtin_trap(); // accepted: every byte was checked and passed on
    }
    return 0;
}
