#pragma once
// Dark traffic (`shadows:`): the comparison of a shadow upstream's answer with the real one, and
// the tallies /metrics exports — as GitHub's Scientist does for code paths. Bodies are compared
// structurally (JSON: key order and number spelling do not matter) after the configured paths
// are removed; each difference is named by its path with array positions folded to `[]`
// (`data[].total_amount`), so the most frequent differences add up.

#include <prometheus/metric_family.h>

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "tandem/gateway.h"

namespace tandem::gateway {

struct ShadowDiff {
  bool same = true;
  std::vector<std::string> paths;  // at most `max_paths`, each once
};

// Compares two answers: statuses first (a differing status is the path `(status)`), then the
// bodies — as JSON when both parse, else byte for byte (the path `(body)`).
ShadowDiff compare_answers(int status_a, std::string_view body_a, int status_b,
                           std::string_view body_b, const std::vector<std::string>& ignore,
                           size_t max_paths = 16);

// Shared by the workers: per shadow, how many copies were compared, matched, differed, failed or
// were skipped, and the differing paths (the 50 most frequent per shadow keep their name).
class ShadowTally {
 public:
  explicit ShadowTally(const Config& config);
  enum class Result { kMatch, kMismatch, kError, kSkipped };
  void record(int shadow, Result result, const std::vector<std::string>& paths = {});
  void render(std::vector<prometheus::MetricFamily>& out) const;

  struct Counts {
    unsigned long long match = 0, mismatch = 0, error = 0, skipped = 0;
    std::map<std::string, unsigned long long> paths;
  };
  Counts counts(int shadow) const;

 private:
  const Config& config_;
  mutable std::mutex mu_;
  std::vector<Counts> counts_;
};

}  // namespace tandem::gateway
