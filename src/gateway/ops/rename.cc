// rename {from, to}: the old version calls a field `from`, head calls it `to`.
//   up:   every located object's key `from` becomes `to`; its position and value are kept.
//   down: `to` becomes `from`.
// Both paths must share their parent ("items[].price" -> "items[].unit_price"); a field that
// changes its parent is a `move`. An object with both names in the direction applied is an
// error: which one the other version means is ambiguous.

#include "gateway/ops/field_op.h"

namespace tandem::gateway::ops {
namespace {

class Rename final : public FieldOp {
 public:
  Rename(JsonPath from, JsonPath to)
      : from_(std::move(from)),
        to_(std::move(to)),
        from_raw_(json_escape(from_.leaf().key)),
        to_raw_(json_escape(to_.leaf().key)) {}

  Status up(JNode& object, Tree& tree) override {
    return rename(object, tree, from_, to_, to_raw_);
  }
  Status down(JNode& object, Tree& tree) override {
    return rename(object, tree, to_, from_, from_raw_);
  }
  std::vector<const JsonPath*> paths() const override { return {&from_, &to_}; }

 private:
  static Status rename(JNode& object, Tree& tree, const JsonPath& src, const JsonPath& dst,
                       const std::string& dst_raw) {
    return for_each_parent(object, tree, src.segments, 0, [&](JNode& parent) -> Status {
      TANDEM_ASSIGN_OR_RETURN(int at, find_member(parent, src.leaf().key));
      if (at < 0) return Status::Ok();
      TANDEM_ASSIGN_OR_RETURN(int clash, find_member(parent, dst.leaf().key));
      if (clash >= 0) {
        return Status::InvalidInput(field_prefix(src) + "both `" + src.leaf().key + "` and `" +
                                    dst.leaf().key + "` are present; send only one of them");
      }
      parent.members[at].key = dst.leaf().key;
      parent.members[at].key_raw = dst_raw;
      parent.changed = true;
      return Status::Ok();
    });
  }

  JsonPath from_, to_;
  std::string from_raw_, to_raw_;
};

}  // namespace

Result<std::unique_ptr<FieldOp>> make_rename(const FieldOpSpec& spec) {
  TANDEM_ASSIGN_OR_RETURN(JsonPath from, parse_field_path(spec.from));
  TANDEM_ASSIGN_OR_RETURN(JsonPath to, parse_field_path(spec.to));
  if (from.parent().segments != to.parent().segments) {
    return Status::InvalidInput("rename `" + from.text + "` to `" + to.text +
                                "`: the two paths have different parents; use move");
  }
  if (from.leaf().key == to.leaf().key) {
    return Status::InvalidInput("rename `" + from.text + "`: `from` and `to` are the same");
  }
  return std::unique_ptr<FieldOp>(new Rename(std::move(from), std::move(to)));
}

}  // namespace tandem::gateway::ops
