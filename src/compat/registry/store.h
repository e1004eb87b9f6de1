#pragma once
// Where `tandem registry` keeps schemas: PostgreSQL (schema tandem, tables registry_*) so that
// several registry processes behind a load balancer share one id sequence and give the same
// answers, or SQLite (tables tandem_registry_*) for one process.
//
// A schema's id is global: the same schema (type, canonical text, references) registered under
// any subject gets the same id. A subject is a list of versions 1, 2, …, each pointing at a
// schema; a soft delete marks a version, a hard delete removes it. Registration runs under a
// per-subject lock (pg_advisory_xact_lock; SQLite's write lock), so two processes registering
// the same schema at once get the same id and one version, and a compatibility check always
// sees the versions it is checked against.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tandem/db.h"

namespace tandem::registry {

struct Reference {
  std::string name;     // how the schema refers to it (Avro full name, $ref, import path)
  std::string subject;  // where it is registered
  int version = 0;
};

struct SchemaRecord {
  long long id = 0;
  std::string type;  // AVRO | JSON | PROTOBUF
  std::string text;
  std::vector<Reference> references;
};

struct VersionRecord {
  std::string subject;
  int version = 0;
  long long id = 0;
  bool deleted = false;
};

struct Registered {
  long long id = 0;
  int version = 0;
  bool created = false;  // false: the subject already had this schema
};

// The live versions of a subject, oldest first, with their schemas; a check returns a non-ok
// Status (Code::kProblem: incompatible) to refuse a registration.
using LiveVersions = std::vector<std::pair<VersionRecord, SchemaRecord>>;
using Check = std::function<Status(const LiveVersions&)>;

class Store {
 public:
  // Opens the database and creates the tables when missing (idempotent, also when several
  // registries start at once).
  static Result<std::unique_ptr<Store>> open(const std::string& url);

  Result<std::vector<std::string>> subjects(bool include_deleted, const std::string& prefix);
  // Versions of a subject, oldest first.
  Result<std::vector<VersionRecord>> versions(const std::string& subject, bool include_deleted);
  // The schema with this id, when some subject version (soft-deleted ones too) still has it.
  Result<std::optional<SchemaRecord>> schema(long long id);
  // The subject's version holding the schema with this fingerprint (the oldest live one; with
  // `include_deleted`, soft-deleted ones too).
  Result<std::optional<VersionRecord>> find(const std::string& subject,
                                            const std::string& fingerprint, bool include_deleted);
  // Which subject versions use schema `id`.
  Result<std::vector<VersionRecord>> uses_of(long long id, bool include_deleted);
  // Subject versions whose schemas refer to (subject, version).
  // `include_deleted`: soft-deleted referring versions count too (what a hard delete must
  // not leave dangling).
  Result<std::vector<long long>> referenced_by(const std::string& subject, int version,
                                               bool include_deleted = false);

  // Registers `candidate` (id ignored) under `subject` unless the subject already has it
  // (then its id and version). `fingerprint` identifies the schema across subjects. `check`
  // runs under the subject's lock before anything is written. `import_id`/`import_version`:
  // IMPORT mode's given id and version.
  Result<Registered> register_schema(const std::string& subject, const SchemaRecord& candidate,
                                     const std::string& fingerprint, const Check& check,
                                     std::optional<long long> import_id = std::nullopt,
                                     std::optional<int> import_version = std::nullopt);

  // Soft delete marks the version(s); permanent removes them (they must be soft-deleted
  // first). Returns the versions affected; an empty list when there was nothing to delete.
  Result<std::vector<int>> delete_versions(const std::string& subject, std::optional<int> version,
                                           bool permanent);

  // Settings per subject; subject "" is the global one. nullopt: not set.
  Result<std::optional<std::string>> setting(const char* kind, const std::string& subject);
  Status set_setting(const char* kind, const std::string& subject, const std::string& value);
  // Returns the value removed (nullopt: none was set).
  Result<std::optional<std::string>> delete_setting(const char* kind, const std::string& subject);

  bool postgres() const { return postgres_; }

 private:
  explicit Store(std::unique_ptr<db::Connection> conn);
  Status create_tables();
  // PostgreSQL: the subject's transaction lock, waiting at most 10 s.
  Status lock_subject(const std::string& subject);
  std::string table(const char* name) const;
  Result<std::vector<Reference>> parse_references(const std::string& json) const;

  std::unique_ptr<db::Connection> conn_;
  bool postgres_ = false;
};

// The references as stored (a JSON array of {name, subject, version}), in a canonical form.
std::string references_json(const std::vector<Reference>& refs);

}  // namespace tandem::registry
