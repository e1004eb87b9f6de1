// The rules, in the order they are checked and listed.

#include "lint/rule.h"

namespace tandem::lint {

std::unique_ptr<Rule> make_index_not_concurrent();
std::unique_ptr<Rule> make_concurrently_in_transaction();
std::unique_ptr<Rule> make_constraint_not_valid();
std::unique_ptr<Rule> make_validate_same_transaction();
std::unique_ptr<Rule> make_set_not_null();
std::unique_ptr<Rule> make_unique_without_index();
std::unique_ptr<Rule> make_type_change_rewrite();
std::unique_ptr<Rule> make_add_column_rewrite();
std::unique_ptr<Rule> make_add_column_not_null();
std::unique_ptr<Rule> make_missing_lock_timeout();
std::unique_ptr<Rule> make_statements_after_lock();
std::unique_ptr<Rule> make_data_change_in_ddl();
std::unique_ptr<Rule> make_breaking_change();
std::unique_ptr<Rule> make_prefer_bigint_pk();
std::unique_ptr<Rule> make_prefer_jsonb();
std::unique_ptr<Rule> make_prefer_timestamptz();
std::unique_ptr<Rule> make_prefer_text();

const std::vector<std::unique_ptr<Rule>>& all_rules() {
  static const std::vector<std::unique_ptr<Rule>> rules = [] {
    std::vector<std::unique_ptr<Rule>> r;
    for (auto make :
         {make_index_not_concurrent, make_concurrently_in_transaction, make_constraint_not_valid,
          make_validate_same_transaction, make_set_not_null, make_unique_without_index,
          make_type_change_rewrite, make_add_column_rewrite, make_add_column_not_null,
          make_missing_lock_timeout, make_statements_after_lock, make_data_change_in_ddl,
          make_breaking_change, make_prefer_bigint_pk, make_prefer_jsonb, make_prefer_timestamptz,
          make_prefer_text})
      r.push_back(make());
    return r;
  }();
  return rules;
}

}  // namespace tandem::lint
