// SPDX-License-Identifier: MPL-2.0
#include "sys/host_links.hpp"

#include "base/file.hpp"
#include "base/host_config.hpp"
#include "base/strings.hpp"

#include <algorithm>
#include <filesystem>

namespace lumos::sys {

namespace {

// A sysfs attribute is a line; 4 KiB is a page, more than any of them.
constexpr size_t MAX_ATTRIBUTE = 4096;

std::string attribute(std::string const& path)
{
    auto text = read_file_bounded(path, MAX_ATTRIBUTE);
    return text ? std::string(trim(*text)) : std::string();
}

bool exists(std::string const& path)
{
    std::error_code ec;
    return std::filesystem::exists(path, ec);
}

} // namespace

std::vector<HostLink> host_links(std::string const& sys_root)
{
    std::vector<HostLink> links;
    std::string const net = sys_root + "/class/net";
    std::error_code ec;
    for (auto const& entry : std::filesystem::directory_iterator(net, ec)) {
        HostLink link;
        link.name = entry.path().filename().string();
        std::string const dir = net + "/" + link.name;
        link.mac = normalize_mac(attribute(dir + "/address")).value_or("");
        link.operstate = attribute(dir + "/operstate");
        link.physical = exists(dir + "/device");
        link.bridge = exists(dir + "/bridge");
        link.loopback = attribute(dir + "/type") == "772"; // ARPHRD_LOOPBACK
        links.push_back(std::move(link));
    }
    std::sort(links.begin(), links.end(),
        [](HostLink const& a, HostLink const& b) { return a.name < b.name; });
    return links;
}

HostLink const* link_with_mac(std::vector<HostLink> const& links, std::string_view mac)
{
    if (mac.empty()) {
        return nullptr;
    }
    HostLink const* virtual_link = nullptr;
    for (auto const& link : links) {
        if (link.mac != mac || link.bridge || link.loopback) {
            continue;
        }
        if (link.physical) {
            return &link;
        }
        virtual_link = virtual_link != nullptr ? virtual_link : &link;
    }
    return virtual_link;
}

} // namespace lumos::sys
