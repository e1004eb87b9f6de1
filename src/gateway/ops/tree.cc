// The partial tree of a located object and the helpers the operations share (ops/field_op.h).

#include <simdjson.h>

#include "gateway/ops/field_op.h"

namespace tandem::gateway::ops {

namespace {

namespace od = simdjson::ondemand;

bool is_ws(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && is_ws(s.back())) s.remove_suffix(1);
  return s;
}

Status unreadable() {
  // Only JSON the walk checked or an operation produced gets here.
  return Status::InvalidInput("the body cannot be translated (a value could not be read again)");
}

}  // namespace

struct Tree::Parser {
  od::parser parser;
};

Tree::Tree() = default;
Tree::~Tree() = default;

Status Tree::expand_raw(JNode& node) {
  char open = node.raw.front();
  if (!parser_) parser_ = std::make_unique<Parser>();
  // A copy with simdjson's padding after it, kept: the members' spans point into it.
  std::string padded;
  padded.reserve(node.raw.size() + simdjson::SIMDJSON_PADDING);
  padded.append(node.raw);
  padded.append(simdjson::SIMDJSON_PADDING, '\0');
  std::string_view text = keep(std::move(padded));
  size_t len = node.raw.size();
  od::document doc;
  if (parser_->parser.iterate(text.data(), len, text.size()).get(doc)) return unreadable();
  // The span of a value: a whole object or array, or a scalar's token without the spaces after.
  auto span = [](od::value& v, std::string_view& out) -> bool {
    std::string_view token = v.raw_json_token();
    if (token.empty()) return false;
    if (token.front() == '{') {
      od::object o;
      return !v.get_object().get(o) && !o.raw_json().get(out);
    }
    if (token.front() == '[') {
      od::array a;
      return !v.get_array().get(a) && !a.raw_json().get(out);
    }
    out = trim_right(token);
    return true;
  };
  std::vector<Member> members;
  std::vector<JNode*> elements;
  if (open == '{') {
    od::object object;
    if (doc.get_object().get(object)) return unreadable();
    for (auto f : object) {
      od::field field;
      if (std::move(f).get(field)) return unreadable();
      const char* key_start = field.key().raw();  // just after the opening quote
      const char* p = key_start;
      bool escaped = false;
      while (*p != '"') {
        if (*p == '\\') {
          escaped = true;
          p += 2;
        } else {
          ++p;
        }
      }
      std::string_view key_raw(key_start, static_cast<size_t>(p - key_start));
      std::string_view key = key_raw;
      if (escaped) {
        std::string_view unescaped;
        if (field.unescaped_key().get(unescaped)) return unreadable();
        key = keep(std::string(unescaped));  // the parser's buffer is reused
      }
      std::string_view value;
      if (!span(field.value(), value)) return unreadable();
      members.push_back({key_raw, key, nullptr});
      elements.push_back(raw(value));
    }
  } else {
    od::array array;
    if (doc.get_array().get(array)) return unreadable();
    for (auto e : array) {
      od::value element;
      if (std::move(e).get(element)) return unreadable();
      std::string_view value;
      if (!span(element, value)) return unreadable();
      elements.push_back(raw(value));
    }
  }
  if (open == '{') {
    for (size_t i = 0; i < members.size(); ++i) members[i].value = elements[i];
    node.members = std::move(members);
    node.kind = JNode::Kind::kObject;
  } else {
    node.elements = std::move(elements);
    node.kind = JNode::Kind::kArray;
  }
  return Status::Ok();
}

JNode* Tree::fresh() {
  if (used_ == nodes_.size()) nodes_.push_back(std::make_unique<JNode>());
  JNode* n = nodes_[used_++].get();
  n->kind = JNode::Kind::kRaw;
  n->raw = {};
  n->changed = false;
  n->members.clear();
  n->elements.clear();
  return n;
}

JNode* Tree::raw(std::string_view text) {
  JNode* n = fresh();
  n->raw = text;
  return n;
}

JNode* Tree::object() {
  JNode* n = fresh();
  n->kind = JNode::Kind::kObject;
  n->changed = true;
  return n;
}

std::string_view Tree::keep(std::string text) {
  texts_.push_back(std::move(text));
  return texts_.back();
}

void Tree::reset() {
  used_ = 0;
  texts_.clear();
}

Result<int> find_member(const JNode& obj, std::string_view key) {
  int found = -1;
  for (size_t i = 0; i < obj.members.size(); ++i) {
    if (obj.members[i].key != key) continue;
    if (found >= 0) {
      return Status::InvalidInput("the body has the key `" + std::string(key) +
                                  "` twice in one object; which one counts is ambiguous");
    }
    found = static_cast<int>(i);
  }
  return found;
}

bool is_dirty(const JNode& n) {
  if (n.changed) return true;
  for (const Member& m : n.members) {
    if (is_dirty(*m.value)) return true;
  }
  for (const JNode* e : n.elements) {
    if (is_dirty(*e)) return true;
  }
  return false;
}

void write_json(const JNode& node, std::string& out) {
  if (node.kind == JNode::Kind::kRaw || !is_dirty(node)) {
    out += node.raw;
    return;
  }
  if (node.kind == JNode::Kind::kObject) {
    out += '{';
    for (size_t i = 0; i < node.members.size(); ++i) {
      if (i > 0) out += ',';
      out += '"';
      out += node.members[i].key_raw;
      out += "\":";
      write_json(*node.members[i].value, out);
    }
    out += '}';
  } else {
    out += '[';
    for (size_t i = 0; i < node.elements.size(); ++i) {
      if (i > 0) out += ',';
      write_json(*node.elements[i], out);
    }
    out += ']';
  }
}

std::string field_prefix(const JsonPath& path) { return "field `" + path.text + "`: "; }

Result<std::string> checked_json(std::string_view json, std::string_view what) {
  simdjson::dom::parser parser;
  simdjson::dom::element element;
  if (parser.parse(simdjson::padded_string(json)).get(element)) {
    return Status::InvalidInput(std::string(what) + ": `" + std::string(json) +
                                "` is not one JSON value (write a string as \"\\\"text\\\"\")");
  }
  size_t b = 0, e = json.size();
  while (b < e && is_ws(json[b])) ++b;
  while (e > b && is_ws(json[e - 1])) --e;
  return std::string(json.substr(b, e - b));
}

Status add_if_absent(JNode& object, Tree& tree, const JsonPath& field, std::string_view key_raw,
                     std::string_view value_json) {
  return for_each_parent(object, tree, field.segments, 0, [&](JNode& parent) -> Status {
    TANDEM_ASSIGN_OR_RETURN(int at, find_member(parent, field.leaf().key));
    if (at >= 0) return Status::Ok();
    parent.members.push_back({key_raw, field.leaf().key, tree.raw(value_json)});
    parent.changed = true;
    return Status::Ok();
  });
}

Status remove_if_present(JNode& object, Tree& tree, const JsonPath& field) {
  return for_each_parent(object, tree, field.segments, 0, [&](JNode& parent) -> Status {
    TANDEM_ASSIGN_OR_RETURN(int at, find_member(parent, field.leaf().key));
    if (at < 0) return Status::Ok();
    parent.members.erase(parent.members.begin() + at);
    parent.changed = true;
    return Status::Ok();
  });
}

}  // namespace tandem::gateway::ops
