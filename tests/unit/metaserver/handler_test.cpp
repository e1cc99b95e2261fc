// SPDX-License-Identifier: MPL-2.0
// The metadata server's answers (reference 5.5-5.7), restating smartos-live's
// src/vm/tests/test-internal_metadata_namespaces.js and agent.js's sdc: keys.
#include "metaserver/handler.hpp"

#include <gtest/gtest.h>

namespace lumos::metaserver {
namespace {

// test-internal_metadata_namespaces.js's VM.
Json namespaced_vm()
{
    return Json::parse(R"({
        "uuid": "9f8e7d6c-1111-2222-3333-444455556666",
        "alias": "web", "hostname": "web01", "max_physical_memory": 256,
        "internal_metadata_namespaces": ["baz", "foo"],
        "customer_metadata": {"bar:foo": "foo", "foo:bar": "bar", "user-script": "#!/bin/sh",
                              "root_pw": "never-listed-from-here"},
        "internal_metadata": {"bar:foo": "foo", "foo:bar": "internal bar", "hidden": "x",
                              "admin_pw": "secret", "operator-script": "echo op",
                              "sdc:volumes": "[]"},
        "tags": {"role": "db", "count": 3, "on": true},
        "nics": [{"interface": "net0", "mac": "02:08:20:aa:bb:01", "ip": "10.0.0.5"},
                 {"interface": "net1", "mac": "2:8:20:aa:bb:2", "ip": "dhcp"}],
        "resolvers": ["10.0.0.53"],
        "routes": {"10.2.0.0/16": "10.0.0.1", "10.3.0.0/16": "nics[0]",
                   "10.4.0.0/16": "macs[02:08:20:aa:bb:02]", "10.5.0.0/16": "nics[7]"},
        "tmpfs": 256, "disks": []
    })");
}

TEST(MetadataKeys, ListShowsCustomerKeysThenNamespacedAndPasswordInternalKeys)
{
    EXPECT_EQ(list_keys(namespaced_vm()), success("bar:foo\nuser-script\nadmin_pw\nfoo:bar"));
    EXPECT_EQ(list_keys(Json::object()), success(""));
}

TEST(MetadataKeys, NamespacedKeysReadInternalMetadataAndOthersCustomerMetadata)
{
    Json const vm = namespaced_vm();
    EXPECT_EQ(get_key(vm, "foo:bar"), success("internal bar"));
    EXPECT_EQ(get_key(vm, "bar:foo"), success("foo"));
    EXPECT_EQ(get_key(vm, "admin_pw"), success("secret"));
    EXPECT_EQ(get_key(vm, "root_pw"), not_found()); // _pw keys live in internal_metadata
    EXPECT_EQ(get_key(vm, "hidden"), not_found());
    EXPECT_EQ(get_key(vm, " user-script "), success("#!/bin/sh"));
    EXPECT_EQ(get_key(vm, ""), failure("Invalid GET Request"));
}

TEST(MetadataKeys, SdcKeysAreTheVmsProperties)
{
    Json const vm = namespaced_vm();
    EXPECT_EQ(get_key(vm, "sdc:uuid"), success("9f8e7d6c-1111-2222-3333-444455556666"));
    EXPECT_EQ(get_key(vm, "sdc:hostname"), success("web01"));
    EXPECT_EQ(get_key(vm, "sdc:max_physical_memory"), success("256"));
    EXPECT_EQ(get_key(vm, "sdc:nics.0.ip"), success("10.0.0.5"));
    EXPECT_EQ(get_key(vm, "sdc:nics.9.ip"), not_found());
    EXPECT_EQ(get_key(vm, "sdc:disks"), failure()); // an array: FAILURE without a message
    EXPECT_EQ(get_key(vm, "sdc:no_such_property"), not_found());
    EXPECT_EQ(get_key(vm, "sdc:tags.role"), success("db"));
    EXPECT_EQ(get_key(vm, "sdc:tags.count"), success("3"));
    EXPECT_EQ(get_key(vm, "sdc:tags.on"), success("true"));
    EXPECT_EQ(get_key(vm, "sdc:tags.absent"), not_found());
    EXPECT_EQ(get_key(vm, "sdc:operator-script"), success("echo op"));
    EXPECT_EQ(get_key(vm, "sdc:volumes"), success("[]"));
    EXPECT_EQ(get_key(vm, "sdc:resolvers"), success(R"(["10.0.0.53"])"));
    EXPECT_EQ(get_key(vm, "sdc:tmpfs"), success("256"));
    EXPECT_EQ(Json::parse(get_key(vm, "sdc:nics").payload), vm["nics"]);
}

TEST(MetadataKeys, SdcRoutesResolveNicGatewaysAndDropThoseWithoutAStaticIp)
{
    Json const routes = Json::parse(get_key(namespaced_vm(), "sdc:routes").payload);
    Json const expected = Json::parse(R"([
        {"linklocal": false, "dst": "10.2.0.0/16", "gateway": "10.0.0.1"},
        {"linklocal": true, "dst": "10.3.0.0/16", "gateway": "10.0.0.5"}])");
    EXPECT_EQ(routes, expected);
}

TEST(MetadataKeys, PutAndDeleteBecomeUpdatesOfTheRightMap)
{
    Json const vm = namespaced_vm();
    EXPECT_EQ(*put_update(vm, "quux:qux", "value"),
        Json::parse(R"({"set_customer_metadata": {"quux:qux": "value"}})"));
    EXPECT_EQ(*put_update(vm, "root_pw", "pw"),
        Json::parse(R"({"set_internal_metadata": {"root_pw": "pw"}})"));
    EXPECT_EQ(*put_update(vm, "operator-script", "x"),
        Json::parse(R"({"set_internal_metadata": {"operator-script": "x"}})"));
    EXPECT_EQ(*delete_update(vm, "k"), Json::parse(R"({"remove_customer_metadata": ["k"]})"));
    EXPECT_EQ(*delete_update(vm, "a_pw"), Json::parse(R"({"remove_internal_metadata": ["a_pw"]})"));
}

TEST(MetadataKeys, SdcAndNamespacedKeysAreReadOnly)
{
    Json const vm = namespaced_vm();
    EXPECT_EQ(
        put_update(vm, "sdc:uuid", "x").error().message(), "Cannot update the \"sdc\" Namespace.");
    EXPECT_EQ(
        put_update(vm, "foo:qux", "x").error().message(), "Cannot update the \"foo\" Namespace.");
    EXPECT_EQ(
        delete_update(vm, "foo:bar").error().message(), "Cannot update the \"foo\" Namespace.");
    EXPECT_EQ(
        delete_update(vm, "sdc:alias").error().message(), "Cannot update the \"sdc\" Namespace.");
    EXPECT_EQ(delete_update(vm, " ").error().message(), "Invalid DELETE Request");
    EXPECT_EQ(put_update(vm, "", "x").error().message(), "Invalid PUT Request");
}

} // namespace
} // namespace lumos::metaserver
