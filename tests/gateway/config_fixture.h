#pragma once
// What the gateway config tests share: a fixture that writes a config to a temporary folder,
// loads it, and checks that a refusal names the file, the right line and what to do.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "tandem/gateway.h"
#include "tandem/status.h"
#include "test_util.h"

namespace tandem::gateway::testing {

// The 1-based line of the first occurrence of `needle` in `text` (0 when absent).
inline int line_of(const std::string& text, const std::string& needle) {
  size_t at = text.find(needle);
  if (at == std::string::npos) return 0;
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
}

class ConfigFixture : public ::testing::Test {
 protected:
  std::string write(const std::string& content, const std::string& name = "api.yaml") {
    return dir_.write(name, content);
  }
  Result<Config> load(const std::string& content) {
    path_ = write(content);
    return load_config(path_);
  }
  // Loads `content`, expects one refusal whose first problem is on the line where `needle`
  // starts and whose message says `says`.
  Status expect_refused(const std::string& content, const std::string& needle,
                        const std::string& says, size_t problems = 1) {
    auto r = load(content);
    EXPECT_FALSE(r.ok()) << "accepted:\n" << content;
    if (r.ok()) return Status::Ok();
    const Status& st = r.status();
    int line = line_of(content, needle);
    EXPECT_GT(line, 0) << "test bug: `" << needle << "` is not in the config";
    EXPECT_EQ(st.code(), Code::kInvalidInput);
    std::string where = path_ + ":" + std::to_string(line) + ": ";
    EXPECT_NE(st.message().find(where), std::string::npos)
        << "message lacks `" << where << "`: " << st.message();
    EXPECT_NE(st.message().find(says), std::string::npos) << st.message();
    EXPECT_FALSE(st.hint().empty()) << "no hint for: " << st.message();
    EXPECT_EQ(st.problems().size(), problems) << st.message();
    if (!st.problems().empty()) {
      const Problem& p = st.problems().front();
      EXPECT_EQ(p.file, path_);
      EXPECT_EQ(p.line, line) << p.message;
      EXPECT_EQ(p.kind, "gateway_config");
      EXPECT_FALSE(p.hint.empty()) << p.message;
    }
    return st;
  }

  tandem::testing::TempDir dir_;
  std::string path_;
};

}  // namespace tandem::gateway::testing
