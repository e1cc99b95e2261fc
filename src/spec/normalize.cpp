// SPDX-License-Identifier: MPL-2.0
#include "spec/normalize.hpp"
