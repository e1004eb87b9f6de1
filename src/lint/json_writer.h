#pragma once
// JSON written as it is produced — no document tree in between — in exactly the layout of
// nlohmann::json's dump(2) (the reports' format before this writer, which scripts read), at a
// fraction of the cost: 11,500 findings are one pass over one string.
//
// Strings are escaped as JSON requires (", \, every control character) and invalid UTF-8 is
// replaced by U+FFFD the way nlohmann's error_handler_t::replace does; nothing here throws
// (nlohmann's default dump throws on invalid UTF-8, which aborted `tandem lint`).
// Keys are written in the order given: callers give them sorted, as nlohmann printed them.

#include <charconv>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace tandem::lint {

// Appends `s` to `out` as a JSON string, quotes included.
void append_json_string(std::string& out, std::string_view s);

class JsonWriter {
 public:
  // indent < 0: compact, on one line (nlohmann's dump()).
  explicit JsonWriter(std::string& out, int indent = 2) : out_(out), indent_(indent) {}

  JsonWriter& begin_object() { return open('{'); }
  JsonWriter& end_object() { return close('}'); }
  JsonWriter& begin_array() { return open('['); }
  JsonWriter& end_array() { return close(']'); }
  JsonWriter& key(std::string_view k);

  JsonWriter& value(std::string_view s) {
    before_value();
    append_json_string(out_, s);
    return *this;
  }
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(bool b) {
    before_value();
    out_ += b ? "true" : "false";
    return *this;
  }
  template <typename T,
            std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  JsonWriter& value(T n) {
    before_value();
    char buf[24];
    auto end = std::to_chars(buf, buf + sizeof buf, n).ptr;
    out_.append(buf, end);
    return *this;
  }
  // "k": v
  template <typename T>
  JsonWriter& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }
  // "k": [v, …] of strings
  JsonWriter& field(std::string_view k, const std::vector<std::string>& list);

 private:
  JsonWriter& open(char bracket);
  JsonWriter& close(char bracket);
  void before_value();
  void newline(size_t depth);

  std::string& out_;
  int indent_;
  std::vector<size_t> counts_;  // values written so far in each open container
  bool after_key_ = false;
};

}  // namespace tandem::lint
