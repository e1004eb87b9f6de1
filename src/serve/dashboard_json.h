#pragma once
// The dashboard's JSON documents (docs/serve.md "Dashboard API"), rendered from what the
// reader thread read: pure functions, tested without a server.

#include <optional>
#include <string>

#include "serve/dashboard.h"

namespace tandem::serve {

// GET /api/overview, without its "generated_at" (added by with_time, so that an unchanged
// overview is recognised by its body).
std::string overview_json(const DashboardData& data, const DashboardOptions& options);
std::string with_time(const std::string& body, const std::string& iso_time);
// GET /api/series.
std::string series_json(const Series& series, const std::vector<backfill::VerifyRecord>& verifies);
// GET /api/migrations?limit=N&before=VERSION: newest first, `limit` from before `before`.
std::string migrations_page_json(const StatusReport* status, bool folder_missing, int limit,
                                 const std::optional<std::string>& before);
// One backfill job as the overview shows it.
nlohmann::json backfill_json(const backfill::BackfillJob& job);

}  // namespace tandem::serve
