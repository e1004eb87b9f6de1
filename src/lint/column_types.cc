// A column's type before a statement changes it: from the linted migrations, else from a live
// PostgreSQL catalog (LintOptions::column_types), else unknown — which the type-change rule
// treats as unsafe. The live catalog is only read: pg_attribute for a table's columns, pg_cast
// for whether a cast is binary-coercible.

#include <fmt/format.h>

#include "lint/classify.h"
#include "lint/rule.h"
#include "tandem/db.h"

namespace tandem::lint {

OldType old_type(const Context& ctx, const std::string& table, const std::string& column) {
  OldType out;
  if (auto t = ctx.tables.find(table); t != ctx.tables.end()) {
    // Created by a linted file: what it says is all there is.
    auto col = t->second.columns.find(column);
    if (col != t->second.columns.end()) out = {OldType::kMigrations, col->second, ""};
    return out;
  }
  if (auto t = ctx.outside_columns.find(table); t != ctx.outside_columns.end()) {
    auto col = t->second.find(column);
    if (col != t->second.end()) {
      if (!col->second.empty()) out = {OldType::kMigrations, col->second, ""};
      return out;  // changed by a linted file: the live catalog no longer says how it is
    }
  }
  if (ctx.live_stale.count(table)) return out;
  if (auto t = ctx.live_types.find(table); t != ctx.live_types.end()) {
    auto col = t->second.find(column);
    if (col != t->second.end() && col->second)
      out = {OldType::kLiveCatalog, col->second->name, col->second->display};
  }
  return out;
}

bool change_rewrites(const Context& ctx, const std::string& from, const std::string& to) {
  if (std::optional<bool> known = known_type_change_rewrites(from, to)) return *known;
  auto cast = ctx.live_coercible.find({from, to});
  return from.empty() || cast == ctx.live_coercible.end() || !cast->second;
}

namespace {

// Reads `column` of `table` from the live catalog unless a linted file created or changed it,
// or it was read before.
Status read_live_type(ColumnTypes& live, const std::string& table, const std::string& column,
                      Context& ctx) {
  if (ctx.tables.count(table) || ctx.live_stale.count(table)) return Status::Ok();
  if (ctx.outside_columns.count(table) && ctx.outside_columns[table].count(column))
    return Status::Ok();
  if (ctx.live_types.count(table) && ctx.live_types[table].count(column)) return Status::Ok();
  TANDEM_ASSIGN_OR_RETURN(std::optional<ColumnType> type, live.type_of(table, column));
  ctx.live_types[table][column] = std::move(type);
  return Status::Ok();
}

}  // namespace

Status read_live_types(const Statement& st, Context& ctx) {
  ColumnTypes* live = ctx.options != nullptr ? ctx.options->column_types.get() : nullptr;
  if (live == nullptr) return Status::Ok();
  Node b = st.body();
  if (st.kind == "RenameStmt" && b["renameType"].str() == "OBJECT_COLUMN") {
    // The renamed column keeps its type: learn_outside_columns carries it to the new name.
    return read_live_type(*live, relation_name(b["relation"]), std::string(b["subname"].str()),
                          ctx);
  }
  if (st.kind != "AlterTableStmt") return Status::Ok();
  std::string table = relation_name(b["relation"]);
  for (Node item : b["cmds"]) {
    Node cmd = item["AlterTableCmd"];
    if (cmd["subtype"].str() != "AT_AlterColumnType") continue;
    std::string column(cmd["name"].str());
    TANDEM_RETURN_IF_ERROR(read_live_type(*live, table, column, ctx));
    // A pair the linter has no knowledge of: PostgreSQL's own casts decide. Only for a target
    // without a modifier: a length or precision coercion on top of a binary cast still runs.
    std::string from = old_type(ctx, table, column).type;
    std::string to = type_name(cmd["def"]["ColumnDef"]["typeName"]);
    if (from.empty() || to.find('(') != std::string::npos || known_type_change_rewrites(from, to) ||
        ctx.live_coercible.count({from, to}))
      continue;
    TANDEM_ASSIGN_OR_RETURN(bool coercible, live->binary_coercible(from, to));
    ctx.live_coercible[{from, to}] = coercible;
  }
  return Status::Ok();
}

void learn_outside_columns(const Statement& st, Context& ctx) {
  Node b = st.body();
  if (st.kind == "DropStmt" && b["removeType"].str() == "OBJECT_TABLE") {
    // A table of that name created later is not the one the live catalog describes.
    for (Node object : b["objects"]) {
      std::string name;
      for (Node part : object["List"]["items"]) {
        if (!name.empty()) name += '.';
        name += part["String"]["sval"].str();
      }
      if (ctx.tables.count(name)) continue;
      ctx.live_stale.insert(name);
      ctx.outside_columns.erase(name);
    }
    return;
  }
  std::string table = relation_name(b["relation"]);
  if (table.empty() || ctx.tables.count(table)) return;
  if (st.kind == "RenameStmt") {
    std::string_view type = b["renameType"].str();
    std::string from(b["subname"].str()), to(b["newname"].str());
    if (type == "OBJECT_TABLE") {
      // The live catalog knows neither name for this table any more.
      ctx.live_stale.insert(table);
      ctx.live_stale.insert(to);
      ctx.outside_columns[to] = std::move(ctx.outside_columns[table]);
      ctx.outside_columns.erase(table);
    } else if (type == "OBJECT_COLUMN") {
      std::string known = old_type(ctx, table, from).type;
      ctx.outside_columns[table][from] = "";
      ctx.outside_columns[table][to] = known;
    }
  } else if (st.kind == "AlterTableStmt") {
    for (const ColumnUse& u : columns_defined(st)) ctx.outside_columns[table][u.column] = u.type;
    for (Node item : b["cmds"]) {
      Node cmd = item["AlterTableCmd"];
      if (cmd["subtype"].str() == "AT_DropColumn")
        ctx.outside_columns[table][std::string(cmd["name"].str())] = "";
    }
  }
}

namespace {

// pg_type's name and a column's typmod as the linter writes types (type_name()): "varchar(20)",
// "numeric(10,2)", "timestamptz(3)"; the bare name for modifiers it does not spell out.
std::string linter_type_name(const std::string& typname, int typmod) {
  if (typmod < 0) return typname;
  if (typname == "varchar" || typname == "bpchar")
    return fmt::format("{}({})", typname, typmod - 4);
  if (typname == "numeric")
    return fmt::format("numeric({},{})", ((typmod - 4) >> 16) & 0xffff, (typmod - 4) & 0xffff);
  if (typname == "bit" || typname == "varbit" || typname == "timestamp" ||
      typname == "timestamptz" || typname == "time" || typname == "timetz")
    return fmt::format("{}({})", typname, typmod);
  return typname;
}

class LiveColumnTypes final : public ColumnTypes {
 public:
  LiveColumnTypes(db::Connection& conn, std::string schema)
      : conn_(conn), schema_(std::move(schema)) {}

  Result<std::optional<ColumnType>> type_of(const std::string& table,
                                            const std::string& column) override {
    auto t = tables_.find(table);
    if (t == tables_.end()) {
      TANDEM_ASSIGN_OR_RETURN(auto columns, load(table));
      t = tables_.emplace(table, std::move(columns)).first;
    }
    auto col = t->second.find(column);
    if (col == t->second.end()) return std::optional<ColumnType>();
    return std::optional<ColumnType>(col->second);
  }

  Result<bool> binary_coercible(const std::string& from, const std::string& to) override {
    TANDEM_ASSIGN_OR_RETURN(
        db::Rows r,
        conn_.query("SELECT count(*) FROM pg_catalog.pg_cast WHERE castsource = "
                    "pg_catalog.to_regtype($1) AND casttarget = pg_catalog.to_regtype($2) AND "
                    "castmethod = 'b'",
                    {from, to}));
    return !r.empty() && r.text(0, 0) != "0";
  }

 private:
  // Every column of `table` (schema-qualified as written, else in schema_): name → type.
  Result<std::map<std::string, ColumnType>> load(const std::string& table) {
    size_t dot = table.find('.');
    std::string schema = dot == std::string::npos ? schema_ : table.substr(0, dot);
    std::string name = dot == std::string::npos ? table : table.substr(dot + 1);
    TANDEM_ASSIGN_OR_RETURN(
        db::Rows r,
        conn_.query(
            "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), t.typname, "
            "a.atttypmod::text, coalesce(e.typname, '') FROM pg_catalog.pg_attribute a "
            "JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
            "LEFT JOIN pg_catalog.pg_type e ON e.oid = t.typelem AND t.typcategory = 'A' "
            "WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped",
            {schema, name}));
    std::map<std::string, ColumnType> out;
    for (size_t i = 0; i < r.size(); ++i) {
      int typmod = std::atoi(r.text(i, 3).c_str());
      std::string element = r.text(i, 4);
      std::string type = element.empty() ? linter_type_name(r.text(i, 2), typmod)
                                         : linter_type_name(element, typmod) + "[]";
      out[r.text(i, 0)] = {type, r.text(i, 1)};
    }
    return out;
  }

  db::Connection& conn_;
  std::string schema_;
  std::map<std::string, std::map<std::string, ColumnType>> tables_;
};

// Connects on first use, read-only.
class LazyLiveColumnTypes final : public ColumnTypes {
 public:
  LazyLiveColumnTypes(std::string url, std::string schema)
      : url_(std::move(url)), schema_(std::move(schema)) {}

  Result<std::optional<ColumnType>> type_of(const std::string& table,
                                            const std::string& column) override {
    TANDEM_RETURN_IF_ERROR(open());
    return live_->type_of(table, column);
  }
  Result<bool> binary_coercible(const std::string& from, const std::string& to) override {
    TANDEM_RETURN_IF_ERROR(open());
    return live_->binary_coercible(from, to);
  }

 private:
  Status open() {
    if (live_) return Status::Ok();
    db::ConnectOptions o;
    o.application_name = "tandem lint";
    auto conn = db::connect(url_, o);
    if (!conn.ok()) {
      return conn.status().with_hint(
          "tandem lint reads the current type of columns the files retype but did not create "
          "from --db (or DATABASE_URL): make it reachable, or unset it to lint without (such a "
          "type change is then an error)");
    }
    conn_ = std::move(*conn);
    // The linter never writes; the session makes sure.
    TANDEM_RETURN_IF_ERROR(conn_->execute("SET default_transaction_read_only = on"));
    live_ = std::make_unique<LiveColumnTypes>(*conn_, schema_);
    return Status::Ok();
  }

  std::string url_, schema_;
  std::unique_ptr<db::Connection> conn_;
  std::unique_ptr<LiveColumnTypes> live_;
};

}  // namespace

std::shared_ptr<ColumnTypes> live_column_types(db::Connection& conn, const std::string& schema) {
  return std::make_shared<LiveColumnTypes>(conn, schema);
}

std::shared_ptr<ColumnTypes> live_column_types(const std::string& db_url,
                                               const std::string& schema) {
  return std::make_shared<LazyLiveColumnTypes>(db_url, schema);
}

}  // namespace tandem::lint
