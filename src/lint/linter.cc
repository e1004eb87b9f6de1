// The linter: statements in order, each classified, checked by every rule, then folded into
// what later statements know (tables and their columns, the transaction they run in, locks
// held, NOT VALID constraints, lock_timeout).

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "lint/rule.h"

namespace tandem::lint {
namespace {

// The column a CHECK (col IS NOT NULL) constrains, "" for any other CHECK.
std::string not_null_column(Node con) {
  Node t = con["raw_expr"]["NullTest"];
  if (t["nulltesttype"].str() != "IS_NOT_NULL" || !t["arg"].contains("ColumnRef")) return "";
  Node fields = t["arg"]["ColumnRef"]["fields"];
  return fields.size() == 1 ? std::string(fields[0]["String"]["sval"].str()) : "";
}

// A validated CHECK (col IS NOT NULL) follows its column and table through renames (tandem's
// complete renames the shadow column it was added on into place before SET NOT NULL).
void carry_checks(Context& ctx, const std::string& table, const std::string& type,
                  const std::string& from, const std::string& to) {
  if (type == "OBJECT_TABLE") {
    auto checked = ctx.not_null_checked.find(table);
    if (checked != ctx.not_null_checked.end()) {
      ctx.not_null_checked[to] = checked->second;
      ctx.not_null_checked.erase(table);
    }
    auto it = ctx.check_columns.find(table);
    if (it != ctx.check_columns.end()) {
      ctx.check_columns[to] = it->second;
      ctx.check_columns.erase(table);
    }
  } else if (type == "OBJECT_COLUMN") {
    auto checked = ctx.not_null_checked.find(table);
    if (checked != ctx.not_null_checked.end() && checked->second.erase(from)) {
      checked->second.insert(to);
    }
    auto cols = ctx.check_columns.find(table);
    if (cols != ctx.check_columns.end())
      for (auto& [con, col] : cols->second)
        if (col == from) col = to;
  }
}

void end_transaction(Context& ctx) {
  ctx.access_exclusive_on.clear();
  ctx.ddl_in_transaction = false;
  ctx.not_valid_here.clear();
}

}  // namespace

// A statement that cannot run inside a transaction block: tandem runs such a file statement
// by statement.
bool cannot_run_in_transaction(const Statement& st) {
  return !db::pg::can_run_in_transaction_block(st.node);
}

void learn(const Statement& st, const Classification& c, Context& ctx) {
  learn_outside_columns(st, ctx);
  Node b = st.body();
  if (st.kind == "VariableSetStmt" && b["name"].str() == "lock_timeout") {
    std::string v;
    for (Node a : b["args"]) {
      if (a.contains("A_Const")) {
        Node k = a["A_Const"];
        v = k.contains("sval")   ? std::string(k["sval"]["sval"].str())
            : k.contains("ival") ? std::to_string(k["ival"]["ival"].integer())
                                 : "0";
      }
    }
    ctx.lock_timeout_set = b["kind"].str() == "VAR_SET_VALUE" && !v.empty() && v != "0";
  } else if (st.kind == "CreateStmt") {
    std::string table = relation_name(b["relation"]);
    TableInfo& t = ctx.tables[table];
    t.columns.clear();
    for (const ColumnUse& u : columns_defined(st)) t.columns[u.column] = u.type;
    ctx.created_here.insert(table);
  } else if (st.kind == "IndexStmt") {
    std::string index(b["idxname"].str());
    ctx.created_here.insert(index);
    ctx.index_tables[index] = relation_name(b["relation"]);
  } else if (st.kind == "DropStmt" && b["removeType"].str() == "OBJECT_TABLE") {
    ctx.tables.erase(c.relation);
  } else if (st.kind == "RenameStmt" && b.contains("relation")) {
    std::string table = relation_name(b["relation"]), type(b["renameType"].str());
    std::string from(b["subname"].str()), to(b["newname"].str());
    carry_checks(ctx, table, type, from, to);
    auto it = ctx.tables.find(table);
    if (it != ctx.tables.end() && type == "OBJECT_TABLE") {
      ctx.tables[to] = it->second;
      ctx.tables.erase(table);
    } else if (it != ctx.tables.end() && type == "OBJECT_COLUMN") {
      auto col = it->second.columns.find(from);
      if (col != it->second.columns.end()) {
        it->second.columns[to] = col->second;
        it->second.columns.erase(col);
      }
    }
  } else if (st.kind == "AlterTableStmt") {
    std::string table = relation_name(b["relation"]);
    for (const ColumnUse& u : columns_defined(st))
      if (ctx.tables.count(table)) ctx.tables[table].columns[u.column] = u.type;
    for (Node item : b["cmds"]) {
      Node cmd = item["AlterTableCmd"];
      std::string_view sub = cmd["subtype"].str();
      std::string name(cmd["name"].str());
      if (sub == "AT_DropColumn") {
        if (ctx.tables.count(table)) ctx.tables[table].columns.erase(name);
        if (ctx.not_null_checked.count(table)) ctx.not_null_checked[table].erase(name);
      }
      if (sub == "AT_AddConstraint") {
        Node con = cmd["def"]["Constraint"];
        std::string conname(con["conname"].str()), col = not_null_column(con);
        bool not_valid = con["skip_validation"].boolean();
        if (not_valid) ctx.not_valid_here.insert(table + "." + conname);
        if (!col.empty()) {
          ctx.check_columns[table][conname] = col;
          if (!not_valid) ctx.not_null_checked[table].insert(col);
        }
      }
      if (sub == "AT_ValidateConstraint") {
        auto t = ctx.check_columns.find(table);
        if (t != ctx.check_columns.end() && t->second.count(name))
          ctx.not_null_checked[table].insert(t->second[name]);
      }
    }
  }
  bool dml = st.kind == "UpdateStmt" || st.kind == "DeleteStmt" || st.kind == "InsertStmt" ||
             st.kind == "SelectStmt";
  if (ctx.in_transaction) {
    if (!dml && st.kind != "VariableSetStmt" && st.kind != "TransactionStmt")
      ctx.ddl_in_transaction = true;
    if (c.lock == Lock::kAccessExclusive && !c.relation.empty() && !ctx.created(c.relation) &&
        ctx.access_exclusive_on.empty())
      ctx.access_exclusive_on = c.relation;
  }
}

Result<LintReport> lint(const std::vector<Source>& sources, const LintOptions& options) {
  auto t0 = std::chrono::steady_clock::now();
  LintReport report;
  std::set<std::string> files;  // reported on; a declarative migration is several sources
  Context ctx;
  ctx.options = &options;
  static const std::vector<std::unique_ptr<Rule>> no_rules;
  for (const Source& source : sources) {
    bool report_here =
        !source.context && (options.only_files.empty() ||
                            std::find(options.only_files.begin(), options.only_files.end(),
                                      source.file) != options.only_files.end());
    if (report_here) files.insert(source.file);
    auto parsed_or = parse(source);
    if (!parsed_or.ok() && options.continue_after_parse_errors) {
      // What this source would have created is unknown to the ones after it; they are judged
      // without it (an unknown type change then fails closed).
      const Status& e = parsed_or.status();
      // The message without parse()'s "file:line:col: " (the ParseError carries those).
      std::string message = e.message();
      if (message.rfind(source.file + ":", 0) == 0) {
        size_t at = source.file.size();
        for (int colons = 0; colons < 2 && at != std::string::npos; ++colons)
          at = message.find(':', at + 1);
        if (at != std::string::npos) message = message.substr(at + 2);
      }
      ParseError pe{source.file, source.first_line, 0, message, source.generated_by};
      if (e.position() > 0 && source.generated_by.empty()) {
        std::tie(pe.line, pe.column) = position_of(source, e.position());
      }
      report.parse_errors.push_back(std::move(pe));
      continue;
    }
    TANDEM_ASSIGN_OR_RETURN(Parsed parsed, std::move(parsed_or));
    const std::vector<Statement>& stmts = parsed.statements;
    // How the file runs: one transaction, unless it says otherwise, manages its own, or has a
    // statement that cannot run in one.
    bool one_transaction = source.transaction;
    for (const Statement& st : stmts)
      if (st.kind == "TransactionStmt" || cannot_run_in_transaction(st)) one_transaction = false;
    if (!source.continues) ctx.created_here.clear();
    // tandem runs what it generates under --lock-timeout.
    ctx.lock_timeout_set = !source.generated_by.empty();
    ctx.old_version_gone = source.old_version_gone;
    end_transaction(ctx);
    bool explicit_block = false;
    for (const Statement& st : stmts) {
      if (st.kind == "TransactionStmt") {
        std::string_view kind = st.body()["kind"].str();
        explicit_block = kind == "TRANS_STMT_BEGIN" || kind == "TRANS_STMT_START";
        end_transaction(ctx);
      } else if (!one_transaction && !explicit_block) {
        end_transaction(ctx);  // autocommit: each statement its own transaction
      }
      ctx.in_transaction = one_transaction || explicit_block;
      StatementReport sr;
      sr.file = st.file;
      sr.line = st.line;
      sr.column = st.column;
      sr.sql = st.sql;
      TANDEM_RETURN_IF_ERROR(read_live_types(st, ctx));
      sr.classification = classify(st, ctx);
      for (const auto& rule : report_here ? all_rules() : no_rules) {
        std::vector<Finding> found;
        rule->check(st, sr.classification, ctx, found);
        Severity rule_default = found.empty() ? Severity::kOff : rule->info().default_severity;
        for (Finding& f : found) {
          // An override sets the rule's level; a note the rule adds below it (an info finding
          // saying why something is fine) stays a note unless the rule is off.
          auto over = options.severity.find(f.rule);
          bool note = f.severity == Severity::kInfo && rule_default > Severity::kInfo;
          if (over != options.severity.end() && (!note || over->second == Severity::kOff))
            f.severity = over->second;
          if (f.severity == Severity::kOff || st.ignored.count(f.rule) || st.ignored.count("all"))
            continue;
          if (!source.generated_by.empty()) f.generated = source.generated_by + ": " + st.sql;
          sr.findings.push_back(f);
          report.findings.push_back(std::move(f));
        }
      }
      learn(st, sr.classification, ctx);
      if (report_here) report.statements.push_back(std::move(sr));
    }
  }
  report.files = static_cast<int>(files.size());
  report.elapsed_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  return report;
}

Severity LintReport::worst() const {
  Severity w = Severity::kOff;
  for (const Finding& f : findings) w = std::max(w, f.severity);
  return w;
}

std::vector<RuleInfo> rules() {
  std::vector<RuleInfo> out;
  for (const auto& r : all_rules()) out.push_back(r->info());
  return out;
}

const char* severity_name(Severity s) {
  switch (s) {
    case Severity::kOff:
      return "off";
    case Severity::kInfo:
      return "info";
    case Severity::kWarning:
      return "warning";
    case Severity::kError:
      return "error";
  }
  return "off";
}

bool parse_severity(const std::string& text, Severity& out) {
  for (Severity s : {Severity::kOff, Severity::kInfo, Severity::kWarning, Severity::kError}) {
    if (text == severity_name(s)) {
      out = s;
      return true;
    }
  }
  return false;
}

const char* lock_name(Lock l) {
  static const char* kNames[] = {
      "none",  "ACCESS SHARE",        "ROW SHARE", "ROW EXCLUSIVE",   "SHARE UPDATE EXCLUSIVE",
      "SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE"};
  return kNames[static_cast<int>(l)];
}

}  // namespace tandem::lint
