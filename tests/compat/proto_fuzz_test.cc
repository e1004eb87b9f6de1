// The Protobuf reader and the walker on hostile .proto texts: the corpus files mutated (bytes
// flipped, cut, duplicated, keywords and odd numbers inserted). Each must end in a report or an
// input error — never a crash or a hang (CI runs this under ASan/UBSan).

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "compat/compat_test_util.h"
#include "tandem/compat.h"

namespace tandem::compat {
namespace {

std::vector<std::string> seeds() {
  std::vector<std::string> out;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(
           std::string(TANDEM_SOURCE_DIR) + "/tests/compat/corpus/protobuf"))
    if (e.path().extension() == ".proto") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f);
    out.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return out;
}

const std::vector<std::string> kProtoTokens = {"message M { M m = 1; }",
                                               "{",
                                               "}",
                                               ";",
                                               "=",
                                               "repeated ",
                                               "map<string, M> ",
                                               "reserved 1;",
                                               "enum E { A = 0; }",
                                               "import \"x.proto\";",
                                               "syntax = \"proto2\";",
                                               "required ",
                                               "oneof o {",
                                               "[default = 1]",
                                               " 536870911",
                                               " 19000",
                                               " -1",
                                               " 0",
                                               " max",
                                               "option allow_alias = true;",
                                               "extend Order { int32 x = 100; }",
                                               "group G = 9 {}",
                                               "\xff",
                                               "package a.b;",
                                               "//",
                                               "/*",
                                               "\"",
                                               "google.protobuf.Timestamp "};

std::string mutate(const std::string& in, std::mt19937& rng) {
  return testing::mutate(in, rng, kProtoTokens, 60);
}

TEST(CompatProtoFuzz, MutatedProtoFilesNeverCrash) {
  std::vector<std::string> corpus = seeds();
  ASSERT_GE(corpus.size(), 60u);
  std::mt19937 rng(20260601);
  size_t read = 0, refused = 0;
  for (int i = 0; i < 1500; ++i) {
    const std::string& a = corpus[rng() % corpus.size()];
    const std::string& b = corpus[rng() % corpus.size()];
    CheckOptions options;
    options.mode = Mode::kFull;
    auto r = check_texts({mutate(a, rng), rng() % 2 ? b : mutate(b, rng)}, {"old", "new"},
                         Format::kProtobuf, options);
    if (r.ok()) {
      ++read;
      render(*r, OutputFormat::kJson);
    } else {
      ++refused;
      EXPECT_EQ(r.status().code(), Code::kInvalidInput) << r.status().message();
      EXPECT_FALSE(r.status().message().empty());
    }
  }
  // Both outcomes happen: the mutations are neither all harmless nor all fatal.
  EXPECT_GT(read, 0u);
  EXPECT_GT(refused, 0u);
}

}  // namespace
}  // namespace tandem::compat
