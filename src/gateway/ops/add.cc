// add {field, default}: head added a field the old version does not know.
//   up:   every located object that lacks `field` gets field = default (JSON text);
//         a value the old client sent anyway is kept.
//   down: `field` is removed (old clients never saw it).
// `default` is required and must be one JSON value.

#include "gateway/ops/field_op.h"

namespace tandem::gateway::ops {
namespace {

class Add final : public FieldOp {
 public:
  Add(JsonPath field, std::string default_json)
      : field_(std::move(field)),
        key_raw_(json_escape(field_.leaf().key)),
        default_(std::move(default_json)) {}

  Status up(JNode& object, Tree& tree) override {
    return add_if_absent(object, tree, field_, key_raw_, default_);
  }
  Status down(JNode& object, Tree& tree) override {
    return remove_if_present(object, tree, field_);
  }
  std::vector<const JsonPath*> paths() const override { return {&field_}; }

 private:
  JsonPath field_;
  std::string key_raw_, default_;
};

}  // namespace

Result<std::unique_ptr<FieldOp>> make_add(const FieldOpSpec& spec) {
  TANDEM_ASSIGN_OR_RETURN(JsonPath field, parse_field_path(spec.field));
  if (spec.default_json.empty()) {
    return Status::InvalidInput("add `" + field.text + "`: a `default` is required");
  }
  TANDEM_ASSIGN_OR_RETURN(std::string def,
                          checked_json(spec.default_json, "add `" + field.text + "` default"));
  return std::unique_ptr<FieldOp>(new Add(std::move(field), std::move(def)));
}

}  // namespace tandem::gateway::ops
