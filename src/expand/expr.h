#pragma once
// SQL expressions from migration files (`up`, `down`, `check`, index predicates), read with the
// real PostgreSQL parser: checked before anything runs, and column references rewritten when a
// constraint moves onto a shadow column.

#include <map>
#include <set>
#include <string>

#include "tandem/status.h"

namespace tandem::expand {

// OK when `expr` parses as one PostgreSQL scalar expression; otherwise the parser's message
// with the column inside the expression.
Status check_expression(const std::string& expr);

// `expr` with every unqualified reference to a column in `renames` (case-folded, quoted or
// not) replaced by the quoted new name. "length(title) > 3" + {title → _tandem_new_title}
// → "length(\"_tandem_new_title\") > 3".
Result<std::string> rewrite_column_refs(const std::string& expr,
                                        const std::map<std::string, std::string>& renames);

// `expr` with every unqualified reference to a column in `replacements` replaced by the given
// SQL text as it is ("balance" → NEW."balance").
Result<std::string> substitute_column_refs(const std::string& expr,
                                           const std::map<std::string, std::string>& replacements);

// True when `expr` holds a subquery (whose column names belong to other tables).
bool has_subquery(const std::string& expr);

// The unqualified column names `expr` refers to (case-folded).
Result<std::set<std::string>> column_refs(const std::string& expr);

}  // namespace tandem::expand
