#include "expand/two_version.h"

#include <fmt/format.h>

#include "expand/expr.h"
#include "expand/names.h"
#include "expand/operations.h"

namespace tandem::expand {

TwoVersionModel::TwoVersionModel(std::string schema_name, std::string old_v, std::string new_v,
                                 Catalog catalog, const db::Dialect& dialect)
    : schema(std::move(schema_name)),
      old_version(std::move(old_v)),
      new_version(std::move(new_v)),
      base(std::move(catalog)),
      after(views_of(base)),
      dialect_(&dialect) {}

Result<TableView*> TwoVersionModel::table(const std::string& name, const std::string& op) {
  for (TableView& t : after)
    if (t.name == name) return &t;
  return Status::InvalidInput(
      fmt::format("{}: table \"{}\" does not exist in schema \"{}\"", op, name, schema),
      "check the name (operations earlier in the file may have renamed or dropped it)");
}

Result<ViewColumn*> TwoVersionModel::column(TableView& t, const std::string& name,
                                            const std::string& op) {
  for (ViewColumn& c : t.columns)
    if (c.name == name) return &c;
  return Status::InvalidInput(
      fmt::format("{}: column \"{}\" does not exist in table \"{}\"", op, name, t.name),
      "check the name (operations earlier in the file may have renamed or dropped it)");
}

Status TwoVersionModel::claim(const std::string& table, const std::string& column,
                              const std::string& op) {
  std::string key = table + "." + column;
  bool shadowed = column.rfind(kShadowPrefix, 0) == 0;
  if (shadowed || claimed_.count(table + ".") || !claimed_.insert(key).second) {
    return Status::InvalidInput(
        fmt::format("{}: {} is already changed by an earlier operation of this migration", op,
                    column.empty() ? table : key),
        "with two live versions each column (and each renamed or dropped table) can change once "
        "per migration: move this operation into the next migration");
  }
  return Status::Ok();
}

Status TwoVersionModel::add_dual_write(const DualWriteSpec& spec, const std::string& op) {
  DualWrite dw;
  dw.table = spec.table;
  dw.old_column = spec.old_column;
  dw.new_column = spec.new_column;
  dw.up = spec.up;
  dw.down = spec.down;
  // Expressions name columns as their version sees them; the trigger reads physical ones.
  // A name neither version has is a typo (unless a subquery reads other tables).
  auto unknown = [&](const std::set<std::string>& refs, const std::set<std::string>& known,
                     const std::string& expr, const char* which) -> Status {
    if (has_subquery(expr)) return Status::Ok();
    for (const std::string& r : refs) {
      if (!known.count(r)) {
        return Status::InvalidInput(
            fmt::format("{}: `{}` reads column \"{}\", which the {} version of table {} does not "
                        "have",
                        op, expr, r, which, dw.table),
            "`up` is written over the old version's columns, `down` over the new version's");
      }
    }
    return Status::Ok();
  };
  if (!dw.up.empty()) {
    auto refs = column_refs(dw.up);
    if (!refs.ok()) return refs.status().with_context(op + ": `up`: ");
    std::set<std::string> known;
    if (const TableInfo* t = base.table(dw.table))
      for (const ColumnInfo& c : t->columns) known.insert(c.name);
    TANDEM_RETURN_IF_ERROR(unknown(*refs, known, dw.up, "old"));
    dw.up_refs = *refs;  // the old version sees physical names
    dw.up_all = has_subquery(dw.up);
  }
  if (!dw.down.empty()) {
    auto refs = column_refs(dw.down);
    if (!refs.ok()) return refs.status().with_context(op + ": `down`: ");
    std::set<std::string> known;
    for (const TableView& t : after) {
      if (t.physical != dw.table) continue;
      for (const ViewColumn& c : t.columns) {
        known.insert(c.name);
        if (refs->count(c.name)) dw.down_refs.insert(c.source);
      }
    }
    TANDEM_RETURN_IF_ERROR(unknown(*refs, known, dw.down, "new"));
    dw.down_all = has_subquery(dw.down);
  }
  dual_writes.push_back(std::move(dw));
  return Status::Ok();
}

std::map<std::string, std::string> column_sources(const TableView& t) {
  std::map<std::string, std::string> out;
  for (const ViewColumn& c : t.columns) out[c.name] = c.source;
  return out;
}

std::string shadow_name(const std::string& column) {
  return derived_name(std::string(kShadowPrefix) + "new_" + column);
}

std::string qualified(const std::string& schema, const std::string& name) {
  return db::quote_ident(schema) + "." + db::quote_ident(name);
}

void add_validated(TwoVersionSql& out, const std::string& table, const std::string& name,
                   const std::string& body) {
  std::string t = db::quote_ident(table), n = db::quote_ident(name);
  // After the dual-write triggers and the backfill: from then on every write satisfies it.
  out.after_backfill.transactional = false;
  out.after_backfill.statements.push_back(
      fmt::format("ALTER TABLE {} ADD CONSTRAINT {} {} NOT VALID", t, n, body));
  out.after_backfill.statements.push_back(
      fmt::format("ALTER TABLE {} VALIDATE CONSTRAINT {}", t, n));
}

Result<std::string> foreign_key_sql(TwoVersionModel& m, const std::string& column,
                                    const ReferenceSpec& ref, const std::string& op) {
  TANDEM_ASSIGN_OR_RETURN(TableView * rt, m.table(ref.table, op + ": references"));
  TANDEM_ASSIGN_OR_RETURN(ViewColumn * rc, m.column(*rt, ref.column, op + ": references"));
  return fmt::format("FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {}", db::quote_ident(column),
                     db::quote_ident(rt->physical), db::quote_ident(rc->source), ref.on_delete);
}

std::vector<std::string> dual_write_tables(const TwoVersionModel& model) {
  std::vector<std::string> out;
  for (const DualWrite& dw : model.dual_writes) {
    bool seen = false;
    for (const std::string& t : out) seen = seen || t == dw.table;
    if (!seen) out.push_back(dw.table);
  }
  return out;
}

namespace {

std::string function_name(const std::string& schema, const std::string& table) {
  return qualified("tandem", derived_name("dual_write_" + schema + "_" + table));
}

// `DECLARE "name" <table>."<source>"%TYPE := NEW."<source>";` for every column of a version, so
// an expression with a subquery reads the row by the names that version uses.
std::string declare_columns(const std::string& table_ref, const std::vector<ViewColumn>& cols) {
  std::string out = "DECLARE\n";
  for (const ViewColumn& c : cols) {
    out += fmt::format("      {} {}.{}%TYPE := NEW.{};\n", db::quote_ident(c.name), table_ref,
                       db::quote_ident(c.source), db::quote_ident(c.source));
  }
  return out;
}

// `TG_OP = 'INSERT' OR NEW.a::text IS DISTINCT FROM OLD.a::text OR …`: recompute only when
// the columns an expression reads were written, so an update through the old version of an
// unrelated column keeps what the new version wrote. Compared as text: some types (point,
// json) have no equality operator.
std::string changed(const std::set<std::string>& refs, const TableInfo* table) {
  std::string out = "TG_OP = 'INSERT'";
  for (const std::string& r : refs) {
    std::string c = db::quote_ident(r);
    const ColumnInfo* info = table ? table->column(r) : nullptr;
    out += " OR " + distinct_from("NEW." + c, "OLD." + c, info ? info->type : "");
  }
  return out;
}

}  // namespace

namespace {

// One assignment of the trigger: `IF <changed> THEN NEW."target" := (expr); END IF;`, the
// expression reading the row as the writing version sees it. Without a subquery its column
// names become NEW."<physical>" (cheapest: no variables); with one (whose names may belong to
// other tables) the version's columns are declared as variables in a block around it.
std::string assignment(const std::string& target, const std::string& expr,
                       const std::set<std::string>& refs, bool subquery,
                       const std::vector<ViewColumn>& cols, const std::string& table_ref,
                       const TableInfo* base) {
  std::string set = fmt::format("IF {} THEN NEW.{} := ({}); END IF;", changed(refs, base),
                                db::quote_ident(target), expr);
  if (!subquery) {
    std::map<std::string, std::string> to_new;
    for (const ViewColumn& c : cols) to_new[c.name] = "NEW." + db::quote_ident(c.source);
    auto rewritten = substitute_column_refs(expr, to_new);
    if (rewritten.ok()) {
      return fmt::format("    IF {} THEN NEW.{} := ({}); END IF;\n", changed(refs, base),
                         db::quote_ident(target), *rewritten);
    }
  }
  return "    " + declare_columns(table_ref, cols) + "    BEGIN\n      " + set + "\n    END;\n";
}

}  // namespace

Result<std::vector<std::string>> dual_write_create_sql(const TwoVersionModel& m,
                                                       const std::string& table) {
  std::string table_ref = qualified(m.schema, table);
  std::vector<ViewColumn> old_cols, new_cols;
  const TableInfo* base = m.base.table(table);
  if (base) {
    for (const ColumnInfo& c : base->columns) old_cols.push_back({c.name, c.name});
  }
  for (const TableView& v : m.after)
    if (v.physical == table) new_cols = v.columns;
  std::string to_old, to_new;
  for (const DualWrite& dw : m.dual_writes) {
    if (dw.table != table) continue;
    if (!dw.old_column.empty() && !dw.down.empty()) {
      to_old +=
          assignment(dw.old_column, dw.down, dw.down_refs, dw.down_all, new_cols, table_ref, base);
    }
    if (!dw.new_column.empty() && !dw.up.empty()) {
      to_new += assignment(dw.new_column, dw.up, dw.up_refs, dw.up_all, old_cols, table_ref, base);
    }
  }
  if (to_old.empty()) to_old = "    NULL;\n";
  if (to_new.empty()) to_new = "    NULL;\n";
  std::string new_schema = version_schema_name(m.schema, m.new_version);
  std::string old_schema = version_schema_name(m.schema, m.old_version);
  // Which version wrote, in one expression (each plpgsql statement costs per row): the session
  // setting tandem.version when set; else, when the search_path text does not even mention the
  // new version's schema, the old version (the fast path of every old-version write and of the
  // backfill); else whichever version schema comes first in the *effective* search path
  // (current_schemas resolves "$user" and skips missing schemas, so the exact text of
  // search_path does not matter). Writes straight to the table count as the old version.
  TANDEM_ASSIGN_OR_RETURN(std::string nv, m.sql().literal(m.new_version));
  TANDEM_ASSIGN_OR_RETURN(std::string ns, m.sql().literal(new_schema));
  TANDEM_ASSIGN_OR_RETURN(std::string os, m.sql().literal(old_schema));
  std::string body = fmt::format(
      "#variable_conflict use_column\n"
      "BEGIN\n"
      "  IF (CASE WHEN coalesce(current_setting('tandem.version', true), '') <> ''\n"
      "        THEN current_setting('tandem.version', true) IN ({nv}, {ns})\n"
      "      WHEN position({ns} in current_setting('search_path')) = 0 THEN false\n"
      "      ELSE coalesce(array_position(current_schemas(false), {ns}::name), 2147483647) <\n"
      "           coalesce(array_position(current_schemas(false), {os}::name), 2147483647) END)\n"
      "  THEN\n{to_old}"
      "  ELSE\n{to_new}"
      "  END IF;\n"
      "  RETURN NEW;\n"
      "END\n",
      fmt::arg("nv", nv), fmt::arg("ns", ns), fmt::arg("os", os), fmt::arg("to_old", to_old),
      fmt::arg("to_new", to_new));
  // The body quoted with a dollar tag it does not contain: an expression holding a dollar-quoted
  // string with the same tag would otherwise end the body early.
  std::string tag = "$tandem$";
  for (int n = 1; body.find(tag) != std::string::npos; ++n) tag = fmt::format("$tandem{}$", n);
  std::string function =
      fmt::format("CREATE OR REPLACE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS {}\n{}{}",
                  function_name(m.schema, table), tag, body, tag);
  return std::vector<std::string>{
      function, fmt::format("DROP TRIGGER IF EXISTS _tandem_dual_write ON {}", table_ref),
      fmt::format("CREATE TRIGGER _tandem_dual_write BEFORE INSERT OR UPDATE ON {} FOR EACH ROW "
                  "EXECUTE FUNCTION {}()",
                  table_ref, function_name(m.schema, table))};
}

std::vector<std::string> dual_write_drop_sql(const std::string& schema, const std::string& table) {
  return {fmt::format("DROP TRIGGER IF EXISTS _tandem_dual_write ON {}", qualified(schema, table)),
          fmt::format("DROP FUNCTION IF EXISTS {}()", function_name(schema, table))};
}

}  // namespace tandem::expand
