#pragma once
// Feature flags: the instant rollback lever. A flag lives in the database tandem manages
// (PostgreSQL: tables `tandem.flags` and `tandem.flag_events`; SQLite: `tandem_flags`,
// `tandem_flag_events`), so an application, `tandem serve` (OpenFeature's remote evaluation
// protocol) and the migration phases all read one truth. Every change is one transaction that
// also appends an audited event: who, when, the old and the new definition, and why.
//
// A flag serves `value` — to everyone, or, with targeting, to the targeting keys (clients,
// tenants) it selects, and `fallback` to the others:
//   - keys in `deny` get `fallback`, keys in `allow` get `value`;
//   - of the other keys, `percent` % get `value`, chosen by a stable hash of (flag key,
//     targeting key): a tenant in at 5 % stays in at 25 %, and every process agrees.
// Without a targeting key, a flag that serves one value to everyone serves it; any other
// serves `fallback` (reason DEFAULT). Variants: "value" (served `value`), "default" (served
// `fallback`).

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tandem/db.h"
#include "tandem/status.h"

namespace tandem::flags {

enum class FlagType { kBool, kString, kNumber, kJson };
const char* type_name(FlagType type);  // "bool" | "string" | "number" | "json"
std::optional<FlagType> parse_type(std::string_view text);

// Why a flag served what it served — OpenFeature's resolution reasons.
enum class Reason { kStatic, kTargetingMatch, kSplit, kDefault };
const char* reason_name(Reason reason);  // "STATIC" | "TARGETING_MATCH" | "SPLIT" | "DEFAULT"

struct Flag {
  std::string key;
  FlagType type = FlagType::kBool;
  std::string value;     // canonical JSON text: true, "blue", 2.5, {"a":1}
  std::string fallback;  // canonical JSON text; "" when nobody can be served it
  std::vector<std::string> allow, deny;
  double percent = 100;  // share of the other targeting keys served `value`, 0..100
  std::string description;
  long long version = 0;   // 1 for a new flag, +1 on every change
  std::string updated_at;  // ISO-8601 UTC
  std::string updated_by;

  // True when targeting keys are served different values.
  bool targeted() const;
  // True when every caller, whatever its targeting key (or none), is served `json_value`.
  bool serves_everyone(std::string_view json_value) const;
  // One line: "true", "true for 25% (+2 allowed, 1 denied), else false".
  std::string summary() const;
};

struct Evaluation {
  std::string value;    // canonical JSON text
  std::string variant;  // "value" (served `value`) | "default" (served `fallback`)
  Reason reason = Reason::kStatic;
};

// What `flag`'s value is for `targeting_key` (nullopt: the caller gave none).
Evaluation evaluate(const Flag& flag, const std::optional<std::string>& targeting_key);

// The hash bucket of `targeting_key` for `flag_key`, 0..9999: below percent × 100 is served
// `value`. XXH3-64 of "flag_key\0targeting_key": the same in every process and release.
int bucket(std::string_view flag_key, std::string_view targeting_key);

// A valid flag key: 1-128 characters of letters, digits, '.', '_', '-', ':'; starting with a
// letter or digit (it is a URL path segment in OFREP). InvalidInput saying what is wrong.
Status check_key(std::string_view key);

// `text` read as a value of `type`, in canonical JSON: bool accepts true/false/on/off;
// number a finite JSON number; string any UTF-8 text (stored as a JSON string); json one JSON
// document. At most 64 KiB. InvalidInput naming the type otherwise.
Result<std::string> parse_value(FlagType type, std::string_view text);
// The type `text` reads as when none is given: bool for true/false/on/off, number for a JSON
// number, json for an object or array, string otherwise.
FlagType infer_type(std::string_view text);

// Ok when `flag` (as read from the database) is one tandem could have written: its value and
// default of its type, percent 0-100, version >= 1, UTF-8 targeting keys. A row edited into
// anything else is refused (Code::kDatabase), never served.
Status check_stored(const Flag& flag);

// What `flag set` changes.
struct FlagChange {
  std::string key;
  std::optional<FlagType> type;  // nullopt: the flag's present type, else inferred from value
  std::string value;             // as typed by the user
  std::optional<std::string> fallback;  // as typed; bool: defaults to the opposite of value
  std::vector<std::string> allow, deny;
  std::optional<double> percent;           // nullopt: 100, or 0 when `allow` names keys
  std::optional<std::string> description;  // nullopt: keep the present one
  std::string reason;                      // why, for the audit log
  std::string actor;                       // who
  // Compare-and-set: refuse (Conflict) unless the flag is at this version now (0: absent).
  std::optional<long long> expect_version;
};

// The definition `change` makes of `current` (nullopt: a new flag) — validated, not stored.
Result<Flag> apply_change(const std::optional<Flag>& current, const FlagChange& change);

// One audited change.
struct FlagEvent {
  long long id = 0;
  std::string key;
  std::string at;
  std::string actor;
  std::string action;         // "set" | "delete"
  std::string before, after;  // the whole definitions as JSON ("" when absent)
  std::string reason;
};

// The flags of one database. Not thread-safe: one per thread (it owns a Connection).
class FlagStore {
 public:
  // Connects to `url` and creates the flag tables when missing. `create` false (readers): no
  // DDL runs and a missing SQLite file is an error; a database without the tables reads as one
  // without flags (`exists()` says which), and set() creates them.
  static Result<std::unique_ptr<FlagStore>> open(const std::string& url, bool create = true,
                                                 std::string application_name = "tandem flags");
  // On a connection the caller owns (the migration commands); `create` as for open().
  static Result<std::unique_ptr<FlagStore>> on(db::Connection& conn, bool create = true);

  // Sets `change.key`, atomically with its audit event; the stored flag.
  Result<Flag> set(const FlagChange& change);
  // Deletes `key` (NotFound when absent), with its audit event.
  Status remove(const std::string& key, const std::string& actor, const std::string& reason);
  // nullopt when absent.
  Result<std::optional<Flag>> get(const std::string& key);
  // Every flag, by key. A row that is not a valid flag (check_stored) is an error — or, with
  // `invalid`, left out and its error appended there (`tandem serve` keeps serving the others).
  Result<std::vector<Flag>> list(std::vector<Status>* invalid = nullptr);
  // The changes of `key` (every flag when ""), newest first, at most `limit`.
  Result<std::vector<FlagEvent>> history(const std::string& key, int limit = 100);
  // A number that changes whenever any flag changes — also when the flag tables appear: cheap
  // to poll.
  Result<std::string> generation();
  // Whether the flag tables exist (as found when opened or by generation(), or created since).
  bool exists() const { return present_; }

 private:
  explicit FlagStore(db::Connection& conn);
  Status create_tables();
  Result<bool> tables_present();
  std::string table(const char* name) const;

  std::unique_ptr<db::Connection> owned_;
  db::Connection& conn_;
  bool postgres_;
  bool present_ = false;
};

// A flag as JSON ({"key", "type", "value", "fallback", "allow", "deny", "percent", …}), values
// as JSON values, for `--json` output and audit events.
std::string to_json(const Flag& flag);
Result<Flag> from_json(std::string_view text);

}  // namespace tandem::flags
