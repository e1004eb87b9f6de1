// convert {field, up, down}: the field's value changes representation between versions;
// `up` and `down` are jq programs (compiled once) run on the value alone.
//   up:   value = up(value);   down: value = down(value).
// A missing field is left missing. A JSON null passes through unchanged (both versions mean
// "no value" by it), so a program need not guard against null. The program must produce
// exactly one value: an error, no value or several values fail the request with jq's message.
// jq 1.6 reads numbers as doubles: integers beyond 2^53 lose precision in a converted field.
// A value over 4 KiB is refused before jq sees it: jq has no limit of its own, and `. * 100`
// on a client's 9 MB string builds a 900 MB one (a converted field is a scalar in practice).

#include "gateway/jq_program.h"
#include "gateway/ops/field_op.h"

namespace tandem::gateway::ops {
namespace {

constexpr size_t kMaxConvertInput = 4 * 1024;

class Convert final : public FieldOp {
 public:
  Convert(JsonPath field, std::unique_ptr<JqProgram> up, std::unique_ptr<JqProgram> down)
      : field_(std::move(field)), up_(std::move(up)), down_(std::move(down)) {}

  Status up(JNode& object, Tree& tree) override { return convert(object, tree, *up_); }
  Status down(JNode& object, Tree& tree) override { return convert(object, tree, *down_); }
  std::vector<const JsonPath*> paths() const override { return {&field_}; }

 private:
  Status convert(JNode& object, Tree& tree, JqProgram& program) {
    return for_each_parent(object, tree, field_.segments, 0, [&](JNode& parent) -> Status {
      TANDEM_ASSIGN_OR_RETURN(int at, find_member(parent, field_.leaf().key));
      if (at < 0) return Status::Ok();
      JNode* value = parent.members[at].value;
      if (value->is_null()) return Status::Ok();
      input_.clear();
      write_json(*value, input_);
      if (input_.size() > kMaxConvertInput) {
        return Status::InvalidInput(field_prefix(field_) +
                                    "the value is larger than 4 KiB, too large to convert");
      }
      Status st = program.run(input_, output_);
      if (!st.ok()) {
        return Status::InvalidInput(field_prefix(field_) +
                                    "the convert program failed: " + st.message());
      }
      parent.members[at].value = tree.raw(tree.keep(output_));
      parent.changed = true;
      return Status::Ok();
    });
  }

  JsonPath field_;
  std::unique_ptr<JqProgram> up_, down_;
  std::string input_, output_;  // reused between values
};

}  // namespace

Result<std::unique_ptr<FieldOp>> make_convert(const FieldOpSpec& spec) {
  TANDEM_ASSIGN_OR_RETURN(JsonPath field, parse_field_path(spec.field));
  if (spec.up.empty() || spec.down.empty()) {
    return Status::InvalidInput("convert `" + field.text +
                                "`: both `up` and `down` jq programs are required");
  }
  auto up = JqProgram::compile(spec.up);
  if (!up.ok()) return up.status().with_context("convert `" + field.text + "` up: ");
  auto down = JqProgram::compile(spec.down);
  if (!down.ok()) return down.status().with_context("convert `" + field.text + "` down: ");
  return std::unique_ptr<FieldOp>(
      new Convert(std::move(field), std::move(up).value(), std::move(down).value()));
}

}  // namespace tandem::gateway::ops
