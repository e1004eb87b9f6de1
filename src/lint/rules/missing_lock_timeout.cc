// missing-lock-timeout: a statement that needs ACCESS EXCLUSIVE or SHARE ROW EXCLUSIVE waits
// behind any long transaction on the table — and every query after it waits behind it — unless
// lock_timeout makes it give up. (tandem sets lock_timeout itself: --lock-timeout.)

#include <fmt/format.h>

#include "lint/rule.h"

namespace tandem::lint {
namespace {

class MissingLockTimeout final : public Rule {
 public:
  RuleInfo info() const override {
    return {"missing-lock-timeout",
            "waiting for a strong lock queues every later query on the table behind it; "
            "lock_timeout bounds the wait",
            Severity::kWarning};
  }
  void check(const Statement& st, const Classification& c, const Context& ctx,
             std::vector<Finding>& out) const override {
    if (ctx.options->runner_sets_lock_timeout || ctx.lock_timeout_set) return;
    if (c.lock < Lock::kShareRowExclusive || c.lock == Lock::kExclusive) return;
    if (!c.relation.empty() && ctx.created(c.relation)) return;
    out.push_back(finding(
        st, fmt::format("{} with no lock_timeout set before it", lock_name(c.lock)), lock_text(c),
        "SET lock_timeout = '2s';  -- before it, and retry on failure (tandem does both: "
        "--lock-timeout, --lock-retries)"));
  }
};

}  // namespace

std::unique_ptr<Rule> make_missing_lock_timeout() { return std::make_unique<MissingLockTimeout>(); }

}  // namespace tandem::lint
