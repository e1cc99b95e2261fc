// SPDX-License-Identifier: MPL-2.0
// `vmadm list`: reference §1.4 (format, columns, sorting) and §1.6 (filters).
#include "cli/cli_fixture.hpp"

#include <algorithm>

namespace lumos::test {
namespace {

const std::string DEFAULT_HEADER
    = "UUID                                  TYPE  RAM      STATE             ALIAS";

// Pads like outputVMListLine: each cell to its width, joined by two spaces, right-trimmed.
std::string row(const std::vector<std::pair<std::string, size_t>>& cells)
{
    std::string line;
    for (size_t i = 0; i < cells.size(); ++i) {
        std::string cell = cells[i].first;
        if (cell.size() < cells[i].second) {
            cell.append(cells[i].second - cell.size(), ' ');
        }
        line += cell;
        if (i + 1 < cells.size()) {
            line += "  ";
        }
    }
    while (!line.empty() && line.back() == ' ') {
        line.pop_back();
    }
    return line;
}

std::string default_row(const std::string& uuid, const std::string& type, const std::string& ram,
    const std::string& state, const std::string& alias)
{
    return row({ { uuid, 36 }, { type, 4 }, { ram, 7 }, { state, 16 }, { alias, 10 } });
}

class List : public CliTest {
protected:
    std::string make(const std::string& alias, int mem, const std::string& brand = "joyent")
    {
        auto p = payload_for(brand);
        if (!alias.empty()) {
            p["alias"] = alias;
        }
        if (brand == "kvm" || brand == "bhyve") {
            p["ram"] = mem;
        } else {
            p["max_physical_memory"] = mem;
        }
        return create_ok(p);
    }
};

TEST_F(List, EmptyStoreShowsOnlyHeader)
{
    auto r = vmadm({ "list" });
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(r.out, DEFAULT_HEADER + "\n");
    EXPECT_EQ(r.err, "");
}

TEST_F(List, HeaderMatchesReferenceExample)
{
    EXPECT_EQ(
        row({ { "UUID", 36 }, { "TYPE", 4 }, { "RAM", 7 }, { "STATE", 16 }, { "ALIAS", 10 } }),
        DEFAULT_HEADER);
}

TEST_F(List, DashHSuppressesHeader)
{
    auto r = vmadm({ "list", "-H" });
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "");
}

TEST_F(List, DefaultColumnsAndSortByRamThenUuid)
{
    auto big = make("big", 1024);
    auto small = make("small", 128);
    auto mid_a = make("", 512);
    auto mid_b = make("a-very-long-alias-beyond-width", 512);
    auto mids = std::minmax(mid_a, mid_b);
    auto alias_of = [&](const std::string& u) {
        // a missing alias prints "-" (only -p prints an empty field)
        return u == mid_b ? std::string("a-very-long-alias-beyond-width") : std::string("-");
    };
    auto r = vmadm({ "list" });
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    std::string expected = DEFAULT_HEADER + "\n";
    expected += default_row(small, "OS", "128", "stopped", "small") + "\n";
    expected += default_row(mids.first, "OS", "512", "stopped", alias_of(mids.first)) + "\n";
    expected += default_row(mids.second, "OS", "512", "stopped", alias_of(mids.second)) + "\n";
    expected += default_row(big, "OS", "1024", "stopped", "big") + "\n";
    EXPECT_EQ(r.out, expected);
}

TEST_F(List, ParsableOutput)
{
    auto uuid = make("zone70", 256);
    auto noalias = make("", 512);
    auto r = vmadm({ "list", "-p" });
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(r.out, uuid + ":OS:256:stopped:zone70\n" + noalias + ":OS:512:stopped:\n");
}

TEST_F(List, DashLowerHForcesHeaderWithParsableOff)
{
    make("x", 256);
    auto r = vmadm({ "list", "-H", "-h" });
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(split_lines(r.out).at(0), DEFAULT_HEADER);
}

TEST_F(List, CustomColumnsFalseShowsDash)
{
    auto uuid = make("web", 256);
    auto r = vmadm({ "list", "-o", "uuid,autoboot,brand,zonename,quota,cpu_shares" });
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(r.out,
        row({ { "UUID", 36 }, { "AUTOBOOT", 8 }, { "BRAND", 14 }, { "ZONENAME", 12 },
            { "QUOTA", 5 }, { "CPU_SHARE", 9 } })
            + "\n"
            + row({ { uuid, 36 }, { "-", 8 }, { "joyent", 14 }, { uuid, 12 }, { "10", 5 },
                { "100", 9 } })
            + "\n");
    auto p = vmadm({ "list", "-p", "-o", "uuid,autoboot,alias,tmpfs" });
    EXPECT_EQ(p.out, uuid + "::web:256\n");
}

TEST_F(List, ZeroIsPrintedNotDash)
{
    auto p = os_payload();
    p["tmpfs"] = 0;
    auto uuid = create_ok(p);
    auto r = vmadm({ "list", "-H", "-p", "-o", "uuid,tmpfs" });
    EXPECT_EQ(r.out, uuid + ":0\n");
}

TEST_F(List, SubPropertyColumns)
{
    auto p = os_payload();
    p["tags"] = { { "role", "db" } };
    p["nics"] = { { { "nic_tag", "admin" }, { "ips", { "10.1.1.1/24" } } } };
    auto uuid = create_ok(p);
    auto r = vmadm({ "list", "-o", "uuid,nics.0.ip,tags.role" });
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(r.out,
        row({ { "UUID", 36 }, { "NICS.0.IP", 20 }, { "TAGS.ROLE", 20 } }) + "\n"
            + row({ { uuid, 36 }, { "10.1.1.1", 20 }, { "db", 20 } }) + "\n");
}

TEST_F(List, TypeColumnPerBrand)
{
    auto os = make("os", 256, "joyent");
    auto minimal = make("min", 257, "joyent-minimal");
    auto lx = make("lx", 258, "lx");
    auto kvm = make("kvm", 259, "kvm");
    auto bhyve = make("bhyve", 260, "bhyve");
    auto r = vmadm({ "list", "-H", "-p", "-o", "alias,type,ram", "-s", "alias" });
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(r.out, "bhyve:BHYV:260\nkvm:KVM:259\nlx:LX:258\nmin:OS:257\nos:OS:256\n");
}

TEST_F(List, SortDescendingAndMultipleKeys)
{
    make("b", 256);
    make("a", 256);
    make("c", 512);
    auto r = vmadm({ "list", "-H", "-p", "-o", "alias", "-s", "-ram,alias" });
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(r.out, "c\na\nb\n");
    r = vmadm({ "list", "-H", "-p", "-o", "alias", "-s", "+alias" });
    EXPECT_EQ(r.out, "a\nb\nc\n");
    r = vmadm({ "list", "-H", "-p", "-o", "alias", "-s", "-alias" });
    EXPECT_EQ(r.out, "c\nb\na\n");
}

TEST_F(List, MissingValuesSortLastAscending)
{
    make("", 256);
    make("b", 256);
    make("a", 256);
    auto r = vmadm({ "list", "-H", "-p", "-o", "alias", "-s", "alias" });
    EXPECT_EQ(r.out, "a\nb\n\n");
}

TEST_F(List, NumericSortIsNumeric)
{
    make("nine", 9 * 128);
    make("ten", 10 * 128);
    make("two", 2 * 128);
    auto r = vmadm({ "list", "-H", "-p", "-o", "alias", "-s", "max_physical_memory" });
    EXPECT_EQ(r.out, "two\nnine\nten\n");
}

struct FilterCase {
    const char* name;
    std::vector<std::string> filters;
    std::vector<std::string> aliases; // expected, sorted
};

class ListFilter
    : public List
    , public ::testing::WithParamInterface<FilterCase> { };

TEST_P(ListFilter, Matches)
{
    auto p = os_payload();
    p["alias"] = "web01";
    p["max_physical_memory"] = 512;
    p["tags"] = { { "role", "web" } };
    p["nics"] = { { { "nic_tag", "admin" }, { "ips", { "10.0.0.1/24" } },
        { "mac", "02:08:20:aa:bb:cc" } } };
    create_ok(p);
    p = os_payload();
    p["alias"] = "db01";
    p["tags"] = { { "role", "db" } };
    p["customer_metadata"] = { { "k", "v" } };
    p["nics"] = { { { "nic_tag", "external" }, { "ip", "dhcp" } },
        { { "nic_tag", "admin" }, { "ips", { "10.0.0.2/24" } } } };
    create_ok(p);
    p = os_payload("lx");
    p["alias"] = "Alpha";
    p["autoboot"] = false;
    create_ok(p);

    std::vector<std::string> args { "list", "-H", "-p", "-o", "alias", "-s", "alias" };
    args.insert(args.end(), GetParam().filters.begin(), GetParam().filters.end());
    auto r = vmadm(args);
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(split_lines(r.out), GetParam().aliases);
}

INSTANTIATE_TEST_SUITE_P(Filters, ListFilter,
    ::testing::Values(FilterCase { "none", {}, { "Alpha", "db01", "web01" } },
        FilterCase { "exact", { "alias=web01" }, { "web01" } },
        FilterCase { "exact_is_case_sensitive", { "alias=WEB01" }, {} },
        FilterCase { "regex_case_insensitive", { "alias=~^[AW]" }, { "Alpha", "web01" } },
        FilterCase { "regex_unanchored", { "alias=~01" }, { "db01", "web01" } },
        FilterCase { "number_as_string", { "ram=512" }, { "web01" } },
        FilterCase { "boolean_as_string", { "autoboot=false" }, { "Alpha", "db01", "web01" } },
        FilterCase { "brand", { "brand=lx" }, { "Alpha" } },
        FilterCase { "type", { "type=OS" }, { "db01", "web01" } },
        FilterCase { "conjunction", { "type=OS", "ram=256" }, { "db01" } },
        FilterCase { "tag", { "tags.role=db" }, { "db01" } },
        FilterCase { "missing_never_matches", { "tags.role=~.*" }, { "db01", "web01" } },
        FilterCase { "metadata", { "customer_metadata.k=v" }, { "db01" } },
        FilterCase { "nic_star", { "nics.*.nic_tag=admin" }, { "db01", "web01" } },
        FilterCase { "nic_index", { "nics.0.nic_tag=admin" }, { "web01" } },
        FilterCase { "nic_ip", { "nics.*.ip=10.0.0.2" }, { "db01" } },
        FilterCase { "mac_normalised", { "nics.*.mac=2:8:20:AA:BB:CC" }, { "web01" } },
        FilterCase { "no_match", { "alias=nobody" }, {} }),
    [](const auto& test_param) { return std::string(test_param.param.name); });

struct ListErrorCase {
    const char* name;
    std::vector<std::string> args;
    const char* message;
};

class ListError
    : public List
    , public ::testing::WithParamInterface<ListErrorCase> { };

TEST_P(ListError, FailsEvenWithNoVms)
{
    std::vector<std::string> args { "list" };
    args.insert(args.end(), GetParam().args.begin(), GetParam().args.end());
    EXPECT_TRUE(failed_with(vmadm(args), GetParam().message));
    make("x", 256);
    EXPECT_TRUE(failed_with(vmadm(args), GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(Errors, ListError,
    ::testing::Values(
        ListErrorCase { "bad_filter_key", { "foo=bar" }, "Invalid filter key: \"foo\"" },
        ListErrorCase { "numeric_compare", { "ram>=512" }, "Invalid filter key: \"ram>\"" },
        ListErrorCase {
            "bad_nic_subkey", { "nics.*.bogus=1" }, "Invalid filter key: \"nics.*.bogus\"" },
        ListErrorCase { "star_order", { "-o", "nics.*.ip" }, "Invalid order key: \"nics.*.ip\"" },
        ListErrorCase { "star_sort", { "-s", "nics.*.ip" }, "Invalid sort key: \"nics.*.ip\"" },
        ListErrorCase { "unknown_order", { "-o", "bogus" }, "invalid order field: bogus" },
        ListErrorCase { "unknown_sort", { "-s", "bogus" }, "invalid sort field: bogus" },
        ListErrorCase {
            "resolvers_column", { "-o", "resolvers.0" }, "invalid order field: resolvers.0" }),
    [](const auto& test_param) { return std::string(test_param.param.name); });

} // namespace
} // namespace lumos::test

namespace lumos::test {
namespace {

// Every column of the §1.4 table: field, header, width.
struct Column {
    const char* field;
    const char* header;
    size_t width;
};

const std::vector<Column> ALL_COLUMNS = {
    { "alias", "ALIAS", 10 },
    { "autoboot", "AUTOBOOT", 8 },
    { "billing_id", "BILLING_ID", 36 },
    { "boot_timestamp", "BOOT_TIMESTAMP", 24 },
    { "brand", "BRAND", 14 },
    { "cpu_cap", "CPU_CAP", 7 },
    { "cpu_shares", "CPU_SHARE", 9 },
    { "cpu_type", "CPU_TYPE", 8 },
    { "create_timestamp", "CREATE_TIMESTAMP", 24 },
    { "dns_domain", "DOMAIN", 32 },
    { "do_not_inventory", "DNI", 5 },
    { "docker", "DOCKER", 6 },
    { "exit_status", "EXIT", 4 },
    { "exit_timestamp", "EXIT_TIMESTAMP", 24 },
    { "firewall_enabled", "FIREWALL_ENABLED", 16 },
    { "flexible_disk_size", "FLEX_DISK_SIZE", 14 },
    { "free_space", "FREE_SPACE", 14 },
    { "hostname", "HOSTNAME", 32 },
    { "hvm", "HVM", 5 },
    { "image_uuid", "IMAGE_UUID", 36 },
    { "indestructible_delegated", "INDESTR_DATA", 12 },
    { "indestructible_zoneroot", "INDESTR_ROOT", 12 },
    { "max_locked_memory", "MAX_LOCKED", 10 },
    { "max_lwps", "MAX_LWP", 7 },
    { "max_physical_memory", "MAX_PHYS", 8 },
    { "max_swap", "MAX_SWAP", 8 },
    { "owner_uuid", "OWNER_UUID", 36 },
    { "package_name", "PACKAGE_NAME", 32 },
    { "package_version", "PACKAGE_VER", 11 },
    { "pid", "PID", 6 },
    { "qemu_extra_opts", "QEMU_EXTRA_OPTS", 15 },
    { "quota", "QUOTA", 5 },
    { "zone_state", "ZONE_STATE", 10 },
    { "state", "STATE", 16 },
    { "tmpfs", "TMPFS", 5 },
    { "type", "TYPE", 4 },
    { "uuid", "UUID", 36 },
    { "vcpus", "VCPUS", 5 },
    { "zfs_io_priority", "IO_PRIORITY", 11 },
    { "zpool", "ZPOOL", 12 },
    { "zonename", "ZONENAME", 12 },
    { "zonepath", "ZONEPATH", 40 },
    { "zoneid", "ZONEID", 6 },
    { "ram", "RAM", 7 },
};

class ListColumns
    : public CliTest
    , public ::testing::WithParamInterface<Column> { };

TEST_P(ListColumns, HeaderAndWidth)
{
    const auto& col = GetParam();
    auto p = os_payload();
    p["alias"] = "a";
    auto uuid = create_ok(p);
    auto r = vmadm({ "list", "-o", std::string(col.field) + ",uuid" });
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    auto lines = split_lines(r.out);
    ASSERT_EQ(lines.size(), 2U) << r.out;
    std::string header = col.header;
    header.append(col.width > header.size() ? col.width - header.size() : 0, ' ');
    EXPECT_EQ(lines[0], header + "  UUID");
    // the uuid column starts after the padded first cell (longer values push it right)
    auto pos = lines[1].rfind(uuid);
    ASSERT_NE(pos, std::string::npos) << lines[1];
    EXPECT_GE(pos, col.width + 2) << lines[1];
    // the value column is also accepted as a sort key and a filter key
    EXPECT_EQ(vmadm({ "list", "-H", "-s", col.field }).exit_code, 0);
    EXPECT_EQ(vmadm({ "list", "-H", std::string(col.field) + "=x" }).exit_code, 0);
}

INSTANTIATE_TEST_SUITE_P(Table, ListColumns, ::testing::ValuesIn(ALL_COLUMNS),
    [](const auto& test_param) { return std::string(test_param.param.field); });

TEST_F(List, HvmRamIsRealRamAndTypeKvm)
{
    auto p = hvm_payload("kvm");
    p["ram"] = 1024;
    p["alias"] = "k";
    auto uuid = create_ok(p);
    auto r = vmadm({ "list", "-p" });
    EXPECT_EQ(r.out, uuid + ":KVM:1024:stopped:k\n");
}

} // namespace
} // namespace lumos::test

namespace lumos::test {
namespace {

TEST_F(List, FalsyValuesSortAfterTruthyOnesAscending)
{
    // sortVM: `(!a && b)` makes 0 sort after any truthy value ascending, before it descending;
    // equal values fall through to the next key. The comparator must be consistent (a broken
    // one gives a different order per input permutation, or worse with std::sort).
    std::vector<std::pair<int, std::string>> vms;
    for (int mem : { 0, 16, 256, 0, 256, 256, 0, 16, 0, 256 }) {
        vms.emplace_back(mem, make("", mem));
    }
    auto by = [&](bool falsy_last, bool descending) {
        auto sorted = vms;
        std::sort(sorted.begin(), sorted.end(), [&](const auto& a, const auto& b) {
            bool az = a.first == 0;
            bool bz = b.first == 0;
            if (az != bz) {
                return falsy_last ? bz : az;
            }
            if (a.first != b.first) {
                return descending ? a.first > b.first : a.first < b.first;
            }
            return a.second < b.second;
        });
        std::string out;
        for (const auto& [mem, uuid] : sorted) {
            out += std::to_string(mem) + ":" + uuid + "\n";
        }
        return out;
    };
    EXPECT_EQ(vmadm({ "list", "-p", "-o", "ram,uuid" }).out, by(true, false));
    EXPECT_EQ(vmadm({ "list", "-p", "-o", "ram,uuid", "-s", "-ram,uuid" }).out, by(false, true));
}

} // namespace
} // namespace lumos::test

namespace lumos::test {
namespace {

TEST_F(List, PaddingCountsCharactersNotBytes)
{
    // JS pads by string length (UTF-16 units); "café" is 4 long, 5 bytes in UTF-8.
    auto uuid = make("caf\xc3\xa9", 256);
    auto r = vmadm({ "list", "-H", "-o", "alias,uuid" });
    EXPECT_EQ(r.out, "caf\xc3\xa9      " + std::string("  ") + uuid + "\n");
}

} // namespace
} // namespace lumos::test
