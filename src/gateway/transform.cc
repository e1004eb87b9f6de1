// The transform engine: one validating pass over the body with simdjson On-Demand.
//
// The output is the input with edits spliced in: bytes are copied from the input up to a
// located object an operation changed, then that object is written anew, and copying resumes
// after it. Everything else — untouched objects, whitespace, number spellings, escapes — stays
// byte for byte as it was.
//
// Why every value is visited rather than skipped with raw_json(): On-Demand does not validate
// what it skips (`{"a": tru}`, `[1 2]` pass a skip), and a gateway that forwards JSON it did
// not fully check lets a client send the backend a body the two sides read differently. So
// the walk checks each value (keys and strings are unescaped by simdjson, numbers and literals
// are checked here) and records where it ends; the splice uses those positions.
//
// A located object becomes a small tree (ops/field_op.h): each member's value is a span of the
// input, except the members on an operation's path, which are expanded. The operations edit
// that tree; only what they changed is re-serialized.

#include "gateway/transform.h"

#include <simdjson.h>

#include <cstring>

#include "gateway/json_path.h"
#include "gateway/ops/field_op.h"

namespace tandem::gateway {
namespace {

using ops::JNode;
namespace od = simdjson::ondemand;

// Deeper bodies are refused (each level costs stack here). Kept well below simdjson's own limit
// (DEFAULT_MAX_DEPTH, 1024): at that limit its iterator asserts in a build without NDEBUG
// (the ASan CI build) instead of returning DEPTH_ERROR.
constexpr int kMaxDepth = 512;
static_assert(kMaxDepth < static_cast<int>(simdjson::DEFAULT_MAX_DEPTH));

bool is_ws(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && is_ws(s.back())) s.remove_suffix(1);
  return s;
}

// RFC 8259 number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool is_json_number(std::string_view s) {
  size_t i = 0, n = s.size();
  auto digits = [&] {
    size_t start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
    return i > start;
  };
  if (i < n && s[i] == '-') ++i;
  if (i < n && s[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < n && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == n;
}

// The objects and arrays on the operations' paths, from the located object down: the members
// build() expands instead of keeping as raw text.
struct Trie {
  std::vector<std::pair<std::string, std::unique_ptr<Trie>>> children;

  const Trie* child(std::string_view key) const {
    for (const auto& [k, t] : children) {
      if (k == key) return t.get();
    }
    return nullptr;
  }
  Trie* add(const std::string& key) {
    for (auto& [k, t] : children) {
      if (k == key) return t.get();
    }
    children.emplace_back(key, std::make_unique<Trie>());
    return children.back().second.get();
  }
};

class Transform final : public ChangeTransform {
 public:
  // One change's operations at `location`.
  Status init(std::string_view location, const std::vector<FieldOpSpec>& specs);
  // Several changes at `location`, oldest first: their operations are borrowed from `parts`,
  // which outlive this transform.
  Status init_chain(std::string_view location, const std::vector<Transform*>& parts);
  std::vector<std::unique_ptr<ChangeTransform>> owned_parts;  // compile_chain's parts
  Status apply(std::string_view in, Direction direction, std::string& out) override;

 private:
  Status run(size_t len, Direction direction, std::string& out);
  // The walk: each returns false after storing the reason in error_ (a Status per value
  // would cost more than the rest of the walk). `end` is set past the value walked.
  bool walk_location(od::value& v, size_t seg, int depth, const char*& end);
  bool walk_elements(od::value& v, size_t seg, int depth, const char*& end);
  bool transform_object(od::value& v, int depth, const char*& end);
  bool skip(od::value& v, int depth, const char*& end);
  bool build(od::value& v, const Trie* trie, int depth, JNode*& node, const char*& end);
  bool check_scalar(std::string_view token, od::value* v, const char*& end);
  bool member(od::field& field, bool first, const char* last, std::string_view& key,
              std::string_view& key_raw);
  bool gap(const char* from, const char* to, char separator);
  bool close(const char* after_last, char bracket, const char*& end);
  bool fail(Status st) {
    error_ = std::move(st);
    return false;
  }
  bool fail(simdjson::error_code e) { return fail(json_error(e)); }
  Status json_error(simdjson::error_code e);
  Status too_deep();

  JsonPath location_;
  // Every change's operations, in declared order (kUp runs them first to last, kDown the
  // inverses last to first): one change, or a chain of changes at the same location.
  std::vector<ops::FieldOp*> ops_;
  std::vector<std::unique_ptr<ops::FieldOp>> owned_ops_;
  Trie trie_;
  Status set_location(std::string_view location);
  void add(ops::FieldOp* op);

  od::parser parser_;
  std::string buf_;  // the input, copied with simdjson's padding after it
  ops::Tree tree_;
  // One apply()'s state.
  Direction direction_ = Direction::kUp;
  std::string* out_ = nullptr;
  const char* copied_ = nullptr;  // the input is copied to *out_ up to here
  const char* last_ = nullptr;    // the latest token looked at (error positions)
  Status error_;                  // why the walk stopped
};

Status Transform::set_location(std::string_view location) {
  auto loc = parse_location(location);
  if (!loc.ok()) return loc.status().with_context("location: ");
  location_ = std::move(loc).value();
  return Status::Ok();
}

void Transform::add(ops::FieldOp* op) {
  // The walk expands the objects and arrays on the way to each path up front.
  for (const JsonPath* path : op->paths()) {
    Trie* t = &trie_;
    for (size_t i = 0; i + 1 < path->segments.size(); ++i) t = t->add(path->segments[i].key);
  }
  ops_.push_back(op);
}

Status Transform::init(std::string_view location, const std::vector<FieldOpSpec>& specs) {
  TANDEM_RETURN_IF_ERROR(set_location(location));
  for (const FieldOpSpec& spec : specs) {
    Result<std::unique_ptr<ops::FieldOp>> op = Status::InvalidInput("unknown operation");
    switch (spec.kind) {
      case FieldOpSpec::Kind::kRename:
        op = ops::make_rename(spec);
        break;
      case FieldOpSpec::Kind::kConvert:
        op = ops::make_convert(spec);
        break;
      case FieldOpSpec::Kind::kAdd:
        op = ops::make_add(spec);
        break;
      case FieldOpSpec::Kind::kRemove:
        op = ops::make_remove(spec);
        break;
      case FieldOpSpec::Kind::kEnum:
        op = ops::make_enum_map(spec);
        break;
      case FieldOpSpec::Kind::kMove:
        op = ops::make_move(spec);
        break;
    }
    if (!op.ok()) {
      return spec.line > 0 ? op.status().with_context("line " + std::to_string(spec.line) + ": ")
                           : op.status();
    }
    owned_ops_.push_back(std::move(op).value());
    add(owned_ops_.back().get());
  }
  return Status::Ok();
}

Status Transform::init_chain(std::string_view location, const std::vector<Transform*>& parts) {
  TANDEM_RETURN_IF_ERROR(set_location(location));
  for (Transform* part : parts) {
    if (part->location_.segments != location_.segments) {
      return Status::InvalidInput("a chain's changes must share one location");
    }
    for (ops::FieldOp* op : part->ops_) add(op);
  }
  return Status::Ok();
}

Status Transform::apply(std::string_view in, Direction direction, std::string& out) {
  out.clear();
  if (buf_.size() < in.size() + simdjson::SIMDJSON_PADDING) {
    buf_.resize(in.size() + simdjson::SIMDJSON_PADDING);
  }
  std::memcpy(buf_.data(), in.data(), in.size());
  std::memset(buf_.data() + in.size(), 0, simdjson::SIMDJSON_PADDING);
  Status st = run(in.size(), direction, out);
  if (!st.ok()) out.clear();
  tree_.reset();
  return st;
}

Status Transform::run(size_t len, Direction direction, std::string& out) {
  direction_ = direction;
  out_ = &out;
  const char* base = buf_.data();
  copied_ = last_ = base;
  const char* first = base;
  while (first < base + len && is_ws(*first)) ++first;
  if (first == base + len) return Status::InvalidInput("the body is empty; expected JSON");

  od::document doc;
  if (auto e = parser_.iterate(base, len, buf_.size()).get(doc)) return json_error(e);
  const char* end = nullptr;
  if (*first == '{' || *first == '[') {
    od::value root;
    if (auto e = doc.get_value().get(root)) return json_error(e);
    if (!walk_location(root, 0, 1, end)) return std::move(error_);
  } else {
    // A scalar body: simdjson cannot make a value of it; check it through the document.
    std::string_view token;
    if (auto e = doc.raw_json_token().get(token)) return json_error(e);
    if (*first == '"') {
      std::string_view s;
      if (auto e = doc.get_string().get(s)) return json_error(e);
    }
    if (!check_scalar(token, nullptr, end)) return std::move(error_);
  }
  const char* rest = end;
  while (rest < base + len && is_ws(*rest)) ++rest;
  if (rest != base + len) {
    return Status::InvalidInput(
        "the body is not valid JSON: there is more after the JSON value (byte " +
        std::to_string(rest - base) + ")");
  }
  out.append(copied_, base + len - copied_);
  return Status::Ok();
}

Status Transform::json_error(simdjson::error_code e) {
  switch (e) {
    case simdjson::UTF8_ERROR:
      return Status::InvalidInput("the body is not valid UTF-8");
    case simdjson::DEPTH_ERROR:
      return too_deep();
    case simdjson::EMPTY:
      return Status::InvalidInput("the body is empty; expected JSON");
    case simdjson::UNESCAPED_CHARS:
      return Status::InvalidInput(
          "the body is not valid JSON: a string contains an unescaped control character");
    case simdjson::CAPACITY:
      return Status::InvalidInput("the body is too large");
    default:
      return Status::InvalidInput("the body is not valid JSON (near byte " +
                                  std::to_string(last_ - buf_.data()) + ")");
  }
}

Status Transform::too_deep() {
  return Status::InvalidInput("the body is nested too deeply (more than " +
                              std::to_string(kMaxDepth) + " levels)");
}

// [from, to) must be whitespace around exactly one `separator` ('\0': whitespace only).
// With these checks every byte of the body is accounted for — a token the walk checked, a
// separator, whitespace or a bracket — so the body is JSON whatever On-Demand skipped.
bool Transform::gap(const char* from, const char* to, char separator) {
  // The common cases first: nothing between, or the separator alone ("a":1,"b").
  if (to == from + (separator != '\0') && (separator == '\0' || *from == separator)) return true;
  const char* p = from;
  if (to < from) return fail(simdjson::TAPE_ERROR);
  while (p < to && is_ws(*p)) ++p;
  if (separator != '\0') {
    if (p == to || *p != separator) {
      last_ = p;
      return fail(simdjson::TAPE_ERROR);
    }
    ++p;
    while (p < to && is_ws(*p)) ++p;
  }
  if (p != to) {
    last_ = p;
    return fail(simdjson::TAPE_ERROR);
  }
  return true;
}

bool Transform::close(const char* after_last, char bracket, const char*& end) {
  while (is_ws(*after_last)) ++after_last;
  if (*after_last != bracket) {
    last_ = after_last;
    return fail(simdjson::TAPE_ERROR);
  }
  end = after_last + 1;
  return true;
}

// Checks a scalar whose token (with trailing whitespace) is `token`; `v` (when not null) reads
// a string with escapes through simdjson so that they are checked.
bool Transform::check_scalar(std::string_view token, od::value* v, const char*& end) {
  std::string_view t = trim_right(token);
  last_ = t.data();
  bool ok = false;
  switch (t.empty() ? '\0' : t[0]) {
    case '"': {
      // Stage 1 has checked UTF-8 and control characters; only escapes are left to check.
      ok = t.size() >= 2 && t.back() == '"';
      if (ok && v != nullptr && std::memchr(t.data() + 1, '\\', t.size() - 2) != nullptr) {
        std::string_view s;
        if (auto e = v->get_string().get(s)) return fail(e);
      }
      break;
    }
    case 't':
      ok = t == "true";
      break;
    case 'f':
      ok = t == "false";
      break;
    case 'n':
      ok = t == "null";
      break;
    default:
      ok = is_json_number(t);
  }
  if (!ok) return fail(simdjson::TAPE_ERROR);
  end = t.data() + t.size();
  return true;
}

// Reads the key of `field`, the `first` of its object or not, after `last` (the end of the
// previous member, or the '{'): its unescaped text (escapes checked) and its escaped text.
bool Transform::member(od::field& field, bool first, const char* last, std::string_view& key,
                       std::string_view& key_raw) {
  const char* raw = field.key().raw();  // just after the opening quote
  if (!gap(last, raw - 1, first ? '\0' : ',')) return false;
  const char* p = raw;
  bool escaped = false;
  while (*p != '"') {  // stage 1 found the string's end, so this stops there
    if (*p == '\\') {
      escaped = true;
      p += 2;
    } else {
      ++p;
    }
  }
  key_raw = std::string_view(raw, p - raw);
  if (!gap(p + 1, field.value().raw_json_token().data(), ':')) return false;
  if (!escaped) {
    key = key_raw;
  } else if (auto e = field.unescaped_key().get(key)) {
    return fail(e);
  }
  return true;
}

bool Transform::skip(od::value& v, int depth, const char*& end) {
  if (depth > kMaxDepth) return fail(too_deep());
  std::string_view token = v.raw_json_token();
  const char* start = token.data();
  last_ = start;
  if (*start == '{') {
    od::object object;
    if (auto e = v.get_object().get(object)) return fail(e);
    const char* last = start + 1;
    bool first = true;
    for (auto f : object) {
      od::field field;
      if (auto e = std::move(f).get(field)) return fail(e);
      std::string_view key, key_raw;
      if (!member(field, first, last, key, key_raw)) return false;
      first = false;
      if (!skip(field.value(), depth + 1, last)) return false;
    }
    return close(last, '}', end);
  }
  if (*start == '[') {
    od::array array;
    if (auto e = v.get_array().get(array)) return fail(e);
    const char* last = start + 1;
    bool first = true;
    for (auto el : array) {
      od::value element;
      if (auto e = std::move(el).get(element)) return fail(e);
      if (!gap(last, element.raw_json_token().data(), first ? '\0' : ',')) return false;
      first = false;
      if (!skip(element, depth + 1, last)) return false;
    }
    return close(last, ']', end);
  }
  return check_scalar(token, &v, end);
}

bool Transform::walk_location(od::value& v, size_t seg, int depth, const char*& end) {
  if (depth > kMaxDepth) return fail(too_deep());
  if (seg == location_.segments.size()) return transform_object(v, depth, end);
  const PathSegment& step = location_.segments[seg];
  std::string_view token = v.raw_json_token();
  const char* start = token.data();
  last_ = start;
  if (step.key.empty()) {  // "[]": the body is an array
    return *start == '[' ? walk_elements(v, seg + 1, depth, end) : skip(v, depth, end);
  }
  if (*start != '{') return skip(v, depth, end);
  od::object object;
  if (auto e = v.get_object().get(object)) return fail(e);
  const char* last = start + 1;
  bool first = true, seen = false;
  for (auto f : object) {
    od::field field;
    if (auto e = std::move(f).get(field)) return fail(e);
    std::string_view key, key_raw;
    if (!member(field, first, last, key, key_raw)) return false;
    first = false;
    od::value& value = field.value();
    if (key != step.key) {
      if (!skip(value, depth + 1, last)) return false;
      continue;
    }
    if (seen) {
      return fail(Status::InvalidInput("the body has the key `" + step.key +
                                       "` twice in one object; which one counts is ambiguous"));
    }
    seen = true;
    if (!step.each) {
      if (!walk_location(value, seg + 1, depth + 1, last)) return false;
    } else if (*value.raw_json_token().data() == '[') {
      if (!walk_elements(value, seg + 1, depth + 1, last)) return false;
    } else {
      if (!skip(value, depth + 1, last)) return false;
    }
  }
  return close(last, '}', end);
}

bool Transform::walk_elements(od::value& v, size_t seg, int depth, const char*& end) {
  const char* start = v.raw_json_token().data();
  od::array array;
  if (auto e = v.get_array().get(array)) return fail(e);
  const char* last = start + 1;
  bool first = true;
  for (auto el : array) {
    od::value element;
    if (auto e = std::move(el).get(element)) return fail(e);
    if (!gap(last, element.raw_json_token().data(), first ? '\0' : ',')) return false;
    first = false;
    if (!walk_location(element, seg, depth + 1, last)) return false;
  }
  return close(last, ']', end);
}

bool Transform::transform_object(od::value& v, int depth, const char*& end) {
  const char* start = v.raw_json_token().data();
  if (*start != '{') return skip(v, depth, end);
  JNode* object = nullptr;
  if (!build(v, &trie_, depth, object, end)) return false;
  if (direction_ == Direction::kUp) {
    for (auto& op : ops_) {
      if (Status st = op->up(*object, tree_); !st.ok()) return fail(std::move(st));
    }
  } else {
    for (auto it = ops_.rbegin(); it != ops_.rend(); ++it) {
      if (Status st = (*it)->down(*object, tree_); !st.ok()) return fail(std::move(st));
    }
  }
  if (!ops::is_dirty(*object)) return true;  // keep copying from the input
  out_->append(copied_, start - copied_);
  ops::write_json(*object, *out_);
  copied_ = end;
  return true;
}

bool Transform::build(od::value& v, const Trie* trie, int depth, JNode*& node, const char*& end) {
  if (depth > kMaxDepth) return fail(too_deep());
  std::string_view token = v.raw_json_token();
  const char* start = token.data();
  last_ = start;
  if (*start == '{') {
    od::object object;
    if (auto e = v.get_object().get(object)) return fail(e);
    node = tree_.raw({});
    node->kind = JNode::Kind::kObject;
    const char* last = start + 1;
    bool first = true;
    for (auto f : object) {
      od::field field;
      if (auto e = std::move(f).get(field)) return fail(e);
      std::string_view key, key_raw;
      if (!member(field, first, last, key, key_raw)) return false;
      first = false;
      JNode* value = nullptr;
      const Trie* sub = trie->child(key);
      if (sub != nullptr) {
        if (!build(field.value(), sub, depth + 1, value, last)) return false;
      } else {
        const char* value_start = field.value().raw_json_token().data();
        if (!skip(field.value(), depth + 1, last)) return false;
        value = tree_.raw(std::string_view(value_start, last - value_start));
      }
      node->members.push_back({key_raw, key, value});
    }
    if (!close(last, '}', end)) return false;
    node->raw = std::string_view(start, end - start);
    return true;
  }
  if (*start == '[') {
    od::array array;
    if (auto e = v.get_array().get(array)) return fail(e);
    node = tree_.raw({});
    node->kind = JNode::Kind::kArray;
    const char* last = start + 1;
    bool first = true;
    for (auto el : array) {
      od::value element;
      if (auto e = std::move(el).get(element)) return fail(e);
      if (!gap(last, element.raw_json_token().data(), first ? '\0' : ',')) return false;
      first = false;
      JNode* child = nullptr;
      if (!build(element, trie, depth + 1, child, last)) return false;
      node->elements.push_back(child);
    }
    if (!close(last, ']', end)) return false;
    node->raw = std::string_view(start, end - start);
    return true;
  }
  if (!check_scalar(token, &v, end)) return false;
  node = tree_.raw(std::string_view(start, end - start));
  return true;
}

}  // namespace

Result<std::unique_ptr<ChangeTransform>> ChangeTransform::compile(
    std::string_view location, const std::vector<FieldOpSpec>& ops) {
  auto t = std::make_unique<Transform>();
  TANDEM_RETURN_IF_ERROR(t->init(location, ops));
  return std::unique_ptr<ChangeTransform>(std::move(t));
}

Result<std::unique_ptr<ChangeTransform>> ChangeTransform::compile_chain(
    std::string_view location, const std::vector<const std::vector<FieldOpSpec>*>& chain) {
  std::vector<std::unique_ptr<ChangeTransform>> parts;
  std::vector<ChangeTransform*> views;
  for (const auto* change : chain) {
    TANDEM_ASSIGN_OR_RETURN(auto part, compile(location, *change));
    views.push_back(part.get());
    parts.push_back(std::move(part));
  }
  TANDEM_ASSIGN_OR_RETURN(auto chained, ChangeTransform::chain(location, views));
  static_cast<Transform*>(chained.get())->owned_parts = std::move(parts);
  return chained;
}

Result<std::unique_ptr<ChangeTransform>> ChangeTransform::chain(
    std::string_view location, const std::vector<ChangeTransform*>& parts) {
  std::vector<Transform*> transforms;
  // compile() and compile_chain() make every ChangeTransform there is.
  for (ChangeTransform* p : parts) transforms.push_back(static_cast<Transform*>(p));
  auto t = std::make_unique<Transform>();
  TANDEM_RETURN_IF_ERROR(t->init_chain(location, transforms));
  return std::unique_ptr<ChangeTransform>(std::move(t));
}

}  // namespace tandem::gateway
