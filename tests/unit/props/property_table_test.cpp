// SPDX-License-Identifier: MPL-2.0
// The per-property rules that are columns of the property table: storage, flattening and maps.
#include "props/property_table.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace lumos::props;

namespace {

std::vector<std::string> names_where(bool (*predicate)(Property const&))
{
    std::vector<std::string> names;
    for (auto const& property : property_table()) {
        if (predicate(property)) {
            names.emplace_back(property.name);
        }
    }
    return names;
}

} // namespace

TEST(PropertyTable, StorageRules)
{
    EXPECT_EQ(names_where([](Property const& p) { return p.storage == Storage::WhenTrue; }),
        (std::vector<std::string> { "archive_on_delete", "do_not_inventory", "docker",
            "firewall_enabled", "indestructible_delegated", "indestructible_zoneroot",
            "maintain_resolvers" }));
    EXPECT_EQ(names_where([](Property const& p) { return p.storage == Storage::WhenFalse; }),
        (std::vector<std::string> { "restart_init" }));
    EXPECT_EQ(names_where([](Property const& p) { return p.storage == Storage::RemovedAtZero; }),
        (std::vector<std::string> { "cpu_cap", "flexible_disk_size", "spice_port", "vcpus",
            "virtio_txburst", "virtio_txtimer", "vnc_port", "zlog_max_size" }));
    EXPECT_EQ(names_where([](Property const& p) { return p.storage == Storage::Never; }),
        (std::vector<std::string> { "create_only", "dataset_uuid", "datasets", "delegate_dataset",
            "mdata_exec_timeout", "nowait", "transition", "zfs_filesystem", "zfs_storage_pool_name",
            "zone_dataset_uuid" }));
    // tmpfs keeps 0 because it is stored as given.
    EXPECT_EQ(find_property("tmpfs")->storage, Storage::Always);
}

TEST(PropertyTable, StorageRulesFitTheType)
{
    for (auto const& property : property_table()) {
        switch (property.storage) {
        case Storage::WhenTrue:
        case Storage::WhenFalse:
            EXPECT_EQ(property.type, PropType::Boolean) << property.name;
            break;
        case Storage::RemovedAtZero:
            EXPECT_EQ(property.type, PropType::Integer) << property.name;
            break;
        case Storage::Always:
        case Storage::Never:
            break;
        }
    }
}

TEST(PropertyTable, MapsAndFlattening)
{
    EXPECT_EQ(std::vector<std::string>(map_properties().begin(), map_properties().end()),
        (std::vector<std::string> { "customer_metadata", "internal_metadata", "routes", "tags" }));
    EXPECT_TRUE(is_map_property("tags"));
    EXPECT_FALSE(is_map_property("set_tags"));
    EXPECT_FALSE(is_map_property("transition"));
    for (auto const name : map_properties()) {
        EXPECT_EQ(flatten_kind(name), Flatten::Keys) << name;
        EXPECT_EQ(find_property(name)->type, PropType::FlatObject) << name;
    }
    EXPECT_EQ(names_where([](Property const& p) { return p.flatten == Flatten::Elements; }),
        (std::vector<std::string> { "disks", "nics", "pci_devices" }));
    EXPECT_EQ(names_where([](Property const& p) { return p.flatten == Flatten::Indexes; }),
        (std::vector<std::string> { "internal_metadata_namespaces", "resolvers" }));
    EXPECT_EQ(flatten_kind("filesystems"), Flatten::None);
    EXPECT_EQ(flatten_kind("no_such_property"), Flatten::None);
}

TEST(PropertyTable, BoundsAndDefaultsAreColumns)
{
    EXPECT_EQ(find_property("max_swap")->minimum(), 256);
    EXPECT_EQ(find_property("nics.*.mtu")->maximum(), 9000);
    EXPECT_EQ(find_property("alias")->maximum(), 1535);
    EXPECT_EQ(find_property("alias")->minimum(), std::nullopt);
    EXPECT_EQ(find_property("restart_init")->table_default, "true");
    EXPECT_EQ(find_property("zfs_root_recsize")->table_default, "131072");
    EXPECT_EQ(find_property("zfs_snapshot_limit")->table_default, "\"none\"");
    EXPECT_EQ(find_property("ram")->source, "xml:attr.ram");
}
