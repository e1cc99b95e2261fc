// SPDX-License-Identifier: MPL-2.0
#include "pools/detail/dataset_name.hpp"

#include <algorithm>

namespace lumos::pools::detail {

bool valid_component(std::string const& part)
{
    if (part.empty() || part[0] == '.' || part.size() > 200) {
        return false;
    }
    return std::all_of(part.begin(), part.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || c == '_' || c == '-' || c == '.' || c == ':';
    });
}

Result<std::string> relative_dataset_name(std::string const& pool_name, std::string const& name)
{
    if (name.size() <= pool_name.size() + 1 || name.compare(0, pool_name.size(), pool_name) != 0
        || name[pool_name.size()] != '/') {
        return make_error(ErrorCode::InvalidArgument,
            "dataset name \"" + name + "\" is not in pool \"" + pool_name + "\"");
    }
    std::string rel = name.substr(pool_name.size() + 1);
    auto at = rel.find('@');
    std::string dataset = at == std::string::npos ? rel : rel.substr(0, at);
    if (at != std::string::npos && !valid_component(rel.substr(at + 1))) {
        return make_error(ErrorCode::InvalidArgument, "invalid snapshot name \"" + name + "\"");
    }
    size_t start = 0;
    while (true) {
        auto slash = dataset.find('/', start);
        auto part
            = dataset.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (!valid_component(part)) {
            return make_error(ErrorCode::InvalidArgument, "invalid dataset name \"" + name + "\"");
        }
        if (slash == std::string::npos) {
            break;
        }
        start = slash + 1;
    }
    return rel;
}

std::string dataset_part(std::string const& relative_name)
{
    auto at = relative_name.find('@');
    return at == std::string::npos ? relative_name : relative_name.substr(0, at);
}

bool is_snapshot_name(std::string const& relative_name)
{
    return relative_name.find('@') != std::string::npos;
}

bool under(std::string const& key, std::string const& base)
{
    if (key == base) {
        return true;
    }
    return key.size() > base.size() && key.compare(0, base.size(), base) == 0
        && (key[base.size()] == '/' || key[base.size()] == '@');
}

std::optional<std::string> parent_of(std::string const& relative_name)
{
    auto slash = relative_name.rfind('/');
    if (slash == std::string::npos) {
        return std::nullopt;
    }
    return relative_name.substr(0, slash);
}

} // namespace lumos::pools::detail
