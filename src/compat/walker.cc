// Pairs two schemas' nodes and asks the rules (compat/walker.h).

#include "compat/walker.h"

#include <fmt/format.h>

#include <algorithm>

#include "compat/rules/rules.h"

namespace tandem::compat {
namespace {

// Union branches against union branches can multiply: a walk this long is refused rather than
// left to run (fail closed: "too-complex" is an error).

// Pushes on construction, pops on destruction.
template <typename V, typename T>
class Push {
 public:
  Push(V& v, T item, bool when = true) : v_(v), pushed_(when) {
    if (pushed_) v_.push_back(std::move(item));
  }
  ~Push() {
    if (pushed_) v_.pop_back();
  }
  Push(const Push&) = delete;
  Push& operator=(const Push&) = delete;

 private:
  V& v_;
  bool pushed_;
};

std::string at_line(const Schema& s, int line) {
  return line > 0 ? fmt::format("{}:{}", s.file, line) : s.file;
}

}  // namespace

const std::vector<RuleInfo> checks::kWalker = {
    {"too-complex", Level::kError,
     "the schemas' unions and references need more than a million comparisons: tandem refuses "
     "rather than guess"},
};

Walker::Walker(const Schema& reader, const Schema& writer, bool reader_is_new, size_t max_steps)
    : reader_(reader), writer_(writer), reader_is_new_(reader_is_new), max_steps_(max_steps) {}

std::vector<Finding> Walker::run() { return run(reader_.root, writer_.root); }

std::vector<Finding> Walker::run(NodeId reader_node, NodeId writer_node) {
  std::vector<Finding> out;
  out_ = &out;
  compare(reader_node, writer_node);
  out_ = nullptr;
  return out;
}

std::string Walker::where() const {
  if (path_.empty()) return "the top level";
  std::string s;
  for (const std::string& p : path_) {
    if (!s.empty() && p != "[]" && p != "{}") s += '.';
    s += p;
  }
  return "`" + s + "`";
}

bool Walker::ignored(const std::string& rule, std::string& because) const {
  for (const auto& [ids, place] : ignores_) {
    if (std::find(ids->begin(), ids->end(), rule) != ids->end()) {
      because = "x-tandem-ignore at " + place;
      return true;
    }
  }
  return false;
}

void Walker::report(const char* rule, Level level, const Location* r, const Location* w,
                    std::string message, const char* category) {
  if (out_ == nullptr) return;
  Finding f;
  f.rule = rule;
  f.level = level;
  if (format() == Format::kProtobuf) f.category = category ? category : "WIRE";
  f.direction = reader_is_new_ ? Direction::kBackward : Direction::kForward;
  Place rp{r && !r->file.empty() ? r->file : reader_.file, r ? r->pointer : "", r ? r->line : 0};
  Place wp{w && !w->file.empty() ? w->file : writer_.file, w ? w->pointer : "", w ? w->line : 0};
  f.new_place = reader_is_new_ ? rp : wp;
  f.old_place = reader_is_new_ ? wp : rp;
  // "a old reader" reads badly in the rules' shared sentences: "an old reader".
  std::string text;
  text.reserve(message.size() + 8);
  for (size_t i = 0; i < message.size(); ++i) {
    text += message[i];
    if (message[i] == 'a' && (i == 0 || message[i - 1] == ' ') &&
        message.compare(i + 1, 5, " old ") == 0)
      text += 'n';
  }
  message = std::move(text);
  f.message = std::move(message);
  f.ignored = ignored(f.rule, f.ignored_because);
  out_->push_back(std::move(f));
}

bool Walker::readable(NodeId r, NodeId w) {
  std::vector<Finding> trial;
  std::vector<Finding>* saved = out_;
  out_ = &trial;
  bool was_too_complex = too_complex_;
  compare(r, w);
  out_ = saved;
  // The step limit met inside a trial: its too-complex finding is the pair's, not the trial's
  // (thrown away, it would leave the pair "compatible" with nothing compared after it).
  if (too_complex_ && !was_too_complex) {
    for (Finding& f : trial)
      if (f.rule == "too-complex") out_->push_back(std::move(f));
    return false;
  }
  return std::none_of(trial.begin(), trial.end(),
                      [](const Finding& f) { return f.level == Level::kError && !f.ignored; });
}

void Walker::compare(NodeId r, NodeId w) {
  if (r < 0 || w < 0) return;
  if (too_complex_) return;
  if (++steps_ > max_steps_) {
    too_complex_ = true;
    report("too-complex", Level::kError, &reader_.node(r).at, &writer_.node(w).at,
           fmt::format("comparing these schemas takes more than {} steps (unions of unions, "
                       "or references that fan out): tandem refuses rather than guess, and "
                       "compares nothing after this point; simplify the unions (an exception "
                       "for this pair would leave the rest of it unchecked)",
                       max_steps_));
    return;
  }
  // A recursive type meets itself again: what is being compared is judged once.
  if (!active_.insert({r, w}).second) return;
  const Node& R = reader_.node(r);
  const Node& W = writer_.node(w);
  Push<decltype(ignores_), std::pair<const std::vector<std::string>*, std::string>> ri(
      ignores_, {&R.ignore, at_line(reader_, R.at.line)}, !R.ignore.empty());
  Push<decltype(ignores_), std::pair<const std::vector<std::string>*, std::string>> wi(
      ignores_, {&W.ignore, at_line(writer_, W.at.line)}, !W.ignore.empty());

  if (W.kind == Kind::kNothing || R.kind == Kind::kAny) {
    // Nothing written, or anything read: only the constraints on the reader's side remain.
    checks::allowed_values(*this, R, W);
    checks::unsupported_keyword(*this, R, W);
  } else if (W.kind == Kind::kUnion || R.kind == Kind::kUnion) {
    compare_union(r, w);
  } else if (checks::type_changed(*this, R, W)) {
    checks::unsupported_keyword(*this, R, W);
    checks::name_changed(*this, R, W);
    checks::logical_type_changed(*this, R, W);
    checks::allowed_values(*this, R, W);
    switch (R.kind) {
      case Kind::kInteger:
      case Kind::kNumber:
        checks::range_narrowed(*this, R, W);
        break;
      case Kind::kString:
      case Kind::kBytes:
        checks::length_narrowed(*this, R, W);
        checks::pattern_changed(*this, R, W);
        break;
      case Kind::kFixed:
        checks::fixed_size_changed(*this, R, W);
        break;
      case Kind::kEnum:
        checks::enum_symbols(*this, R, W);
        checks::enum_value_numbers(*this, R, W);
        checks::reserved_removed(*this, R, W);
        break;
      case Kind::kArray: {
        checks::size_narrowed(*this, R, W);
        Push<std::vector<std::string>, std::string> p(path_, "[]");
        if (W.kind != Kind::kArray) {  // Protobuf: a singular field read as a repeated one
          compare(R.items, w);
          break;
        }
        size_t n = std::max(R.prefix.size(), W.prefix.size());
        for (size_t i = 0; i < n; ++i) {
          NodeId ri_ = i < R.prefix.size() ? R.prefix[i] : R.items;
          NodeId wi_ = i < W.prefix.size() ? W.prefix[i] : W.items;
          compare(ri_, wi_);
        }
        compare(R.items, W.items);
        break;
      }
      case Kind::kMap: {
        Push<std::vector<std::string>, std::string> p(path_, "{}");
        compare(R.keys, W.keys);  // typed keys (Protobuf)
        compare(R.items, W.items);
        break;
      }
      case Kind::kRecord:
        checks::size_narrowed(*this, R, W);
        checks::package_changed(*this, R, W);
        checks::reserved_removed(*this, R, W);
        compare_records(R, W);
        break;
      default:
        break;
    }
  }
  active_.erase({r, w});
}

void Walker::compare_union(NodeId r, NodeId w) {
  const Node& R = reader_.node(r);
  const Node& W = writer_.node(w);
  std::vector<NodeId> writer_branches =
      W.kind == Kind::kUnion ? W.branches : std::vector<NodeId>{w};
  std::vector<NodeId> reader_branches =
      R.kind == Kind::kUnion ? R.branches : std::vector<NodeId>{r};
  for (NodeId wb : writer_branches) {
    // As Avro resolves a union: the first reader branch that reads the writer's value.
    auto found = std::find_if(reader_branches.begin(), reader_branches.end(),
                              [&](NodeId rb) { return readable(rb, wb); });
    if (found != reader_branches.end()) {
      compare(*found, wb);  // the warnings and notes of the branch that reads it
    } else if (W.kind == Kind::kUnion) {
      checks::union_branch(*this, R, writer_.node(wb));
    } else if (reader_branches.size() == 1) {
      compare(reader_branches.front(), wb);  // one branch: say exactly what breaks
    } else {
      checks::type_not_in_union(*this, R, writer_.node(wb));
    }
  }
  // JSON Schema: a reader's anyOf carries no keywords of its own; allowed values and opaque
  // keywords on it still judge every value.
  checks::allowed_values(*this, R, W);
}

const Field* Walker::match(const Node& r, const Field& wf) const {
  for (const Field& rf : r.fields) {
    // Protobuf fields meet by number, as on the wire; a file's messages (number 0) by name.
    if (format() == Format::kProtobuf && wf.number != 0) {
      if (rf.number == wf.number) return &rf;
      continue;
    }
    if (rf.name == wf.name) return &rf;
  }
  // A reader's aliases name the fields it reads under another name (Avro).
  for (const Field& rf : r.fields)
    if (std::find(rf.aliases.begin(), rf.aliases.end(), wf.name) != rf.aliases.end()) return &rf;
  return nullptr;
}

void Walker::compare_records(const Node& r, const Node& w) {
  using IgnoreEntry = std::pair<const std::vector<std::string>*, std::string>;
  std::vector<const Field*> matched;
  for (const Field& wf : w.fields) {
    const Field* rf = match(r, wf);
    Push<std::vector<std::string>, std::string> p(path_, rf ? rf->name : wf.name);
    if (rf == nullptr) {
      Push<decltype(ignores_), IgnoreEntry> wi(ignores_, {&wf.ignore, at_line(writer_, wf.at.line)},
                                               !wf.ignore.empty());
      if (is_proto_file(r)) {
        checks::message_removed(*this, r, wf);
      } else {
        checks::field_unknown(*this, r, w, wf);
        checks::field_removed_not_reserved(*this, r, wf);
      }
      continue;
    }
    matched.push_back(rf);
    Push<decltype(ignores_), IgnoreEntry> ri(ignores_, {&rf->ignore, at_line(reader_, rf->at.line)},
                                             !rf->ignore.empty());
    Push<decltype(ignores_), IgnoreEntry> wi(ignores_, {&wf.ignore, at_line(writer_, wf.at.line)},
                                             !wf.ignore.empty());
    checks::field_renamed(*this, *rf, wf);
    checks::field_number_reused(*this, *rf, wf);
    checks::field_became_required(*this, *rf, wf);
    checks::default_changed(*this, *rf, wf);
    compare(rf->type, wf.type);
  }
  for (const Field& rf : r.fields) {
    if (std::find(matched.begin(), matched.end(), &rf) != matched.end()) continue;
    Push<std::vector<std::string>, std::string> p(path_, rf.name);
    Push<decltype(ignores_), IgnoreEntry> ri(ignores_, {&rf.ignore, at_line(reader_, rf.at.line)},
                                             !rf.ignore.empty());
    checks::field_missing(*this, r, rf, w);
  }
  // Members neither lists: the writer's additionalProperties against the reader's.
  if (w.open && r.open && !r.skips_unknown) {
    Push<std::vector<std::string>, std::string> p(path_, "*");
    compare(r.extra, w.extra);
  }
  checks::content_model(*this, r, w);
}

}  // namespace tandem::compat
