#pragma once
// One compiled jq program (libjq 1.6) that runs on one JSON value at a time. A jq_state is not
// thread-safe: a JqProgram belongs to one thread (the gateway compiles one per worker).

#include <memory>
#include <string>
#include <string_view>

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

 private:
  JqProgram() = default;
  jq_state* jq_ = nullptr;
  std::string compile_errors_;  // filled by jq's error callback while compiling
};

}  // namespace tandem::gateway
