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

std::pair<int, int> position_of(const Source& source, int position) {
  return Positions(source.sql, source.first_line).at(std::max(0, position - 1));
}

Result<Parsed> parse(const Source& source) {
  auto tree = db::pg::parse(source.sql);
  if (!tree.ok()) {
    const Status& e = tree.status();
    auto [line, column] =
        Positions(source.sql, source.first_line).at(std::max(0, e.position() - 1));
    return Status::InvalidInput(fmt::format("{}:{}:{}: {}", source.file, line, column, e.message()),
                                e.hint())
        .with_position(e.position());
  }
  Parsed out{std::move(*tree), {}};
  out.statements.reserve(out.tree.statements().size());
  Positions positions(source.sql, source.first_line);
  for (const db::pg::RawStatement& raw : out.tree.statements()) {
    if (!raw.node.present()) continue;  // an empty statement (";;")
    Statement st;
    st.node = raw.node;
    st.kind = raw.node.tag();
    size_t begin = std::min(raw.location, source.sql.size());
    size_t end =
        raw.length == 0 ? source.sql.size() : std::min(source.sql.size(), begin + raw.length);
    size_t text = skip_blank(source.sql, begin, end);
    st.ignored = ignores(source.sql.substr(begin, text - begin));
    std::tie(st.line, st.column) = positions.at(text);
    if (!source.generated_by.empty())
      std::tie(st.line, st.column) = std::pair(source.first_line, 1);
    st.raw = source.sql.substr(text, end - text);
    st.sql = collapse(st.raw);
    st.file = source.file;
    out.statements.push_back(std::move(st));
  }
  return out;
}

std::string relation_name(Node rv) {
  std::string_view schema = rv["schemaname"].str();
  std::string_view name = rv["relname"].str();
  if (schema.empty()) return std::string(name);
  std::string out(schema);
  out += '.';
  out += name;
  return out;
}

bool same_relation(std::string_view a, std::string_view b) {
  if (a == b) return true;
  size_t da = a.rfind('.'), db = b.rfind('.');
  if ((da == std::string_view::npos) == (db == std::string_view::npos)) return false;
  return a.substr(da == std::string_view::npos ? 0 : da + 1) ==
         b.substr(db == std::string_view::npos ? 0 : db + 1);
}

std::string type_name(Node type) {
  std::string name;
  for (Node n : type["names"]) {
    std::string_view part = n["String"]["sval"].str();
    if (part != "pg_catalog") name = part;
  }
  bool first = true;
  for (Node m : type["typmods"]) {
    if (!m["A_Const"].contains("ival")) continue;
    name += first ? "(" : ",";
    name += std::to_string(m["A_Const"]["ival"]["ival"].integer());
    first = false;
  }
  if (!first) name += ")";
  if (type.contains("arrayBounds")) name += "[]";
  return name;
}

}  // namespace tandem::lint
