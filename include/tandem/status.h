#pragma once
// Errors are values in tandem: every fallible call returns a Status or a Result<T>; nothing
// throws across the library API. The CLI turns a Status into a message and an exit code.
// See docs/library-errors.md (and docs/errors.md for every message a user can get).

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace tandem {

// The kind of failure. The numeric values are the CLI's exit codes (ARCHITECTURE.md).
enum class Code {
  kOk = 0,
  kProblem = 1,       // the command ran and found a problem (pending, mismatch, finding)
  kInvalidInput = 2,  // bad file, bad flag, bad URL: nothing was changed
  kDatabase = 3,      // the database refused or failed
  kLockNotAcquired = 4,
};

// Something wrong with the migrations folder or the history, located as exactly as possible
// (docs/errors.md lists every kind).
struct Problem {
  std::string kind;     // stable id: "bad_name", "checksum_mismatch", …
  std::string file;     // path shown to the user ("" when not about one file)
  int line = 0;         // 1-based, 0 when not about one line
  int column = 0;       // 1-based, 0 when unknown
  std::string message;  // what is wrong
  std::string hint;     // what to do next
};

// Outcome of an operation: ok, or a code plus a message that says what happened and,
// in `hint`, what the user should do next.
class Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Problem(std::string msg, std::string hint = {}) {
    return Status(Code::kProblem, std::move(msg), std::move(hint));
  }
  static Status InvalidInput(std::string msg, std::string hint = {}) {
    return Status(Code::kInvalidInput, std::move(msg), std::move(hint));
  }
  static Status Database(std::string msg, std::string sqlstate = {}, std::string hint = {}) {
    Status s(Code::kDatabase, std::move(msg), std::move(hint));
    s.sqlstate_ = std::move(sqlstate);
    return s;
  }
  static Status LockNotAcquired(std::string msg, std::string hint = {}) {
    return Status(Code::kLockNotAcquired, std::move(msg), std::move(hint));
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::string& hint() const { return hint_; }
  // PostgreSQL SQLSTATE (e.g. "55P03") or "SQLITE_<n>" for SQLite; empty when not from a database.
  const std::string& sqlstate() const { return sqlstate_; }
  // 1-based character offset of the error inside the failing statement, 0 when unknown.
  int position() const { return position_; }
  Status with_position(int position) const {
    Status s = *this;
    s.position_ = position;
    return s;
  }
  // True for a lock_timeout expiry (55P03) or SQLite busy: the statement may be retried.
  bool is_lock_timeout() const {
    return sqlstate_ == "55P03" || sqlstate_ == "SQLITE_5" || sqlstate_ == "SQLITE_6";
  }

  // Returns a copy whose message is prefixed with `context` ("file.sql: ").
  Status with_context(const std::string& context) const {
    Status s = *this;
    s.message_ = context + s.message_;
    return s;
  }
  Status with_hint(std::string hint) const {
    Status s = *this;
    s.hint_ = std::move(hint);
    return s;
  }
  // The problems a refusal lists ("3 problems found, nothing was changed"), each with its
  // stable kind, for `--json` and programs; empty for other errors.
  const std::vector<tandem::Problem>& problems() const { return problems_; }
  Status with_problems(std::vector<tandem::Problem> problems) const {
    Status s = *this;
    s.problems_ = std::move(problems);
    return s;
  }

 private:
  Status(Code code, std::string msg, std::string hint)
      : code_(code), message_(std::move(msg)), hint_(std::move(hint)) {}

  Code code_ = Code::kOk;
  std::string message_;
  std::string hint_;
  std::string sqlstate_;
  int position_ = 0;
  std::vector<tandem::Problem> problems_;
};

// A value or the Status explaining why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(v_).ok());
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace tandem

// Returns early from the enclosing function when `expr` (a Status) is not ok.
#define TANDEM_RETURN_IF_ERROR(expr) \
  do {                               \
    ::tandem::Status _st = (expr);   \
    if (!_st.ok()) return _st;       \
  } while (0)

#define TANDEM_CONCAT_INNER(a, b) a##b
#define TANDEM_CONCAT(a, b) TANDEM_CONCAT_INNER(a, b)
// `TANDEM_ASSIGN_OR_RETURN(auto x, f());` binds the value of a Result or returns its Status.
#define TANDEM_ASSIGN_OR_RETURN(lhs, expr) \
  TANDEM_ASSIGN_OR_RETURN_IMPL(TANDEM_CONCAT(_res_, __LINE__), lhs, expr)
#define TANDEM_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()
