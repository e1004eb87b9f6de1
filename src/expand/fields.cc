#include "expand/fields.h"

#include <fmt/format.h>

namespace tandem::expand {

Fields::Fields(const YAML::Node& node, std::string what, const std::string& path,
               std::vector<Problem>& problems)
    : node_(node),
      what_(std::move(what)),
      path_(path),
      problems_(problems),
      problems_before_(problems.size()) {
  line_ = node.Mark().line + 1;
  if (!node.IsMap()) problem(line_, fmt::format("`{}` must be an object with fields", what_), "");
}

void Fields::problem(int line, const std::string& message, const std::string& hint) {
  problems_.push_back({"bad_operation", path_, line, 0, message, hint});
}

int Fields::line_of(const std::string& key) const {
  if (!node_.IsMap()) return line_;
  for (const auto& kv : node_) {
    if (kv.first.as<std::string>("") == key) return kv.first.Mark().line + 1;
  }
  return line_;
}

YAML::Node Fields::node(const std::string& key, bool required) {
  read_.insert(key);
  if (!node_.IsMap()) return YAML::Node();
  // Looked up through a const node: yaml-cpp's non-const operator[] allocates a node for every
  // key that is not there (each optional field of each column).
  const YAML::Node& map = node_;
  YAML::Node n = map[key];
  if (!n && required) {
    problem(line_, fmt::format("`{}` needs the field `{}`", what_, key),
            fmt::format("add `{}:` to it", key));
  }
  return n;
}

std::optional<std::string> Fields::opt_str(const std::string& key) {
  YAML::Node n = node(key, false);
  if (!n || n.IsNull()) return std::nullopt;
  if (!n.IsScalar()) {
    problem(n.Mark().line + 1, fmt::format("`{}.{}` must be a string", what_, key), "");
    return std::nullopt;
  }
  std::string text = n.as<std::string>("");
  if (!no_nul(n, key, text)) return std::nullopt;
  return text;
}

bool Fields::no_nul(const YAML::Node& n, const std::string& key, const std::string& text) {
  if (text.find('\0') == std::string::npos) return true;
  // libpq and PostgreSQL end a string at a NUL: what follows would be silently dropped.
  problem(n.Mark().line + 1,
          fmt::format("`{}.{}` holds a NUL character (\\u0000), which PostgreSQL cannot store "
                      "or run: the text after it would be lost",
                      what_, key),
          "remove it");
  return false;
}

std::string Fields::str(const std::string& key) {
  YAML::Node n = node(key, true);
  if (!n) return "";
  auto v = opt_str(key);
  if (!v || v->empty()) {
    problem(n.Mark().line + 1, fmt::format("`{}.{}` must be a non-empty string", what_, key), "");
    return "";
  }
  return *v;
}

bool Fields::boolean(const std::string& key, bool fallback) {
  YAML::Node n = node(key, false);
  if (!n || n.IsNull()) return fallback;
  bool value = fallback;
  if (!n.IsScalar() || !YAML::convert<bool>::decode(n, value)) {
    problem(n.Mark().line + 1, fmt::format("`{}.{}` must be true or false", what_, key), "");
  }
  return value;
}

std::vector<std::string> Fields::str_list(const std::string& key) {
  YAML::Node n = node(key, true);
  std::vector<std::string> out;
  if (!n) return out;
  if (!n.IsSequence() || n.size() == 0) {
    problem(n.Mark().line + 1, fmt::format("`{}.{}` must be a non-empty list", what_, key),
            fmt::format("write {}: [a, b]", key));
    return out;
  }
  for (const auto& item : n) {
    if (!item.IsScalar()) {
      problem(item.Mark().line + 1, fmt::format("`{}.{}` must hold names", what_, key), "");
      continue;
    }
    std::string text = item.as<std::string>("");
    if (no_nul(item, key, text)) out.push_back(std::move(text));
  }
  return out;
}

Fragment Fields::fragment(db::FragmentKind kind, const std::string& key, const std::string& text,
                          const std::string& field, bool two_version_only) const {
  return Fragment{kind, field.empty() ? key : field, text, line_of(key), two_version_only};
}

std::string Fields::name(const std::string& key, std::vector<Fragment>& sink,
                         const std::string& field) {
  std::string v = str(key);
  if (!v.empty()) sink.push_back(fragment(db::FragmentKind::kName, key, v, field));
  return v;
}

std::vector<std::string> Fields::names(const std::string& key, std::vector<Fragment>& sink) {
  std::vector<std::string> out = str_list(key);
  for (const std::string& v : out) sink.push_back(fragment(db::FragmentKind::kName, key, v));
  return out;
}

void Fields::finish() {
  if (!node_.IsMap()) return;
  for (const auto& kv : node_) {
    std::string key = kv.first.as<std::string>("");
    if (read_.count(key)) continue;
    std::string known;
    for (const auto& k : read_) known += (known.empty() ? "" : ", ") + k;
    problem(kv.first.Mark().line + 1, fmt::format("`{}` has no field `{}`", what_, key),
            fmt::format("the fields of `{}` are: {}", what_, known));
  }
}

}  // namespace tandem::expand
