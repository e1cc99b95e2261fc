// SPDX-License-Identifier: MPL-2.0
// sysinfo assembled from a fake /proc, /sys and /etc and a temporary LUMOS_ROOT: SmartOS's key
// names, order and JSON types (src/sysinfo's output_json), -p lines, and the cache.
#include "base/file.hpp"
#include "sys/host_probe.hpp"
#include "vm/sysinfo.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace lumos;
using Ordered = nlohmann::ordered_json;

namespace {

constexpr char const* SMBIOS_UUID = "4c4c4544-0051-3610-8052-b4c04f4b4d32";

class SysinfoTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char pattern[] = "/tmp/lumos-test-sysinfo.XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        m_dir = pattern;
        m_sources.roots = { m_dir + "/proc", m_dir + "/sys", m_dir + "/etc", m_dir + "/dev" };
        m_sources.ipv4_address = [](std::string const& interface) {
            return interface == "eth0" ? std::string("10.88.88.5") : std::string();
        };
        // The host probe's result (sys/host_probe has its own tests against fake trees): here a
        // host whose /dev/kvm is missing, unless a test says otherwise.
        m_features.kvm.reason = "cannot open /dev/kvm: No such file or directory";
        m_features.kvm.cpu_flag = "vmx"; // as the fake cpuinfo's flags
        m_sources.host_features = [this](Paths const&, bool refresh) -> Result<sys::HostFeatures> {
            m_probe_refreshed = m_probe_refreshed || refresh;
            return m_features;
        };
        write("proc/cpuinfo",
            "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) CPU E5-2650 v2 @ 2.60GHz\n"
            "flags\t\t: fpu vme de pse vmx ept\n\nprocessor\t: 1\n"
            "model name\t: Intel(R) Xeon(R) CPU E5-2650 v2 @ 2.60GHz\nflags\t\t: fpu vmx\n");
        write("proc/meminfo", "MemTotal:       32767000 kB\nMemFree:         1000 kB\n");
        write("proc/stat", "cpu  1 2 3 4\nbtime 1733500000\nprocesses 42\n");
        write("proc/sys/kernel/ostype", "Linux\n");
        write("proc/sys/kernel/hostname", "cn01\n");
        write("proc/sys/kernel/random/boot_id", "boot-1\n");
        write("proc/cmdline",
            "BOOT_IMAGE=/vmlinuz-6.1 root=\"UUID=ab cd\" console=ttyS0 quiet -- single\n");
        write("sys/devices/system/cpu/present", "0-7\n");
        write("sys/devices/system/cpu/online", "0-5\n");
        write("sys/devices/system/cpu/smt/active", "1\n");
        // cpu0-2 on package 0 (cores 0, 1, 1: cpu2 is cpu1's sibling), cpu3-5 on package 1.
        char const* const packages[] = { "0", "0", "0", "1", "1", "1" };
        char const* const core_ids[] = { "0", "1", "1", "0", "1", "2" };
        for (int cpu = 0; cpu < 6; ++cpu) {
            std::string const topology
                = "sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/";
            write(topology + "physical_package_id", std::string(packages[cpu]) + "\n");
            write(topology + "core_id", std::string(core_ids[cpu]) + "\n");
        }
        write("sys/class/dmi/id/sys_vendor", "Dell Inc.\n");
        write("sys/class/dmi/id/product_name", "PowerEdge R710\n");
        write("sys/class/dmi/id/product_serial", "5QK6B2S\n");
        write("sys/class/dmi/id/product_uuid", std::string(SMBIOS_UUID) + "\n");
        write("sys/class/net/eth0/device/vendor", "0x8086\n");
        write("sys/class/net/eth0/address", "00:1a:2b:3c:4d:5e\n");
        write("sys/class/net/eth0/operstate", "up\n");
        write("sys/class/net/eth1/device/vendor", "0x8086\n");
        write("sys/class/net/eth1/address", "00:1a:2b:3c:4d:5f\n");
        write("sys/class/net/eth1/operstate", "down\n");
        write("sys/class/net/lo/address", "00:00:00:00:00:00\n"); // no device: not a NIC
        write("sys/class/net/br0/address", "00:1a:2b:3c:4d:5e\n"); // a bridge: no device
        write("sys/block/sda/device/model", "disk\n");
        write("sys/block/sda/size", "3907029168\n"); // 2000398934016 bytes
        write("sys/block/loop0/size", "2048\n");
        write("etc/machine-id", "0a5a8e1c2b3d4e5f60718293a4b5c6d7\n");
        write("root/etc/lumos/config",
            "# host config\nadmin_nic=0:1a:2b:3c:4d:5e\nexternal_nic=00:1A:2B:3C:4D:5E\n"
            "storage_nic=00:1a:2b:3c:4d:5f\netherstub=stub0\ndatacenter_name=\"us-west-1\"\n");
        write("root/etc/lumos/pools.json",
            "{\"pools\": [{\"name\": \"data\", \"backend\": \"dir\"}, "
            "{\"name\": \"zones\", \"backend\": \"dir\"}]}\n");
        std::filesystem::create_directories(m_dir + "/root/zones");
    }
    void TearDown() override { std::filesystem::remove_all(m_dir); }

    void write(std::string const& relative, std::string const& text) const
    {
        // Plain writes: fsyncing some forty files made each test take a second.
        std::filesystem::path const path = m_dir + "/" + relative;
        std::filesystem::create_directories(path.parent_path());
        std::ofstream out(path, std::ios::trunc);
        out << text;
        ASSERT_TRUE(out.good()) << path;
    }
    Paths paths() const { return Paths(m_dir + "/root"); }
    vm::Sysinfo gather() const
    {
        auto info = vm::gather_sysinfo(paths(), m_sources);
        EXPECT_TRUE(info.has_value()) << (info ? "" : info.error().message());
        return info ? *info : vm::Sysinfo {};
    }

    std::string m_dir;
    vm::SysinfoSources m_sources;
    sys::HostFeatures m_features;
    bool m_probe_refreshed { false };
};

std::string type_of(Ordered const& value)
{
    if (value.is_string()) {
        return "string";
    }
    if (value.is_boolean()) {
        return "boolean";
    }
    if (value.is_number()) {
        return "number";
    }
    return value.is_object() ? "object" : "other";
}

TEST_F(SysinfoTest, KeysInSmartOSOrderWithSmartOSTypes)
{
    Ordered const object = vm::sysinfo_object(gather());
    std::vector<std::pair<std::string, std::string>> const expected = {
        { "Live Image", "string" },
        { "System Type", "string" },
        { "Boot Time", "string" },
        { "Datacenter Name", "string" },
        { "Manufacturer", "string" },
        { "Product", "string" },
        { "Serial Number", "string" },
        { "SKU Number", "string" },
        { "HW Version", "string" },
        { "HW Family", "string" },
        { "Setup", "string" },
        { "VM Capable", "boolean" },
        { "Bhyve Capable", "boolean" },
        { "Bhyve Max Vcpus", "number" },
        { "HVM API", "boolean" },
        { "CPU Type", "string" },
        { "CPU Virtualization", "string" },
        { "CPU Physical Cores", "number" },
        { "Admin NIC Tag", "string" },
        { "Admin IP", "string" },
        { "UUID", "string" },
        { "Hostname", "string" },
        { "CPU Total Cores", "number" },
        { "CPU Socket Count", "number" },
        { "CPU Core Count", "number" },
        { "CPU Online Count", "number" },
        { "CPU Count", "number" },
        { "MiB of Memory", "string" },
        { "Zpool", "string" },
        { "Zpool Encrypted", "boolean" },
        { "Zpool Disks", "string" },
        { "Zpool Profile", "string" },
        { "Zpool Creation", "number" },
        { "Zpool Size in GiB", "number" },
        { "Disks", "object" },
        { "Boot Parameters", "object" },
        { "Psrinfo", "object" },
        { "Network Interfaces", "object" },
        { "Virtual Network Interfaces", "object" },
        { "Lumos Host Features", "object" },
    };
    std::vector<std::pair<std::string, std::string>> actual;
    for (auto it = object.begin(); it != object.end(); ++it) {
        actual.emplace_back(it.key(), type_of(it.value()));
    }
    EXPECT_EQ(actual, expected);
    Ordered const& nic = object["Network Interfaces"]["eth0"];
    std::vector<std::string> nic_keys;
    for (auto it = nic.begin(); it != nic.end(); ++it) {
        nic_keys.push_back(it.key());
    }
    EXPECT_EQ(nic_keys,
        (std::vector<std::string> { "MAC Address", "ip4addr", "Link Status", "NIC Names" }));
    EXPECT_TRUE(nic["NIC Names"].is_array());
    EXPECT_TRUE(object["Disks"]["sda"]["Size in GB"].is_number());
}

TEST_F(SysinfoTest, ValuesFromTheHostTrees)
{
    vm::Sysinfo const info = gather();
    EXPECT_EQ(info.system_type, "Linux");
    EXPECT_EQ(info.boot_time, "1733500000");
    EXPECT_EQ(info.hostname, "cn01");
    EXPECT_EQ(info.uuid, SMBIOS_UUID);
    EXPECT_EQ(info.manufacturer, "Dell Inc.");
    EXPECT_EQ(info.product, "PowerEdge R710");
    EXPECT_EQ(info.serial_number, "5QK6B2S");
    EXPECT_EQ(info.sku_number, ""); // unreadable or absent: empty, as SmartOS prints it
    EXPECT_EQ(info.cpu_type, "Intel(R) Xeon(R) CPU E5-2650 v2 @ 2.60GHz");
    EXPECT_EQ(info.cpu_virtualization, "vmx");
    EXPECT_EQ(info.cpu_count, 8u); // present, offline included
    EXPECT_EQ(info.cpu_online_count, 6u);
    EXPECT_EQ(info.cpu_socket_count, 2u);
    EXPECT_EQ(info.cpu_core_count, 5u);
    EXPECT_EQ(info.mib_of_memory, 31999u); // 32767000 KiB
    EXPECT_FALSE(info.vm_capable); // no dev/kvm in the fake tree
    EXPECT_FALSE(info.bhyve_capable);
    EXPECT_FALSE(info.hvm_api);
    EXPECT_EQ(info.bhyve_max_vcpus, 0u);
    EXPECT_EQ(info.datacenter_name, "us-west-1");
    ASSERT_TRUE(info.zpool.has_value());
    EXPECT_EQ(info.zpool->name, "zones"); // SmartOS's system pool, though not the first
    EXPECT_EQ(info.zpool->profile, "striped");
    EXPECT_TRUE(info.setup);
    EXPECT_EQ(info.disks, (std::vector<std::pair<std::string, uint64_t>> { { "sda", 2000 } }));
    EXPECT_EQ(info.boot_parameters,
        (vm::KeyValues { { "BOOT_IMAGE", "/vmlinuz-6.1" }, { "root", "UUID=ab cd" },
            { "console", "ttyS0" }, { "quiet", "" } }));
    EXPECT_EQ(info.psrinfo, (vm::KeyValues { { "smt_enabled", "true" } }));
    // Nic_Tags is SmartOS's `nictagadm list -p -L`: no etherstubs.
    EXPECT_EQ(info.nic_tags, (std::vector<std::string> { "admin", "external", "storage" }));
    ASSERT_EQ(info.network_interfaces.size(), 2u);
    vm::SysinfoNic const& eth0 = info.network_interfaces[0];
    EXPECT_EQ(eth0.name, "eth0");
    EXPECT_EQ(eth0.mac, "00:1a:2b:3c:4d:5e");
    EXPECT_EQ(eth0.ip4addr, "10.88.88.5");
    EXPECT_EQ(eth0.link_status, "up");
    // SmartOS normalizes both MACs before comparing them (0:1a:... and upper case match).
    EXPECT_EQ(eth0.nic_names, (std::vector<std::string> { "admin", "external" }));
    vm::SysinfoNic const& eth1 = info.network_interfaces[1];
    EXPECT_EQ(eth1.link_status, "down");
    EXPECT_EQ(eth1.nic_names, (std::vector<std::string> { "storage" }));
    EXPECT_EQ(info.admin_ip, "10.88.88.5"); // the admin tag's interface
}

// A link with no device behind it (a veth, the "physical" NIC of a test's network namespace) is
// a NIC of the host when a nic tag names its MAC; a bridge with that MAC is not, and etherstubs
// are not in Nic_Tags (SmartOS's `nictagadm list -L`).
TEST_F(SysinfoTest, LinkThatANicTagNamesIsANetworkInterface)
{
    write("sys/class/net/veth0/address", "02:00:00:00:00:09\n");
    write("sys/class/net/veth0/operstate", "up\n");
    write("sys/class/net/br9/address", "02:00:00:00:00:09\n");
    write("sys/class/net/br9/bridge/bridge_id", "8000.020000000009\n");
    write("sys/class/net/veth1/address", "02:00:00:00:00:0a\n"); // no tag: not a NIC
    write("root/etc/lumos/config",
        "admin_nic=00:1a:2b:3c:4d:5e\nvirt_nic=2:0:0:0:0:9\n"
        "etherstub=stub0\n");
    vm::Sysinfo const info = gather();
    std::vector<std::string> names;
    for (auto const& nic : info.network_interfaces) {
        names.push_back(nic.name);
    }
    EXPECT_EQ(names, (std::vector<std::string> { "eth0", "eth1", "veth0" }));
    EXPECT_EQ(info.network_interfaces[2].mac, "02:00:00:00:00:09");
    EXPECT_EQ(info.network_interfaces[2].nic_names, (std::vector<std::string> { "virt" }));
    EXPECT_EQ(info.network_interfaces[2].link_status, "up");
    EXPECT_EQ(info.nic_tags, (std::vector<std::string> { "admin", "virt" }));
    EXPECT_EQ(
        info.nic_tag_interfaces, (vm::KeyValues { { "admin", "eth0" }, { "virt", "veth0" } }));
}

TEST_F(SysinfoTest, NoPoolIsNotSetUpAndHasNoZpoolKeys)
{
    std::filesystem::remove_all(m_dir + "/root/zones");
    vm::Sysinfo const info = gather();
    EXPECT_FALSE(info.zpool.has_value());
    EXPECT_FALSE(info.setup);
    Ordered const object = vm::sysinfo_object(info);
    EXPECT_FALSE(object.contains("Zpool"));
    EXPECT_FALSE(object.contains("Zpool Size in GiB"));
    EXPECT_EQ(object["Setup"], "false");
}

TEST_F(SysinfoTest, MachineIdWithoutSmbiosAndNoDatacenterKeyWhenUnset)
{
    std::filesystem::remove(m_dir + "/sys/class/dmi/id/product_uuid");
    write("root/etc/lumos/config", "admin_nic=00:1a:2b:3c:4d:5e\n");
    vm::Sysinfo const info = gather();
    EXPECT_EQ(info.uuid, "0a5a8e1c-2b3d-4e5f-6071-8293a4b5c6d7");
    EXPECT_FALSE(vm::sysinfo_object(info).contains("Datacenter Name"));
}

TEST(SysinfoFormat, JsonIsPrintedAsSmartOSPrintsIt)
{
    Ordered object = Ordered::object();
    object["Live Image"] = "20261206T000000Z";
    object["CPU Total Cores"] = 8;
    object["VM Capable"] = false;
    object["Disks"] = Ordered { { "sda", Ordered { { "Size in GB", 2000 } } } };
    object["Network Interfaces"] = Ordered { { "eth0",
        Ordered { { "MAC Address", "00:1a:2b:3c:4d:5e" }, { "NIC Names", { "admin", "ext" } } } } };
    object["Virtual Network Interfaces"] = Ordered::object();
    EXPECT_EQ(vm::format_sysinfo_json(object),
        "{\n"
        "  \"Live Image\": \"20261206T000000Z\",\n"
        "  \"CPU Total Cores\": 8,\n"
        "  \"VM Capable\": false,\n"
        "  \"Disks\": {\n"
        "    \"sda\": {\"Size in GB\": 2000}\n"
        "  },\n"
        "  \"Network Interfaces\": {\n"
        "    \"eth0\": {\"MAC Address\": \"00:1a:2b:3c:4d:5e\", \"NIC Names\": [\"admin\", "
        "\"ext\"]}\n"
        "  },\n"
        "  \"Virtual Network Interfaces\": {\n"
        "  }\n"
        "}\n");
}

TEST(SysinfoFormat, JsonOfHostileStringsStaysJson)
{
    vm::Sysinfo info;
    info.product = std::string("Bad\"Board\\\n\xff");
    auto parsed
        = nlohmann::json::parse(vm::format_sysinfo_json(vm::sysinfo_object(info)), nullptr, false);
    ASSERT_FALSE(parsed.is_discarded());
    EXPECT_EQ(parsed["Product"], "Bad\"Board\\\n\xef\xbf\xbd");
}

TEST_F(SysinfoTest, ParsableLinesAsSmartOSFlattensThem)
{
    std::string const text = vm::format_sysinfo_parsable(gather());
    std::vector<std::string> const expected_lines = {
        "System_Type='Linux'",
        "Boot_Time='1733500000'",
        "Datacenter_Name='us-west-1'",
        "Manufacturer='Dell Inc.'",
        "VM_Capable='false'",
        "CPU_Virtualization='vmx'",
        "CPU_Physical_Cores=2",
        "Bhyve_Capable='false'",
        "Bhyve_Max_Vcpus=0",
        "HVM_API='false'",
        "Nic_Tags=admin,external,storage", // nictagadm list -L: no etherstubs
        "Admin_NIC_Tag=admin",
        "Admin_IP=10.88.88.5",
        "Setup='true'",
        std::string("UUID='") + SMBIOS_UUID + "'",
        "Hostname='cn01'",
        "CPU_Total_Cores=8",
        "CPU_Socket_Count=2",
        "CPU_Core_Count=5",
        "CPU_Online_Count=6",
        "CPU_Count=8",
        "MiB_of_Memory=31999",
        "Disk_sda_size_in_GB=2000",
        "NIC_admin='eth0'",
        "NIC_external='eth0'",
        "NIC_storage='eth1'",
        "Network_Interface_eth0_MAC_Address='00:1a:2b:3c:4d:5e'",
        "Network_Interface_eth0_IPv4_Address='10.88.88.5'",
        "Network_Interface_eth0_NIC_Names='admin,external'",
        "Network_Interface_eth0_Link_Status='up'",
        "Network_Interface_eth1_NIC_Names='storage'",
        "Bootparam_BOOT_IMAGE='/vmlinuz-6.1'",
        "Bootparam_root='UUID=ab cd'",
        "Bootparam_quiet=''",
        "Psrinfo_smt_enabled='true'",
    };
    for (auto const& line : expected_lines) {
        EXPECT_NE(text.find("\n" + line + "\n"), std::string::npos) << line << "\n" << text;
    }
    EXPECT_TRUE(text.starts_with("Live_Image='"));
    // No zpool keys: SmartOS's output_parsable has none.
    EXPECT_EQ(text.find("Zpool"), std::string::npos);
}

TEST(SysinfoFormat, ParsableValuesAndNamesAreSafeToEval)
{
    vm::Sysinfo info;
    info.hostname = "it's";
    info.admin_ip = "$(reboot)";
    info.network_interfaces.push_back({ "br-lan.5", "00:1a:2b:3c:4d:5e", "", "up", {} });
    std::string const text = vm::format_sysinfo_parsable(info);
    EXPECT_NE(text.find("\nHostname='it'\\''s'\n"), std::string::npos) << text;
    EXPECT_NE(text.find("\nAdmin_IP='$(reboot)'\n"), std::string::npos) << text;
    EXPECT_NE(text.find("\nNetwork_Interface_br_lan_5_Link_Status='up'\n"), std::string::npos)
        << text;
}

TEST_F(SysinfoTest, CacheServesUntilTheHostChanges)
{
    auto first = vm::load_sysinfo(paths(), m_sources, vm::SysinfoRefresh::IfStale);
    ASSERT_TRUE(first.has_value());
    EXPECT_FALSE(first->cache_error.has_value());
    std::string const cache = m_dir + "/root/run/lumos/sysinfo.json";
    EXPECT_EQ(read_file(cache).value_or(""), first->json);
    EXPECT_EQ(read_file(m_dir + "/root/run/lumos/sysinfo.parsable").value_or(""), first->parsable);

    // Marked, so that a served cache shows.
    write("root/run/lumos/sysinfo.json", "{\"cached\": true}\n");
    auto served = vm::load_sysinfo(paths(), m_sources, vm::SysinfoRefresh::IfStale);
    ASSERT_TRUE(served.has_value());
    EXPECT_EQ(served->json, "{\"cached\": true}\n");

    // -f and -u gather again.
    auto forced = vm::load_sysinfo(paths(), m_sources, vm::SysinfoRefresh::Always);
    ASSERT_TRUE(forced.has_value());
    EXPECT_EQ(forced->json, first->json);
    EXPECT_EQ(read_file(cache).value_or(""), first->json);

    // A new nic tag in the host config is seen without -u.
    write("root/run/lumos/sysinfo.json", "{\"cached\": true}\n");
    write("root/etc/lumos/config", "admin_nic=00:1a:2b:3c:4d:5f\n");
    auto after_config = vm::load_sysinfo(paths(), m_sources, vm::SysinfoRefresh::IfStale);
    ASSERT_TRUE(after_config.has_value());
    EXPECT_NE(after_config->json.find("\"eth1\": {\"MAC Address\": \"00:1a:2b:3c:4d:5f\", "
                                      "\"ip4addr\": \"\", \"Link Status\": \"down\", "
                                      "\"NIC Names\": [\"admin\"]}"),
        std::string::npos)
        << after_config->json;

    // So are a pool set up and a reboot.
    write("root/run/lumos/sysinfo.json", "{\"cached\": true}\n");
    write("root/etc/lumos/pools.json",
        "{\"pools\": [{\"name\": \"zones\", \"backend\": \"dir\"}]}\n");
    auto after_pools = vm::load_sysinfo(paths(), m_sources, vm::SysinfoRefresh::IfStale);
    ASSERT_TRUE(after_pools.has_value());
    EXPECT_NE(after_pools->json, "{\"cached\": true}\n");
    write("root/run/lumos/sysinfo.json", "{\"cached\": true}\n");
    write("proc/sys/kernel/random/boot_id", "boot-2\n");
    auto after_boot = vm::load_sysinfo(paths(), m_sources, vm::SysinfoRefresh::IfStale);
    ASSERT_TRUE(after_boot.has_value());
    EXPECT_NE(after_boot->json, "{\"cached\": true}\n");
}

TEST_F(SysinfoTest, KvmFactsAndHostFeaturesAreTheProbes)
{
    Ordered without = vm::sysinfo_object(gather());
    EXPECT_EQ(without["VM Capable"], false);
    EXPECT_EQ(without["HVM API"], false);
    EXPECT_EQ(without["Bhyve Max Vcpus"], 0);
    EXPECT_EQ(without["Lumos Host Features"]["kvm"]["reason"],
        "cannot open /dev/kvm: No such file or directory");

    m_features.kvm = { true, "", 12, "vmx", 288 };
    Ordered with = vm::sysinfo_object(gather());
    EXPECT_EQ(with["VM Capable"], true);
    EXPECT_EQ(with["HVM API"], true);
    EXPECT_EQ(with["Bhyve Capable"], true);
    EXPECT_EQ(with["Bhyve Max Vcpus"], 288);
    EXPECT_EQ(with["Lumos Host Features"]["kvm"]["max_vcpus"], 288);
    EXPECT_FALSE(m_probe_refreshed);

    // -f and -u probe the host again.
    auto const forced = vm::load_sysinfo(paths(), m_sources, vm::SysinfoRefresh::Always);
    ASSERT_TRUE(forced.has_value()) << forced.error().message();
    EXPECT_TRUE(m_probe_refreshed);
}

} // namespace
