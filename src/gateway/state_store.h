#pragma once
// Where the gateway keeps what outlives a process: client pins and usage counts. SQLite
// (tables tandem_gateway_pins / tandem_gateway_usage) for one gateway; PostgreSQL (schema
// tandem, tables gateway_pins / gateway_usage) so that several gateways share them.

#include <array>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "gateway/rollout.h"
#include "tandem/db.h"
#include "tandem/gateway.h"

namespace tandem::gateway {

// Requests one client made with one version, since the last flush.
struct UsageDelta {
  long long requests = 0;
  long long first_seen = 0;  // Unix seconds
  long long last_seen = 0;
};
using UsageKey = std::pair<std::string, std::string>;  // (client, version)
using UsageDeltas = std::map<UsageKey, UsageDelta>;

class StateStore {
 public:
  // Opens the state database and creates its tables when missing (idempotent, also when two
  // gateways start at once). `create`: false for read-only commands (`api usage`), which then
  // report "no state yet" instead of creating a file.
  static Result<std::unique_ptr<StateStore>> open(const std::string& url, bool create = true);

  Result<std::unordered_map<std::string, std::string>> load_pins();
  // A number every pin change (set_pin, pin_if_absent, a removal) increases: the gateways
  // reload the pins only when it moved, instead of reading the whole table twice a second.
  Result<long long> pins_generation();
  Result<std::vector<PinRow>> list_pins();
  // Sets a pin (replacing one); an empty version removes it. Returns the version the client
  // was pinned to before ("" when it had no pin).
  Result<std::string> set_pin(const std::string& client, const std::string& version);
  // Pins clients that have no pin yet (a pin set meanwhile — by another gateway or `api pin` —
  // wins).
  Status pin_if_absent(const std::vector<std::pair<std::string, std::string>>& pins);
  // Adds counts in one transaction.
  Status add_usage(const UsageDeltas& deltas);
  Result<std::vector<UsageRow>> list_usage();

  // Switches (partial responses, `tandem api degrade`): the names that are on.
  Result<std::set<std::string>> switches_on();
  // Sets a switch; returns whether it was on before.
  Result<bool> set_switch(const std::string& name, bool on, const std::string& reason);

  // Rollouts (gateway/rollout_store.cc). The states of every rollout the database knows.
  Result<std::vector<RolloutState>> load_rollouts();
  // Creates the rollout's state at its first step when the database has none (idempotent; the
  // first gateway wins).
  Status ensure_rollout(const Rollout& rollout, long long now);
  // Adds measures: one row per (rollout, arm, second), summed over every gateway.
  Status add_rollout_samples(
      const std::vector<std::tuple<std::string, int, long long, ArmSample>>& rows);
  // The sums of [from, to) (Unix seconds): [0] baseline, [1] canary.
  Result<std::array<ArmSample, 2>> rollout_window(const std::string& name, long long from,
                                                  long long to);
  // Replaces `before` with `after` when nobody changed it meanwhile (compare and set on step,
  // status and updated); records the change in the rollout's history. False when it lost.
  Result<bool> update_rollout(const RolloutState& before, const RolloutState& after,
                              const std::string& actor);
  struct RolloutEvent {
    long long at = 0;
    int step = 0;
    double share = 0;
    std::string status, reason, actor;
  };
  Result<std::vector<RolloutEvent>> rollout_history(const std::string& name, int limit);
  // Drops measures older than `before` (Unix seconds).
  Status prune_rollout_samples(long long before);

 private:
  Status bump_pins_generation();
  explicit StateStore(std::unique_ptr<db::Connection> conn);
  Status create_tables();
  std::string table(const char* name) const;

  std::unique_ptr<db::Connection> conn_;
  bool postgres_ = false;
};

}  // namespace tandem::gateway
