#pragma once
// One compiled jq program (libjq 1.6) that runs on one JSON value at a time. A jq_state is not
// thread-safe: a JqProgram belongs to one thread (the gateway compiles one per worker).

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tandem/status.h"

struct jq_state;

namespace tandem::gateway {

class JqProgram {
 public:
  // Compiles `program` once. Error (InvalidInput): jq's compile messages.
  static Result<std::unique_ptr<JqProgram>> compile(std::string_view program);
  ~JqProgram();
  JqProgram(const JqProgram&) = delete;
  JqProgram& operator=(const JqProgram&) = delete;

  // Runs the program on the JSON text `input`; the program must yield exactly one value,
  // whose compact JSON text replaces `out`. Errors (InvalidInput): `input` is not JSON, the
  // program raised an error (jq's message), halted, yielded nothing or more than one value.
  Status run(std::string_view input, std::string& out);

  // True when the program is simple arithmetic on a number that run() evaluates itself
  // (see Arithmetic below).
  bool has_fast_path() const { return arithmetic_.has_value(); }

  // A pipeline of number stages — `. * 100`, `. / 100`, `. + 1`, `. - 1`, `round`, `floor`,
  // `ceil`, `fabs`, `.` — which is what most `convert` programs are. On a number input it
  // is evaluated here, as jq does it (IEEE doubles, the same C functions, jq's own number
  // printer), without jq's parse / start / next / dump per value, which costs micro-
  // seconds. Any other input runs in jq (tests/gateway/jq_program_test.cc holds the two to
  // the same output).
  struct Stage {
    enum class Op { kAdd, kSub, kMul, kDiv, kRound, kFloor, kCeil, kFabs } op;
    double operand = 0;
  };
  static std::optional<std::vector<Stage>> arithmetic(std::string_view program);

  // run() in jq itself, never the fast path (the reference the fast path is tested against).
  Status run_jq(std::string_view input, std::string& out);

 private:
  JqProgram() = default;

  std::optional<std::vector<Stage>> arithmetic_;
  jq_state* jq_ = nullptr;
  std::string compile_errors_;  // filled by jq's error callback while compiling
};

}  // namespace tandem::gateway
