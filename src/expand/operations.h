#pragma once
// The operation registry and what operations share (column specs and their SQL).

#include <memory>
#include <vector>

#include "expand/fields.h"
#include "tandem/expand.h"

namespace tandem::expand {

using Parser = std::unique_ptr<Operation> (*)(Fields& fields);

struct OperationKind {
  const char* name;
  Parser parse;
};

// Every operation this build knows, by pgroll name.
const std::vector<OperationKind>& operation_kinds();

// A declarative file as read: its operations and the flags tied to its phases (both empty
// when it has problems).
struct Declarative {
  OperationList operations;
  PhaseFlags flags;
};
Declarative parse_declarative(const std::string& path, std::string_view content,
                              std::vector<Problem>& problems, const InputLimits& limits);

// One parser per operation file.
std::unique_ptr<Operation> parse_create_table(Fields& f);
std::unique_ptr<Operation> parse_drop_table(Fields& f);
std::unique_ptr<Operation> parse_rename_table(Fields& f);
std::unique_ptr<Operation> parse_rename_column(Fields& f);
std::unique_ptr<Operation> parse_update(Fields& f);
std::unique_ptr<Operation> parse_add_column(Fields& f);
std::unique_ptr<Operation> parse_drop_column(Fields& f);
std::unique_ptr<Operation> parse_alter_column(Fields& f);
std::unique_ptr<Operation> parse_create_index(Fields& f);
std::unique_ptr<Operation> parse_drop_index(Fields& f);
std::unique_ptr<Operation> parse_raw_sql(Fields& f);
std::unique_ptr<Operation> parse_create_constraint(Fields& f);
std::unique_ptr<Operation> parse_drop_constraint(Fields& f);
std::unique_ptr<Operation> parse_rename_constraint(Fields& f);
std::unique_ptr<Operation> parse_alter_enum(Fields& f);

// Reads a pgroll column object.
ColumnSpec parse_column(Fields& f);
// `check: {name, constraint}` and `references: {name, table, column, on_delete}`.
// Their names are added to `sink` as kName fragments.
CheckSpec parse_check(Fields& f, const YAML::Node& n, std::vector<Fragment>& sink);
ReferenceSpec parse_references(Fields& f, const YAML::Node& n, std::vector<Fragment>& sink);
// `"name" type [NOT NULL] [DEFAULT …] [UNIQUE] [CONSTRAINT … CHECK (…)] [CONSTRAINT … REFERENCES
// …]`. Primary keys are a table constraint (create_table) and not part of this.
std::string column_sql(const ColumnSpec& c, db::Backend backend);

// Problems with the fragments of `ops` (read from `path`) on `backend`: check_fragments without
// its cache (the migration's body keeps the result per backend).
std::vector<Problem> fragment_problems(db::Backend backend, const std::string& path,
                                       const OperationList& ops);

// "a", "b" — quoted identifiers joined by commas.
std::string ident_list(const std::vector<std::string>& names);

// An operation that direct mode cannot revert, with the reason and what to do instead.
Status irreversible(const std::string& why);

}  // namespace tandem::expand
