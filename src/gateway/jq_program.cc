// libjq 1.6 wrapper. jq values (jv) are reference counted: every jv function "consumes" its jv
// arguments unless documented otherwise, so a jv used twice is passed as jv_copy(x) first, and
// every jv we own is freed exactly once (jv_free) — ASan/LSan runs in the tests check it.

#include "gateway/jq_program.h"

extern "C" {
#include <jq.h>
}

#include <climits>

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
    return Status::InvalidInput("jq program `" + text + "`: " + why);
  }
  // Runtime errors come back from jq_next; anything else sent to the callback later is dropped
  // rather than written to stderr.
  p->compile_errors_.clear();
  return p;
}

JqProgram::~JqProgram() {
  if (jq_ != nullptr) jq_teardown(&jq_);
}

Status JqProgram::run(std::string_view input, std::string& out) {
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
