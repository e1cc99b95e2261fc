// SPDX-License-Identifier: MPL-2.0
#include "net/names.hpp"

#include <cstdint>
#include <cstdio>

namespace lumos::net {

namespace {

constexpr std::size_t MAX_INTERFACE = 5;

constexpr std::size_t MAX_LINK_NAME = 15;

std::uint32_t fnv1a(std::string_view text)
{
    std::uint32_t hash = 2166136261U;
    for (char const c : text) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 16777619U;
    }
    return hash;
}

std::string interface_part(std::string_view interface)
{
    if (interface.size() <= MAX_INTERFACE) {
        return std::string(interface);
    }
    char text[8];
    (void)std::snprintf(
        text, sizeof text, "%04x", static_cast<unsigned>(fnv1a(interface) & 0xffffU));
    return text;
}

std::string link_name(char kind, std::string_view uuid, std::string_view interface)
{
    return vm_link_prefix(uuid, kind) + interface_part(interface);
}

} // namespace

std::string vm_link_prefix(std::string_view uuid, char kind)
{
    std::string name(1, kind);
    for (char const c : uuid) {
        if (name.size() == 9) {
            break;
        }
        if (c != '-') {
            name += c;
        }
    }
    name += '_';
    return name;
}

std::string host_link_name(std::string_view uuid, std::string_view interface)
{
    return link_name('z', uuid, interface);
}

std::string ifb_link_name(std::string_view uuid, std::string_view interface)
{
    return link_name('i', uuid, interface);
}

std::string filter_table_name(std::string_view host_link)
{
    return std::string(FILTER_TABLE_PREFIX) + std::string(host_link);
}

std::string tag_bridge_name(std::string_view tag, int vlan)
{
    std::string name = "t_" + std::string(tag);
    if (vlan != 0) {
        name += "." + std::to_string(vlan);
    }
    if (name.size() <= MAX_LINK_NAME) {
        return name;
    }
    char text[16];
    (void)std::snprintf(text, sizeof text, "t_%08x", static_cast<unsigned>(fnv1a(name)));
    return text;
}

} // namespace lumos::net
