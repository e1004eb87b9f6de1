// The declarative format as the engine sees it: a MigrationFormat for .yaml/.yml/.json files,
// a MigrationBody holding the operations, and — on PostgreSQL — a Procedure that applies the
// migration as start + complete. The commands layer registers the format (engine/hooks.h); the
// engine never names it.

#include <fmt/format.h>

#include <map>
#include <mutex>

#include "engine/session.h"
#include "engine/state.h"
#include "expand/lifecycle.h"
#include "expand/operations.h"
#include "tandem/expand.h"

namespace tandem::expand {
namespace {

// `up` on PostgreSQL: start, then complete — the same short-lock steps whether or not two
// application versions run side by side. A run killed in the middle continues where it was.
class StartThenComplete final : public Procedure {
 public:
  explicit StartThenComplete(const BackfillOptions& backfill) : backfill_(backfill) {}
  std::vector<Statement> plan(Session& s, const Migration& m) const override {
    return planned_statements(s, m);
  }
  Status apply(Session& s, const Migration& m) const override {
    TANDEM_ASSIGN_OR_RETURN(std::optional<ActiveMigration> active, s.state->active());
    bool completing = active && active->version == m.version && active->phase == Phase::kCompleting;
    if (!completing) TANDEM_RETURN_IF_ERROR(start_in(s, backfill_, m.version).status());
    return complete_in(s, backfill_).status();
  }

 private:
  BackfillOptions backfill_;
};

class DeclarativeBody final : public MigrationBody {
 public:
  DeclarativeBody(Declarative parsed, std::shared_ptr<const Procedure> procedure)
      : ops_(std::move(parsed.operations)),
        flags_(std::move(parsed.flags)),
        procedure_(std::move(procedure)) {}
  const OperationList& operations() const { return ops_; }
  const PhaseFlags& flags() const { return flags_; }

  std::vector<Problem> check(const Migration& m, db::Backend backend) const override {
    return check_fragments(backend, m);
  }
  // fragment_problems, once per backend: `validate` and `up` ask for them three times (check,
  // then the up and the down statements), and on SQLite each check runs a statement.
  std::vector<Problem> checked_fragments(const Migration& m, db::Backend backend) const {
    std::lock_guard<std::mutex> lock(checked_mu_);
    auto it = checked_.find(backend);
    if (it == checked_.end())
      it = checked_.emplace(backend, fragment_problems(backend, m.path, ops_)).first;
    return it->second;
  }
  std::vector<Statement> statements(const Migration& m, Direction dir, const db::Dialect& dialect,
                                    std::vector<Problem>& problems) const override {
    return direct_statements(dialect, m, dir, problems);
  }
  std::vector<WrittenSql> written_sql(const Migration& m) const override {
    return expand::written_sql(m);
  }
  const Procedure* procedure(db::Backend backend) const override {
    return backend == db::Backend::kPostgres ? procedure_.get() : nullptr;
  }

 private:
  OperationList ops_;
  PhaseFlags flags_;
  std::shared_ptr<const Procedure> procedure_;
  mutable std::mutex checked_mu_;
  mutable std::map<db::Backend, std::vector<Problem>> checked_;
};

class DeclarativeFormat final : public MigrationFormat {
 public:
  DeclarativeFormat(std::string extension, const BackfillOptions& backfill,
                    const InputLimits& limits)
      : extension_(std::move(extension)),
        procedure_(std::make_shared<const StartThenComplete>(backfill)),
        limits_(limits) {}
  std::vector<std::string> extensions() const override { return {extension_}; }
  void parse(Migration& m, std::string_view content,
             std::vector<Problem>& problems) const override {
    // The operations stand for both sections: their SQL is generated.
    m.up.present = m.down.present = true;
    m.up.first_line = m.down.first_line = 1;
    m.body = std::make_shared<const DeclarativeBody>(
        parse_declarative(m.path, content, problems, limits_), procedure_);
  }

 private:
  std::string extension_;
  std::shared_ptr<const Procedure> procedure_;
  InputLimits limits_;
};

}  // namespace

std::shared_ptr<const MigrationFormat> declarative_format(const std::string& extension,
                                                          const BackfillOptions& backfill,
                                                          const InputLimits& limits) {
  return std::make_shared<const DeclarativeFormat>(extension, backfill, limits);
}

std::vector<Problem> check_fragments(db::Backend backend, const Migration& m) {
  const auto* body = dynamic_cast<const DeclarativeBody*>(m.body.get());
  return body ? body->checked_fragments(m, backend) : std::vector<Problem>();
}

const PhaseFlags* phase_flags_of(const Migration& m) {
  const auto* body = dynamic_cast<const DeclarativeBody*>(m.body.get());
  return body && !body->flags().empty() ? &body->flags() : nullptr;
}

const OperationList* operations_of(const Migration& m) {
  const auto* body = dynamic_cast<const DeclarativeBody*>(m.body.get());
  return body ? &body->operations() : nullptr;
}

}  // namespace tandem::expand
