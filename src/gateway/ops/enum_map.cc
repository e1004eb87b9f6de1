// enum {field, map: [(old, head), …]}: the field's values were renamed between versions.
//   up:   a value equal to an old value becomes its head value;
//   down: a value equal to a head value becomes its old value;
//   any other value (and a missing field) is left as it is.
// Values are JSON scalars compared as values, not as text: strings after unescaping
// ("\u0070aid" equals "paid"), numbers by their numeric value (1.0 equals 1; numbers out of
// double range by their text), true/false/null by kind. Each side of the map must list a value
// once, or the inverse would be ambiguous.

#include <charconv>
#include <cmath>

#include "gateway/ops/field_op.h"

namespace tandem::gateway::ops {
namespace {

void append_utf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool hex4(std::string_view s, size_t at, uint32_t& v) {
  if (at + 4 > s.size()) return false;
  auto r = std::from_chars(s.data() + at, s.data() + at + 4, v, 16);
  return r.ec == std::errc() && r.ptr == s.data() + at + 4;
}

// The text of the JSON string literal `lit` (with its quotes); false when malformed.
bool unescape(std::string_view lit, std::string& out) {
  out.clear();
  std::string_view s = lit.substr(1, lit.size() - 2);
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out += s[i];
      continue;
    }
    if (++i >= s.size()) return false;
    switch (s[i]) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case '/':
        out += '/';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        uint32_t cp;
        if (!hex4(s, i + 1, cp)) return false;
        i += 4;
        if (cp >= 0xD800 && cp < 0xDC00 && i + 2 < s.size() && s[i + 1] == '\\' &&
            s[i + 2] == 'u') {
          uint32_t low;
          if (hex4(s, i + 3, low) && low >= 0xDC00 && low < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            i += 6;
          }
        }
        append_utf8(cp, out);
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

// A JSON scalar, comparable as a value.
struct Scalar {
  enum class Kind { kString, kNumber, kLiteral } kind = Kind::kLiteral;
  std::string text;  // string: unescaped; number: as written; literal: true/false/null
  double number = 0;
  bool finite = false;

  bool operator==(const Scalar& o) const {
    if (kind != o.kind) return false;
    if (kind == Kind::kNumber && finite && o.finite) return number == o.number;
    return text == o.text;
  }
};

// Reads the scalar JSON text `json` (validated, no surrounding whitespace); false for an
// object or array.
bool read_scalar(std::string_view json, Scalar& out) {
  if (json.empty() || json[0] == '{' || json[0] == '[') return false;
  if (json[0] == '"') {
    out.kind = Scalar::Kind::kString;
    if (json.find('\\') == std::string_view::npos) {
      out.text.assign(json.substr(1, json.size() - 2));
      return true;
    }
    return unescape(json, out.text);
  }
  if (json == "true" || json == "false" || json == "null") {
    out.kind = Scalar::Kind::kLiteral;
    out.text.assign(json);
    return true;
  }
  out.kind = Scalar::Kind::kNumber;
  out.text.assign(json);
  auto r = std::from_chars(json.data(), json.data() + json.size(), out.number);
  out.finite = r.ec == std::errc() && std::isfinite(out.number);
  return true;
}

class EnumMap final : public FieldOp {
 public:
  struct Entry {
    Scalar old_value, head_value;
    std::string old_json, head_json;
  };
  EnumMap(JsonPath field, std::vector<Entry> entries)
      : field_(std::move(field)), entries_(std::move(entries)) {}

  Status up(JNode& object, Tree& tree) override { return map(object, tree, true); }
  Status down(JNode& object, Tree& tree) override { return map(object, tree, false); }
  std::vector<const JsonPath*> paths() const override { return {&field_}; }

 private:
  Status map(JNode& object, Tree& tree, bool up) {
    return for_each_parent(object, tree, field_.segments, 0, [&](JNode& parent) -> Status {
      TANDEM_ASSIGN_OR_RETURN(int at, find_member(parent, field_.leaf().key));
      if (at < 0) return Status::Ok();
      JNode* value = parent.members[at].value;
      if (value->kind != JNode::Kind::kRaw || !read_scalar(value->raw, scratch_)) {
        return Status::Ok();
      }
      for (const Entry& e : entries_) {
        if (scratch_ == (up ? e.old_value : e.head_value)) {
          parent.members[at].value = tree.raw(up ? e.head_json : e.old_json);
          parent.changed = true;
          break;
        }
      }
      return Status::Ok();
    });
  }

  JsonPath field_;
  std::vector<Entry> entries_;
  Scalar scratch_;
};

}  // namespace

Result<std::unique_ptr<FieldOp>> make_enum_map(const FieldOpSpec& spec) {
  TANDEM_ASSIGN_OR_RETURN(JsonPath field, parse_field_path(spec.field));
  std::string what = "enum `" + field.text + "`";
  if (spec.enum_map.empty()) return Status::InvalidInput(what + ": the map is empty");
  std::vector<EnumMap::Entry> entries;
  for (const auto& [old_text, head_text] : spec.enum_map) {
    EnumMap::Entry e;
    TANDEM_ASSIGN_OR_RETURN(e.old_json, checked_json(old_text, what + " value"));
    TANDEM_ASSIGN_OR_RETURN(e.head_json, checked_json(head_text, what + " value"));
    if (!read_scalar(e.old_json, e.old_value) || !read_scalar(e.head_json, e.head_value)) {
      return Status::InvalidInput(what + ": values must be strings, numbers, true, false or null");
    }
    for (const EnumMap::Entry& prev : entries) {
      if (prev.old_value == e.old_value || prev.head_value == e.head_value) {
        return Status::InvalidInput(what + ": a value appears twice on one side of the map (" +
                                    old_text + " -> " + head_text +
                                    "); the inverse would be "
                                    "ambiguous");
      }
    }
    entries.push_back(std::move(e));
  }
  return std::unique_ptr<FieldOp>(new EnumMap(std::move(field), std::move(entries)));
}

}  // namespace tandem::gateway::ops
