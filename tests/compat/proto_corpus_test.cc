// The Protobuf compatibility corpus (tests/compat/corpus/protobuf/<case>/): an old.proto and a
// new.proto per case, and expect.yaml with the error rules a BACKWARD check (new reader, old
// data) and a FORWARD check (old reader, new data) must report, the warnings a FULL check must
// include, and the category each listed rule must carry. The verdicts are reasoned from the
// wire format (each case's comment says why), not copied from another checker.

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "compat/compat_test_util.h"
#include "tandem/compat.h"

namespace tandem::compat {
namespace {

using testing::list;
using testing::rules_at;
using testing::show;

namespace fs = std::filesystem;

std::vector<fs::path> cases() {
  std::vector<fs::path> out;
  for (const auto& e :
       fs::directory_iterator(std::string(TANDEM_SOURCE_DIR) + "/tests/compat/corpus/protobuf"))
    if (e.is_directory()) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(CompatProtoCorpus, EveryCase) {
  std::vector<fs::path> all = cases();
  EXPECT_GE(all.size(), 30u);
  for (const fs::path& dir : all) {
    SCOPED_TRACE(dir.filename().string());
    YAML::Node expect = YAML::LoadFile((dir / "expect.yaml").string());
    std::vector<std::string> files = {(dir / "old.proto").string(), (dir / "new.proto").string()};
    for (Mode mode : {Mode::kBackward, Mode::kForward}) {
      CheckOptions options;
      options.mode = mode;
      auto report = check_files(files, options);
      ASSERT_TRUE(report.ok()) << report.status().message();
      EXPECT_EQ(report->format, Format::kProtobuf);
      std::set<std::string> errors = rules_at(*report, Level::kError);
      std::set<std::string> expected =
          list(expect[mode == Mode::kBackward ? "backward" : "forward"]);
      EXPECT_EQ(errors, expected) << mode_name(mode) << ": got " << show(errors) << ", expected "
                                  << show(expected) << "\n"
                                  << render(*report, OutputFormat::kText);
    }
    CheckOptions full;
    full.mode = Mode::kFull;
    auto report = check_files(files, full);
    ASSERT_TRUE(report.ok()) << report.status().message();
    std::set<std::string> warnings = rules_at(*report, Level::kWarning);
    EXPECT_EQ(warnings, list(expect["warnings"])) << "warnings: got " << show(warnings) << "\n"
                                                  << render(*report, OutputFormat::kText);
    // Every Protobuf finding has a category; the listed rules the one expected.
    for (const PairReport& p : report->pairs) {
      for (const Finding& f : p.findings) {
        EXPECT_GE(category_rank(f.category), 0) << f.rule << " has no category";
        if (expect["categories"] && expect["categories"][f.rule]) {
          EXPECT_EQ(f.category, expect["categories"][f.rule].as<std::string>()) << f.rule;
        }
      }
    }
  }
}

// The same pairs given as text (the registry's path): the same verdicts.
TEST(CompatProtoCorpus, TextsReadLikeFiles) {
  for (const fs::path& dir : cases()) {
    SCOPED_TRACE(dir.filename().string());
    auto read = [](const fs::path& p) {
      std::ifstream in(p);
      return std::string(std::istreambuf_iterator<char>(in), {});
    };
    CheckOptions options;
    options.mode = Mode::kFull;
    auto texts = check_texts({read(dir / "old.proto"), read(dir / "new.proto")}, {"old", "new"},
                             Format::kProtobuf, options);
    auto files = check_files({(dir / "old.proto").string(), (dir / "new.proto").string()}, options);
    ASSERT_TRUE(texts.ok()) << texts.status().message();
    ASSERT_TRUE(files.ok()) << files.status().message();
    EXPECT_EQ(rules_at(*texts, Level::kError), rules_at(*files, Level::kError));
    EXPECT_EQ(rules_at(*texts, Level::kWarning), rules_at(*files, Level::kWarning));
  }
}

}  // namespace
}  // namespace tandem::compat
