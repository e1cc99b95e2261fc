// SPDX-License-Identifier: MPL-2.0
// sysinfo's two outputs, in the key order and with the value types of SmartOS's src/sysinfo.
#include "base/strings.hpp"
#include "vm/sysinfo.hpp"

#include <algorithm>
#include <cctype>

namespace lumos::vm {

namespace {

using Ordered = nlohmann::ordered_json;

// A JSON scalar as text; bytes that are not UTF-8 (a firmware string) become U+FFFD rather than
// an exception.
std::string scalar_text(Ordered const& value)
{
    return value.dump(-1, ' ', false, Ordered::error_handler_t::replace);
}

// An object or array on one line, as SmartOS prints an interface: {"a": "b", "c": []}.
std::string inline_text(Ordered const& value)
{
    if (value.is_object()) {
        std::string text = "{";
        for (auto it = value.begin(); it != value.end(); ++it) {
            text += (it == value.begin() ? "" : ", ") + scalar_text(Ordered(it.key())) + ": "
                + inline_text(it.value());
        }
        return text + "}";
    }
    if (value.is_array()) {
        std::string text = "[";
        for (size_t i = 0; i < value.size(); ++i) {
            text += (i == 0 ? "" : ", ") + inline_text(value[i]);
        }
        return text + "]";
    }
    return scalar_text(value);
}

// A shell variable name from a SmartOS key part: other characters become '_' (Linux interface
// names may hold '-', '.' or '@', which a shell name cannot).
std::string name_part(std::string_view text)
{
    std::string name(text);
    for (char& c : name) {
        if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '_') {
            c = '_';
        }
    }
    return name;
}

// 'value', safe to eval: a quote inside is closed, escaped and reopened; a line break (one key
// per line) becomes a space.
std::string shell_quoted(std::string_view value)
{
    std::string text = "'";
    for (char const c : value) {
        if (c == '\'') {
            text += "'\\''";
        } else if (c == '\n' || c == '\r') {
            text += ' ';
        } else {
            text += c;
        }
    }
    return text + "'";
}

// SmartOS prints some values unquoted (Nic_Tags, Admin_IP, numbers); a value with characters a
// shell would interpret is quoted instead.
std::string bare(std::string_view value)
{
    bool const plain = std::all_of(value.begin(), value.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' || c == ','
            || c == ':' || c == '-' || c == '/';
    });
    return plain ? std::string(value) : shell_quoted(value);
}

std::string bool_text(bool value)
{
    return value ? "true" : "false";
}

} // namespace

Ordered sysinfo_object(Sysinfo const& info)
{
    Ordered object = Ordered::object();
    object["Live Image"] = info.live_image;
    object["System Type"] = info.system_type;
    object["Boot Time"] = info.boot_time;
    if (!info.datacenter_name.empty()) {
        object["Datacenter Name"] = info.datacenter_name;
    }
    object["Manufacturer"] = info.manufacturer;
    object["Product"] = info.product;
    object["Serial Number"] = info.serial_number;
    object["SKU Number"] = info.sku_number;
    object["HW Version"] = info.hw_version;
    object["HW Family"] = info.hw_family;
    object["Setup"] = bool_text(info.setup); // a string in SmartOS's output
    object["VM Capable"] = info.vm_capable;
    object["Bhyve Capable"] = info.bhyve_capable;
    object["Bhyve Max Vcpus"] = info.bhyve_max_vcpus;
    object["HVM API"] = info.hvm_api;
    object["CPU Type"] = info.cpu_type;
    object["CPU Virtualization"] = info.cpu_virtualization;
    object["CPU Physical Cores"] = info.cpu_socket_count; // sockets, as SmartOS's legacy key
    object["Admin NIC Tag"] = info.admin_nic_tag;
    object["Admin IP"] = info.admin_ip;
    object["UUID"] = info.uuid;
    object["Hostname"] = info.hostname;
    object["CPU Total Cores"] = info.cpu_count; // CPUs (threads), as SmartOS's legacy key
    object["CPU Socket Count"] = info.cpu_socket_count;
    object["CPU Core Count"] = info.cpu_core_count;
    object["CPU Online Count"] = info.cpu_online_count;
    object["CPU Count"] = info.cpu_count;
    object["MiB of Memory"] = std::to_string(info.mib_of_memory); // a string in SmartOS's output
    if (info.zpool) {
        object["Zpool"] = info.zpool->name;
        object["Zpool Encrypted"] = info.zpool->encrypted;
        object["Zpool Disks"] = info.zpool->disks;
        object["Zpool Profile"] = info.zpool->profile;
        object["Zpool Creation"] = info.zpool->creation;
        object["Zpool Size in GiB"] = info.zpool->size_gib;
    }
    Ordered disks = Ordered::object();
    for (auto const& [name, size_gb] : info.disks) {
        disks[name] = Ordered { { "Size in GB", size_gb } };
    }
    object["Disks"] = disks;
    Ordered boot_parameters = Ordered::object();
    for (auto const& [key, value] : info.boot_parameters) {
        boot_parameters[key] = value;
    }
    object["Boot Parameters"] = boot_parameters;
    Ordered psrinfo = Ordered::object();
    for (auto const& [key, value] : info.psrinfo) {
        psrinfo[key] = value;
    }
    object["Psrinfo"] = psrinfo;
    Ordered nics = Ordered::object();
    for (auto const& nic : info.network_interfaces) {
        nics[nic.name] = Ordered { { "MAC Address", nic.mac }, { "ip4addr", nic.ip4addr },
            { "Link Status", nic.link_status }, { "NIC Names", nic.nic_names } };
    }
    object["Network Interfaces"] = nics;
    // FIXME: lumos makes no VNICs in the host's namespace yet; they go here when it does.
    object["Virtual Network Interfaces"] = Ordered::object();
    // Not SmartOS's: what this host's kernel and tools offer lumos, and why not where they do not.
    object["Lumos Host Features"] = Ordered::parse(info.host_features.dump());
    return object;
}

std::string format_sysinfo_json(Ordered const& object)
{
    std::string text = "{\n";
    for (auto it = object.begin(); it != object.end(); ++it) {
        text += it == object.begin() ? "" : ",\n";
        text += "  " + scalar_text(Ordered(it.key())) + ": ";
        Ordered const& value = it.value();
        if (!value.is_object()) {
            text += inline_text(value);
            continue;
        }
        text += "{\n";
        for (auto member = value.begin(); member != value.end(); ++member) {
            text += member == value.begin() ? "" : ",\n";
            text
                += "    " + scalar_text(Ordered(member.key())) + ": " + inline_text(member.value());
        }
        text += value.empty() ? "  }" : "\n  }";
    }
    return text + "\n}\n";
}

std::string format_sysinfo_parsable(Sysinfo const& info)
{
    std::string text;
    auto line = [&text](std::string_view key, std::string const& value) {
        text.append(key).append("=").append(value).append("\n");
    };
    line("Live_Image", shell_quoted(info.live_image));
    line("System_Type", shell_quoted(info.system_type));
    line("Boot_Time", shell_quoted(info.boot_time));
    if (!info.datacenter_name.empty()) {
        line("Datacenter_Name", shell_quoted(info.datacenter_name));
    }
    line("Manufacturer", shell_quoted(info.manufacturer));
    line("Product", shell_quoted(info.product));
    line("Serial_Number", shell_quoted(info.serial_number));
    line("SKU_Number", shell_quoted(info.sku_number));
    line("HW_Version", shell_quoted(info.hw_version));
    line("HW_Family", shell_quoted(info.hw_family));
    line("VM_Capable", shell_quoted(bool_text(info.vm_capable)));
    line("CPU_Type", shell_quoted(info.cpu_type));
    line("CPU_Virtualization", shell_quoted(info.cpu_virtualization));
    line("CPU_Physical_Cores", std::to_string(info.cpu_socket_count));
    line("Bhyve_Capable", shell_quoted(bool_text(info.bhyve_capable)));
    line("Bhyve_Max_Vcpus", std::to_string(info.bhyve_max_vcpus));
    line("HVM_API", shell_quoted(bool_text(info.hvm_api)));
    line("Nic_Tags", bare(join(info.nic_tags, ",")));
    line("Admin_NIC_Tag", bare(info.admin_nic_tag));
    line("Admin_IP", bare(info.admin_ip));
    line("Setup", shell_quoted(bool_text(info.setup)));
    line("UUID", shell_quoted(info.uuid));
    line("Hostname", shell_quoted(info.hostname));
    line("CPU_Total_Cores", std::to_string(info.cpu_count));
    line("CPU_Socket_Count", std::to_string(info.cpu_socket_count));
    line("CPU_Core_Count", std::to_string(info.cpu_core_count));
    line("CPU_Online_Count", std::to_string(info.cpu_online_count));
    line("CPU_Count", std::to_string(info.cpu_count));
    line("MiB_of_Memory", std::to_string(info.mib_of_memory));
    for (auto const& [name, size_gb] : info.disks) {
        line("Disk_" + name_part(name) + "_size_in_GB", std::to_string(size_gb));
    }
    for (auto const& [tag, interface] : info.nic_tag_interfaces) {
        line("NIC_" + name_part(tag), shell_quoted(interface));
    }
    for (auto const& nic : info.network_interfaces) {
        std::string const prefix = "Network_Interface_" + name_part(nic.name) + "_";
        line(prefix + "MAC_Address", shell_quoted(nic.mac));
        line(prefix + "IPv4_Address", shell_quoted(nic.ip4addr));
        line(prefix + "NIC_Names", shell_quoted(join(nic.nic_names, ",")));
        line(prefix + "Link_Status", shell_quoted(nic.link_status));
    }
    for (auto const& [key, value] : info.boot_parameters) {
        line("Bootparam_" + name_part(key), shell_quoted(value));
    }
    for (auto const& [key, value] : info.psrinfo) {
        line("Psrinfo_" + name_part(key), shell_quoted(value));
    }
    return text;
}

} // namespace lumos::vm
