#include "cli/flag_command.h"

#include <fmt/format.h>

#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/output.h"
#include "tandem/env.h"
#include "tandem/flags.h"

namespace tandem::cli {

namespace {

using json = nlohmann::json;

json flag_json(const flags::Flag& f) { return json::parse(flags::to_json(f)); }

json event_json(const flags::FlagEvent& e) {
  json j{{"id", e.id},       {"key", e.key},       {"at", e.at},
         {"actor", e.actor}, {"action", e.action}, {"reason", e.reason}};
  j["before"] = e.before.empty() ? json(nullptr) : json::parse(e.before, nullptr, false);
  j["after"] = e.after.empty() ? json(nullptr) : json::parse(e.after, nullptr, false);
  return j;
}

// "true for 25%, else false" of a stored definition ("-" when absent).
std::string summary_of(const std::string& definition) {
  if (definition.empty()) return "-";
  auto f = flags::from_json(definition);
  return f.ok() ? f->summary() : "?";
}

// Splits "a,b" and repeated options into one list.
std::vector<std::string> split_keys(const std::vector<std::string>& given) {
  std::vector<std::string> out;
  for (const std::string& g : given) {
    std::stringstream in(g);
    std::string k;
    while (std::getline(in, k, ',')) out.push_back(k);
  }
  return out;
}

}  // namespace

void FlagCommands::add(CLI::App& app) {
  flag = app.add_subcommand("flag", "feature flags: the instant rollback lever, served over OFREP");
  flag->require_subcommand(1);
  flag->footer(
      "Flags live in the database (--db), beside tandem's history: PostgreSQL tables\n"
      "tandem.flags and tandem.flag_events, SQLite tandem_flags and tandem_flag_events.\n"
      "Applications read them through any OpenFeature SDK from `tandem serve` (OFREP).\n"
      "Examples:\n"
      "  tandem flag set orders.read_new false --reason \"mismatches in verify\"\n"
      "  tandem flag set orders.read_new true --percent 10 --allow tenant-7\n"
      "  tandem flag get orders.read_new --targeting-key tenant-42\n"
      "  tandem flag history orders.read_new");

  set = flag->add_subcommand(
      "set", "set a flag's value for everyone, or for the keys its targeting selects");
  set->add_option("KEY", key, "the flag, e.g. orders.read_new")->required();
  set->add_option("VALUE", value, "true/false, a number, text, or JSON")->required();
  set->add_option("--type", type,
                  "bool, string, number or json (default: the flag's type, "
                  "else read from VALUE)")
      ->check(CLI::IsMember({"bool", "string", "number", "json"}));
  set->add_option("--allow", allow,
                  "targeting keys (tenants, clients) always served VALUE; "
                  "comma-separated or repeated");
  set->add_option("--deny", deny, "targeting keys never served VALUE");
  set->add_option("--percent", percent,
                  "share of the other keys served VALUE, by a stable hash of the key (default: "
                  "100, or 0 with --allow)");
  set->add_option("--default", fallback,
                  "what keys outside the targeting are served (bool: the opposite of VALUE)");
  set->add_option("--description", description, "what the flag switches");
  set->add_option("--reason", reason, "why, for the audit log (flag history)");
  set->add_option("--if-version", if_version,
                  "change it only if it is at this version now (0: only create it)");
  set->footer(
      "`set` replaces the whole definition: without --allow/--deny/--percent every caller is\n"
      "served VALUE — the kill switch. Every change is audited (flag history).\n"
      "Examples:\n"
      "  tandem flag set orders.dual_write true --reason \"expand done\"\n"
      "  tandem flag set orders.read_new true --percent 25 --deny tenant-9\n"
      "  tandem flag set checkout.theme blue --type string --allow beta-1 --default classic");

  get = flag->add_subcommand("get", "show a flag, or what it serves one targeting key");
  get->add_option("KEY", key, "the flag")->required();
  get->add_option("--targeting-key", targeting_key, "evaluate it for this key, as OFREP would");
  get->footer(
      "Examples:\n  tandem flag get orders.read_new\n"
      "  tandem flag get orders.read_new --targeting-key tenant-42 --json");

  list = flag->add_subcommand("list", "list every flag and what it serves");
  list->footer("Example:\n  tandem flag list --json");

  history =
      flag->add_subcommand("history", "the audited changes of a flag (or of all), newest first");
  history->add_option("KEY", key, "the flag (default: every flag)");
  history->add_option("--limit", limit, "at most this many changes")->capture_default_str();
  history->footer("Example:\n  tandem flag history orders.read_new --limit 5");

  remove = flag->add_subcommand(
      "delete", "delete a flag: OFREP then answers FLAG_NOT_FOUND and SDKs use their default");
  remove->add_option("KEY", key, "the flag")->required();
  remove->add_option("--reason", reason, "why, for the audit log");
  remove->footer("Example:\n  tandem flag delete orders.read_new --reason \"migration complete\"");
}

std::optional<int> FlagCommands::run(const std::string& db_url, bool as_json,
                                     const std::function<int(const Status&)>& fail) const {
  auto print = [](const json& j) { std::cout << dump(j, 2) << "\n"; };
  if (!flag->parsed()) return std::nullopt;

  bool reads = get->parsed() || list->parsed() || history->parsed();
  auto store = flags::FlagStore::open(db_url, !reads, "tandem flag");
  if (!store.ok()) return fail(store.status());
  flags::FlagStore& fs = **store;
  std::string actor = Env::Default()->user_name();

  if (set->parsed()) {
    flags::FlagChange change;
    change.key = key;
    if (!type.empty()) change.type = flags::parse_type(type);
    change.value = value;
    if (set->count("--default") > 0) change.fallback = fallback;
    change.allow = split_keys(allow);
    change.deny = split_keys(deny);
    change.percent = percent;
    if (set->count("--description") > 0) change.description = description;
    change.reason = reason;
    change.actor = actor;
    change.expect_version = if_version;
    auto f = fs.set(change);
    if (!f.ok()) return fail(f.status());
    if (as_json)
      print(flag_json(*f));
    else
      std::cout << fmt::format("{} = {} (version {})\n", f->key, f->summary(), f->version);
    return 0;
  }
  if (get->parsed()) {
    auto f = fs.get(key);
    if (!f.ok()) return fail(f.status());
    if (!*f)
      return fail(Status::InvalidInput(fmt::format("there is no flag {}", key),
                                       "`tandem flag list` shows the flags there are"));
    const flags::Flag& flag = **f;
    std::optional<flags::Evaluation> e;
    if (get->count("--targeting-key") > 0) e = flags::evaluate(flag, targeting_key);
    if (as_json) {
      json j = flag_json(flag);
      if (e)
        j["evaluation"] = {{"targeting_key", targeting_key},
                           {"value", json::parse(e->value)},
                           {"variant", e->variant},
                           {"reason", flags::reason_name(e->reason)}};
      print(j);
    } else if (e) {
      std::cout << fmt::format("{} for {}: {} ({}, {})\n", flag.key, targeting_key, e->value,
                               flags::reason_name(e->reason), e->variant);
    } else {
      std::cout << fmt::format("{} ({}) = {}\n", flag.key, flags::type_name(flag.type),
                               flag.summary());
      if (!flag.description.empty()) std::cout << "  " << flag.description << "\n";
      if (!flag.allow.empty())
        std::cout << fmt::format("  allow: {}\n", fmt::join(flag.allow, ", "));
      if (!flag.deny.empty()) std::cout << fmt::format("  deny: {}\n", fmt::join(flag.deny, ", "));
      std::cout << fmt::format("  version {}, changed {} by {}\n", flag.version, flag.updated_at,
                               flag.updated_by);
    }
    return 0;
  }
  if (list->parsed()) {
    std::vector<Status> invalid;
    auto all = fs.list(&invalid);
    if (!all.ok()) return fail(all.status());
    for (const Status& st : invalid)
      std::cerr << "error: " << st.message() << "\n  hint: " << st.hint() << "\n";
    int rc = invalid.empty() ? 0 : 3;
    if (as_json) {
      json arr = json::array();
      for (const flags::Flag& f : *all) arr.push_back(flag_json(f));
      print({{"flags", arr}});
      return rc;
    }
    if (all->empty()) {
      if (invalid.empty()) std::cout << "no flags yet: `tandem flag set KEY VALUE` creates one\n";
      return rc;
    }
    size_t width = 4;
    for (const flags::Flag& f : *all) width = std::max(width, f.key.size());
    std::cout << fmt::format("{:<{}}  {:<6}  {:<24}  {}\n", "FLAG", width, "TYPE", "CHANGED",
                             "SERVES");
    for (const flags::Flag& f : *all)
      std::cout << fmt::format("{:<{}}  {:<6}  {:<24}  {}\n", f.key, width,
                               flags::type_name(f.type), f.updated_at, f.summary());
    return rc;
  }
  if (history->parsed()) {
    auto events = fs.history(key, limit);
    if (!events.ok()) return fail(events.status());
    if (as_json) {
      json arr = json::array();
      for (const flags::FlagEvent& e : *events) arr.push_back(event_json(e));
      print({{"events", arr}});
      return 0;
    }
    if (events->empty()) {
      std::cout << (key.empty() ? "no flag was ever changed\n"
                                : fmt::format("flag {} was never changed\n", key));
      return 0;
    }
    for (const flags::FlagEvent& e : *events) {
      std::cout << fmt::format("{}  {}  {} {}: {} -> {}", e.at, e.actor, e.action, e.key,
                               summary_of(e.before), summary_of(e.after));
      if (!e.reason.empty()) std::cout << "  (" << e.reason << ")";
      std::cout << "\n";
    }
    return 0;
  }
  if (remove->parsed()) {
    Status st = fs.remove(key, actor, reason);
    if (!st.ok()) return fail(st);
    if (as_json)
      print({{"deleted", key}});
    else
      std::cout << "deleted flag " << key << "\n";
    return 0;
  }
  return std::nullopt;
}

}  // namespace tandem::cli
