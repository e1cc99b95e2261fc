// SPDX-License-Identifier: MPL-2.0
#include "props/filters.hpp"
#include "props/flatten.hpp"
#include "props/list_table.hpp"
#include "props/property_table.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using lumos::ErrorCode;
using lumos::Json;
using lumos::props::add_fake_fields;
using lumos::props::check_list_options;
using lumos::props::Filter;
using lumos::props::flatten_value;
using lumos::props::format_list;
using lumos::props::ListOptions;
using lumos::props::matches;
using lumos::props::needed_keys;
using lumos::props::parse_filters;
using lumos::props::valid_filter_key;
using lumos::props::valid_list_field;

constexpr char const* ZONE70_UUID = "54f1cc77-68f1-42ab-acac-5c4f64f5d6e0";

Json zone70()
{
    Json vm = Json::parse(R"({
        "uuid": "54f1cc77-68f1-42ab-acac-5c4f64f5d6e0",
        "brand": "joyent",
        "max_physical_memory": 256,
        "state": "running",
        "alias": "zone70"
    })");
    add_fake_fields(vm);
    return vm;
}

Json vm_with(std::string const& uuid, Json fields)
{
    fields["uuid"] = uuid;
    return fields;
}

std::string list(std::vector<Json> vms, ListOptions const& options)
{
    auto result = format_list(std::move(vms), options);
    EXPECT_TRUE(result.has_value()) << (result ? "" : result.error().message());
    return result ? *result : std::string();
}

// Rows of a one-column parsable listing, so sort tests read as a list of values.
std::vector<std::string> column(
    std::vector<Json> vms, std::string const& field, std::vector<std::string> sort_keys)
{
    ListOptions options;
    options.columns = { field };
    options.sort_keys = std::move(sort_keys);
    options.parsable = true;
    options.header = false;
    std::string const text = list(std::move(vms), options);
    std::vector<std::string> rows;
    size_t start = 0;
    while (start < text.size()) {
        size_t const end = text.find('\n', start);
        rows.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return rows;
}

std::vector<Filter> filters(std::vector<std::string> const& args)
{
    auto parsed = parse_filters(args, "filter");
    EXPECT_TRUE(parsed.has_value()) << (parsed ? "" : parsed.error().message());
    return parsed ? *parsed : std::vector<Filter> {};
}

// matches() for filters that must not fail: the error shows in the test output.
bool match_ok(Json const& vm, std::vector<Filter> const& list)
{
    auto matched = matches(vm, list);
    EXPECT_TRUE(matched.has_value()) << (matched ? "" : matched.error().message());
    return matched.value_or(false);
}

std::string error_of(lumos::Result<void> const& result)
{
    EXPECT_FALSE(result.has_value());
    if (result) {
        return "";
    }
    EXPECT_EQ(result.error().code(), ErrorCode::InvalidArgument);
    return result.error().message();
}

TEST(ListFormat, DefaultTableMatchesReferenceByteForByte)
{
    EXPECT_EQ(list({ zone70() }, ListOptions {}),
        "UUID                                  TYPE  RAM      STATE             ALIAS\n"
        "54f1cc77-68f1-42ab-acac-5c4f64f5d6e0  OS    256      running           zone70\n");
}

TEST(ListFormat, ParsableHasNoPaddingAndEmptyForMissing)
{
    Json vm = zone70();
    vm.erase("alias");
    ListOptions options;
    options.parsable = true;
    options.header = false;
    EXPECT_EQ(list({ vm }, options), "54f1cc77-68f1-42ab-acac-5c4f64f5d6e0:OS:256:running:\n");

    // -p -h: vmadm prints the header, colon-joined too.
    options.header = true;
    EXPECT_EQ(list({ vm }, options),
        "UUID:TYPE:RAM:STATE:ALIAS\n54f1cc77-68f1-42ab-acac-5c4f64f5d6e0:OS:256:running:\n");
}

TEST(ListFormat, NoHeaderAndTrailingBlanksTrimmed)
{
    Json vm = zone70();
    vm.erase("alias");
    vm["state"] = "stopped";
    ListOptions options;
    options.header = false;
    options.columns = { "uuid", "alias", "state" };
    EXPECT_EQ(list({ vm }, options), "54f1cc77-68f1-42ab-acac-5c4f64f5d6e0  -           stopped\n");
    // A value ending in blanks loses them at the end of a line, not inside it.
    vm["alias"] = "a b  ";
    options.columns = { "alias" };
    EXPECT_EQ(list({ vm }, options), "a b\n");
}

TEST(ListFormat, LongValuesAreNotTruncated)
{
    Json vm = zone70();
    vm["alias"] = "a-very-long-alias";
    ListOptions options;
    options.columns = { "alias", "ram" };
    EXPECT_EQ(list({ vm }, options), "ALIAS       RAM\na-very-long-alias  256\n");
}

TEST(ListFormat, CellValueRules)
{
    Json vm = vm_with(ZONE70_UUID,
        Json::parse(R"({"autoboot": false, "do_not_inventory": true, "cpu_cap": 0, "quota": 0.5,
            "zonename": "", "pid": null, "tmpfs": -0.0, "hostname": [1, "a", null, [2, 3]],
            "tags": {"o": {"x": 1}}})"));
    ListOptions options;
    options.parsable = true;
    options.header = false;
    options.columns = { "autoboot", "do_not_inventory", "cpu_cap", "quota", "zonename", "pid",
        "tmpfs", "hostname", "tags.o", "alias" };
    EXPECT_EQ(list({ vm }, options), ":true:0:0.5:::0:1,a,,2,3:[object Object]:\n");
    options.parsable = false;
    // Negative zero prints "0", as (-0).toString() does.
    EXPECT_EQ(list({ vm }, options),
        "-         true   0        0.5    -             -       0      1,a,,2,3                "
        "          [object Object]       -\n");
}

TEST(ListFormat, SubFieldColumnsAreUpperCasedWidthTwenty)
{
    Json vm = vm_with(
        ZONE70_UUID, Json::parse(R"({"nics": [{"ip": "10.0.0.1"}], "tags": {"role": "db"}})"));
    ListOptions options;
    options.columns = { "nics.0.ip", "tags.role", "nics.1.ip" };
    EXPECT_EQ(list({ vm }, options),
        "NICS.0.IP             TAGS.ROLE             NICS.1.IP\n"
        "10.0.0.1              db                    -\n");
}

TEST(ListFormat, PaddingCountsUtf16Units)
{
    Json vm = zone70();
    vm["alias"] = "\xc3\xa9t\xc3\xa9"; // "été": 3 JavaScript characters, 5 bytes.
    ListOptions options;
    options.header = false;
    options.columns = { "alias", "ram" };
    EXPECT_EQ(list({ vm }, options), "\xc3\xa9t\xc3\xa9         256\n");
}

TEST(ListFormat, EveryTableColumnHasReferenceHeaderAndWidth)
{
    struct Row {
        char const* field;
        char const* header;
        int width;
    };
    // vmadm.js LIST_FIELDS.
    std::vector<Row> const rows { { "alias", "ALIAS", 10 }, { "autoboot", "AUTOBOOT", 8 },
        { "billing_id", "BILLING_ID", 36 }, { "boot_timestamp", "BOOT_TIMESTAMP", 24 },
        { "brand", "BRAND", 14 }, { "cpu_cap", "CPU_CAP", 7 }, { "cpu_shares", "CPU_SHARE", 9 },
        { "cpu_type", "CPU_TYPE", 8 }, { "create_timestamp", "CREATE_TIMESTAMP", 24 },
        { "dns_domain", "DOMAIN", 32 }, { "do_not_inventory", "DNI", 5 }, { "docker", "DOCKER", 6 },
        { "exit_status", "EXIT", 4 }, { "exit_timestamp", "EXIT_TIMESTAMP", 24 },
        { "firewall_enabled", "FIREWALL_ENABLED", 16 },
        { "flexible_disk_size", "FLEX_DISK_SIZE", 14 }, { "free_space", "FREE_SPACE", 14 },
        { "hostname", "HOSTNAME", 32 }, { "hvm", "HVM", 5 }, { "image_uuid", "IMAGE_UUID", 36 },
        { "indestructible_delegated", "INDESTR_DATA", 12 },
        { "indestructible_zoneroot", "INDESTR_ROOT", 12 }, { "ram", "RAM", 7 },
        { "max_locked_memory", "MAX_LOCKED", 10 }, { "max_lwps", "MAX_LWP", 7 },
        { "max_physical_memory", "MAX_PHYS", 8 }, { "max_swap", "MAX_SWAP", 8 },
        { "owner_uuid", "OWNER_UUID", 36 }, { "package_name", "PACKAGE_NAME", 32 },
        { "package_version", "PACKAGE_VER", 11 }, { "pid", "PID", 6 },
        { "qemu_extra_opts", "QEMU_EXTRA_OPTS", 15 }, { "quota", "QUOTA", 5 },
        { "zone_state", "ZONE_STATE", 10 }, { "state", "STATE", 16 }, { "tmpfs", "TMPFS", 5 },
        { "type", "TYPE", 4 }, { "uuid", "UUID", 36 }, { "vcpus", "VCPUS", 5 },
        { "zfs_io_priority", "IO_PRIORITY", 11 }, { "zpool", "ZPOOL", 12 },
        { "zonename", "ZONENAME", 12 }, { "zonepath", "ZONEPATH", 40 }, { "zoneid", "ZONEID", 6 } };
    for (auto const& row : rows) {
        ListOptions options;
        options.columns = { row.field, "uuid" };
        std::string const header = list({}, options);
        EXPECT_EQ(header,
            std::string(row.header)
                + std::string(
                    static_cast<size_t>(row.width) - std::string(row.header).size() + 2, ' ')
                + "UUID\n")
            << row.field;
        EXPECT_TRUE(valid_filter_key(row.field)) << row.field;
    }
    size_t listable = 0;
    for (auto const& property : lumos::props::property_table()) {
        listable += property.listable() ? 1 : 0;
    }
    EXPECT_EQ(listable, rows.size());
}

TEST(ListOptionsCheck, FieldCountIsBounded)
{
    // vmadm list -o with 10,000 columns built its rows until bad_alloc.
    ListOptions options;
    options.columns.assign(10'000, "alias");
    EXPECT_EQ(error_of(check_list_options(options)), "too many order fields: 10000 (at most 256)");
    options.columns.assign(256, "alias");
    EXPECT_TRUE(check_list_options(options).has_value());
    options.sort_keys.assign(257, "uuid");
    EXPECT_EQ(error_of(check_list_options(options)), "too many sort fields: 257 (at most 256)");
}

TEST(ListOptionsCheck, ErrorMessages)
{
    ListOptions options;
    options.columns = { "uuid", "nics.*.ip" };
    EXPECT_EQ(error_of(check_list_options(options)), "Invalid order key: \"nics.*.ip\"");

    options = ListOptions {};
    options.sort_keys = { "disks.*.size" };
    EXPECT_EQ(error_of(check_list_options(options)), "Invalid sort key: \"disks.*.size\"");

    options = ListOptions {};
    options.columns = { "filesystems.*.target" };
    EXPECT_EQ(error_of(check_list_options(options)), "Invalid order key: \"filesystems.*.target\"");

    options = ListOptions {};
    options.sort_keys = { "ram", "-bogus" };
    EXPECT_EQ(error_of(check_list_options(options)), "invalid sort field: -bogus");

    options = ListOptions {};
    options.columns = { "uuid", "resolvers.0" };
    EXPECT_EQ(error_of(check_list_options(options)), "invalid order field: resolvers.0");

    // Column (".*.") checks on -o and -s come before the field checks, sort before order.
    options = ListOptions {};
    options.columns = { "bogus" };
    options.sort_keys = { "nics.*.ip" };
    EXPECT_EQ(error_of(check_list_options(options)), "Invalid sort key: \"nics.*.ip\"");
    options.sort_keys = { "bogus2" };
    EXPECT_EQ(error_of(check_list_options(options)), "invalid sort field: bogus2");

    // format_list reports them even with no VMs.
    auto const result = format_list({}, options);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().message(), "invalid sort field: bogus2");
}

TEST(ListOptionsCheck, AcceptedFields)
{
    ListOptions options;
    options.columns = { "nics.0.ip", "disks.1.size", "pci_devices.0.path", "tags.role",
        "customer_metadata.k", "internal_metadata.k", "routes.default" };
    options.sort_keys = { "+tags.role", "-ram" };
    EXPECT_TRUE(check_list_options(options).has_value());

    EXPECT_TRUE(valid_list_field("nics.0.mac"));
    EXPECT_TRUE(valid_list_field("routes.default"));
    EXPECT_FALSE(valid_list_field("nics.*.mac"));
    EXPECT_FALSE(valid_list_field("resolvers.0"));
    EXPECT_FALSE(valid_list_field("nics.0"));
    EXPECT_FALSE(valid_list_field("customer_metadata"));
    EXPECT_FALSE(valid_list_field("bogus"));
    // vmadm's ".*." check is anchored on the bare name, so a signed sort key slips through it.
    options.sort_keys = { "-nics.*.ip" };
    EXPECT_TRUE(check_list_options(options).has_value());
}

TEST(ListSort, DefaultRamThenUuid)
{
    std::vector<Json> vms { vm_with("c", { { "ram", 512 } }), vm_with("b", { { "ram", 256 } }),
        vm_with("a", { { "ram", 512 } }) };
    EXPECT_EQ(column(vms, "uuid", { "ram", "uuid" }), (std::vector<std::string> { "b", "a", "c" }));
    EXPECT_EQ(
        column(vms, "uuid", { "-ram", "uuid" }), (std::vector<std::string> { "a", "c", "b" }));
    EXPECT_EQ(
        column(vms, "uuid", { "+ram", "-uuid" }), (std::vector<std::string> { "b", "c", "a" }));
}

TEST(ListSort, NumbersNumericallyStringsLexically)
{
    std::vector<Json> vms { vm_with("a", { { "ram", 1024 }, { "alias", "b10" } }),
        vm_with("b", { { "ram", 256 }, { "alias", "B2" } }),
        vm_with("c", { { "ram", 32 }, { "alias", "b2" } }) };
    EXPECT_EQ(column(vms, "ram", { "ram" }), (std::vector<std::string> { "32", "256", "1024" }));
    EXPECT_EQ(column(vms, "alias", { "alias" }), (std::vector<std::string> { "B2", "b10", "b2" }));
}

TEST(ListSort, FalsyAndUndefinedAfterTruthy)
{
    std::vector<Json> vms { vm_with("u1", {}), vm_with("zero", { { "ram", 0 } }),
        vm_with("big", { { "ram", 2048 } }), vm_with("small", { { "ram", 128 } }),
        vm_with("u2", {}) };
    // 0 is falsy, so it goes after every truthy value; undefined goes after 0.
    EXPECT_EQ(column(vms, "uuid", { "ram" }),
        (std::vector<std::string> { "small", "big", "zero", "u1", "u2" }));
    EXPECT_EQ(column(vms, "uuid", { "-ram" }),
        (std::vector<std::string> { "u1", "u2", "zero", "big", "small" }));

    std::vector<Json> aliases { vm_with("none", {}), vm_with("empty", { { "alias", "" } }),
        vm_with("x", { { "alias", "x" } }) };
    EXPECT_EQ(
        column(aliases, "uuid", { "alias" }), (std::vector<std::string> { "x", "empty", "none" }));
}

TEST(ListSort, MixedTypesUseJavaScriptRelations)
{
    // "100" < 20 is numeric in JavaScript (false), "abc" against a number is NaN (neither), so
    // the tie falls through to uuid.
    std::vector<Json> vms { vm_with("a", { { "quota", "100" } }), vm_with("b", { { "quota", 20 } }),
        vm_with("c", { { "quota", "abc" } }), vm_with("d", { { "quota", true } }) };
    EXPECT_EQ(column({ vms[0], vms[1] }, "uuid", { "quota", "uuid" }),
        (std::vector<std::string> { "b", "a" }));
    EXPECT_EQ(column({ vms[2], vms[1] }, "uuid", { "quota", "uuid" }),
        (std::vector<std::string> { "b", "c" }));
    EXPECT_EQ(column({ vms[1], vms[2] }, "uuid", { "quota", "-uuid" }),
        (std::vector<std::string> { "c", "b" }));
    // true is 1 next to a number.
    EXPECT_EQ(
        column({ vms[1], vms[3] }, "uuid", { "quota" }), (std::vector<std::string> { "d", "b" }));
    // A mix that is not a strict ordering still sorts without trouble.
    EXPECT_EQ(column(vms, "uuid", { "quota" }).size(), 4U);
}

TEST(ListSort, TiesKeepLoadOrder)
{
    // Twelve equal keys: more than the short runs an insertion sort would handle alone.
    std::vector<Json> vms;
    std::vector<std::string> expected;
    for (int i = 0; i < 12; ++i) {
        expected.push_back(std::to_string(i));
        vms.push_back(vm_with(expected.back(), { { "ram", 256 } }));
    }
    EXPECT_EQ(column(vms, "uuid", { "ram" }), expected);
}

TEST(FilterParse, ErrorMessagesAndSplitting)
{
    auto bad = parse_filters({ "alias=x", "ram>=512" }, "filter");
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(bad.error().message(), "Invalid filter key: \"ram>\"");

    bad = parse_filters({ "resolvers.0=8.8.8.8" }, "lookup");
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().message(), "Invalid lookup key: \"resolvers.0\"");

    // Like keys of a JavaScript object: array indices come first.
    bad = parse_filters({ "bogus=1", "7=x" }, "filter");
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().message(), "Invalid filter key: \"7\"");

    bad = parse_filters({ "alias=~(" }, "filter");
    ASSERT_FALSE(bad.has_value());
    // node: "Invalid regular expression: /(/: Unterminated group"; the reason is PCRE2's.
    EXPECT_TRUE(bad.error().message().starts_with("Invalid regular expression: /(/: "))
        << bad.error().message();

    auto const parsed = filters({ "alias=a=b", "state", "alias=c=d" });
    ASSERT_EQ(parsed.size(), 2U);
    EXPECT_EQ(parsed[0].key, "alias");
    EXPECT_EQ(parsed[0].value, "c=d");
    EXPECT_EQ(parsed[1].key, "state");
    EXPECT_EQ(parsed[1].value, "");
}

TEST(FilterKey, ValidKeys)
{
    EXPECT_TRUE(valid_filter_key("alias"));
    EXPECT_TRUE(valid_filter_key("type"));
    EXPECT_TRUE(valid_filter_key("nics.0.mac"));
    EXPECT_TRUE(valid_filter_key("nics.*.ip"));
    EXPECT_TRUE(valid_filter_key("disks.*.image_uuid"));
    EXPECT_TRUE(valid_filter_key("tags.role"));
    EXPECT_TRUE(valid_filter_key("customer_metadata.user-script"));
    EXPECT_TRUE(valid_filter_key("internal_metadata.a.b"));
    EXPECT_FALSE(valid_filter_key("routes.default"));
    EXPECT_FALSE(valid_filter_key("resolvers.0"));
    EXPECT_FALSE(valid_filter_key("nics.0.ips"));
    EXPECT_FALSE(valid_filter_key("disks.0.path"));
    EXPECT_FALSE(valid_filter_key("pci_devices.0.path"));
    EXPECT_FALSE(valid_filter_key("tags"));
    EXPECT_FALSE(valid_filter_key("ram>"));
    // vmadm's patterns are built from strings, so their "\." is any character and the nic one
    // is unanchored at the start.
    EXPECT_TRUE(valid_filter_key("disksX0Xsize"));
    EXPECT_TRUE(valid_filter_key("disks..size"));
    EXPECT_TRUE(valid_filter_key("xnics.0.ip"));
    EXPECT_FALSE(valid_filter_key("disks.0.\nsize"));
}

TEST(FilterMatch, EqualityIsStringOfValue)
{
    Json const vm = zone70();
    Json hvm = Json::parse(R"({"uuid": "u", "brand": "kvm", "ram": 1024, "autoboot": true,
        "vcpus": 1.5})");
    add_fake_fields(hvm);
    EXPECT_TRUE(match_ok(vm, {}));
    EXPECT_TRUE(match_ok(vm, filters({ "ram=256" })));
    EXPECT_FALSE(match_ok(vm, filters({ "ram=0256" })));
    EXPECT_TRUE(match_ok(vm, filters({ "alias=zone70", "type=OS" })));
    EXPECT_FALSE(match_ok(vm, filters({ "alias=zone70", "type=KVM" })));
    EXPECT_FALSE(match_ok(vm, filters({ "alias=ZONE70" })));
    EXPECT_TRUE(match_ok(hvm, filters({ "autoboot=true", "type=KVM", "ram=1024" })));
    EXPECT_TRUE(match_ok(hvm, filters({ "vcpus=1.5" })));
    // Missing never matches, not even an empty target.
    EXPECT_FALSE(match_ok(vm, filters({ "hostname=" })));
    EXPECT_FALSE(match_ok(vm, filters({ "hostname=undefined" })));
}

TEST(FilterMatch, RegexIsCaseInsensitiveAndUnanchored)
{
    Json const vm = zone70();
    EXPECT_TRUE(match_ok(vm, filters({ "alias=~ONE" })));
    EXPECT_TRUE(match_ok(vm, filters({ "alias=~^z.*70$" })));
    EXPECT_FALSE(match_ok(vm, filters({ "alias=~^one" })));
    EXPECT_TRUE(match_ok(vm, filters({ "ram=~^25" })));
    EXPECT_TRUE(match_ok(vm, filters({ "alias=~" })));
    EXPECT_FALSE(match_ok(vm, filters({ "hostname=~" })));
    // A Filter built by hand with a broken pattern is an error, not "no match".
    EXPECT_FALSE(matches(vm, { Filter { "alias", "~[" } }).has_value());
}

TEST(FilterMatch, RegexOnLongValueDoesNotCrash)
{
    // std::regex recursed once per character and died (SIGSEGV) on a 50,000-character alias.
    Json vm = zone70();
    vm["alias"] = std::string(50'000, 'a') + "z";
    EXPECT_TRUE(match_ok(vm, filters({ "alias=~.*" })));
    EXPECT_TRUE(match_ok(vm, filters({ "alias=~^(a|b)*z$" })));
    EXPECT_FALSE(match_ok(vm, filters({ "alias=~^(a|b)*y$" })));
}

TEST(FilterMatch, CatastrophicBacktrackingIsAnError)
{
    Json vm = zone70();
    vm["alias"] = std::string(40, 'a') + "!";
    auto const matched = matches(vm, filters({ "alias=~^(a+)+$" }));
    ASSERT_FALSE(matched.has_value());
    EXPECT_EQ(matched.error().code(), ErrorCode::InvalidArgument);
    EXPECT_NE(matched.error().message().find("Regular expression /^(a+)+$/ is too complex"),
        std::string::npos)
        << matched.error().message();
}

TEST(FilterMatch, BadPatternIsRefusedWhenParsed)
{
    for (char const* arg : { "alias=~[", "alias=~a{2,1}", "alias=~(?<", "alias=~*" }) {
        auto const bad = parse_filters({ arg }, "filter");
        ASSERT_FALSE(bad.has_value()) << arg;
        EXPECT_TRUE(bad.error().message().starts_with("Invalid regular expression: /"))
            << bad.error().message();
    }
}

TEST(FilterMatch, StarMatchesAnyElementAndMacsAreNormalized)
{
    Json const vm = Json::parse(R"({"uuid": "u", "nics": [
        {"mac": "02:08:20:0a:0b:0c", "ip": "10.0.0.5", "vlan_id": 0},
        {"mac": "90:b8:d0:aa:bb:cc", "ip": "192.168.1.9"}],
        "disks": [{"size": 10240}]})");
    EXPECT_TRUE(match_ok(vm, filters({ "nics.*.ip=192.168.1.9" })));
    EXPECT_TRUE(match_ok(vm, filters({ "nics.1.ip=192.168.1.9" })));
    EXPECT_FALSE(match_ok(vm, filters({ "nics.0.ip=192.168.1.9" })));
    EXPECT_FALSE(match_ok(vm, filters({ "nics.2.ip=192.168.1.9" })));
    EXPECT_TRUE(match_ok(vm, filters({ "nics.*.vlan_id=0" })));
    EXPECT_TRUE(match_ok(vm, filters({ "disks.*.size=10240" })));
    EXPECT_TRUE(match_ok(vm, filters({ "nics.*.ip=~^192\\." })));

    // SmartOS's short MAC form and upper case are normalized before comparing.
    EXPECT_TRUE(match_ok(vm, filters({ "nics.*.mac=2:8:20:a:b:c" })));
    EXPECT_TRUE(match_ok(vm, filters({ "nics.0.mac=02:08:20:0A:0B:0C" })));
    EXPECT_TRUE(match_ok(vm, filters({ "nics.*.mac=90:B8:D0:AA:BB:CC" })));
    EXPECT_FALSE(match_ok(vm, filters({ "nics.*.mac=90:b8:d0:aa:bb" })));
    EXPECT_FALSE(match_ok(vm, filters({ "nics.*.mac=zz:b8:d0:aa:bb:cc" })));
    // Regex MAC filters are not normalized.
    EXPECT_TRUE(match_ok(vm, filters({ "nics.*.mac=~^90:B8" })));
    EXPECT_FALSE(match_ok(vm, filters({ "nics.*.mac=~^2:8" })));

    Json const no_nics = Json::parse(R"({"uuid": "u"})");
    EXPECT_FALSE(match_ok(no_nics, filters({ "nics.*.ip=10.0.0.5" })));
}

TEST(FilterMatch, HashKeys)
{
    Json const vm = Json::parse(R"({"uuid": "u", "tags": {"role": "db", "n": 3, "ok": false},
        "customer_metadata": {"user-script": "#!/bin/sh"}})");
    EXPECT_TRUE(match_ok(vm, filters({ "tags.role=db" })));
    EXPECT_TRUE(match_ok(vm, filters({ "tags.n=3" })));
    EXPECT_TRUE(match_ok(vm, filters({ "tags.ok=false" })));
    EXPECT_FALSE(match_ok(vm, filters({ "tags.role=web" })));
    EXPECT_FALSE(match_ok(vm, filters({ "tags.missing=" })));
    EXPECT_TRUE(match_ok(vm, filters({ "customer_metadata.user-script=~BIN" })));
}

TEST(Flatten, Rules)
{
    Json const vm = Json::parse(R"({"uuid": "u", "resolvers": ["8.8.8.8", "8.8.4.4"],
        "nics": [{"ip": "10.0.0.1"}], "tags": {"a.b": 1, "k": "v"},
        "routes": {"10.0.0.0/8": "10.0.0.1"}, "internal_metadata_namespaces": ["ns"],
        "nics.0": "literal"})");
    EXPECT_EQ(flatten_value(vm, "resolvers.0"), Json("8.8.8.8"));
    EXPECT_EQ(flatten_value(vm, "resolvers.1"), Json("8.8.4.4"));
    EXPECT_EQ(flatten_value(vm, "resolvers.2"), std::nullopt);
    EXPECT_EQ(flatten_value(vm, "resolvers.x"), std::nullopt);
    EXPECT_EQ(flatten_value(vm, "resolvers.-1"), std::nullopt);
    // The index goes through Number().
    EXPECT_EQ(flatten_value(vm, "resolvers."), Json("8.8.8.8"));
    EXPECT_EQ(flatten_value(vm, "resolvers.0x1"), Json("8.8.4.4"));
    EXPECT_EQ(flatten_value(vm, "internal_metadata_namespaces.0"), Json("ns"));
    EXPECT_EQ(flatten_value(vm, "nics.0.ip"), Json("10.0.0.1"));
    EXPECT_EQ(flatten_value(vm, "nics.00.ip"), std::nullopt);
    EXPECT_EQ(flatten_value(vm, "nics.0.mac"), std::nullopt);
    EXPECT_EQ(flatten_value(vm, "nics.*.ip"), std::nullopt);
    EXPECT_EQ(flatten_value(vm, "tags.k"), Json("v"));
    // Only two tokens are a hash key, so a dotted tag name is unreachable.
    EXPECT_EQ(flatten_value(vm, "tags.a.b"), std::nullopt);
    EXPECT_EQ(flatten_value(vm, "routes.10.0.0.0/8"), std::nullopt);
    EXPECT_EQ(flatten_value(vm, "uuid"), Json("u"));
    EXPECT_EQ(flatten_value(vm, "nics.0"), Json("literal"));
    EXPECT_EQ(flatten_value(vm, "alias"), std::nullopt);
    EXPECT_EQ(flatten_value(Json::parse(R"({"nics": [null]})"), "nics.0.ip"), std::nullopt);
}

TEST(FakeFields, TypeAndRam)
{
    auto fake = [](char const* text) {
        Json vm = Json::parse(text);
        add_fake_fields(vm);
        return vm;
    };
    Json const os = fake(R"({"brand": "joyent-minimal", "max_physical_memory": 128, "ram": 9})");
    EXPECT_EQ(os["type"], "OS");
    EXPECT_EQ(os["ram"], 128);
    EXPECT_EQ(fake(R"({"brand": "builder"})")["type"], "OS");
    EXPECT_FALSE(fake(R"({"brand": "joyent", "ram": 5})").contains("ram"));
    EXPECT_EQ(fake(R"({"brand": "lx", "max_physical_memory": 512})")["type"], "LX");
    EXPECT_EQ(fake(R"({"brand": "lx", "max_physical_memory": 512})")["ram"], 512);
    Json const kvm = fake(R"({"brand": "kvm", "ram": 1024, "max_physical_memory": 2048})");
    EXPECT_EQ(kvm["type"], "KVM");
    EXPECT_EQ(kvm["ram"], 1024);
    Json const bhyve = fake(R"({"brand": "bhyve", "ram": 2048, "max_physical_memory": 3328})");
    EXPECT_EQ(bhyve["type"], "BHYV");
    EXPECT_EQ(bhyve["ram"], 2048);
    EXPECT_EQ(fake(R"({"brand": "sngl", "max_physical_memory": 64})")["type"], "OS");
    EXPECT_EQ(fake(R"({"brand": "sngl", "max_physical_memory": 64})")["ram"], 64);
    EXPECT_EQ(fake(R"({})")["type"], "OS");

    ListOptions options;
    options.columns = { "type" };
    options.header = false;
    EXPECT_EQ(list({ bhyve }, options), "BHYV\n");
}

TEST(ListKeys, NeededKeys)
{
    ListOptions const defaults;
    EXPECT_EQ(needed_keys(defaults.columns, defaults.sort_keys, {}),
        (std::vector<std::string> {
            "uuid", "type", "brand", "ram", "max_physical_memory", "state", "alias" }));
    EXPECT_EQ(needed_keys({ "nics.0.ip", "tags.role" }, { "-zonename" },
                  filters({ "disks.*.size=1", "customer_metadata.k=v" })),
        (std::vector<std::string> {
            "uuid", "nics", "tags", "zonename", "disks", "customer_metadata" }));
}

} // namespace
