#pragma once
// The walker: pairs a reader's schema with a writer's, node by node and field by field, and asks
// the rules (compat/rules/rules.h) about each pair. It knows no rule by name: it only decides
// which nodes meet (union branches, fields matched by name, alias or number) and where it
// descends. Recursive types are compared once per pair of nodes.

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "compat/model.h"

namespace tandem::compat {

class Walker {
 public:
  // `max_steps`: comparisons before the walk gives up with a `too-complex` finding.
  Walker(const Schema& reader, const Schema& writer, bool reader_is_new,
         size_t max_steps = kDefaultMaxSteps);
  static constexpr size_t kDefaultMaxSteps = 1'000'000;

  // Every finding about reading `writer`'s values with `reader`.
  std::vector<Finding> run();
  // Comparisons made so far.
  size_t steps() const { return steps_; }
  // The same for one pair of nodes (OpenAPI: the schemas of one parameter, body or response).
  // Calls share the step limit: a document of many operations is bounded as one schema is.
  std::vector<Finding> run(NodeId reader_node, NodeId writer_node);

  // --- for the rules ---------------------------------------------------------------------
  const Schema& reader() const { return reader_; }
  const Schema& writer() const { return writer_; }
  Format format() const { return reader_.format; }
  bool reader_is_new() const { return reader_is_new_; }
  // "new" or "old": which schema the reader's side is, for messages.
  const char* reader_side() const { return reader_is_new_ ? "new" : "old"; }
  const char* writer_side() const { return reader_is_new_ ? "old" : "new"; }
  // Picks the id for the change as seen from old to new: `if_new` when the reader is the new
  // schema (a backward check), `if_old` otherwise.
  const char* pick(const char* if_new, const char* if_old) const {
    return reader_is_new_ ? if_new : if_old;
  }
  // Where the walk is, for messages: "`items[].price`", or "the top level".
  std::string where() const;
  // Records a finding at `r` in the reader's schema and `w` in the writer's (either may be null).
  // `category` (Protobuf only): "WIRE_JSON" or "FILE" for changes the binary encoding does not
  // see; nullptr means "WIRE", every other rule's concern being what a reader decodes.
  void report(const char* rule, Level level, const Location* r, const Location* w,
              std::string message, const char* category = nullptr);
  // Is `n` the root pseudo-record of a .proto file (its fields are the top-level messages)?
  bool is_proto_file(const Node& n) const {
    return format() == Format::kProtobuf && n.type_name == kProtoFile;
  }
  // Would `r` read every value `w` writes, with no error? Reports nothing.
  bool readable(NodeId r, NodeId w);
  // The reader's field that reads the writer's `wf`: by number (Protobuf), name, or alias.
  const Field* match(const Node& r, const Field& wf) const;

 private:
  void compare(NodeId r, NodeId w);
  void compare_union(NodeId r, NodeId w);
  void compare_records(const Node& r, const Node& w);
  bool ignored(const std::string& rule, std::string& because) const;

  const Schema& reader_;
  const Schema& writer_;
  bool reader_is_new_;
  std::vector<Finding>* out_ = nullptr;
  std::set<std::pair<NodeId, NodeId>> active_;  // pairs being compared (recursion)
  size_t steps_ = 0;
  size_t max_steps_ = kDefaultMaxSteps;
  bool too_complex_ = false;
  std::vector<std::string> path_;
  // (rule ids, where they were given) silenced on the way down, from both schemas.
  std::vector<std::pair<const std::vector<std::string>*, std::string>> ignores_;
};

}  // namespace tandem::compat
