// Flags tied to a migration's phases (expand/phase_flags.h).

#include "expand/phase_flags.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tandem/flags.h"

namespace tandem::expand {

namespace {

// The value as `flag set` would store it for `current` (its type) or a new flag (inferred).
Result<std::string> canonical_value(const std::optional<flags::Flag>& current,
                                    const std::string& text) {
  return flags::parse_value(current ? current->type : flags::infer_type(text), text);
}

}  // namespace

PhaseFlags parse_phase_flags(const YAML::Node& node, const std::string& path,
                             std::vector<Problem>& problems) {
  PhaseFlags out;
  auto problem = [&](const YAML::Node& at, std::string msg, std::string hint) {
    problems.push_back({"bad_flags", path, at.Mark().line + 1, 0, std::move(msg), std::move(hint)});
  };
  if (!node.IsMap()) {
    problem(node, "`flags` is an object of phases",
            "e.g. `flags: {on_start: {orders.dual_write: true}, on_rollback: {orders.read_new: "
            "false}}`");
    return out;
  }
  for (const auto& phase : node) {
    std::string name = phase.first.as<std::string>("");
    std::vector<PhaseFlag>* list = name == "on_start"              ? &out.on_start
                                   : name == "require_to_complete" ? &out.require_to_complete
                                   : name == "on_complete"         ? &out.on_complete
                                   : name == "on_rollback"         ? &out.on_rollback
                                                                   : nullptr;
    if (list == nullptr) {
      problem(phase.first, fmt::format("unknown phase `{}` in `flags`", name),
              "the phases are on_start, require_to_complete, on_complete and on_rollback");
      continue;
    }
    if (!phase.second.IsMap() || phase.second.size() == 0) {
      problem(phase.second, fmt::format("`flags.{}` is an object of flag: value", name),
              fmt::format("e.g. `{}: {{orders.read_new: true}}`", name));
      continue;
    }
    for (const auto& kv : phase.second) {
      std::string key = kv.first.as<std::string>("");
      if (Status st = flags::check_key(key); !st.ok()) {
        problem(kv.first, fmt::format("flags.{}: {}", name, st.message()), st.hint());
        continue;
      }
      if (!kv.second.IsScalar()) {
        problem(kv.second, fmt::format("flags.{}.{}: the value is not a scalar", name, key),
                "give true/false, a number or text; a JSON flag's value is written as a JSON "
                "string, e.g. '{\"limit\": 10}'");
        continue;
      }
      std::string value = kv.second.Scalar();
      std::string lower = value;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (kv.second.Tag() != "!" &&
          (lower == "yes" || lower == "no" || lower == "y" || lower == "n")) {
        // YAML 1.1 reads these as booleans, tandem (YAML 1.2, like `flag set`) as text: a
        // bool flag would become a string one, and SDKs asking for a bool fall back.
        problem(kv.second, fmt::format("flags.{}.{}: `{}` is ambiguous", name, key, value),
                "write true or false for a bool flag, or quote it (\"yes\") for text");
        continue;
      }
      if (auto parsed = flags::parse_value(flags::infer_type(value), value); !parsed.ok()) {
        problem(kv.second, fmt::format("flags.{}.{}: {}", name, key, parsed.status().message()),
                parsed.status().hint());
        continue;
      }
      for (const PhaseFlag& f : *list)
        if (f.key == key) problem(kv.first, fmt::format("flags.{} names {} twice", name, key), "");
      list->push_back({key, value, kv.first.Mark().line + 1});
    }
  }
  return out;
}

Status check_phase_flag_types(Session& s, const PhaseFlags& phases, const Migration& m) {
  if (phases.empty()) return Status::Ok();
  TANDEM_ASSIGN_OR_RETURN(auto store, flags::FlagStore::on(*s.conn, /*create=*/false));
  for (const std::vector<PhaseFlag>* list :
       {&phases.on_start, &phases.require_to_complete, &phases.on_complete, &phases.on_rollback}) {
    for (const PhaseFlag& f : *list) {
      TANDEM_ASSIGN_OR_RETURN(std::optional<flags::Flag> current, store->get(f.key));
      if (!current) continue;
      auto value = flags::parse_value(current->type, f.value);
      if (!value.ok())
        return Status::InvalidInput(
            fmt::format("{}:{}: flag {} is a {} flag: {}", m.path, f.line, f.key,
                        flags::type_name(current->type), value.status().message()),
            "give the flag a value of its type in `flags:`, or change its type first with "
            "`tandem flag set KEY VALUE --type T`; nothing was changed");
    }
  }
  return Status::Ok();
}

Status apply_phase_flags(Session& s, const std::vector<PhaseFlag>& list,
                         const std::string& reason) {
  if (list.empty()) return Status::Ok();
  TANDEM_ASSIGN_OR_RETURN(auto store, flags::FlagStore::on(*s.conn));
  TANDEM_ASSIGN_OR_RETURN(std::string by, s.state->applied_by());
  // Every value checked against its flag before any is set: a phase never sets half its flags.
  std::vector<std::string> values;
  std::vector<std::optional<flags::Flag>> currents;
  for (const PhaseFlag& f : list) {
    TANDEM_ASSIGN_OR_RETURN(std::optional<flags::Flag> current, store->get(f.key));
    auto value = canonical_value(current, f.value);
    if (!value.ok())
      return Status::InvalidInput(
          fmt::format("flag {} (line {}) is a {} flag: {}", f.key, f.line,
                      current ? flags::type_name(current->type) : "new", value.status().message()),
          fmt::format("nothing was changed; make the flag the type the migration expects "
                      "(`tandem flag set {} {} --type {}`), then run {} again",
                      f.key, f.value, flags::type_name(flags::infer_type(f.value)), reason));
    values.push_back(*value);
    currents.push_back(std::move(current));
  }
  for (size_t i = 0; i < list.size(); ++i) {
    const PhaseFlag& f = list[i];
    const std::optional<flags::Flag>& current = currents[i];
    const std::string* value = &values[i];
    if (current && !current->targeted() && current->serves_everyone(*value)) continue;
    flags::FlagChange change;
    change.key = f.key;
    change.value = f.value;
    change.reason = reason;
    change.actor = by;
    TANDEM_RETURN_IF_ERROR(store->set(change).status().with_context(
        fmt::format("setting flag {} for {}: ", f.key, reason)));
    s.log(fmt::format("flag {} = {} ({})", f.key, *value, reason));
  }
  return Status::Ok();
}

Status check_phase_flags(Session& s, const std::vector<PhaseFlag>& list, const Migration& m) {
  if (list.empty()) return Status::Ok();
  TANDEM_ASSIGN_OR_RETURN(auto store, flags::FlagStore::on(*s.conn, /*create=*/false));
  std::vector<std::string> unmet, fixes;
  for (const PhaseFlag& f : list) {
    TANDEM_ASSIGN_OR_RETURN(std::optional<flags::Flag> current, store->get(f.key));
    auto value = canonical_value(current, f.value);
    if (!value.ok()) return value.status().with_context(fmt::format("flag {}: ", f.key));
    if (current && current->serves_everyone(*value)) continue;
    unmet.push_back(
        current ? fmt::format("{} serves {}, not {} to everyone", f.key, current->summary(), *value)
                : fmt::format("{} does not exist", f.key));
    fixes.push_back(fmt::format("tandem flag set {} {}", f.key, f.value));
  }
  if (unmet.empty()) return Status::Ok();
  return Status::Problem(
      fmt::format("{} requires before complete: {}", m.file, fmt::join(unmet, "; ")),
      fmt::format(
          "complete removes the old representation: move every reader over first "
          "(`{}`), check it, then run `tandem complete`; the migration stays started meanwhile "
          "(`tandem rollback` undoes it)",
          fmt::join(fixes, "`, `")));
}

}  // namespace tandem::expand
