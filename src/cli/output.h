#pragma once
// Turning engine results into text for people and JSON for programs. No logic beyond that.

#include <nlohmann/json.hpp>
#include <string>

#include "tandem/engine.h"

namespace tandem::cli {

// `j` as JSON text: bytes that are not UTF-8 (a file name, a database's error) are written as
// U+FFFD instead of throwing — output never aborts the process.
std::string dump(const nlohmann::json& j, int indent = -1);

nlohmann::json to_json(const Problem& p);
nlohmann::json to_json(const StatusReport& r);
nlohmann::json to_json(const ApplyReport& r);
nlohmann::json to_json(const std::vector<PlannedMigration>& plan);
nlohmann::json to_json(const Status& st);
nlohmann::json to_json(const ImportReport& r);

std::string status_text(const StatusReport& r);
std::string apply_text(const ApplyReport& r, Direction dir);
std::string plan_text(const std::vector<PlannedMigration>& plan);
std::string import_text(const ImportReport& r);

// "850ms", "42s", "3m04s", "1h02m"; "-" for a negative (unknown) duration.
std::string duration_text(long long ms);

}  // namespace tandem::cli
