// SPDX-License-Identifier: MPL-2.0
// The metadata protocol's bytes against the worked frames of reference 5.4 (their CRCs checked
// with zlib) and the V1 rules of 5.3.
#include "metadata/protocol.hpp"

#include <gtest/gtest.h>

#include <cstdio>

namespace lumos::metadata {
namespace {

TEST(MetadataProtocol, Crc32IsZlibs)
{
    EXPECT_EQ(crc32(""), 0U);
    EXPECT_EQ(crc32("123456789"), 0xCBF43926U);
    EXPECT_EQ(crc32("dc4fae17 GET c2RjOnV1aWQ="), 0x8cf8e622U);
}

TEST(MetadataProtocol, Base64RoundTripsAndIsStrict)
{
    for (std::string_view const text : { "", "f", "fo", "foo", "foob", "fooba", "foobar" }) {
        EXPECT_EQ(base64_decode(base64_encode(text)), std::string(text)) << text;
    }
    EXPECT_EQ(base64_encode("foo\nbar"), "Zm9vCmJhcg==");
    EXPECT_EQ(base64_encode(std::string("\xff\x00\x80", 3)), "/wCA");
    for (std::string_view const bad : { "Zm9", "Zm9v=", "Z===", "Zm=v", "Zm9v Zm9v", "Zm9_", "=Zm9",
             "Zg==Zg==", "Zh==", "Zm9=", "k1==" }) {
        EXPECT_FALSE(base64_decode(bad)) << bad;
    }
}

TEST(MetadataProtocol, ClientFramesAreTheReferencesBytes)
{
    EXPECT_EQ(format_v2_request("dc4fae17", "GET", "sdc:uuid"),
        "V2 25 8cf8e622 dc4fae17 GET c2RjOnV1aWQ=\n");
    EXPECT_EQ(
        format_v2_request("0000002a", "KEYS", std::nullopt), "V2 13 698bf6e6 0000002a KEYS\n");
    EXPECT_EQ(format_v2_request("1a2b3c4d", "PUT", format_put_argument("mykey", "hello world")),
        "V2 49 4bedf838 1a2b3c4d PUT YlhsclpYaz0gYUdWc2JHOGdkMjl5YkdRPQ==\n");
    EXPECT_EQ(format_v2_request("5e6f7a8b", "DELETE", "mykey"),
        "V2 24 bd512dac 5e6f7a8b DELETE bXlrZXk=\n");
}

TEST(MetadataProtocol, ServerFramesAreTheReferencesBytes)
{
    EXPECT_EQ(format_v2_response("dc4fae17", "SUCCESS", "9f8e7d6c-1111-2222-3333-444455556666"),
        "V2 65 417a7542 dc4fae17 SUCCESS OWY4ZTdkNmMtMTExMS0yMjIyLTMzMzMtNDQ0NDU1NTU2NjY2\n");
    EXPECT_EQ(format_v2_response("0000002a", "SUCCESS", "foo\nbar"),
        "V2 29 d54ff848 0000002a SUCCESS Zm9vCmJhcg==\n");
    EXPECT_EQ(
        format_v2_response("1a2b3c4d", "SUCCESS", "OK"), "V2 21 25b21f01 1a2b3c4d SUCCESS T0s=\n");
    EXPECT_EQ(format_v2_response("1a2b3c4d", "NOTFOUND"), "V2 17 b68286f0 1a2b3c4d NOTFOUND\n");
    EXPECT_EQ(format_v2_response("1a2b3c4d", "FAILURE", "Cannot update the \"sdc\" Namespace."),
        "V2 65 d55fb085 1a2b3c4d FAILURE Q2Fubm90IHVwZGF0ZSB0aGUgInNkYyIgTmFtZXNwYWNlLg==\n");
}

TEST(MetadataProtocol, AV2RequestIsParsedOnlyWhenLengthAndCrcHold)
{
    ParsedLine const get = parse_request_line("V2 25 8cf8e622 dc4fae17 GET c2RjOnV1aWQ=");
    ASSERT_EQ(get.kind, LineKind::Request);
    EXPECT_TRUE(get.request.v2);
    EXPECT_EQ(get.request.reqid, "dc4fae17");
    EXPECT_EQ(get.request.command, "GET");
    EXPECT_EQ(get.request.argument, "sdc:uuid");

    ParsedLine const keys = parse_request_line("V2 13 698bf6e6 0000002a KEYS");
    ASSERT_EQ(keys.kind, LineKind::Request);
    EXPECT_FALSE(keys.request.argument);

    ParsedLine const put
        = parse_request_line("V2 49 4bedf838 1a2b3c4d PUT YlhsclpYaz0gYUdWc2JHOGdkMjl5YkdRPQ==");
    ASSERT_EQ(put.kind, LineKind::Request);
    auto const kv = parse_put_argument(*put.request.argument);
    ASSERT_TRUE(kv);
    EXPECT_EQ(kv->first, "mykey");
    EXPECT_EQ(kv->second, "hello world");

    // Silently ignored, as agent.js does: no reply at all.
    for (std::string_view const bad : { "V2 26 8cf8e622 dc4fae17 GET c2RjOnV1aWQ=",
             "V2 25 8cf8e623 dc4fae17 GET c2RjOnV1aWQ=", "V2 0 0 0 ", "V2", "V2 ", "V2 25 8cf8e622",
             "V2 99999999999999999999 1 1 GET", "V2 25 8CF8E622 dc4fae17 GET c2RjOnV1aWQ=",
             "V2 25 18cf8e6220 dc4fae17 GET c2RjOnV1aWQ=" }) {
        EXPECT_EQ(parse_request_line(bad).kind, LineKind::Ignore) << bad;
    }
}

TEST(MetadataProtocol, AV2ArgumentThatIsNotBase64IsAnsweredNotIgnored)
{
    std::string const body = "00000001 GET not*base64";
    std::string line = "V2 " + std::to_string(body.size()) + " ";
    char crc[9];
    (void)std::snprintf(crc, sizeof crc, "%08x", crc32(body));
    line += std::string(crc) + " " + body;
    ParsedLine const parsed = parse_request_line(line);
    EXPECT_EQ(parsed.kind, LineKind::Undecodable);
    EXPECT_EQ(parsed.request.reqid, "00000001");
}

TEST(MetadataProtocol, V1LinesFollowTheLegacyRules)
{
    ParsedLine const get = parse_request_line("GET sdc:uuid");
    ASSERT_EQ(get.kind, LineKind::Request);
    EXPECT_FALSE(get.request.v2);
    EXPECT_EQ(get.request.argument, "sdc:uuid");
    EXPECT_EQ(parse_request_line("NEGOTIATE V2").request.argument, "V2");
    EXPECT_EQ(parse_request_line("KEYS").kind, LineKind::Request);
    for (std::string_view const bad : { "", "   ", "GET", "GET ", "NEGOTIATE" }) {
        EXPECT_EQ(parse_request_line(bad).kind, LineKind::Invalid) << "[" << bad << "]";
    }
    EXPECT_EQ(format_v1_response("NOTFOUND", std::nullopt), "NOTFOUND\n");
    EXPECT_EQ(format_v1_response("SUCCESS", ".hidden\nplain\n..two"),
        "SUCCESS\n..hidden\nplain\n...two\n.\n");
}

TEST(MetadataProtocol, AClientAcceptsOnlyWholeResponses)
{
    auto const ok = parse_v2_response("V2 29 d54ff848 0000002a SUCCESS Zm9vCmJhcg==");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->reqid, "0000002a");
    EXPECT_EQ(ok->code, "SUCCESS");
    EXPECT_EQ(ok->payload, "foo\nbar");
    auto const missing = parse_v2_response("V2 17 b68286f0 1a2b3c4d NOTFOUND");
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->payload, "");
    EXPECT_FALSE(parse_v2_response("V2 29 d54ff849 0000002a SUCCESS Zm9vCmJhcg=="));
    EXPECT_FALSE(parse_v2_response("SUCCESS"));
}

TEST(MetadataProtocol, PutArgumentsNeedAKeyAndAValueOfBoundedSize)
{
    EXPECT_FALSE(parse_put_argument(base64_encode("key") + " "));
    EXPECT_FALSE(parse_put_argument(base64_encode("key")));
    EXPECT_FALSE(parse_put_argument(" " + base64_encode("value")));
    EXPECT_FALSE(parse_put_argument("a*b " + base64_encode("value")));
    EXPECT_FALSE(parse_put_argument(format_put_argument("key", std::string(MAX_VALUE + 1, 'x'))));
    auto const big = parse_put_argument(format_put_argument("key", std::string(MAX_VALUE, 'x')));
    ASSERT_TRUE(big);
    EXPECT_EQ(big->second.size(), MAX_VALUE);
    // The largest PUT fits in a line the server reads.
    EXPECT_LE(format_v2_request(
                  "00000000", "PUT", format_put_argument("key", std::string(MAX_VALUE, 'x')))
                  .size(),
        MAX_LINE);
}

} // namespace
} // namespace lumos::metadata
