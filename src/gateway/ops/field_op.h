#pragma once
// Internal to the transform engine: the partial tree a located object becomes, and the
// interface every field operation implements (one operation per file in this folder).
//
// A located object is read into a JNode whose members keep their values as raw JSON text
// (spans of the input); only the members on an operation's path are expanded into nodes of
// their own. Operations edit that small tree; the engine writes back the nodes an operation
// changed and copies everything else as it was. An object or array an operation reaches that
// was not expanded up front (a later change of a chain reaching into a member an earlier one
// renamed or added) is expanded when reached (Tree::expand).

#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/json_path.h"
#include "gateway/transform.h"
#include "tandem/status.h"

namespace tandem::gateway::ops {

struct JNode;

struct Member {
  std::string_view key_raw;  // the key as JSON text, escaped, without quotes
  std::string_view key;      // unescaped
  JNode* value = nullptr;
};

struct JNode {
  enum class Kind { kRaw, kObject, kArray };
  Kind kind = Kind::kRaw;
  // kRaw: the value's JSON text. kObject/kArray: the node's text in the input (written back
  // as is while nothing in it changed).
  std::string_view raw;
  bool changed = false;  // this node's own members / elements / text were edited
  std::vector<Member> members;
  std::vector<JNode*> elements;

  bool is_object() const { return kind == Kind::kObject; }
  bool is_null() const { return kind == Kind::kRaw && raw == "null"; }
};

// Owns the nodes and the new texts of one apply() (reused between calls: no allocation once
// warm).
class Tree {
 public:
  Tree();
  ~Tree();
  JNode* raw(std::string_view text);
  // Turns a raw object or array into a node with one level of raw members / elements (a no-op
  // for anything else). The text is JSON the walk validated or an operation produced.
  Status expand(JNode& node) {
    if (node.kind != JNode::Kind::kRaw || node.raw.empty() ||
        (node.raw.front() != '{' && node.raw.front() != '[')) {
      return Status::Ok();
    }
    return expand_raw(node);
  }
  JNode* object();  // a new, empty, changed object
  // Keeps `text` alive until reset(); returns a view of the kept copy.
  std::string_view keep(std::string text);
  void reset();

 private:
  JNode* fresh();
  Status expand_raw(JNode& node);
  struct Parser;
  std::unique_ptr<Parser> parser_;  // for expand(), made on first use
  std::vector<std::unique_ptr<JNode>> nodes_;
  size_t used_ = 0;
  std::deque<std::string> texts_;  // a deque: kept views stay valid as it grows
};

// Index of member `key` in `obj`, or -1. Error (InvalidInput) when the key appears more than
// once: which one counts is ambiguous (parsers disagree: a smuggling risk).
Result<int> find_member(const JNode& obj, std::string_view key);

// Calls fn(JNode& parent) for every object that holds the leaf of `path` (fanning out over
// `[]` segments); objects or arrays missing or of another type on the way are skipped.
template <typename Fn>
Status for_each_parent(JNode& node, Tree& tree, const std::vector<PathSegment>& path, size_t i,
                       Fn&& fn) {
  TANDEM_RETURN_IF_ERROR(tree.expand(node));
  if (!node.is_object()) return Status::Ok();
  if (i + 1 >= path.size()) return fn(node);
  const PathSegment& seg = path[i];
  TANDEM_ASSIGN_OR_RETURN(int at, find_member(node, seg.key));
  if (at < 0) return Status::Ok();
  JNode& child = *node.members[at].value;
  if (!seg.each) return for_each_parent(child, tree, path, i + 1, fn);
  TANDEM_RETURN_IF_ERROR(tree.expand(child));
  if (child.kind != JNode::Kind::kArray) return Status::Ok();
  for (JNode* element : child.elements) {
    TANDEM_RETURN_IF_ERROR(for_each_parent(*element, tree, path, i + 1, fn));
  }
  return Status::Ok();
}

// True when an operation changed `node` or anything in it.
bool is_dirty(const JNode& node);
// Writes `node` as JSON text: unchanged parts as they were in the input.
void write_json(const JNode& node, std::string& out);

// A field operation of one change. The engine calls up() (kUp) or down() (kDown, the
// inverse) on every located object.
class FieldOp {
 public:
  virtual ~FieldOp() = default;
  virtual Status up(JNode& object, Tree& tree) = 0;
  virtual Status down(JNode& object, Tree& tree) = 0;
  // The paths this operation reads or writes: the engine expands the objects and arrays on
  // the way to them.
  virtual std::vector<const JsonPath*> paths() const = 0;
};

// The operations (one file each). Errors (InvalidInput): a bad path or argument.
Result<std::unique_ptr<FieldOp>> make_rename(const FieldOpSpec& spec);
Result<std::unique_ptr<FieldOp>> make_convert(const FieldOpSpec& spec);
Result<std::unique_ptr<FieldOp>> make_add(const FieldOpSpec& spec);
Result<std::unique_ptr<FieldOp>> make_remove(const FieldOpSpec& spec);
Result<std::unique_ptr<FieldOp>> make_enum_map(const FieldOpSpec& spec);
Result<std::unique_ptr<FieldOp>> make_move(const FieldOpSpec& spec);

// Shared by the operations.
// "field `x`: " — the prefix of a message about the field at `path`.
std::string field_prefix(const JsonPath& path);
// Adds member `field` = `value_json` (JSON text kept alive by the caller) to every parent
// object of `field` that lacks it; `key_raw` is the leaf key escaped (json_escape).
Status add_if_absent(JNode& object, Tree& tree, const JsonPath& field, std::string_view key_raw,
                     std::string_view value_json);
// Removes member `field` from every parent object of `field` that has it.
Status remove_if_present(JNode& object, Tree& tree, const JsonPath& field);
// Checks that `json` is one JSON value; returns it without surrounding whitespace.
Result<std::string> checked_json(std::string_view json, std::string_view what);

}  // namespace tandem::gateway::ops
