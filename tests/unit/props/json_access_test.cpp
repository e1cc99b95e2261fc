// SPDX-License-Identifier: MPL-2.0
// The numeric readers of props/detail/json_access and ip.js's CIDR helpers go through the one
// JavaScript Number()/parseInt (props/detail/javascript), as VM.js's own code does.
#include "props/detail/ip.hpp"
#include "props/detail/json_access.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <optional>

namespace lumos::props::detail {
namespace {

TEST(JsonAccess, JsonNumberIsJavaScriptNumber)
{
    EXPECT_EQ(json_number(Json(4096)), 4096);
    EXPECT_EQ(json_number(Json(" 12 ")), 12);
    EXPECT_EQ(json_number(Json("1e3")), 1000);
    EXPECT_EQ(json_number(Json("0x1F")), 31);
    EXPECT_EQ(json_number(Json("Infinity")), std::numeric_limits<double>::infinity());
    // strtod took these; Number() does not.
    EXPECT_EQ(json_number(Json("inf")), std::nullopt);
    EXPECT_EQ(json_number(Json("infinity")), std::nullopt);
    EXPECT_EQ(json_number(Json("0x1p3")), std::nullopt);
    EXPECT_EQ(json_number(Json("-0x10")), std::nullopt);
    // Number() takes these; strtod did not.
    EXPECT_EQ(json_number(Json("0b101")), 5);
    EXPECT_EQ(json_number(Json("0o17")), 15);
    EXPECT_EQ(json_number(Json("\u00A012\uFEFF")), 12);
    // Blank strings and other types stay absent, as before.
    EXPECT_EQ(json_number(Json("")), std::nullopt);
    EXPECT_EQ(json_number(Json(" \u00A0")), std::nullopt);
    EXPECT_EQ(json_number(Json(true)), std::nullopt);
    EXPECT_EQ(json_number(Json(nullptr)), std::nullopt);
    EXPECT_EQ(json_number(Json("abc")), std::nullopt);
    EXPECT_EQ(json_integer(Json("0x1p3")), std::nullopt);
    EXPECT_EQ(json_integer(Json("0b1000")), 8);
}

// Json::value(key, default) throws on a non-object (and on a member of another type); these
// readers answer null or the fallback instead.
TEST(JsonAccess, MemberReadersDoNotThrow)
{
    Json const object { { "media", "cdrom" } };
    EXPECT_EQ(member_or_null(object, "media"), "cdrom");
    EXPECT_TRUE(member_or_null(object, "model").is_null());
    EXPECT_TRUE(member_or_null(Json::array({ 1 }), "media").is_null());
    EXPECT_TRUE(member_or_null(Json("text"), "media").is_null());
    EXPECT_EQ(member_or(object, "media", Json("disk")), "cdrom");
    EXPECT_EQ(member_or(object, "model", Json("virtio")), "virtio");
    EXPECT_EQ(member_or(Json(nullptr), "model", Json(131072)), 131072);
}

TEST(JsonAccess, CidrPrefixesAreParseIntAndNumber)
{
    // isCIDR reads the prefix with parseInt(, 10), which skips any JS white space.
    EXPECT_TRUE(is_cidr("10.0.0.1/24"));
    EXPECT_TRUE(is_cidr("10.0.0.1/\u00A024"));
    EXPECT_TRUE(is_cidr("10.0.0.1/24abc"));
    EXPECT_FALSE(is_cidr("10.0.0.1/0x18"));
    EXPECT_TRUE(is_cidr_v4("10.0.0.1/\u00A024"));
    // splitCIDR reads it with Number(): "24.0" is 24, "24abc" NaN.
    EXPECT_EQ(split_cidr("10.0.0.1/24.0").prefix, 24);
    EXPECT_EQ(split_cidr("10.0.0.1/ 24 ").prefix, 24);
    EXPECT_EQ(split_cidr("10.0.0.1/0x18").prefix, 24);
    EXPECT_TRUE(std::isnan(split_cidr("10.0.0.1/24abc").prefix.value_or(0)));
    EXPECT_EQ(split_cidr("10.0.0.1").prefix, std::nullopt);
}

} // namespace
} // namespace lumos::props::detail
