#include "expand/yaml_input.h"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <istream>
#include <streambuf>

namespace tandem::expand {
namespace {

// An istream over the file's text as it is: YAML::Load(std::string) would copy it once more.
class TextBuffer final : public std::streambuf {
 public:
  explicit TextBuffer(std::string_view text) {
    // Only read: there is no put area, and stepping back (sungetc) moves the pointer only.
    char* begin = const_cast<char*>(text.data());
    setg(begin, begin, begin + text.size());
  }
};

Problem too_many_operations(const std::string& path, int line, int max) {
  return {"too_many_operations",
          path,
          line,
          0,
          fmt::format("more than {} operations in one migration file (limits.max_operations); "
                      "operation {} starts here",
                      max, max + 1),
          "split the operations over several migration files, or raise `limits.max_operations` "
          "in tandem.yaml (docs/config.md)"};
}

// Thrown out of the event handler to stop reading at the first limit passed.
struct Refused {
  Problem problem;
};

// Reads the document's events without building it: counts the operations of the top-level
// `operations` list, and the nodes (an alias counts as every node of what it names, its own
// aliases included, so nested aliases multiply as they would when walked).
class Guard final : public YAML::EventHandler {
 public:
  Guard(const std::string& path, const InputLimits& limits) : path_(path), limits_(limits) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { leaf(mark, anchor, {}); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string& value) override {
    leaf(mark, anchor, value);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    starting(mark);
    long long size = anchor < sizes_.size() ? sizes_[anchor] : 0;
    if (size == 0) {  // its anchor is still open: the alias is inside what it names
      throw Refused{Problem{"yaml_alias", path_, mark.line + 1, mark.column + 1,
                            "an alias inside the node it names (a cycle): walking it would never "
                            "end",
                            "write the repeated part out instead of the alias"}};
    }
    count(mark, size);
    add(size);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, anchor, false);
  }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(mark, anchor, true);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapEnd() override { close(); }

 private:
  struct Open {
    long long size = 1;  // nodes so far, itself included, aliases expanded
    YAML::anchor_t anchor = YAML::NullAnchor;
    bool map = false;
    bool key_next = true;     // a map: the next node is a key
    bool operations = false;  // the top-level `operations` list
  };

  // `nodes` more nodes (an alias: all it repeats) at `mark`.
  void count(const YAML::Mark& mark, long long nodes) {
    nodes_ += nodes;
    if (nodes_ <= limits_.max_yaml_nodes) return;
    throw Refused{Problem{
        "too_many_yaml_nodes", path_, mark.line + 1, mark.column + 1,
        fmt::format("more than {} YAML nodes in one migration file (limits.max_yaml_nodes; keys, "
                    "values and list items, an alias counting as all it repeats)",
                    limits_.max_yaml_nodes),
        "split the operations over several migration files, or raise `limits.max_yaml_nodes` in "
        "tandem.yaml (docs/config.md)"}};
  }

  // A node starts at `mark`: counted when it is an operation. True when it is the value of the
  // top-level key `operations`.
  bool starting(const YAML::Mark& mark) {
    if (open_.empty()) return false;
    Open& parent = open_.back();
    if (parent.operations && ++operations_ > limits_.max_operations)
      throw Refused{too_many_operations(path_, mark.line + 1, limits_.max_operations)};
    if (!parent.map) return false;
    bool key = parent.key_next;
    parent.key_next = !key;
    bool value_of_operations = !key && open_.size() == 1 && top_key_is_operations_;
    if (key && open_.size() == 1) top_key_is_operations_ = false;
    return value_of_operations;
  }
  void leaf(const YAML::Mark& mark, YAML::anchor_t anchor, std::string_view value) {
    bool top_key = open_.size() == 1 && open_.back().map && open_.back().key_next;
    starting(mark);
    if (top_key) top_key_is_operations_ = value == "operations";
    count(mark, 1);
    if (anchor != YAML::NullAnchor) size_of(anchor) = 1;
    add(1);
  }
  void open(const YAML::Mark& mark, YAML::anchor_t anchor, bool map) {
    bool operations = starting(mark) && !map;
    count(mark, 1);
    if (anchor != YAML::NullAnchor) size_of(anchor) = 0;  // open
    open_.push_back(Open{1, anchor, map, true, operations});
  }
  void close() {
    Open done = open_.back();
    open_.pop_back();
    if (done.anchor != YAML::NullAnchor) size_of(done.anchor) = done.size;
    add(done.size);
  }
  void add(long long nodes) {
    if (!open_.empty()) open_.back().size += nodes;
  }
  long long& size_of(YAML::anchor_t anchor) {
    if (anchor >= sizes_.size()) sizes_.resize(anchor + 1, 0);
    return sizes_[anchor];
  }

  const std::string& path_;
  const InputLimits& limits_;
  std::vector<Open> open_;
  std::vector<long long> sizes_;  // by anchor: nodes it names, aliases expanded; 0 while open
  long long nodes_ = 0;           // aliases expanded
  int operations_ = 0;
  bool top_key_is_operations_ = false;
};

void syntax_error(const std::string& path, const YAML::Exception& e,
                  std::vector<Problem>& problems) {
  problems.push_back({"syntax_error", path, e.mark.line + 1, e.mark.column + 1,
                      "cannot parse: " + e.msg,
                      "check the indentation and quoting (YAML) or the commas and braces (JSON)"});
}

}  // namespace

std::optional<YAML::Node> load_yaml(const std::string& path, std::string_view content,
                                    const InputLimits& limits, std::vector<Problem>& problems) {
  // A node takes at least a byte, and without an `&` there is no anchor, so no alias: such a
  // file within the node limit in bytes is within it in nodes, and the guard's extra reading
  // (about half of what loading costs) is skipped — for every file of a usual size.
  if (content.size() > static_cast<size_t>(std::max(limits.max_yaml_nodes, 0)) ||
      content.find('&') != std::string_view::npos) {
    TextBuffer buffer(content);
    std::istream in(&buffer);
    YAML::Parser parser(in);
    Guard guard(path, limits);
    try {
      parser.HandleNextDocument(guard);
    } catch (const Refused& r) {
      problems.push_back(r.problem);
      return std::nullopt;
    } catch (const YAML::Exception& e) {
      syntax_error(path, e, problems);
      return std::nullopt;
    }
  }
  TextBuffer buffer(content);
  std::istream in(&buffer);
  YAML::Node root;
  try {
    root = YAML::Load(in);
  } catch (const YAML::Exception& e) {
    syntax_error(path, e, problems);
    return std::nullopt;
  }
  const YAML::Node& top = root;
  if (top.IsMap() && top["operations"] && top["operations"].IsSequence() &&
      top["operations"].size() > static_cast<size_t>(limits.max_operations)) {
    int line = top["operations"][static_cast<size_t>(limits.max_operations)].Mark().line + 1;
    problems.push_back(too_many_operations(path, line, limits.max_operations));
    return std::nullopt;
  }
  return root;
}

}  // namespace tandem::expand
