// SPDX-License-Identifier: MPL-2.0
#include "spec/list_view.hpp"
