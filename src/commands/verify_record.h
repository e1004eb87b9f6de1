#pragma once
// How a `tandem verify` result is kept in the event log: the event's detail is one JSON object
// — the summary a person reads, the counts, and every check with its sample keys — so that
// `tandem complete` can quote it and the dashboard can chart it. Events written before this
// layout hold the summary alone as text; both forms are read.

#include <string>

#include "tandem/backfill.h"

namespace tandem::commands {

// {"summary": "3 mismatch(es) in 2 check(s) over 1000 row(s)", "rows": 1000, "mismatches": 3,
//  "checks": [{"table", "column", "direction", "expression", "rows", "mismatches",
//  "sample_keys"}]}
std::string verify_detail(const backfill::VerifyReport& report);

// The summary of a stored detail (either form); the text itself when it is not JSON.
std::string verify_summary(const std::string& detail);

// A stored verify event as a record: what the detail holds (the summary alone for old events).
backfill::VerifyRecord verify_record(const std::string& version, const std::string& at,
                                     const std::string& status, long long elapsed_ms,
                                     const std::string& detail);

}  // namespace tandem::commands
