#include <fmt/format.h>
#include <pg_query.h>

#include <algorithm>
#include <cctype>

#include "lint/statement.h"

namespace tandem::lint {
namespace {

// 1-based line and column of byte offsets in `text`, asked in increasing order (each call
// continues from the last, so a whole file costs one pass).
class Positions {
 public:
  Positions(const std::string& text, int first_line) : text_(text), line_(first_line) {}
  std::pair<int, int> at(size_t offset) {
    if (offset < at_) {  // asked out of order: start over
      at_ = 0;
      line_ -= lines_;
      lines_ = 0;
      column_ = 1;
    }
    for (; at_ < offset && at_ < text_.size(); ++at_) {
      if (text_[at_] == '\n') {
        ++line_;
        ++lines_;
        column_ = 1;
      } else {
        ++column_;
      }
    }
    return {line_, column_};
  }

 private:
  const std::string& text_;
  size_t at_ = 0;
  int line_, lines_ = 0, column_ = 1;
};

// Skips whitespace and comments from `i`; returns where the statement's own text starts.
size_t skip_blank(const std::string& s, size_t i, size_t end) {
  while (i < end) {
    if (std::isspace(static_cast<unsigned char>(s[i]))) {
      ++i;
    } else if (s.compare(i, 2, "--") == 0) {
      while (i < end && s[i] != '\n') ++i;
    } else if (s.compare(i, 2, "/*") == 0) {
      size_t close = s.find("*/", i + 2);
      i = close == std::string::npos ? end : close + 2;
    } else {
      break;
    }
  }
  return i;
}

// Rule ids of every `-- tandem:ignore id[, id…]` comment in `text`.
std::set<std::string> ignores(const std::string& text) {
  std::set<std::string> out;
  for (size_t at = text.find("tandem:ignore"); at != std::string::npos;
       at = text.find("tandem:ignore", at + 1)) {
    size_t eol = text.find('\n', at);
    std::string list = text.substr(at + 13, eol == std::string::npos ? eol : eol - at - 13);
    std::string id;
    for (char c : list + ",") {
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') {
        id += c;
      } else if (!id.empty()) {
        out.insert(id);
        id.clear();
      }
    }
  }
  return out;
}

std::string collapse(const std::string& text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
    } else {
      if (space) out += ' ';
      out += c;
      space = false;
    }
  }
  return out;
}

}  // namespace

Result<std::vector<Statement>> parse(const Source& source) {
  PgQueryParseResult r = pg_query_parse(source.sql.c_str());
  if (r.error != nullptr) {
    auto [line, column] =
        Positions(source.sql, source.first_line).at(std::max(0, r.error->cursorpos - 1));
    std::string msg = fmt::format("{}:{}:{}: {}", source.file, line, column, r.error->message);
    pg_query_free_parse_result(r);
    return Status::InvalidInput(msg, "fix the SQL: this is PostgreSQL 15's own parser");
  }
  nlohmann::json tree = nlohmann::json::parse(r.parse_tree);
  pg_query_free_parse_result(r);
  std::vector<Statement> out;
  Positions positions(source.sql, source.first_line);
  for (auto& raw : tree["stmts"]) {
    Statement st;
    if (!raw.contains("stmt")) continue;  // an empty statement (";;")
    st.node = std::move(raw["stmt"]);
    st.kind = st.node.begin().key();
    size_t begin = raw.value("stmt_location", 0);
    size_t len = raw.value("stmt_len", 0);
    size_t end = len == 0 ? source.sql.size() : std::min(source.sql.size(), begin + len);
    size_t text = skip_blank(source.sql, begin, end);
    st.ignored = ignores(source.sql.substr(begin, text - begin));
    std::tie(st.line, st.column) = positions.at(text);
    if (!source.generated_by.empty())
      std::tie(st.line, st.column) = std::pair(source.first_line, 1);
    st.raw = source.sql.substr(text, end - text);
    st.sql = collapse(st.raw);
    st.file = source.file;
    out.push_back(std::move(st));
  }
  return out;
}

std::string str(const nlohmann::json& node, const char* key) {
  auto it = node.find(key);
  if (it == node.end()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

bool flag(const nlohmann::json& node, const char* key) {
  auto it = node.find(key);
  return it != node.end() && it->is_boolean() && it->get<bool>();
}

const nlohmann::json& list(const nlohmann::json& node, const char* key) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  auto it = node.find(key);
  return it != node.end() && it->is_array() ? *it : kEmpty;
}

std::string relation_name(const nlohmann::json& rv) {
  std::string schema = str(rv, "schemaname");
  return schema.empty() ? str(rv, "relname") : schema + "." + str(rv, "relname");
}

std::string type_name(const nlohmann::json& type) {
  std::string name;
  for (const auto& n : list(type, "names")) {
    std::string part = n.contains("String") ? str(n["String"], "sval") : "";
    if (part != "pg_catalog") name = part;
  }
  std::vector<std::string> mods;
  for (const auto& m : list(type, "typmods")) {
    if (m.contains("A_Const") && m["A_Const"].contains("ival"))
      mods.push_back(std::to_string(m["A_Const"]["ival"].value("ival", 0)));
  }
  if (!mods.empty()) {
    name += "(";
    for (size_t i = 0; i < mods.size(); ++i) name += (i ? "," : "") + mods[i];
    name += ")";
  }
  if (type.contains("arrayBounds")) name += "[]";
  return name;
}

}  // namespace tandem::lint
