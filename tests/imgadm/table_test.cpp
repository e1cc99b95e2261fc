// SPDX-License-Identifier: MPL-2.0
// imgadm's list/avail table (reference section 4.3): option parsing, filters, sort, layout.
#include "cmd/imgadm/cli.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace {

using lumos::Json;
using lumos::imgadm::Args;
using lumos::imgadm::parse_table_args;
using lumos::imgadm::print_table;
using lumos::imgadm::TableOptions;

struct Output {
    std::string out;
    std::string error_code;
    std::string error_message;
};

Output render(std::vector<Json> rows, Args const& args, std::vector<Json> objects = {})
{
    Output output;
    auto options = parse_table_args(args, "uuid,name,version,os,type,pub");
    if (!options) {
        output.error_code = options.error().code_name();
        output.error_message = options.error().message;
        return output;
    }
    std::istringstream in;
    std::ostringstream out;
    std::ostringstream err;
    lumos::imgadm::Io io { in, out, err };
    if (objects.empty()) {
        objects = rows;
    }
    auto result = print_table(std::move(rows), std::move(objects), *options, io);
    if (!result) {
        output.error_code = result.error().code_name();
        output.error_message = result.error().message;
    }
    output.out = out.str();
    return output;
}

std::vector<Json> sample_rows()
{
    return {
        { { "uuid", "01b2c898-945f-11e1-a523-af1afbe22822" }, { "name", "smartos" },
            { "version", "1.6.3" }, { "os", "smartos" }, { "type", "zone-dataset" },
            { "pub", "2012-05-02" }, { "published_at", "2012-05-02T15:14:45.805Z" },
            { "size", 46271847 }, { "public", true }, { "tags", { { "role", "db" } } } },
        { { "uuid", "22222222-945f-11e1-a523-af1afbe22822" }, { "name", "base64" },
            { "version", "13.1.0" }, { "os", "smartos" }, { "type", "zone-dataset" },
            { "pub", "2013-07-01" }, { "published_at", "2013-07-01T00:00:00Z" }, { "size", 9 },
            { "public", false }, { "requirements", { { "brand", "lx" } } } },
        { { "uuid", "33333333-945f-11e1-a523-af1afbe22822" }, { "name", "debian" },
            { "version", "12" }, { "os", "linux" }, { "type", "lx-dataset" },
            { "published_at", "2013-07-01T00:00:00Z" }, { "size", 100 }, { "public", true } },
    };
}

TEST(ImgadmTable, DefaultsAndLayout)
{
    Output output = render({ sample_rows()[0] }, {});
    EXPECT_EQ(output.error_code, "");
    EXPECT_EQ(output.out,
        "UUID                                  NAME     VERSION  OS       TYPE          PUB\n"
        "01b2c898-945f-11e1-a523-af1afbe22822  smartos  1.6.3    smartos  zone-dataset  "
        "2012-05-02\n");
}

TEST(ImgadmTable, NoRowsPrintsHeaderOnly)
{
    EXPECT_EQ(render({}, {}).out, "UUID  NAME  VERSION  OS  TYPE  PUB\n");
    EXPECT_EQ(render({}, { "-H" }).out, "");
    EXPECT_EQ(render({}, { "-j" }).out, "[]\n");
}

TEST(ImgadmTable, DefaultSortIsPublishedAtThenName)
{
    Output output = render(sample_rows(), { "-H", "-o", "name" });
    EXPECT_EQ(output.out, "smartos\nbase64\ndebian\n");
}

TEST(ImgadmTable, MissingCellsAreDashesAndObjectsJson)
{
    Output output = render(sample_rows(), { "-o", "name,pub,tags", "-s", "name" });
    EXPECT_EQ(output.out,
        "NAME     PUB         TAGS\n"
        "base64   2013-07-01  -\n"
        "debian   -           -\n"
        "smartos  2012-05-02  {\"role\":\"db\"}\n");
}

TEST(ImgadmTable, LastColumnIsNotPadded)
{
    Output output = render(sample_rows(), { "-o", "name,os", "-s", "os,name" });
    EXPECT_EQ(output.out, "NAME     OS\ndebian   linux\nbase64   smartos\nsmartos  smartos\n");
}

TEST(ImgadmTable, SortDescendingAndNumeric)
{
    // Numeric when both values are numbers: 9 < 100 < 46271847 (strings would put "100" first).
    EXPECT_EQ(render(sample_rows(), { "-Ho", "size", "-s", "size" }).out, "9\n100\n46271847\n");
    EXPECT_EQ(
        render(sample_rows(), { "-H", "-o", "size", "-s", "-size" }).out, "46271847\n100\n9\n");
    EXPECT_EQ(render(sample_rows(), { "-H", "-o", "name", "-s", "-name" }).out,
        "smartos\ndebian\nbase64\n");
}

TEST(ImgadmTable, UndefinedSortsFirstAscending)
{
    EXPECT_EQ(render(sample_rows(), { "-H", "-o", "name", "-s", "pub" }).out,
        "debian\nsmartos\nbase64\n");
    EXPECT_EQ(render(sample_rows(), { "-H", "-o", "name", "-s", "-pub" }).out,
        "base64\nsmartos\ndebian\n");
}

TEST(ImgadmTable, InvalidSortField)
{
    Output output = render(sample_rows(), { "-s", "nosuchfield" });
    EXPECT_EQ(output.error_code, "UsageError");
    EXPECT_EQ(output.error_message, "invalid sort field: \"nosuchfield\"");
    EXPECT_EQ(output.out, "");
}

TEST(ImgadmTable, Filters)
{
    EXPECT_EQ(render(sample_rows(), { "-H", "-o", "name", "os=linux" }).out, "debian\n");
    EXPECT_EQ(render(sample_rows(), { "-H", "-o", "name", "-s", "name", "name=~s" }).out,
        "base64\nsmartos\n");
    EXPECT_EQ(render(sample_rows(), { "-H", "-o", "name", "name=~S" }).out, "");
    EXPECT_EQ(render(sample_rows(), { "-H", "-o", "name", "public=false" }).out, "base64\n");
    EXPECT_EQ(render(sample_rows(), { "-H", "-o", "name", "-s", "name", "public=true" }).out,
        "debian\nsmartos\n");
    EXPECT_EQ(render(sample_rows(), { "-H", "-o", "name", "size=9" }).out, "base64\n");
    // Dotted fields; rows lacking the field are excluded.
    EXPECT_EQ(render(sample_rows(), { "-H", "-o", "name", "tags.role=db" }).out, "smartos\n");
    EXPECT_EQ(
        render(sample_rows(), { "-H", "-o", "name", "requirements.brand=lx" }).out, "base64\n");
    // Several filters must all match.
    EXPECT_EQ(render(sample_rows(), { "-H", "-o", "name", "os=smartos", "public=true" }).out,
        "smartos\n");
}

TEST(ImgadmTable, InvalidFilter)
{
    Output output = render(sample_rows(), { "bogus" });
    EXPECT_EQ(output.error_code, "UsageError");
    EXPECT_EQ(
        output.error_message, "invalid filter: \"bogus\" (must be of the form \"field=value\")");
}

TEST(ImgadmTable, JsonPrintsObjectsFiltered)
{
    std::vector<Json> objects;
    for (Json const& row : sample_rows()) {
        objects.push_back(
            Json { { "manifest", { { "uuid", row["uuid"] } } }, { "zpool", "zones" } });
    }
    Output output = render(sample_rows(), { "-j", "os=linux" }, objects);
    auto parsed = Json::parse(output.out);
    ASSERT_EQ(parsed.size(), 1U);
    EXPECT_EQ(parsed[0]["zpool"], "zones");
    // With filters, the computed fields land in the manifest objects (as imgadm does).
    EXPECT_EQ(parsed[0]["manifest"]["name"], "debian");
    output = render(sample_rows(), { "--json" }, objects);
    parsed = Json::parse(output.out);
    ASSERT_EQ(parsed.size(), 3U);
    EXPECT_FALSE(parsed[0]["manifest"].contains("name"));
}

TEST(ImgadmTable, OptionParsing)
{
    auto options = parse_table_args({ "-jH", "-ouuid,name", "--sort=-name", "a=b" }, "x,y");
    ASSERT_TRUE(options);
    EXPECT_TRUE(options->json);
    EXPECT_TRUE(options->no_header);
    EXPECT_EQ(options->columns, (std::vector<std::string> { "uuid", "name" }));
    EXPECT_EQ(options->sort, (std::vector<std::string> { "-name" }));
    EXPECT_EQ(options->filters, (std::vector<std::string> { "a=b" }));
    auto defaults = parse_table_args({}, "x,y");
    ASSERT_TRUE(defaults);
    EXPECT_EQ(defaults->columns, (std::vector<std::string> { "x", "y" }));
    EXPECT_EQ(defaults->sort, (std::vector<std::string> { "published_at", "name" }));
    EXPECT_EQ(parse_table_args({ "-x" }, "x").error().code_name(), "UsageError");
    EXPECT_EQ(parse_table_args({ "-o" }, "x").error().code_name(), "UsageError");
}

} // namespace
