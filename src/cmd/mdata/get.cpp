// SPDX-License-Identifier: MPL-2.0
#include "cmd/mdata/tools.hpp"

int main(int argc, char** argv)
{
    return lumos::mdata::run_main(argc, argv, lumos::mdata::mdata_get);
}
