#include "expand/catalog.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <set>

#include "expand/version_schema.h"

namespace tandem::expand {

const ColumnInfo* TableInfo::column(const std::string& n) const {
  for (const ColumnInfo& c : columns)
    if (c.name == n) return &c;
  return nullptr;
}

std::vector<std::string> TableInfo::row_key() const {
  for (const IndexInfo& i : indexes)
    if (i.primary) return i.columns;
  for (const IndexInfo& i : indexes) {
    if (!i.unique || !i.predicate.empty()) continue;
    bool usable = !i.columns.empty();
    for (const std::string& c : i.columns) {
      const ColumnInfo* col = column(c);
      usable = usable && col != nullptr && col->not_null;
    }
    if (usable) return i.columns;
  }
  return {};
}

std::string distinct_from(const std::string& a, const std::string& b, const std::string& type) {
  static const std::set<std::string> kComparable = {"smallint",
                                                    "integer",
                                                    "bigint",
                                                    "text",
                                                    "boolean",
                                                    "numeric",
                                                    "date",
                                                    "uuid",
                                                    "jsonb",
                                                    "real",
                                                    "double precision",
                                                    "timestamp with time zone",
                                                    "timestamp without time zone",
                                                    "bytea"};
  bool direct = kComparable.count(type) || type.rfind("character varying", 0) == 0 ||
                type.rfind("numeric(", 0) == 0;
  return direct ? fmt::format("{} IS DISTINCT FROM {}", a, b)
                : fmt::format("{}::text IS DISTINCT FROM {}::text", a, b);
}

const TableInfo* Catalog::table(const std::string& n) const {
  for (const TableInfo& t : tables)
    if (t.name == n) return &t;
  return nullptr;
}

namespace {

TableInfo* find(Catalog& c, const std::string& n) {
  for (TableInfo& t : c.tables)
    if (t.name == n) return &t;
  return nullptr;
}

std::vector<std::string> split_names(const std::optional<std::string>& joined) {
  std::vector<std::string> out;
  if (!joined) return out;
  size_t start = 0;
  // Names are joined with a unit separator (0x1f), which identifiers cannot hold.
  for (size_t i = 0; i <= joined->size(); ++i) {
    if (i == joined->size() || (*joined)[i] == '\x1f') {
      out.push_back(joined->substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

}  // namespace

Result<Catalog> read_catalog(db::Connection& conn, const std::string& schema) {
  Catalog cat;
  const std::string shadow = kShadowPrefix;
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows cols,
      conn.query("SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), "
                 "pg_get_expr(d.adbin, d.adrelid), a.attnotnull, "
                 "(a.attidentity <> '' OR a.attgenerated <> '') "
                 "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                 "JOIN pg_attribute a ON a.attrelid = c.oid "
                 "LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum "
                 "WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 "
                 "AND NOT a.attisdropped AND left(a.attname, length($2)) <> $2 "
                 "ORDER BY c.relname, a.attnum",
                 {schema, shadow}));
  for (size_t i = 0; i < cols.size(); ++i) {
    if (cat.tables.empty() || cat.tables.back().name != cols.text(i, 0))
      cat.tables.push_back({cols.text(i, 0), {}, {}, {}, {}});
    cat.tables.back().columns.push_back({cols.text(i, 1), cols.text(i, 2), cols.rows[i][3],
                                         cols.text(i, 4) == "t", cols.text(i, 5) == "t"});
  }
  // Index columns in key order; 0 (an expression) becomes an empty name.
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows idx,
      conn.query("SELECT t.relname, ic.relname, am.amname, "
                 "(SELECT string_agg(coalesce(a.attname, ''), E'\\x1f' ORDER BY k.ord) "
                 " FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord) "
                 " LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
                 " WHERE k.ord <= i.indnkeyatts), "
                 "coalesce(pg_get_expr(i.indpred, i.indrelid), ''), i.indisunique, "
                 "i.indisprimary, EXISTS (SELECT 1 FROM pg_constraint x WHERE x.conindid = "
                 "i.indexrelid AND x.contype IN ('p', 'u')), pg_get_indexdef(i.indexrelid) "
                 "FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
                 "JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam "
                 "JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = $1 "
                 "ORDER BY t.relname, ic.relname",
                 {schema}));
  for (size_t i = 0; i < idx.size(); ++i) {
    TableInfo* t = find(cat, idx.text(i, 0));
    if (t == nullptr) continue;
    t->indexes.push_back({idx.text(i, 1), idx.text(i, 2), split_names(idx.rows[i][3]),
                          idx.text(i, 4), idx.text(i, 5) == "t", idx.text(i, 6) == "t",
                          idx.text(i, 7) == "t", idx.text(i, 8)});
  }
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows cons,
      conn.query("SELECT t.relname, x.conname, x.contype::text, pg_get_constraintdef(x.oid), "
                 "(SELECT string_agg(a.attname, E'\\x1f' ORDER BY k.ord) FROM unnest(x.conkey) "
                 " WITH ORDINALITY k(attnum, ord) JOIN pg_attribute a ON a.attrelid = x.conrelid "
                 " AND a.attnum = k.attnum), "
                 "rt.relname, rn.nspname = $1, "
                 "(SELECT string_agg(a.attname, E'\\x1f' ORDER BY k.ord) FROM unnest(x.confkey) "
                 " WITH ORDINALITY k(attnum, ord) JOIN pg_attribute a ON a.attrelid = x.confrelid "
                 " AND a.attnum = k.attnum) "
                 "FROM pg_constraint x JOIN pg_class t ON t.oid = x.conrelid "
                 "JOIN pg_namespace n ON n.oid = t.relnamespace "
                 "LEFT JOIN pg_class rt ON rt.oid = x.confrelid "
                 "LEFT JOIN pg_namespace rn ON rn.oid = rt.relnamespace "
                 "WHERE x.contype IN ('c', 'f') AND (n.nspname = $1 OR rn.nspname = $1) "
                 "ORDER BY t.relname, x.conname",
                 {schema}));
  for (size_t i = 0; i < cons.size(); ++i) {
    char type = cons.text(i, 2)[0];
    if (TableInfo* t = find(cat, cons.text(i, 0)))
      t->constraints.push_back(
          {cons.text(i, 1), type, cons.text(i, 3), split_names(cons.rows[i][4])});
    if (type == 'f' && cons.text(i, 6) == "t") {
      if (TableInfo* target = find(cat, cons.text(i, 5)))
        target->referenced_by.push_back(
            {cons.text(i, 1), cons.text(i, 0), split_names(cons.rows[i][7])});
    }
  }
  return cat;
}

std::string to_json(const Catalog& catalog) {
  nlohmann::json tables = nlohmann::json::array();
  for (const TableInfo& t : catalog.tables) {
    nlohmann::json cols = nlohmann::json::array(), idx = nlohmann::json::array(),
                   cons = nlohmann::json::array(), refs = nlohmann::json::array();
    for (const ColumnInfo& c : t.columns) {
      cols.push_back({{"name", c.name},
                      {"type", c.type},
                      {"default", c.default_sql ? nlohmann::json(*c.default_sql) : nullptr},
                      {"not_null", c.not_null},
                      {"identity", c.identity}});
    }
    for (const IndexInfo& i : t.indexes) {
      idx.push_back({{"name", i.name},
                     {"method", i.method},
                     {"columns", i.columns},
                     {"predicate", i.predicate},
                     {"unique", i.unique},
                     {"primary", i.primary},
                     {"constraint", i.constraint},
                     {"definition", i.definition}});
    }
    for (const ConstraintInfo& c : t.constraints) {
      cons.push_back({{"name", c.name},
                      {"type", std::string(1, c.type)},
                      {"definition", c.definition},
                      {"columns", c.columns}});
    }
    for (const IncomingKey& r : t.referenced_by)
      refs.push_back({{"name", r.name}, {"table", r.table}, {"columns", r.columns}});
    tables.push_back({{"name", t.name},
                      {"columns", cols},
                      {"indexes", idx},
                      {"constraints", cons},
                      {"referenced_by", refs}});
  }
  return nlohmann::json{{"tables", tables}}.dump();
}

Result<Catalog> catalog_from_json(const std::string& text) {
  try {
    nlohmann::json j = nlohmann::json::parse(text);
    Catalog cat;
    for (const auto& t : j.at("tables")) {
      TableInfo info;
      info.name = t.at("name");
      for (const auto& c : t.at("columns")) {
        ColumnInfo col{c.at("name"), c.at("type"), std::nullopt, c.at("not_null"),
                       c.at("identity")};
        if (!c.at("default").is_null()) col.default_sql = c.at("default").get<std::string>();
        info.columns.push_back(col);
      }
      for (const auto& i : t.at("indexes")) {
        info.indexes.push_back({i.at("name"), i.at("method"),
                                i.at("columns").get<std::vector<std::string>>(), i.at("predicate"),
                                i.at("unique"), i.at("primary"), i.at("constraint"),
                                i.at("definition")});
      }
      for (const auto& c : t.at("constraints")) {
        info.constraints.push_back({c.at("name"), c.at("type").get<std::string>()[0],
                                    c.at("definition"),
                                    c.at("columns").get<std::vector<std::string>>()});
      }
      for (const auto& r : t.at("referenced_by")) {
        info.referenced_by.push_back(
            {r.at("name"), r.at("table"), r.at("columns").get<std::vector<std::string>>()});
      }
      cat.tables.push_back(std::move(info));
    }
    return cat;
  } catch (const std::exception& e) {
    return Status::Database(
        std::string("tandem.active holds an unreadable catalog snapshot: ") + e.what(), "",
        "the state was changed by hand or by another program; restore it from "
        "a backup, or `tandem rollback` if the old version still serves");
  }
}

}  // namespace tandem::expand
