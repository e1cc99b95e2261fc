// SPDX-License-Identifier: MPL-2.0
// The JavaScript semantics of props/detail/javascript against the answers node gives (ECMAScript
// StringToNumber, parseInt, String, the < operator, String.prototype.length).
#include "props/detail/javascript.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace lumos::props::detail {
namespace {

constexpr double NaN = std::numeric_limits<double>::quiet_NaN();
constexpr double INF = std::numeric_limits<double>::infinity();

struct NumberCase {
    char const* text;
    double expected;
};

void expect_same_number(double actual, double expected, std::string const& input)
{
    if (std::isnan(expected)) {
        EXPECT_TRUE(std::isnan(actual)) << "input \"" << input << "\" gave " << actual;
    } else {
        EXPECT_EQ(actual, expected) << "input \"" << input << "\"";
    }
}

TEST(JavaScript, NumberOfStrings)
{
    NumberCase const cases[] = {
        { "", 0 },
        { "   ", 0 },
        { " 12 ", 12 },
        { "\t\n\v\f\r12\r\n", 12 },
        { "\u00A012\u00A0", 12 }, // NBSP
        { "\uFEFF12", 12 }, // BOM
        { "\u2028 12 \u2029", 12 }, // line and paragraph separators
        { "\u3000\u205F\u202F12\u1680", 12 }, // other Zs
        { "\u200B12", NaN }, // zero-width space is not white space
        { "\u180E12", NaN }, // no longer white space since ES2016
        { "12", 12 },
        { "-12", -12 },
        { "+12", 12 },
        { "00012", 12 },
        { "1e3", 1000 },
        { "1E3", 1000 },
        { "1e+3", 1000 },
        { "1e-3", 0.001 },
        { "1e", NaN },
        { "1e+", NaN },
        { "e3", NaN },
        { ".5", 0.5 },
        { "5.", 5 },
        { "-.5", -0.5 },
        { ".", NaN },
        { "-", NaN },
        { "+-1", NaN },
        { "--1", NaN },
        { "1 2", NaN },
        { "12px", NaN },
        { "1_000", NaN },
        { "1e400", INF },
        { "-1e400", -INF },
        { "1e-400", 0 },
        { "Infinity", INF },
        { "-Infinity", -INF },
        { "+Infinity", INF },
        { " Infinity ", INF },
        { "infinity", NaN },
        { "inf", NaN },
        { "-inf", NaN },
        { "INF", NaN },
        { "nan", NaN },
        { "NaN", NaN },
        { "0x1F", 31 },
        { "0X1f", 31 },
        { "0x", NaN },
        { "0xg", NaN },
        { "-0x10", NaN },
        { "+0x10", NaN },
        { "0x1p3", NaN },
        { "0x1.8", NaN },
        { "0b101", 5 },
        { "0B11", 3 },
        { "0b102", NaN },
        { "0o17", 15 },
        { "0O17", 15 },
        { "0o8", NaN },
        { "017", 17 },
        { "0.0000001", 1e-7 },
    };
    for (auto const& c : cases) {
        expect_same_number(string_to_number(c.text), c.expected, c.text);
    }
}

TEST(JavaScript, NumberOfJsonValues)
{
    EXPECT_EQ(js_to_number(Json(7)), 7);
    EXPECT_EQ(js_to_number(Json(2.5)), 2.5);
    EXPECT_EQ(js_to_number(Json(true)), 1);
    EXPECT_EQ(js_to_number(Json(false)), 0);
    EXPECT_EQ(js_to_number(Json(nullptr)), 0);
    EXPECT_EQ(js_to_number(Json("\u00A0 0x10 ")), 16);
    EXPECT_EQ(js_to_number(Json::array()), 0);
    EXPECT_EQ(js_to_number(Json::array({ "12" })), 12);
    EXPECT_EQ(js_to_number(Json::array({ Json::array({ 3 }) })), 3);
    // [null].toString() is "", so Number([null]) is 0.
    EXPECT_EQ(js_to_number(Json::array({ nullptr })), 0);
    EXPECT_TRUE(std::isnan(js_to_number(Json::array({ 1, 2 }))));
    EXPECT_TRUE(std::isnan(js_to_number(Json::array({ true }))));
    EXPECT_TRUE(std::isnan(js_to_number(Json::array({ Json::object() }))));
    EXPECT_TRUE(std::isnan(js_to_number(Json::object())));
}

struct ParseIntCase {
    char const* text;
    int radix;
    double expected;
};

TEST(JavaScript, ParseInt)
{
    ParseIntCase const cases[] = {
        { "", 10, NaN },
        { "  ", 10, NaN },
        { "12", 10, 12 },
        { "  12abc", 10, 12 },
        { "\u00A0\uFEFF12", 10, 12 },
        { "-12", 10, -12 },
        { "+12", 10, 12 },
        { "+-1", 10, NaN },
        { "-", 10, NaN },
        { "1e3", 10, 1 },
        { ".5", 10, NaN },
        { "5.9", 10, 5 },
        { "0x1F", 10, 0 },
        { "Infinity", 10, NaN },
        { "99999999999999999999", 10, 1e20 },
        { "1F", 16, 31 },
        { "0x1F", 16, 31 },
        { "0X1f", 16, 31 },
        { "-0x10", 16, -16 },
        { "0x", 16, NaN },
        { "fg", 16, 15 },
        { "g", 16, NaN },
        { " a ", 16, 10 },
    };
    for (auto const& c : cases) {
        expect_same_number(js_parse_int(c.text, c.radix), c.expected,
            std::string(c.text) + "\", " + std::to_string(c.radix) + " \"");
    }
}

TEST(JavaScript, Utf16Length)
{
    EXPECT_EQ(js_length(""), 0U);
    EXPECT_EQ(js_length("abc"), 3U);
    EXPECT_EQ(js_length("\u00E9"), 1U); // é, two UTF-8 bytes
    EXPECT_EQ(js_length("\u20AC"), 1U); // €, three UTF-8 bytes
    EXPECT_EQ(js_length("\U0001F600"), 2U); // 😀, a surrogate pair
    EXPECT_EQ(js_length("a\U0001F600b"), 4U);
    // A lone surrogate has no UTF-8 form: its WTF-8 bytes decode (as node decodes them) to one
    // U+FFFD per byte, since ED must be followed by 80-9F.
    EXPECT_EQ(js_length("\xED\xA0\x80"), 3U);
    // A truncated sequence is one maximal subpart: one U+FFFD, then the next character.
    EXPECT_EQ(js_length("\xE2\x82"), 1U);
    EXPECT_EQ(js_length("\xE2\x82x"), 2U);
    // Overlong forms and bytes that never start a sequence.
    EXPECT_EQ(js_length("\xC0\x80"), 2U);
    EXPECT_EQ(js_length("\xFF"), 1U);
    EXPECT_EQ(to_utf16("\U0001F600"), std::u16string(u"\xD83D\xDE00"));
}

TEST(JavaScript, StringsCompareByUtf16CodeUnits)
{
    EXPECT_TRUE(js_string_less("a", "b"));
    EXPECT_TRUE(js_string_less("", "a"));
    EXPECT_TRUE(js_string_less("Z", "a"));
    EXPECT_TRUE(js_string_less("ab", "abc"));
    EXPECT_FALSE(js_string_less("abc", "abc"));
    // U+1F600 is D83D DE00 in UTF-16, which sorts before U+FFFF (code points say otherwise).
    EXPECT_TRUE(js_string_less("\U0001F600", "\uFFFF"));
    EXPECT_FALSE(js_string_less("\uFFFF", "\U0001F600"));
}

TEST(JavaScript, WhiteSpace)
{
    EXPECT_TRUE(is_js_space(u'\u00A0'));
    EXPECT_TRUE(is_js_space(u'\uFEFF'));
    EXPECT_TRUE(is_js_space(u'\u2028'));
    EXPECT_TRUE(is_js_space(u'\v'));
    EXPECT_FALSE(is_js_space(u'\u200B'));
    EXPECT_FALSE(is_js_space(u'\u180E'));
    EXPECT_FALSE(is_js_space(u'\u0085')); // NEL is not JavaScript white space
    EXPECT_TRUE(is_line_terminator(u'\u2029'));
    EXPECT_FALSE(is_line_terminator(u'\t'));
    EXPECT_EQ(trim_js_space(u"\u00A0 a b\uFEFF"), std::u16string_view(u"a b"));

    std::string line = "a b \t\u00A0\u3000";
    rtrim_js_space(line);
    EXPECT_EQ(line, "a b");
    std::string kept = "a\u200B";
    rtrim_js_space(kept);
    EXPECT_EQ(kept, "a\u200B");
}

TEST(JavaScript, StringOf)
{
    EXPECT_EQ(js_to_string(Json(-0.0)), "0");
    EXPECT_EQ(js_to_string(Json(1.5)), "1.5");
    EXPECT_EQ(js_to_string(Json(nullptr)), "null");
    EXPECT_EQ(js_to_string(Json::array({ 1, nullptr, "a", -0.0 })), "1,,a,0");
    EXPECT_EQ(js_to_string(Json::object()), "[object Object]");
}

TEST(JavaScript, Truthiness)
{
    EXPECT_FALSE(js_truthy_or_undefined(nullptr));
    Json const zero = 0;
    Json const nan = NaN;
    Json const empty = "";
    Json const text_zero = "0";
    Json const empty_array = Json::array();
    EXPECT_FALSE(js_truthy_or_undefined(&zero));
    EXPECT_FALSE(js_truthy_or_undefined(&nan));
    EXPECT_FALSE(js_truthy_or_undefined(&empty));
    EXPECT_TRUE(js_truthy_or_undefined(&text_zero));
    EXPECT_TRUE(js_truthy_or_undefined(&empty_array));
}

TEST(JavaScript, LessThanOnMixedTypes)
{
    auto const less
        = [](Json const* a, Json const* b) { return js_less(to_primitive(a), to_primitive(b)); };
    Json const two = 2;
    Json const ten = 10;
    Json const text_two = "2";
    Json const text_ten = "10";
    Json const abc = "abc";
    Json const null = nullptr;
    Json const yes = true;
    Json const list = Json::array({ 5 });
    EXPECT_TRUE(less(&two, &ten));
    EXPECT_TRUE(less(&text_ten, &text_two)); // two strings: code units
    EXPECT_TRUE(less(&text_two, &ten)); // a number on either side: numbers
    EXPECT_FALSE(less(&ten, &text_two));
    EXPECT_FALSE(less(&abc, &two)); // NaN is neither less nor greater
    EXPECT_FALSE(less(&two, &abc));
    EXPECT_TRUE(less(&null, &yes)); // 0 < 1
    EXPECT_FALSE(less(nullptr, &two)); // undefined is NaN
    EXPECT_FALSE(less(&two, nullptr));
    EXPECT_TRUE(less(&two, &list)); // [5] is "5", then 5
    EXPECT_FALSE(less(&list, &text_ten)); // "5" and "10" are both strings then
}

} // namespace
} // namespace lumos::props::detail
