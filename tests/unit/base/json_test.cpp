// SPDX-License-Identifier: MPL-2.0
#include "base/json.hpp"

#include <gtest/gtest.h>

namespace lumos {
namespace {

TEST(JsonAccess, StringOrReadsOnlyStrings)
{
    Json const object = Json::parse(R"({"s":"x","n":1,"b":true,"o":{},"z":null})");
    EXPECT_EQ(string_or(object, "s"), "x");
    EXPECT_EQ(string_or(object, "n", "fallback"), "fallback");
    EXPECT_EQ(string_or(object, "z", "fallback"), "fallback");
    EXPECT_EQ(string_or(object, "missing"), "");
    EXPECT_EQ(string_or(Json::array({ "s" }), "s", "not an object"), "not an object");
    EXPECT_EQ(string_or(Json("s"), "s", "not an object"), "not an object");
}

TEST(JsonAccess, IntOrReadsOnlyWholeNumbersThatFit)
{
    Json const object = Json::parse(
        R"({"i":-5,"f":3.0,"frac":3.5,"big":18446744073709551615,"huge":1e300,"s":"7","b":true})");
    EXPECT_EQ(int_or(object, "i", 0), -5);
    EXPECT_EQ(int_or(object, "f", 0), 3);
    EXPECT_EQ(int_or(object, "frac", 42), 42);
    EXPECT_EQ(int_or(object, "big", 42), 42);
    EXPECT_EQ(int_or(object, "huge", 42), 42);
    EXPECT_EQ(int_or(object, "s", 42), 42);
    EXPECT_EQ(int_or(object, "b", 42), 42);
    EXPECT_EQ(int_or(object, "missing", 42), 42);
    EXPECT_EQ(int_or(Json::object({ { "edge", 9223372036854775807LL } }), "edge", 0),
        9223372036854775807LL);
    EXPECT_EQ(int_or(Json::object({ { "edge", 9223372036854775808.0 } }), "edge", 1), 1);
}

TEST(JsonAccess, BoolOrReadsOnlyBooleans)
{
    Json const object = Json::parse(R"({"t":true,"f":false,"s":"true","one":1})");
    EXPECT_TRUE(bool_or(object, "t", false));
    EXPECT_FALSE(bool_or(object, "f", true));
    EXPECT_FALSE(bool_or(object, "s", false));
    EXPECT_FALSE(bool_or(object, "one", false));
    EXPECT_TRUE(bool_or(object, "missing", true));
    EXPECT_EQ(json_member(object, "t"), &object["t"]);
    EXPECT_EQ(json_member(object, "missing"), nullptr);
}

} // namespace
} // namespace lumos
