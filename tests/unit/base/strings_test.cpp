// SPDX-License-Identifier: MPL-2.0
#include "base/json.hpp"
#include "base/strings.hpp"
#include "base/time.hpp"
#include "base/uuid.hpp"

#include <gtest/gtest.h>

using namespace lumos;

TEST(Uuid, GeneratedIsValidV4)
{
    auto const uuid = generate_uuid();
    EXPECT_TRUE(is_uuid(uuid));
    EXPECT_EQ(uuid[14], '4');
    EXPECT_FALSE(is_uuid("ABCDEF01-0000-0000-0000-000000000000"));
    EXPECT_TRUE(has_uuid_shape("ZZZZZZZZ-0000-0000-0000-000000000000"));
    EXPECT_FALSE(has_uuid_shape("short"));
}

TEST(Time, IsoTimestampLikeJavaScript)
{
    EXPECT_EQ(iso_timestamp(1325313522457), "2011-12-31T06:38:42.457Z");
}

TEST(Json, ParseErrorsReadLikeNode)
{
    EXPECT_EQ(
        parse_json("{\"a\": }").error().message(), "Unexpected token } in JSON at position 6");
    EXPECT_EQ(parse_json("{\"a\": 1").error().message(), "Unexpected end of JSON input");
    EXPECT_FALSE(parse_json(std::string(100000, '[')));
}

TEST(Json, NulAndByteOrderMarkAreRefusedLikeNode)
{
    using namespace std::string_literals;
    // nlohmann stopped at the NUL and ignored the rest; node refuses the NUL itself.
    EXPECT_EQ(parse_json("{\"a\": 1}\0{junk"s).error().message(),
        "Unexpected token in JSON at position 8");
    EXPECT_EQ(parse_json("\0"s).error().message(), "Unexpected token in JSON at position 0");
    EXPECT_EQ(parse_json("{\"a\": \"x\0y\"}"s).error().message(),
        "Unexpected token in JSON at position 8");
    // An error before the NUL is reported where it stands.
    EXPECT_EQ(
        parse_json("{\"a\": }\0"s).error().message(), "Unexpected token } in JSON at position 6");
    // U+FEFF is not JSON whitespace for node's JSON.parse.
    EXPECT_EQ(
        parse_json("\xEF\xBB\xBF{}").error().message(), "Unexpected token in JSON at position 0");
    EXPECT_TRUE(parse_json(" {} ").has_value());
}

TEST(Json, JavaScriptStringAndTruthiness)
{
    EXPECT_EQ(js_string(Json(256)), "256");
    EXPECT_EQ(js_string(Json(1.5)), "1.5");
    EXPECT_EQ(js_string(Json::array({ "a", 1 })), "a,1");
    EXPECT_FALSE(js_truthy(Json(0)));
    EXPECT_FALSE(js_truthy(Json("")));
    EXPECT_TRUE(js_truthy(Json("0")));
}

TEST(Strings, Utf8Check)
{
    EXPECT_TRUE(is_valid_utf8("h\xc3\xa9llo"));
    EXPECT_FALSE(is_valid_utf8("\xff\xfe"));
    EXPECT_FALSE(is_valid_utf8("\xc3"));
}
