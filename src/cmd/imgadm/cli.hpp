// SPDX-License-Identifier: MPL-2.0
// imgadm's command line (section 4 of the reference). run() dispatches to one handler per
// subcommand; handlers live in local_list.cpp (list, get/info, ancestry), local_install.cpp
// (install, delete/destroy, vacuum, update) and remote.cpp (sources, avail/available, show,
// import). The table printer (table.cpp) is shared by list and avail.
#pragma once

#include "base/json.hpp"
#include "base/paths.hpp"
#include "image/errors.hpp"
#include "image/image_store.hpp"
#include "image/sources.hpp"
#include "pools/pool.hpp"

#include <iosfwd>
#include <string>
#include <vector>

namespace lumos::imgadm {

struct Io {
    std::istream& in;
    std::ostream& out; // informational messages go to stdout, as imgadm's console.log
    std::ostream& err;
    bool stdin_is_tty { false };
};

struct Context {
    Paths paths;
    pools::PoolRegistry& pools;
    image::ImageStore& store;
    image::SourceConfig& sources;
    bool verbose { false };
};

using Args = std::vector<std::string>;

// Removes what killed installs left on the pools (partial datasets, manifests of images that are
// not installed; image/orphans.hpp), at the next install, import or vacuum. report: a line per
// orphan ("Removed ..." or, with dry_run, "[dry-run] Removed ..."), nullptr: quietly.
void sweep_image_orphans(Context const& context, std::ostream* report, bool dry_run);

// argv as main() got it. Errors print "imgadm <subcmd>: error (<Code>): <message>" (and with -E
// a last line that is a Bunyan-style JSON record with err.code), exit with the error's status.
int run(Args const& argv, Io& io, Context& context);

// Handlers: args are what follows the subcommand. They print their own output and return the
// exit status, or an error for run() to print.
image::ImgResult<int> cmd_list(Args const& args, Io& io, Context& context);
image::ImgResult<int> cmd_get(Args const& args, Io& io, Context& context);
image::ImgResult<int> cmd_install(Args const& args, Io& io, Context& context);
image::ImgResult<int> cmd_delete(Args const& args, Io& io, Context& context);
image::ImgResult<int> cmd_ancestry(Args const& args, Io& io, Context& context);
image::ImgResult<int> cmd_vacuum(Args const& args, Io& io, Context& context);
image::ImgResult<int> cmd_update(Args const& args, Io& io, Context& context);
image::ImgResult<int> cmd_sources(Args const& args, Io& io, Context& context);
image::ImgResult<int> cmd_avail(Args const& args, Io& io, Context& context);
image::ImgResult<int> cmd_show(Args const& args, Io& io, Context& context);
image::ImgResult<int> cmd_import(Args const& args, Io& io, Context& context);

// list/avail tables (section 4.3): rows are manifests plus computed fields; -o columns, -s sort
// fields ("-field" descending), FIELD=VALUE / FIELD=~SUB / FIELD=true|false filters, -H, -j.
struct TableOptions {
    std::vector<std::string> columns; // default uuid,name,version,os,type,pub
    std::vector<std::string> sort; // default published_at,name
    std::vector<std::string> filters; // "field=value" args
    bool json { false };
    bool no_header { false };
};
// Parses -j -H -o -s and filter args shared by list and avail; UsageError on bad input.
image::ImgResult<TableOptions> parse_table_args(
    Args const& args, std::string const& default_columns);
// rows: objects with the manifest's fields and computed ones flattened (uuid, name, ..., pub,
// published, source, clones, zpool, size). json_objects are what -j prints for each row (in the
// same order as rows).
image::ImgResult<void> print_table(
    std::vector<Json> rows, std::vector<Json> json_objects, TableOptions const& options, Io& io);

// imgadm's uuid argument check: InvalidUUID `invalid uuid: "<x>"`.
image::ImgResult<void> check_uuid(std::string const& arg);

} // namespace lumos::imgadm
