// libjq 1.6 wrapper. jq values (jv) are reference counted: every jv function "consumes" its jv
// arguments unless documented otherwise, so a jv used twice is passed as jv_copy(x) first, and
// every jv we own is freed exactly once (jv_free) — ASan/LSan runs in the tests check it.

#include "gateway/jq_program.h"

extern "C" {
#include <jq.h>
}

#include <cctype>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace tandem::gateway {
namespace {

constexpr size_t kMaxMessage = 300;  // jq messages quote values; keep client messages short

std::string message_of(jv msg) {  // consumes msg
  std::string text;
  if (jv_get_kind(msg) == JV_KIND_STRING) {
    text = jv_string_value(msg);
  } else {
    jv dumped = jv_dump_string(msg, 0);  // consumes msg
    text = jv_string_value(dumped);
    jv_free(dumped);
    return text.size() > kMaxMessage ? text.substr(0, kMaxMessage) + "…" : text;
  }
  jv_free(msg);
  return text.size() > kMaxMessage ? text.substr(0, kMaxMessage) + "…" : text;
}

void collect_error(void* data, jv msg) {
  auto* errors = static_cast<std::string*>(data);
  if (!errors->empty()) *errors += "; ";
  *errors += message_of(msg);
}

}  // namespace

Result<std::unique_ptr<JqProgram>> JqProgram::compile(std::string_view program) {
  std::unique_ptr<JqProgram> p(new JqProgram());
  p->jq_ = jq_init();
  if (p->jq_ == nullptr) return Status::InvalidInput("jq: cannot initialize");
  jq_set_error_cb(p->jq_, collect_error, &p->compile_errors_);
  std::string text(program);  // jq_compile wants a NUL-terminated string
  if (!jq_compile(p->jq_, text.c_str())) {
    std::string why = p->compile_errors_.empty() ? "it does not compile" : p->compile_errors_;
    // jq writes for a shell user: one line, and no word about shell quoting.
    for (const char* noise :
         {" (Unix shell quoting issues?)", " (Windows cmd shell quoting issues?)"}) {
      for (size_t at; (at = why.find(noise)) != std::string::npos;)
        why.erase(at, std::strlen(noise));
    }
    for (char& c : why) {
      if (c == '\n') c = ' ';
    }
    return Status::InvalidInput("jq program `" + text + "`: " + why);
  }
  // Runtime errors come back from jq_next; anything else sent to the callback later is dropped
  // rather than written to stderr.
  p->compile_errors_.clear();
  p->arithmetic_ = arithmetic(program);
  return p;
}

namespace {

// The tokens of a pipeline of number stages; false on anything else.
bool tokenize(std::string_view text, std::vector<std::string_view>& tokens) {
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
    } else if (c == '.' &&
               (i + 1 >= text.size() || !std::isdigit(static_cast<unsigned char>(text[i + 1])))) {
      tokens.push_back(text.substr(i, 1));
      ++i;
    } else if (c == '|' || c == '+' || c == '-' || c == '*' || c == '/') {
      tokens.push_back(text.substr(i, 1));
      ++i;
    } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      size_t j = i;
      while (j < text.size() &&
             (std::isdigit(static_cast<unsigned char>(text[j])) || text[j] == '.' ||
              text[j] == 'e' || text[j] == 'E' ||
              ((text[j] == '+' || text[j] == '-') && (text[j - 1] == 'e' || text[j - 1] == 'E')))) {
        ++j;
      }
      tokens.push_back(text.substr(i, j - i));
      i = j;
    } else if (std::isalpha(static_cast<unsigned char>(c))) {
      size_t j = i;
      while (j < text.size() &&
             (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_')) {
        ++j;
      }
      tokens.push_back(text.substr(i, j - i));
      i = j;
    } else {
      return false;
    }
  }
  return true;
}

// A number literal as jq reads it (a finite double), or nullopt.
std::optional<double> literal(std::string_view token) {
  if (token.empty() || !std::isdigit(static_cast<unsigned char>(token.front())))
    return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (ec != std::errc() || end != token.data() + token.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

// A number as jq 1.6 prints it (jv_dump → jvp_dtoa_fmt): the shortest digits that read back
// as the same double, in plain notation unless the decimal point is more than 15 places
// past the digits or the number is below 1e-4; NaN as null, infinities as ±DBL_MAX.
void print_number(double value, std::string& out) {
  out.clear();
  if (std::isnan(value)) {
    out = "null";
    return;
  }
  if (value > std::numeric_limits<double>::max()) value = std::numeric_limits<double>::max();
  if (value < -std::numeric_limits<double>::max()) value = -std::numeric_limits<double>::max();
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  (void)ec;
  // "-d.ddde±XX": the digits and the exponent.
  std::string_view text(buf, static_cast<size_t>(end - buf));
  bool negative = !text.empty() && text.front() == '-';
  if (negative) text.remove_prefix(1);
  size_t e = text.find('e');
  std::string digits;
  for (char c : text.substr(0, e)) {
    if (c != '.') digits += c;
  }
  int exponent = 0;
  std::from_chars(text.data() + e + 1 + (text[e + 1] == '+' ? 1 : 0), text.data() + text.size(),
                  exponent);
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  if (digits == "0") {
    out = negative ? "-0" : "0";
    return;
  }
  int decpt = exponent + 1;  // digits d1 d2 … mean 0.d1d2… × 10^decpt
  int ndigits = static_cast<int>(digits.size());
  if (negative) out += '-';
  if (decpt <= -4 || decpt > ndigits + 15) {
    out += digits[0];
    if (ndigits > 1) {
      out += '.';
      out.append(digits, 1, std::string::npos);
    }
    out += 'e';
    int x = decpt - 1;
    out += x < 0 ? '-' : '+';
    std::string exp_digits = std::to_string(x < 0 ? -x : x);
    if (exp_digits.size() < 2) out += '0';
    out += exp_digits;
  } else if (decpt <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-decpt), '0');
    out += digits;
  } else if (decpt >= ndigits) {
    out += digits;
    out.append(static_cast<size_t>(decpt - ndigits), '0');
  } else {
    out.append(digits, 0, static_cast<size_t>(decpt));
    out += '.';
    out.append(digits, static_cast<size_t>(decpt), std::string::npos);
  }
}

}  // namespace

std::optional<std::vector<JqProgram::Stage>> JqProgram::arithmetic(std::string_view program) {
  std::vector<std::string_view> tokens;
  if (!tokenize(program, tokens) || tokens.empty()) return std::nullopt;
  std::vector<Stage> stages;
  size_t i = 0;
  for (;;) {
    size_t end = i;
    while (end < tokens.size() && tokens[end] != "|") ++end;
    size_t n = end - i;
    if (n == 1) {
      std::string_view t = tokens[i];
      if (t == ".") {
      } else if (t == "round") {
        stages.push_back({Stage::Op::kRound});
      } else if (t == "floor") {
        stages.push_back({Stage::Op::kFloor});
      } else if (t == "ceil") {
        stages.push_back({Stage::Op::kCeil});
      } else if (t == "fabs") {
        stages.push_back({Stage::Op::kFabs});
      } else {
        return std::nullopt;
      }
    } else if (n == 3 && tokens[i] == ".") {
      // `. OP NUMBER`: the number is the right operand, as in jq.
      auto operand = literal(tokens[i + 2]);
      if (!operand) return std::nullopt;
      std::string_view op = tokens[i + 1];
      if (op == "+") {
        stages.push_back({Stage::Op::kAdd, *operand});
      } else if (op == "-") {
        stages.push_back({Stage::Op::kSub, *operand});
      } else if (op == "*") {
        stages.push_back({Stage::Op::kMul, *operand});
      } else if (op == "/" && *operand != 0) {  // jq raises an error on a zero divisor
        stages.push_back({Stage::Op::kDiv, *operand});
      } else {
        return std::nullopt;
      }
    } else {
      return std::nullopt;
    }
    if (end == tokens.size()) break;
    i = end + 1;
    if (i == tokens.size()) return std::nullopt;  // a trailing `|`
  }
  return stages;
}

Status JqProgram::run(std::string_view input, std::string& out) {
  if (!input.empty() &&
      (input.front() == '-' || std::isdigit(static_cast<unsigned char>(input.front())))) {
    double value = 0;
    auto [end, ec] = std::from_chars(input.data(), input.data() + input.size(), value);
    if (ec == std::errc::result_out_of_range) {
      // jq would read 1e400 as the largest double and 1e-400 as 0: a silently different value.
      return Status::InvalidInput("the number " + std::string(input.substr(0, 40)) +
                                  " is out of the range of a double");
    }
    if (!arithmetic_) return run_jq(input, out);
    // Out of range (1e400) or anything from_chars reads differently: jq decides.
    if (ec == std::errc() && end == input.data() + input.size()) {
      for (const Stage& stage : *arithmetic_) {
        switch (stage.op) {
          case Stage::Op::kAdd:
            value = value + stage.operand;
            break;
          case Stage::Op::kSub:
            value = value - stage.operand;
            break;
          case Stage::Op::kMul:
            value = value * stage.operand;
            break;
          case Stage::Op::kDiv:
            value = value / stage.operand;
            break;
          case Stage::Op::kRound:
            value = std::round(value);
            break;
          case Stage::Op::kFloor:
            value = std::floor(value);
            break;
          case Stage::Op::kCeil:
            value = std::ceil(value);
            break;
          case Stage::Op::kFabs:
            value = std::fabs(value);
            break;
        }
      }
      print_number(value, out);
      return Status::Ok();
    }
  }
  return run_jq(input, out);
}

JqProgram::~JqProgram() {
  if (jq_ != nullptr) jq_teardown(&jq_);
}

Status JqProgram::run_jq(std::string_view input, std::string& out) {
  if (input.size() > INT_MAX) return Status::InvalidInput("the value is too large");
  jv value = jv_parse_sized(input.data(), static_cast<int>(input.size()));
  if (!jv_is_valid(value)) {
    std::string why = "?";
    if (jv_invalid_has_msg(jv_copy(value))) {
      why = message_of(jv_invalid_get_msg(value));
    } else {
      jv_free(value);
    }
    return Status::InvalidInput("the value is not JSON jq can read: " + why);
  }
  jq_start(jq_, value, 0);  // consumes value
  jv result = jq_next(jq_);
  if (!jv_is_valid(result)) {
    if (jv_invalid_has_msg(jv_copy(result))) {
      return Status::InvalidInput(message_of(jv_invalid_get_msg(result)));
    }
    jv_free(result);
    return Status::InvalidInput(jq_halted(jq_) ? "the program halted"
                                               : "the program produced no value");
  }
  jv extra = jq_next(jq_);
  if (jv_is_valid(extra)) {
    jv_free(extra);
    jv_free(result);
    return Status::InvalidInput("the program produced more than one value");
  }
  if (jv_invalid_has_msg(jv_copy(extra))) {
    jv_free(result);
    return Status::InvalidInput(message_of(jv_invalid_get_msg(extra)));
  }
  jv_free(extra);
  jv text = jv_dump_string(result, 0);  // consumes result
  out.assign(jv_string_value(text), static_cast<size_t>(jv_string_length_bytes(jv_copy(text))));
  jv_free(text);
  return Status::Ok();
}

}  // namespace tandem::gateway
