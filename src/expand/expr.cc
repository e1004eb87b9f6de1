#include "expand/expr.h"

#include <fmt/format.h>
#include <pg_query.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "tandem/db.h"

namespace tandem::expand {
namespace {

// "SELECT " is prepended so the parser sees a statement; locations are shifted back.
constexpr int kPrefix = 7;

struct Ref {
  int location;
  std::string name;
};

void collect_refs(const nlohmann::json& node, std::vector<Ref>& out) {
  if (node.is_object()) {
    auto it = node.find("ColumnRef");
    if (it != node.end()) {
      const auto& fields = (*it)["fields"];
      if (fields.size() == 1 && fields[0].contains("String")) {
        const auto& s = fields[0]["String"];
        std::string name =
            s.contains("sval") ? s["sval"].get<std::string>() : s.value("str", std::string());
        out.push_back({it->value("location", -1), name});
      }
    }
    for (const auto& [key, child] : node.items()) collect_refs(child, out);
  } else if (node.is_array()) {
    for (const auto& child : node) collect_refs(child, out);
  }
}

Result<nlohmann::json> parse(const std::string& expr) {
  std::string sql = "SELECT " + expr;
  PgQueryParseResult r = pg_query_parse(sql.c_str());
  if (r.error != nullptr) {
    std::string msg = fmt::format("invalid SQL expression `{}`: {} (at character {})", expr,
                                  r.error->message, std::max(1, r.error->cursorpos - kPrefix));
    pg_query_free_parse_result(r);
    return Status::InvalidInput(msg, "write one SQL expression, as in a SELECT list");
  }
  nlohmann::json tree = nlohmann::json::parse(r.parse_tree);
  pg_query_free_parse_result(r);
  const auto& stmts = tree["stmts"];
  bool one = stmts.size() == 1 && stmts[0]["stmt"].contains("SelectStmt") &&
             stmts[0]["stmt"]["SelectStmt"].contains("targetList") &&
             stmts[0]["stmt"]["SelectStmt"]["targetList"].size() == 1 &&
             !stmts[0]["stmt"]["SelectStmt"].contains("fromClause");
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
  TANDEM_ASSIGN_OR_RETURN(nlohmann::json tree, parse(expr));
  std::vector<Ref> refs;
  collect_refs(tree, refs);
  std::sort(refs.begin(), refs.end(),
            [](const Ref& a, const Ref& b) { return a.location > b.location; });
  std::string out = expr;
  for (const Ref& ref : refs) {
    auto it = renames.find(ref.name);
    if (it == renames.end() || ref.location < kPrefix) continue;
    size_t at = static_cast<size_t>(ref.location - kPrefix);
    size_t len = ref.name.size();
    if (at < out.size() && out[at] == '"') {
      // A quoted identifier: up to the closing quote ("" is an escaped quote).
      size_t end = at + 1;
      while (end < out.size()) {
        if (out[end] == '"' && (end + 1 >= out.size() || out[end + 1] != '"')) break;
        end += out[end] == '"' ? 2 : 1;
      }
      len = end + 1 - at;
    }
    out.replace(at, len, it->second);
  }
  return out;
}

bool has_subquery(const std::string& expr) {
  auto tree = parse(expr);
  return tree.ok() && tree->dump().find("\"SubLink\"") != std::string::npos;
}

std::string concurrent_index_name(const std::string& sql) {
  PgQueryParseResult r = pg_query_parse(sql.c_str());
  std::string name;
  if (r.error == nullptr) {
    nlohmann::json tree = nlohmann::json::parse(r.parse_tree);
    const auto& stmts = tree["stmts"];
    if (stmts.size() == 1 && stmts[0]["stmt"].contains("IndexStmt")) {
      const auto& idx = stmts[0]["stmt"]["IndexStmt"];
      if (idx.value("concurrent", false)) name = idx.value("idxname", "");
    }
  }
  pg_query_free_parse_result(r);
  return name;
}

Result<std::set<std::string>> column_refs(const std::string& expr) {
  TANDEM_ASSIGN_OR_RETURN(nlohmann::json tree, parse(expr));
  std::vector<Ref> refs;
  collect_refs(tree, refs);
  std::set<std::string> out;
  for (const Ref& r : refs) out.insert(r.name);
  return out;
}

}  // namespace tandem::expand
