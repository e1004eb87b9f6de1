#pragma once
// Reading one operation's fields from YAML with exact errors: missing, unknown, wrong type.

#include <yaml-cpp/yaml.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tandem/expand.h"
#include "tandem/migration.h"

namespace tandem::expand {

class Fields {
 public:
  // `what` names the object in messages ("add_column", "column").
  Fields(const YAML::Node& node, std::string what, const std::string& path,
         std::vector<Problem>& problems);
  // Reports every key that was never read. Call once all fields are read.
  void finish();

  std::string str(const std::string& key);  // required
  // A required name (table, column, index, constraint, type), checked per backend as a
  // db::FragmentKind::kName fragment added to `sink` as `field` (key when empty).
  std::string name(const std::string& key, std::vector<Fragment>& sink,
                   const std::string& field = {});
  // A required non-empty list of names, each checked like name().
  std::vector<std::string> names(const std::string& key, std::vector<Fragment>& sink);
  std::optional<std::string> opt_str(const std::string& key);
  // False (and a problem at `n`'s line) when `text`, read from `key`, holds a NUL character.
  bool no_nul(const YAML::Node& n, const std::string& key, const std::string& text);
  bool boolean(const std::string& key, bool fallback);
  std::vector<std::string> str_list(const std::string& key);  // required, non-empty
  YAML::Node node(const std::string& key, bool required);
  // A nested object's reader.
  Fields sub(const YAML::Node& node, const std::string& what) {
    return Fields(node, what, path_, problems_);
  }

  // `text` (read from `key`) as a fragment of `kind`, located at `key`'s line; `field` names it
  // in messages ("column.type"), `key` when empty. `two_version_only` for what only
  // start/complete embed (a drop_column's `down`), which direct mode never checks.
  Fragment fragment(db::FragmentKind kind, const std::string& key, const std::string& text,
                    const std::string& field = {}, bool two_version_only = false) const;

  int line() const { return line_; }
  int line_of(const std::string& key) const;
  bool ok() const { return problems_.size() == problems_before_; }
  void problem(int line, const std::string& message, const std::string& hint);

 private:
  YAML::Node node_;
  std::string what_;
  const std::string& path_;
  std::vector<Problem>& problems_;
  size_t problems_before_;
  std::set<std::string> read_;
  int line_ = 0;
};

}  // namespace tandem::expand
