// The corpus (tests/lint/corpus: 325 statements written for tandem, over tables an earlier
// migration created) against its checked-in snapshot: each statement's lock, rewrite and scan
// classification and the rules that fire. A change in either shows up as a diff here.
// Regenerate after an intended change: TANDEM_UPDATE_SNAPSHOTS=1 ./tandem_tests
// --gtest_filter=LintCorpus.* (then review the diff of expected.txt).

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "tandem/lint.h"
#include "test_util.h"

namespace tandem::lint {
namespace {

TEST(LintCorpus, MatchesSnapshot) {
  std::string dir = std::string(TANDEM_SOURCE_DIR) + "/tests/lint/corpus/";
  auto src = sources({dir + "setup.sql", dir + "corpus.sql"}, "");
  ASSERT_TRUE(src.ok()) << src.status().message();
  (*src)[0].file = "setup.sql";
  (*src)[1].file = "corpus.sql";
  LintOptions o;
  o.only_files = {"corpus.sql"};
  auto r = lint(*src, o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_GE(r->statements.size(), 300u);
  std::string got;
  for (const StatementReport& s : r->statements) {
    const Classification& c = s.classification;
    got += std::to_string(s.line) + ": " + lock_name(c.lock) + (c.rewrites ? " rewrites" : "") +
           (c.scans ? " scans" : "") + " |";
    for (const Finding& f : s.findings) got += " " + f.rule + "(" + severity_name(f.severity) + ")";
    got += "\n";
  }
  std::string path = dir + "expected.txt";
  if (std::getenv("TANDEM_UPDATE_SNAPSHOTS") != nullptr) {
    std::ofstream(path) << got;
    GTEST_SKIP() << "snapshot written: " << path;
  }
  std::string want = testing::read_file(path);
  EXPECT_EQ(got, want) << "the corpus snapshot changed; review and regenerate (see the top of "
                          "this file)";
}

}  // namespace
}  // namespace tandem::lint
