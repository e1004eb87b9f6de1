// PostgreSQL's schema for tandem dump: pg_catalog read in the caller's snapshot, each object
// written by PostgreSQL's own pg_get_*def functions where there is one (constraints, indexes,
// views, functions, triggers), so the text is what the server itself would print.
//
// Every query runs with search_path = '' (dump_schema sets it): names in the output are
// schema-qualified, built-in types and functions are not, and the text does not depend on
// the role's or the URL's search_path.

#include <fmt/format.h>

#include <cctype>
#include <map>

#include "engine/schema_dump.h"

namespace tandem::engine {
namespace {

// Objects an extension created belong to the extension (CREATE EXTENSION makes them again):
// not part of the schema's own definition, as pg_dump leaves them out too.
constexpr const char* kNotInExtension =
    "NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass "
    "AND e.objid = c.oid AND e.deptype = 'e')";

// "schema.name" as quote_ident writes it — the form pg_get_*def print names in.
constexpr const char* kQualifiedClass = "quote_ident(n.nspname) || '.' || quote_ident(c.relname)";

bool is_true(const db::Rows& rows, size_t row, size_t col) { return rows.text(row, col) == "t"; }

Status read_extensions(db::Connection& conn, const std::string& ns,
                       std::vector<SchemaObject>& out) {
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows rows,
      conn.query("SELECT quote_ident(x.extname), quote_ident(n.nspname) FROM pg_extension x "
                 "JOIN pg_namespace n ON n.oid = x.extnamespace WHERE x.extnamespace = $1::oid",
                 {ns}));
  for (size_t i = 0; i < rows.size(); ++i) {
    out.push_back({"extension", rows.text(i, 0),
                   fmt::format("CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA {};", rows.text(i, 0),
                               rows.text(i, 1))});
  }
  return Status::Ok();
}

Status read_enums(db::Connection& conn, const std::string& ns, std::vector<SchemaObject>& out) {
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows rows,
      conn.query("SELECT quote_ident(n.nspname) || '.' || quote_ident(t.typname), "
                 "quote_literal(e.enumlabel) FROM pg_type t "
                 "JOIN pg_namespace n ON n.oid = t.typnamespace "
                 "JOIN pg_enum e ON e.enumtypid = t.oid "
                 "WHERE t.typnamespace = $1::oid AND NOT EXISTS (SELECT 1 FROM pg_depend d "
                 "WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e') "
                 "ORDER BY t.oid, e.enumsortorder",
                 {ns}));
  std::map<std::string, std::string> labels;  // type → "'a', 'b'" in the enum's order
  for (size_t i = 0; i < rows.size(); ++i) {
    std::string& l = labels[rows.text(i, 0)];
    l += (l.empty() ? "" : ",\n    ") + rows.text(i, 1);
  }
  for (const auto& [name, list] : labels) {
    out.push_back({"type", name, fmt::format("CREATE TYPE {} AS ENUM (\n    {}\n);", name, list)});
  }
  return Status::Ok();
}

Status read_functions(db::Connection& conn, const std::string& ns, std::vector<SchemaObject>& out) {
  // Aggregates and window functions have no pg_get_functiondef; procedures do.
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows rows,
      conn.query("SELECT quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' || "
                 "pg_get_function_identity_arguments(p.oid) || ')', pg_get_functiondef(p.oid) "
                 "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                 "WHERE p.pronamespace = $1::oid AND p.prokind IN ('f', 'p') "
                 "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = "
                 "'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')",
                 {ns}));
  for (size_t i = 0; i < rows.size(); ++i) {
    std::string def = rows.text(i, 1);
    while (!def.empty() && std::isspace(static_cast<unsigned char>(def.back()))) def.pop_back();
    out.push_back({"function", rows.text(i, 0), def + ";"});
  }
  return Status::Ok();
}

Status read_sequences(db::Connection& conn, const std::string& ns, std::vector<SchemaObject>& out) {
  // An identity column's sequence is part of its column (GENERATED … AS IDENTITY); a serial's
  // is a sequence of its own, OWNED BY the column.
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows rows,
      conn.query(
          fmt::format("SELECT {}, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, "
                      "s.seqmin, s.seqmax, s.seqcache, s.seqcycle, "
                      "(SELECT quote_ident(tn.nspname) || '.' || quote_ident(t.relname) || '.' || "
                      "quote_ident(a.attname) FROM pg_depend d "
                      "JOIN pg_class t ON t.oid = d.refobjid "
                      "JOIN pg_namespace tn ON tn.oid = t.relnamespace "
                      "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid "
                      "WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid "
                      "AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a') "
                      "FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid "
                      "JOIN pg_namespace n ON n.oid = c.relnamespace "
                      "WHERE c.relnamespace = $1::oid AND {} AND NOT EXISTS (SELECT 1 FROM "
                      "pg_depend i WHERE i.classid = 'pg_class'::regclass AND i.objid = c.oid "
                      "AND i.deptype = 'i')",
                      kQualifiedClass, kNotInExtension),
          {ns}));
  for (size_t i = 0; i < rows.size(); ++i) {
    std::string name = rows.text(i, 0);
    std::string def = fmt::format(
        "CREATE SEQUENCE {}\n    AS {}\n    START WITH {}\n    INCREMENT BY {}\n"
        "    MINVALUE {}\n    MAXVALUE {}\n    CACHE {}{};",
        name, rows.text(i, 1), rows.text(i, 2), rows.text(i, 3), rows.text(i, 4), rows.text(i, 5),
        rows.text(i, 6), is_true(rows, i, 7) ? "\n    CYCLE" : "");
    if (rows.rows[i][8])
      def += fmt::format("\nALTER SEQUENCE {} OWNED BY {};", name, *rows.rows[i][8]);
    out.push_back({"sequence", name, def});
  }
  return Status::Ok();
}

// One line of CREATE TABLE per column: name, type, collation, default or generation
// expression, NOT NULL, identity.
Result<std::map<std::string, std::string>> column_lines(db::Connection& conn, const std::string& ns,
                                                        std::map<std::string, std::string>& notes) {
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows rows,
      conn.query("SELECT c.oid::text, quote_ident(a.attname), "
                 "format_type(a.atttypid, a.atttypmod), a.attnotnull, "
                 "pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated, "
                 "(SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname) "
                 " FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace "
                 " WHERE co.oid = a.attcollation AND a.attcollation <> t.typcollation), "
                 "quote_literal(col_description(c.oid, a.attnum)), "
                 "quote_ident(n.nspname) || '.' || quote_ident(c.relname) "
                 "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                 "JOIN pg_namespace n ON n.oid = c.relnamespace "
                 "JOIN pg_type t ON t.oid = a.atttypid "
                 "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
                 "WHERE c.relnamespace = $1::oid AND c.relkind IN ('r', 'p') "
                 "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY c.oid, a.attnum",
                 {ns}));
  std::map<std::string, std::string> lines;  // table oid → its column lines
  for (size_t i = 0; i < rows.size(); ++i) {
    std::string line = "    " + rows.text(i, 1) + " " + rows.text(i, 2);
    if (rows.rows[i][7]) line += " COLLATE " + *rows.rows[i][7];
    std::string generated = rows.text(i, 6), identity = rows.text(i, 5);
    if (generated == "s") {
      line += " GENERATED ALWAYS AS (" + rows.text(i, 4) + ") STORED";
    } else if (rows.rows[i][4]) {
      line += " DEFAULT " + *rows.rows[i][4];
    }
    if (is_true(rows, i, 3)) line += " NOT NULL";
    if (identity == "a") line += " GENERATED ALWAYS AS IDENTITY";
    if (identity == "d") line += " GENERATED BY DEFAULT AS IDENTITY";
    std::string& table = lines[rows.text(i, 0)];
    table += (table.empty() ? "" : ",\n") + line;
    if (rows.rows[i][8]) {
      notes[rows.text(i, 0)] += fmt::format("\nCOMMENT ON COLUMN {}.{} IS {};", rows.text(i, 9),
                                            rows.text(i, 1), *rows.rows[i][8]);
    }
  }
  return lines;
}

Status read_tables(db::Connection& conn, const std::string& ns, std::vector<SchemaObject>& out) {
  std::map<std::string, std::string> column_notes;
  TANDEM_ASSIGN_OR_RETURN(auto columns, column_lines(conn, ns, column_notes));
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows rows,
      conn.query(
          fmt::format("SELECT c.oid::text, {}, c.relpersistence, "
                      "CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END, "
                      "(SELECT quote_ident(pn.nspname) || '.' || quote_ident(p.relname) "
                      " FROM pg_inherits h JOIN pg_class p ON p.oid = h.inhparent "
                      " JOIN pg_namespace pn ON pn.oid = p.relnamespace "
                      " WHERE h.inhrelid = c.oid AND c.relispartition), "
                      "CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END, "
                      "quote_literal(obj_description(c.oid, 'pg_class')) "
                      "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                      "WHERE c.relnamespace = $1::oid AND c.relkind IN ('r', 'p') AND {}",
                      kQualifiedClass, kNotInExtension),
          {ns}));
  for (size_t i = 0; i < rows.size(); ++i) {
    std::string oid = rows.text(i, 0), name = rows.text(i, 1);
    std::string def = fmt::format("CREATE {}TABLE {} (\n{}\n)",
                                  rows.text(i, 2) == "u" ? "UNLOGGED " : "", name, columns[oid]);
    if (rows.rows[i][3]) def += "\nPARTITION BY " + *rows.rows[i][3];
    def += ";";
    if (rows.rows[i][4]) {
      def += fmt::format("\nALTER TABLE ONLY {} ATTACH PARTITION {} {};", *rows.rows[i][4], name,
                         rows.text(i, 5));
    }
    if (rows.rows[i][6]) def += fmt::format("\nCOMMENT ON TABLE {} IS {};", name, *rows.rows[i][6]);
    def += column_notes[oid];
    out.push_back({"table", name, def});
  }
  return Status::Ok();
}

Status read_views(db::Connection& conn, const std::string& ns, std::vector<SchemaObject>& out) {
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows rows,
      conn.query(fmt::format("SELECT {}, c.relkind, pg_get_viewdef(c.oid, true), "
                             "array_to_string(c.reloptions, ', ') "
                             "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                             "WHERE c.relnamespace = $1::oid AND c.relkind IN ('v', 'm') AND {}",
                             kQualifiedClass, kNotInExtension),
                 {ns}));
  for (size_t i = 0; i < rows.size(); ++i) {
    std::string body = rows.text(i, 2);
    while (!body.empty() &&
           (std::isspace(static_cast<unsigned char>(body.back())) || body.back() == ';')) {
      body.pop_back();
    }
    bool materialized = rows.text(i, 1) == "m";
    std::string with = rows.text(i, 3).empty() ? "" : " WITH (" + rows.text(i, 3) + ")";
    out.push_back(
        {"view", rows.text(i, 0),
         fmt::format("CREATE {}VIEW {}{} AS\n{}{};", materialized ? "MATERIALIZED " : "",
                     rows.text(i, 0), with, body, materialized ? "\n  WITH NO DATA" : "")});
  }
  return Status::Ok();
}

Status read_constraints(db::Connection& conn, const std::string& ns,
                        std::vector<SchemaObject>& out) {
  // NOT NULL is part of the column. A partition's copy of its parent's constraint comes with
  // ATTACH PARTITION (conparentid), an inherited CHECK with the parent (not conislocal).
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows rows,
      conn.query(fmt::format("SELECT {}, quote_ident(k.conname), pg_get_constraintdef(k.oid) "
                             "FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
                             "JOIN pg_namespace n ON n.oid = c.relnamespace "
                             "WHERE c.relnamespace = $1::oid AND k.contype IN "
                             "('p', 'u', 'c', 'f', 'x') AND k.conparentid = 0 AND k.conislocal "
                             "AND {}",
                             kQualifiedClass, kNotInExtension),
                 {ns}));
  for (size_t i = 0; i < rows.size(); ++i) {
    out.push_back({"constraint", rows.text(i, 0) + "." + rows.text(i, 1),
                   fmt::format("ALTER TABLE {} ADD CONSTRAINT {} {};", rows.text(i, 0),
                               rows.text(i, 1), rows.text(i, 2))});
  }
  return Status::Ok();
}

Status read_indexes(db::Connection& conn, const std::string& ns, std::vector<SchemaObject>& out) {
  // An index behind a PRIMARY KEY, UNIQUE or EXCLUDE constraint is the constraint's. A
  // partition's own copy of its parent's index is listed, as pg_dump lists it.
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows rows,
      conn.query("SELECT quote_ident(n.nspname) || '.' || quote_ident(i.relname), "
                 "pg_get_indexdef(i.oid), x.indisvalid FROM pg_index x "
                 "JOIN pg_class i ON i.oid = x.indexrelid "
                 "JOIN pg_class c ON c.oid = x.indrelid "
                 "JOIN pg_namespace n ON n.oid = i.relnamespace "
                 "WHERE c.relnamespace = $1::oid "
                 "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.oid "
                 "AND k.conrelid = c.oid AND k.contype IN ('p', 'u', 'x')) "
                 "AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = "
                 "'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e')",
                 {ns}));
  for (size_t i = 0; i < rows.size(); ++i) {
    std::string def = rows.text(i, 1) + ";";
    // What a failed CREATE INDEX CONCURRENTLY leaves: it exists, is maintained on every write,
    // and is used by no query.
    if (!is_true(rows, i, 2))
      def += "\n-- INVALID: not used by queries; drop it and create it again";
    out.push_back({"index", rows.text(i, 0), def});
  }
  return Status::Ok();
}

Status read_triggers(db::Connection& conn, const std::string& ns, std::vector<SchemaObject>& out) {
  // Internal triggers enforce foreign keys (the constraint is dumped); a partition's clone of
  // its parent's trigger comes with the parent's (tgparentid).
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows rows,
      conn.query(fmt::format("SELECT {}, quote_ident(t.tgname), pg_get_triggerdef(t.oid) "
                             "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                             "JOIN pg_namespace n ON n.oid = c.relnamespace "
                             "WHERE c.relnamespace = $1::oid AND NOT t.tgisinternal "
                             "AND t.tgparentid = 0 AND {}",
                             kQualifiedClass, kNotInExtension),
                 {ns}));
  for (size_t i = 0; i < rows.size(); ++i) {
    out.push_back({"trigger", rows.text(i, 0) + "." + rows.text(i, 1), rows.text(i, 2) + ";"});
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<SchemaObject>> read_postgres_schema(db::Connection& conn,
                                                       const std::string& schema) {
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows found,
      conn.query("SELECT oid::text FROM pg_namespace WHERE nspname = $1", {schema}));
  if (found.empty()) {
    return Status::InvalidInput(
        fmt::format("schema \"{}\" does not exist in {}", schema, conn.describe()),
        "pass the schema the application's tables are in with --schema (default: public)");
  }
  std::string ns = found.text(0, 0);
  std::vector<SchemaObject> out;
  for (auto* read : {read_extensions, read_enums, read_functions, read_sequences, read_tables,
                     read_views, read_constraints, read_indexes, read_triggers}) {
    TANDEM_RETURN_IF_ERROR(read(conn, ns, out));
  }
  return out;
}

}  // namespace tandem::engine
