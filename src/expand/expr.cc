#include "expand/expr.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include "db/postgres/parse_tree.h"
#include "tandem/db.h"

namespace tandem::expand {
namespace {

// "SELECT " is prepended so the parser sees a statement; locations are shifted back.
constexpr int kPrefix = 7;

struct Ref {
  int location;
  std::string name;
};

void collect_refs(db::pg::Node node, std::vector<Ref>& out) {
  if (node.is_object()) {
    db::pg::Node ref = node["ColumnRef"];
    if (ref.present()) {
      db::pg::Node fields = ref["fields"];
      if (fields.size() == 1 && fields[0].contains("String")) {
        db::pg::Node s = fields[0]["String"];
        std::string name(s.contains("sval") ? s["sval"].str() : s["str"].str());
        out.push_back({static_cast<int>(ref["location"].integer(-1)), name});
      }
    }
    for (auto [key, child] : node.members()) collect_refs(child, out);
  } else if (node.is_array()) {
    for (db::pg::Node child : node) collect_refs(child, out);
  }
}

// The length of the identifier at `at` in `text` when it spells `name` — unquoted (ASCII case
// folded, as PostgreSQL folds it) and ending there, or in double quotes with "" for a quote —
// and 0 for any other spelling (U&"…" escapes, a location that does not point at it).
size_t spelled_at(const std::string& text, size_t at, const std::string& name) {
  if (at >= text.size()) return 0;
  if (text[at] == '"') {
    std::string unquoted;
    size_t i = at + 1;
    for (; i < text.size(); ++i) {
      if (text[i] != '"') {
        unquoted += text[i];
      } else if (i + 1 < text.size() && text[i + 1] == '"') {
        unquoted += '"';
        ++i;
      } else {
        break;
      }
    }
    return i < text.size() && unquoted == name ? i + 1 - at : 0;
  }
  if (text.size() - at < name.size()) return 0;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = text[at + i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != name[i]) return 0;
  }
  size_t end = at + name.size();
  auto ident = [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '$' || c >= 0x80; };
  if (end < text.size() && ident(static_cast<unsigned char>(text[end]))) return 0;
  return name.size();
}

// The parsed expression (PostgreSQL 15's parser): one target of a SELECT with nothing else.
Result<db::pg::Tree> parse(const std::string& expr) {
  std::string sql = "SELECT " + expr;
  auto tree = db::pg::parse(sql);
  if (!tree.ok()) {
    return Status::InvalidInput(
        fmt::format("invalid SQL expression `{}`: {} (at character {})", expr,
                    tree.status().message(), std::max(1, tree.status().position() - kPrefix)),
        "write one SQL expression, as in a SELECT list");
  }
  const auto& stmts = tree->statements();
  db::pg::Node select = stmts.size() == 1 ? stmts[0].node["SelectStmt"] : db::pg::Node();
  bool one = select.present() && select["targetList"].size() == 1 && !select.contains("fromClause");
  if (!one) {
    return Status::InvalidInput(fmt::format("`{}` is not one SQL expression", expr),
                                "write a single expression, e.g. `total_amount::bigint`");
  }
  return tree;
}

}  // namespace

Status check_expression(const std::string& expr) { return parse(expr).status(); }

Result<std::string> rewrite_column_refs(const std::string& expr,
                                        const std::map<std::string, std::string>& renames) {
  std::map<std::string, std::string> quoted;
  for (const auto& [from, to] : renames) quoted[from] = db::quote_ident(to);
  return substitute_column_refs(expr, quoted);
}

Result<std::string> substitute_column_refs(const std::string& expr,
                                           const std::map<std::string, std::string>& renames) {
  TANDEM_ASSIGN_OR_RETURN(db::pg::Tree tree, parse(expr));
  std::vector<Ref> refs;
  collect_refs(tree.root(), refs);
  std::sort(refs.begin(), refs.end(),
            [](const Ref& a, const Ref& b) { return a.location > b.location; });
  std::string out = expr;
  for (const Ref& ref : refs) {
    auto it = renames.find(ref.name);
    if (it == renames.end()) continue;
    size_t at =
        ref.location < kPrefix ? std::string::npos : static_cast<size_t>(ref.location - kPrefix);
    size_t len = at == std::string::npos ? 0 : spelled_at(out, at, ref.name);
    if (len == 0) {
      // Only what is certainly the whole reference is replaced: text cut in the wrong place
      // would be other SQL inside a trigger body (a U&"…" identifier's length is not its name's).
      return Status::InvalidInput(
          fmt::format("column \"{}\" is written in `{}` in a form tandem cannot rewrite", ref.name,
                      expr),
          fmt::format("write it as {} (or {}), without U&\"…\" escapes", ref.name,
                      db::quote_ident(ref.name)));
    }
    out.replace(at, len, it->second);
  }
  return out;
}

bool has_subquery(const std::string& expr) {
  auto tree = parse(expr);
  return tree.ok() && tree->root().dump().find("\"SubLink\"") != std::string::npos;
}

Result<std::set<std::string>> column_refs(const std::string& expr) {
  TANDEM_ASSIGN_OR_RETURN(db::pg::Tree tree, parse(expr));
  std::vector<Ref> refs;
  collect_refs(tree.root(), refs);
  std::set<std::string> out;
  for (const Ref& r : refs) out.insert(r.name);
  return out;
}

}  // namespace tandem::expand
