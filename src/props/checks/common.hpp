// SPDX-License-Identifier: MPL-2.0
#pragma once

// Small helpers shared by the payload check families (props/checks/*.cpp).

#include "base/json.hpp"
#include "props/detail/json_access.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace lumos::props::checks {

template <typename Container>
bool contains(Container const& container, typename Container::value_type const& value)
{
    return std::find(container.begin(), container.end(), value) != container.end();
}

// Every address of a list field, as strings (non-string entries printed as JavaScript would).
inline std::vector<std::string> entries(Json const& value)
{
    std::vector<std::string> result;
    if (value.is_array()) {
        for (auto const& element : value) {
            result.push_back(js_string(element));
        }
    } else if (value.is_string()) {
        result = detail::json_list(value);
    }
    return result;
}

} // namespace lumos::props::checks
