// remove {field, default}: head dropped a field the old version still has.
//   up:   `field` is removed from every located object that has it (head does not read it).
//   down: every located object that lacks `field` gets field = default (JSON text), so old
//         clients still find it. An empty `default` means null.

#include "gateway/ops/field_op.h"

namespace tandem::gateway::ops {
namespace {

class Remove final : public FieldOp {
 public:
  Remove(JsonPath field, std::string default_json)
      : field_(std::move(field)),
        key_raw_(json_escape(field_.leaf().key)),
        default_(std::move(default_json)) {}

  Status up(JNode& object, Tree& tree) override { return remove_if_present(object, tree, field_); }
  Status down(JNode& object, Tree& tree) override {
    return add_if_absent(object, tree, field_, key_raw_, default_);
  }
  std::vector<const JsonPath*> paths() const override { return {&field_}; }

 private:
  JsonPath field_;
  std::string key_raw_, default_;
};

}  // namespace

Result<std::unique_ptr<FieldOp>> make_remove(const FieldOpSpec& spec) {
  TANDEM_ASSIGN_OR_RETURN(JsonPath field, parse_field_path(spec.field));
  std::string def = "null";
  if (!spec.default_json.empty()) {
    TANDEM_ASSIGN_OR_RETURN(def,
                            checked_json(spec.default_json, "remove `" + field.text + "` default"));
  }
  return std::unique_ptr<FieldOp>(new Remove(std::move(field), std::move(def)));
}

}  // namespace tandem::gateway::ops
