#pragma once
// Each format's reader turns a schema file into the compat model (compat/model.h). Input
// errors carry file:line and what to do; a reader never crashes on any input (fuzzed).

#include <functional>
#include <string>

#include "compat/document.h"
#include "compat/model.h"

namespace tandem::compat {

// Avro (.avsc), per the Avro 1.11 specification.
Result<Schema> read_avro(const Document& doc);

// Loads another file a schema refers to (`$ref: other.json#/…`), by a path relative to the
// referring file. Tests pass their own; the default reads from disk.
using DocumentLoader = std::function<Result<Document>(const std::string& path)>;

// JSON Schema, drafts 7 and 2020-12 (and 4/6 where they agree).
Result<Schema> read_json_schema(const Document& doc, const DocumentLoader& load);

}  // namespace tandem::compat
