#pragma once
// Names tandem derives from the user's (shadow columns, dual-write functions, helper
// constraints and indexes). PostgreSQL keeps 63 bytes of a name (NAMEDATALEN - 1) and silently
// cuts the rest, so two long names that share a prefix would become one: a dual-write function
// shared by two tables, one shadow column for two columns.

#include <string>

namespace tandem::expand {

// The longest name PostgreSQL keeps whole, in bytes.
inline constexpr size_t kMaxName = 63;

// `full` when it fits in kMaxName bytes; otherwise its first bytes, cut at a UTF-8 character
// boundary, then "_" and 8 hex digits of a hash of all of `full` — distinct long names get
// distinct derived names, and the same name always the same one.
std::string derived_name(const std::string& full);

}  // namespace tandem::expand
