#include "lint/classify.h"

#include <algorithm>
#include <regex>

namespace tandem::lint {
namespace {

// A column definition's default expression (the null Node when none).
Node default_of(Node column_def) {
  for (Node c : column_def["constraints"]) {
    if (c["Constraint"]["contype"].str() == "CONSTR_DEFAULT") return c["Constraint"]["raw_expr"];
  }
  return Node();
}

bool has_constraint(Node column_def, std::string_view contype) {
  for (Node c : column_def["constraints"])
    if (c["Constraint"]["contype"].str() == contype) return true;
  return false;
}

void raise(Classification& c, Lock lock, const std::string& relation) {
  if (lock > c.lock) {
    c.lock = lock;
    c.relation = relation;
  }
}

// ALTER TABLE: the strongest lock of its subcommands.
void alter_table(Node body, const Context& ctx, Classification& c) {
  std::string table = relation_name(body["relation"]);
  for (Node item : body["cmds"]) {
    Node cmd = item["AlterTableCmd"];
    std::string_view sub = cmd["subtype"].str();
    if (sub == "AT_AddConstraint") {
      Node con = cmd["def"]["Constraint"];
      std::string_view type = con["contype"].str();
      bool not_valid = con["skip_validation"].boolean();
      if (type == "CONSTR_FOREIGN") {
        raise(c, Lock::kShareRowExclusive, table);
        c.scans |= !not_valid;
      } else {
        raise(c, Lock::kAccessExclusive, table);
        if (type == "CONSTR_CHECK") c.scans |= !not_valid;
        if ((type == "CONSTR_UNIQUE" || type == "CONSTR_PRIMARY") && con["indexname"].str().empty())
          c.scans = true;  // builds the index under the lock
      }
    } else if (sub == "AT_ValidateConstraint") {
      raise(c, Lock::kShareUpdateExclusive, table);
      c.scans = true;
    } else if (sub == "AT_AddColumn") {
      raise(c, Lock::kAccessExclusive, table);
      Node def = cmd["def"]["ColumnDef"];
      std::string type = type_name(def["typeName"]);
      Node dflt = default_of(def);
      if ((dflt.present() && volatile_default(dflt)) || has_constraint(def, "CONSTR_IDENTITY") ||
          has_constraint(def, "CONSTR_GENERATED") || type.find("serial") != std::string::npos)
        c.rewrites = true;
      // A NOT NULL or CHECK on the new column is verified against every existing row.
      if ((!dflt.present() && has_constraint(def, "CONSTR_NOTNULL")) ||
          has_constraint(def, "CONSTR_CHECK"))
        c.scans = true;
    } else if (sub == "AT_AlterColumnType") {
      raise(c, Lock::kAccessExclusive, table);
      Node def = cmd["def"]["ColumnDef"];
      OldType from = old_type(ctx, table, std::string(cmd["name"].str()));
      if (def.contains("raw_default") || from.type.empty() ||
          change_rewrites(ctx, from.type, type_name(def["typeName"])))
        c.rewrites = true;
    } else if (sub == "AT_SetNotNull") {
      raise(c, Lock::kAccessExclusive, table);
      auto checked = ctx.not_null_checked.find(table);
      if (checked == ctx.not_null_checked.end() ||
          !checked->second.count(std::string(cmd["name"].str())))
        c.scans = true;
    } else if (sub == "AT_AttachPartition") {
      // The parent: SHARE UPDATE EXCLUSIVE; the partition attached: ACCESS EXCLUSIVE, read
      // in full to check it fits its bounds (unless a CHECK already proves it).
      raise(c, Lock::kShareUpdateExclusive, table);
      Node cmd_def = cmd["def"];
      if (cmd_def.contains("PartitionCmd"))
        raise(c, Lock::kAccessExclusive, relation_name(cmd_def["PartitionCmd"]["name"]));
      c.scans = true;
    } else if (sub == "AT_SetStatistics" || sub == "AT_SetOptions" || sub == "AT_ResetOptions" ||
               sub == "AT_ClusterOn" || sub == "AT_DropCluster" || sub == "AT_SetRelOptions" ||
               sub == "AT_ResetRelOptions") {
      raise(c, Lock::kShareUpdateExclusive, table);
    } else if (sub == "AT_EnableTrig" || sub == "AT_EnableAlwaysTrig" ||
               sub == "AT_EnableReplicaTrig" || sub == "AT_DisableTrig" ||
               sub == "AT_EnableTrigAll" || sub == "AT_DisableTrigAll" ||
               sub == "AT_EnableTrigUser" || sub == "AT_DisableTrigUser") {
      raise(c, Lock::kShareRowExclusive, table);
    } else {
      // Everything else ALTER TABLE does (drop/rename column, defaults, DROP NOT NULL, drop
      // constraint, SET LOGGED, …) takes ACCESS EXCLUSIVE.
      raise(c, Lock::kAccessExclusive, table);
      if (sub == "AT_SetLogged" || sub == "AT_SetUnLogged" || sub == "AT_SetTableSpace")
        c.rewrites = true;
    }
  }
}

// A qualified name as the parse tree lists it ({"List": {"items": [{"String": …}, …]}}), its
// last `drop` parts left out: "app.orders" for app.orders.trg with drop 1.
std::string dotted_name(Node list, size_t drop = 0) {
  Node items = list["List"]["items"];
  std::string name;
  for (size_t i = 0; i + drop < items.size(); ++i) {
    if (!name.empty()) name += '.';
    name += items[i]["String"]["sval"].str();
  }
  return name;
}

// Objects that belong to a table and are named `table.object` (… ON table).
bool on_table(std::string_view object_type) {
  return object_type == "OBJECT_TRIGGER" || object_type == "OBJECT_RULE" ||
         object_type == "OBJECT_POLICY" || object_type == "OBJECT_TABCONSTRAINT";
}

}  // namespace

bool volatile_default(Node expr) {
  // Calls of functions PostgreSQL marks volatile that defaults use; stable ones (now(),
  // current_timestamp) are evaluated once for the whole ALTER and need no rewrite.
  static const std::set<std::string, std::less<>> kVolatile = {
      "random",  "gen_random_uuid", "uuid_generate_v4",  "uuid_generate_v1",
      "nextval", "clock_timestamp", "timeofday",         "txid_current",
      "setseed", "uuidv7",          "uuid_generate_v1mc"};
  if (expr.is_object()) {
    Node names = expr["FuncCall"]["funcname"];
    if (!names.empty() && kVolatile.count(names[names.size() - 1]["String"]["sval"].str()))
      return true;
    for (auto [key, value] : expr.members())
      if (volatile_default(value)) return true;
  } else if (expr.is_array()) {
    for (Node v : expr)
      if (volatile_default(v)) return true;
  }
  return false;
}

bool volatile_expression(const std::string& expr) {
  auto parsed = parse(Source{"expression", "SELECT (" + expr + ")", 1, true});
  return parsed.ok() && !parsed->statements.empty() &&
         volatile_default(parsed->statements.front().node);
}

bool type_change_rewrites(const std::string& from, const std::string& to) {
  return from.empty() || known_type_change_rewrites(from, to).value_or(true);
}

std::optional<bool> known_type_change_rewrites(const std::string& from, const std::string& to) {
  if (from.empty()) return std::nullopt;
  if (from == to) return false;
  static const std::regex kTyped(R"(^([a-z0-9_ ]+?)(?:\((\d+)(?:,(\d+))?\))?$)");
  std::smatch a, b;
  if (!std::regex_match(from, a, kTyped) || !std::regex_match(to, b, kTyped)) return std::nullopt;
  std::string fa = a[1], fb = b[1];
  auto len = [](const std::ssub_match& m) {
    return m.matched ? static_cast<int>(db::to_integer(m.str()).value_or(-1)) : -1;
  };
  int na = len(a[2]), nb = len(b[2]);
  auto is_varchar = [](const std::string& t) { return t == "varchar" || t == "text"; };
  if (is_varchar(fa) && is_varchar(fb)) {
    // Widening or dropping the limit is free; a shorter limit re-checks every row.
    if (nb == -1 || fb == "text") return false;
    return fa == "text" || na == -1 || nb < na;
  }
  if (fa == "numeric" && fb == "numeric") {
    if (nb == -1) return false;  // to unconstrained numeric
    return na == -1 || len(a[3]) != len(b[3]) || nb < na;
  }
  if ((fa == "varbit" && fb == "varbit") || (fa == "bpchar" && fb == "bpchar" && nb == na))
    return nb != -1 && (na == -1 || nb < na);
  if (fa == "cidr" && fb == "inet") return false;
  if ((fa == "xml" && fb == "text") || (fa == "bpchar" && fb == "text")) return fa == "bpchar";
  return std::nullopt;
}

Classification classify(const Statement& st, const Context& ctx) {
  Classification c;
  Node b = st.body();
  std::string_view k = st.kind;
  if (k == "AlterTableStmt") {
    alter_table(b, ctx, c);
  } else if (k == "IndexStmt") {
    raise(c, b["concurrent"].boolean() ? Lock::kShareUpdateExclusive : Lock::kShare,
          relation_name(b["relation"]));
    c.scans = true;
  } else if (k == "DropStmt") {
    std::string_view type = b["removeType"].str();
    if (type == "OBJECT_INDEX") {
      raise(c, b["concurrent"].boolean() ? Lock::kShareUpdateExclusive : Lock::kAccessExclusive,
            "");
    } else if (type == "OBJECT_TABLE" || type == "OBJECT_VIEW" || type == "OBJECT_MATVIEW" ||
               type == "OBJECT_SEQUENCE" || on_table(type)) {
      // DROP TRIGGER/RULE/POLICY … ON t: ACCESS EXCLUSIVE on t (PostgreSQL locks the table the
      // object belongs to before it removes the object).
      raise(c, Lock::kAccessExclusive, "");
    }
    // The dropped object's name, for the message; for an object on a table, that table.
    Node first = b["objects"][0];
    if (first.contains("List")) c.relation = dotted_name(first, on_table(type) ? 1 : 0);
  } else if (k == "ReindexStmt") {
    bool concurrently = db::pg::option_enabled(b["params"], "concurrently");
    // The table: SHARE (writes wait); the index itself: ACCESS EXCLUSIVE (queries using it).
    raise(c, concurrently ? Lock::kShareUpdateExclusive : Lock::kShare,
          b.contains("relation") ? relation_name(b["relation"]) : std::string(b["name"].str()));
    c.scans = true;
  } else if (k == "RenameStmt") {
    raise(c, Lock::kAccessExclusive, b.contains("relation") ? relation_name(b["relation"]) : "");
  } else if (k == "UpdateStmt" || k == "DeleteStmt" || k == "InsertStmt") {
    raise(c, Lock::kRowExclusive, relation_name(b["relation"]));
    c.scans = k != "InsertStmt" && !b.contains("whereClause");
  } else if (k == "TruncateStmt" || k == "ClusterStmt") {
    Node rels = b["relations"];
    raise(c, Lock::kAccessExclusive,
          k == "ClusterStmt" && b.contains("relation") ? relation_name(b["relation"])
          : rels.empty()                               ? ""
                                                       : relation_name(rels[0]["RangeVar"]));
    c.rewrites = k == "ClusterStmt";
  } else if (k == "VacuumStmt") {
    bool full = db::pg::option_enabled(b["options"], "full");
    raise(c, full ? Lock::kAccessExclusive : Lock::kShareUpdateExclusive, "");
    c.rewrites = full;
  } else if (k == "CreateTrigStmt") {
    raise(c, Lock::kShareRowExclusive, relation_name(b["relation"]));
  } else if (k == "RuleStmt") {
    // CREATE RULE: ACCESS EXCLUSIVE on the table (PostgreSQL 15 takes it for every rule, not
    // only ON SELECT ones).
    raise(c, Lock::kAccessExclusive, relation_name(b["relation"]));
  } else if (k == "CreatePolicyStmt" || k == "AlterPolicyStmt") {
    raise(c, Lock::kAccessExclusive, relation_name(b["table"]));
  } else if (k == "AlterObjectDependsStmt") {
    // ALTER TRIGGER … ON t DEPENDS ON EXTENSION: only ACCESS SHARE on t (the trigger itself is
    // what is locked).
    if (b["objectType"].str() == "OBJECT_TRIGGER")
      raise(c, Lock::kAccessShare, relation_name(b["relation"]));
  } else if (k == "CommentStmt") {
    // COMMENT ON a table or its column: SHARE UPDATE EXCLUSIVE on the table; on a trigger, rule,
    // policy or constraint of a table: ACCESS SHARE on the table (the object is what is locked).
    std::string_view type = b["objtype"].str();
    Node object = b["object"];
    if (object.contains("List") && type == "OBJECT_TABLE")
      raise(c, Lock::kShareUpdateExclusive, dotted_name(object));
    else if (object.contains("List") && type == "OBJECT_COLUMN")
      raise(c, Lock::kShareUpdateExclusive, dotted_name(object, 1));
    else if (object.contains("List") && on_table(type))
      raise(c, Lock::kAccessShare, dotted_name(object, 1));
  } else if (k == "CreateStmt") {
    // A new table locks nothing anyone uses — but a foreign key locks the referenced table.
    for (Node e : b["tableElts"]) {
      auto refs = [&](Node con) {
        if (con["contype"].str() == "CONSTR_FOREIGN")
          raise(c, Lock::kShareRowExclusive, relation_name(con["pktable"]));
      };
      refs(e["Constraint"]);
      for (Node con : e["ColumnDef"]["constraints"]) refs(con["Constraint"]);
    }
  } else if (k == "LockStmt") {
    static const Lock kModes[] = {Lock::kNone,
                                  Lock::kAccessShare,
                                  Lock::kRowShare,
                                  Lock::kRowExclusive,
                                  Lock::kShareUpdateExclusive,
                                  Lock::kShare,
                                  Lock::kShareRowExclusive,
                                  Lock::kExclusive,
                                  Lock::kAccessExclusive};
    int mode = static_cast<int>(std::clamp<int64_t>(b["mode"].integer(8), 0, 8));
    Node rels = b["relations"];
    raise(c, kModes[mode], rels.empty() ? "" : relation_name(rels[0]["RangeVar"]));
  } else if (k == "CreateTableAsStmt" || k == "RefreshMatViewStmt") {
    if (k == "RefreshMatViewStmt") {
      raise(c, b["concurrent"].boolean() ? Lock::kExclusive : Lock::kAccessExclusive,
            relation_name(b["relation"]));
      c.rewrites = true;
    }
  }
  return c;
}

}  // namespace tandem::lint
