// SPDX-License-Identifier: MPL-2.0
// Anti-spoofing tables through libnftables: JSON commands in, JSON listings out. A libnftables
// context opens its netlink socket in the namespace of the thread that uses it, so each one is
// made, used and freed on the thread in_netns runs in the host namespace.
#include "net/antispoof.hpp"

#include "net/names.hpp"

#include <algorithm>
#include <memory>
#include <mutex>
#include <utility>

#include <nftables/libnftables.h>

namespace lumos::net {

namespace {

using nlohmann::json;

struct NftReply {
    bool ok = false;
    std::string output; // what the commands printed: a JSON listing, or nothing
    std::string error; // libnftables' message when !ok
};

// libnftables writes "internal:0:0-0: Error: <what>\n" for a JSON command (the location is of
// text input): the operator wants <what>.
std::string error_text(char const* buffer)
{
    std::string text = buffer == nullptr ? "" : buffer;
    std::string_view constexpr MARKER = "Error: ";
    if (auto const at = text.find(MARKER); at != std::string::npos) {
        text.erase(0, at + MARKER.size());
    }
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
        text.pop_back();
    }
    return text.empty() ? "nftables refused the commands" : text;
}

// Runs commands with a context of this thread's namespace.
Result<NftReply> run_here(json const& commands)
{
    std::unique_ptr<nft_ctx, decltype(&nft_ctx_free)> context(
        nft_ctx_new(NFT_CTX_DEFAULT), &nft_ctx_free);
    if (!context) {
        return make_error(ErrorCode::System, "cannot make a libnftables context");
    }
    nft_ctx_output_set_flags(context.get(), NFT_CTX_OUTPUT_JSON);
    if (nft_ctx_buffer_output(context.get()) != 0 || nft_ctx_buffer_error(context.get()) != 0) {
        return make_error(ErrorCode::System, "cannot buffer libnftables' output");
    }
    std::string const text = commands.dump();
    NftReply reply;
    reply.ok = nft_run_cmd_from_buffer(context.get(), text.c_str()) == 0;
    if (!reply.ok) {
        reply.error = error_text(nft_ctx_get_error_buffer(context.get()));
        return reply;
    }
    char const* output = nft_ctx_get_output_buffer(context.get());
    reply.output = output == nullptr ? "" : output;
    return reply;
}

// The JSON listing a successful `list` command printed.
Result<json> listing(NftReply const& reply)
{
    json parsed = json::parse(reply.output, nullptr, false);
    if (parsed.is_discarded()) {
        return make_error(ErrorCode::Internal, "libnftables printed a listing that is not JSON");
    }
    return parsed;
}

Result<NftReply> run_in(Netns const& host, json const& commands)
{
    // libnftables does not document its contexts as safe to use from several threads at once,
    // and an apply is a few milliseconds: one call at a time in this process.
    static std::mutex one_at_a_time;
    Result<NftReply> reply = make_error(ErrorCode::Internal, "libnftables did not run");
    TRY(in_netns(host, [&]() -> Result<void> {
        std::lock_guard const lock(one_at_a_time);
        reply = run_here(commands);
        return {};
    }));
    return reply;
}

json one_command(std::string_view verb, json object)
{
    return { { "nftables", json::array({ { { verb, std::move(object) } } }) } };
}

json table_ref(std::string const& table)
{
    return { { "table", { { "family", detail::FILTER_FAMILY }, { "name", table } } } };
}

// The names of the host namespace's tables of the filters' family.
Result<std::vector<std::string>> filter_tables(Netns const& host)
{
    TRY_ASSIGN(reply,
        run_in(
            host, one_command("list", { { "tables", { { "family", detail::FILTER_FAMILY } } } })));
    if (!reply.ok) {
        return make_error(ErrorCode::System, "list nftables tables: " + reply.error);
    }
    TRY_ASSIGN(tables, listing(reply));
    std::vector<std::string> names;
    auto const items = tables.find("nftables");
    if (items == tables.end() || !items->is_array()) {
        return names;
    }
    for (json const& item : *items) {
        auto const table = item.find("table");
        if (table == item.end() || !table->is_object()) {
            continue;
        }
        auto const family = table->find("family");
        auto const name = table->find("name");
        if (family != table->end() && *family == detail::FILTER_FAMILY && name != table->end()
            && name->is_string()) {
            names.push_back(name->get<std::string>());
        }
    }
    return names;
}

Result<bool> table_exists(Netns const& host, std::string const& table)
{
    TRY_ASSIGN(names, filter_tables(host));
    return std::find(names.begin(), names.end(), table) != names.end();
}

Result<void> remove_table(Netns const& host, std::string const& table)
{
    TRY_ASSIGN(reply, run_in(host, one_command("delete", table_ref(table))));
    if (reply.ok) {
        return {};
    }
    // Refused: success if it was not there (never made, or removed meanwhile), without reading
    // libnftables' message for the reason.
    TRY_ASSIGN(exists, table_exists(host, table));
    if (!exists) {
        return {};
    }
    return make_error(ErrorCode::System, reply.error);
}

} // namespace

Result<void> apply_vnic_filter(Netns const& host, VnicFilter const& filter)
{
    std::string const what = "apply anti-spoofing rules for " + filter.host_link;
    auto commands = detail::vnic_filter_commands(filter);
    if (!commands) {
        return tl::unexpected(std::move(commands).error().with_context(what));
    }
    auto reply = run_in(host, *commands);
    if (!reply) {
        return tl::unexpected(std::move(reply).error().with_context(what));
    }
    if (!reply->ok) {
        return make_error(ErrorCode::System, what + ": " + reply->error);
    }
    return {};
}

Result<void> remove_vnic_filter(Netns const& host, std::string_view host_link)
{
    std::string const what = "remove anti-spoofing rules for " + std::string(host_link);
    if (auto checked = check_link_name(host_link); !checked) {
        return tl::unexpected(std::move(checked).error().with_context(what));
    }
    if (auto removed = remove_table(host, filter_table_name(host_link)); !removed) {
        return tl::unexpected(std::move(removed).error().with_context(what));
    }
    return {};
}

Result<void> remove_vnic_filters(Netns const& host, std::string_view link_prefix)
{
    std::string const what = "remove anti-spoofing rules for " + std::string(link_prefix) + "*";
    if (link_prefix.empty()) {
        return make_error(ErrorCode::InvalidArgument, what + ": an empty prefix names every link");
    }
    std::string const table_prefix = filter_table_name(link_prefix);
    auto tables = filter_tables(host);
    if (!tables) {
        return tl::unexpected(std::move(tables).error().with_context(what));
    }
    for (std::string const& table : *tables) {
        if (table.starts_with(table_prefix)) {
            if (auto removed = remove_table(host, table); !removed) {
                return tl::unexpected(std::move(removed).error().with_context(what));
            }
        }
    }
    return {};
}

Result<VnicFilterCounters> vnic_filter_counters(Netns const& host, std::string_view host_link)
{
    std::string const what = "read anti-spoofing counters of " + std::string(host_link);
    std::string const table = filter_table_name(host_link);
    auto reply = run_in(host, one_command("list", table_ref(table)));
    if (!reply) {
        return tl::unexpected(std::move(reply).error().with_context(what));
    }
    if (!reply->ok) {
        auto exists = table_exists(host, table);
        if (exists && !*exists) {
            return make_error(ErrorCode::NotFound, what + ": no table " + table);
        }
        return make_error(ErrorCode::System, what + ": " + reply->error);
    }
    auto listed = listing(*reply);
    if (!listed) {
        return tl::unexpected(std::move(listed).error().with_context(what));
    }
    return detail::counters_from_listing(*listed);
}

} // namespace lumos::net
