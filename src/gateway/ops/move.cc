// move {from, to}: a field changed its place inside the object ("customer_name" ->
// "customer.name"). Paths are relative to the located object and may not contain `[]`.
//   up:   the value at `from` is removed and set at `to`, creating the objects on the way to
//         `to` that are missing; it becomes the last member of its new parent.
//   down: the same from `to` to `from`.
// A missing source changes nothing. Objects on the source's path that the move leaves empty
// are removed (they are the ones the other direction created), so up then down gives back the
// original object. Errors: the destination already exists (ambiguous), or an existing member
// on the way to it is not an object.

#include "gateway/ops/field_op.h"

namespace tandem::gateway::ops {
namespace {

class Move final : public FieldOp {
 public:
  Move(JsonPath from, JsonPath to) : from_(std::move(from)), to_(std::move(to)) {
    from_raw_ = json_escape(from_.leaf().key);
    to_raw_ = json_escape(to_.leaf().key);
  }

  Status up(JNode& object, Tree& tree) override { return move(object, tree, from_, to_, to_raw_); }
  Status down(JNode& object, Tree& tree) override {
    return move(object, tree, to_, from_, from_raw_);
  }
  std::vector<const JsonPath*> paths() const override { return {&from_, &to_}; }

 private:
  static Status move(JNode& object, Tree& tree, const JsonPath& src, const JsonPath& dst,
                     const std::string& dst_raw) {
    // The source: its chain of parent objects, outermost first.
    std::vector<JNode*> chain{&object};
    for (size_t i = 0; i + 1 < src.segments.size(); ++i) {
      TANDEM_ASSIGN_OR_RETURN(int at, find_member(*chain.back(), src.segments[i].key));
      if (at < 0) return Status::Ok();
      TANDEM_RETURN_IF_ERROR(tree.expand(*chain.back()->members[at].value));
      if (!chain.back()->members[at].value->is_object()) return Status::Ok();
      chain.push_back(chain.back()->members[at].value);
    }
    TANDEM_ASSIGN_OR_RETURN(int from_at, find_member(*chain.back(), src.leaf().key));
    if (from_at < 0) return Status::Ok();

    // The destination's parent, created where missing.
    JNode* parent = &object;
    for (size_t i = 0; i + 1 < dst.segments.size(); ++i) {
      const PathSegment& seg = dst.segments[i];
      TANDEM_ASSIGN_OR_RETURN(int at, find_member(*parent, seg.key));
      if (at < 0) {
        JNode* created = tree.object();
        parent->members.push_back({tree.keep(json_escape(seg.key)), seg.key, created});
        parent->changed = true;
        parent = created;
        continue;
      }
      TANDEM_RETURN_IF_ERROR(tree.expand(*parent->members[at].value));
      if (!parent->members[at].value->is_object()) {
        return Status::InvalidInput(field_prefix(dst) + "`" + seg.key + "` is not an object, so `" +
                                    src.text + "` cannot move into it");
      }
      parent = parent->members[at].value;
    }
    TANDEM_ASSIGN_OR_RETURN(int clash, find_member(*parent, dst.leaf().key));
    if (clash >= 0) {
      return Status::InvalidInput(field_prefix(dst) + "both `" + src.text + "` and `" + dst.text +
                                  "` are present; send only one of them");
    }
    // Creating the destination's parents only appended members: from_at is still valid.
    JNode* value = chain.back()->members[from_at].value;
    chain.back()->members.erase(chain.back()->members.begin() + from_at);
    chain.back()->changed = true;
    parent->members.push_back({dst_raw, dst.leaf().key, value});
    parent->changed = true;

    // Remove the source's parents the move emptied, innermost first (never the located object).
    for (size_t i = chain.size() - 1; i > 0 && chain[i]->members.empty(); --i) {
      TANDEM_ASSIGN_OR_RETURN(int at, find_member(*chain[i - 1], src.segments[i - 1].key));
      chain[i - 1]->members.erase(chain[i - 1]->members.begin() + at);
      chain[i - 1]->changed = true;
    }
    return Status::Ok();
  }

  JsonPath from_, to_;
  std::string from_raw_, to_raw_;
};

bool is_prefix(const JsonPath& a, const JsonPath& b) {
  if (a.segments.size() > b.segments.size()) return false;
  for (size_t i = 0; i < a.segments.size(); ++i) {
    if (!(a.segments[i] == b.segments[i])) return false;
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<FieldOp>> make_move(const FieldOpSpec& spec) {
  TANDEM_ASSIGN_OR_RETURN(JsonPath from, parse_field_path(spec.from));
  TANDEM_ASSIGN_OR_RETURN(JsonPath to, parse_field_path(spec.to));
  std::string what = "move `" + from.text + "` to `" + to.text + "`";
  if (from.has_arrays() || to.has_arrays()) {
    return Status::InvalidInput(what +
                                ": paths with `[]` are not supported; set the change's "
                                "location to the array's elements instead");
  }
  if (is_prefix(from, to) || is_prefix(to, from)) {
    return Status::InvalidInput(what + ": one path contains the other");
  }
  return std::unique_ptr<FieldOp>(new Move(std::move(from), std::move(to)));
}

}  // namespace tandem::gateway::ops
