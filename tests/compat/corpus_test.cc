// The compatibility corpus (tests/compat/corpus/*.yaml): schema pairs with the verdicts written
// for tandem, checked in both directions.

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "compat/compat_test_util.h"
#include "tandem/compat.h"

namespace tandem::compat {
namespace {

using testing::list;
using testing::rules_at;
using testing::show;

// Runs every case of one corpus file; returns how many there were.
size_t run_corpus(const std::string& file, Format format) {
  YAML::Node cases =
      YAML::LoadFile(std::string(TANDEM_SOURCE_DIR) + "/tests/compat/corpus/" + file);
  size_t n = 0;
  for (const YAML::Node& c : cases) {
    ++n;
    std::string name = c["name"].as<std::string>();
    SCOPED_TRACE(file + ": " + name);
    for (Mode mode : {Mode::kBackward, Mode::kForward}) {
      CheckOptions options;
      options.mode = mode;
      auto report = check_texts({c["old"].as<std::string>(), c["new"].as<std::string>()},
                                {"old", "new"}, format, options);
      EXPECT_TRUE(report.ok()) << report.status().message();
      if (!report.ok()) continue;
      std::set<std::string> errors = rules_at(*report, Level::kError);
      std::set<std::string> expected = list(c[mode == Mode::kBackward ? "backward" : "forward"]);
      EXPECT_EQ(errors, expected) << mode_name(mode) << ": got " << show(errors) << ", expected "
                                  << show(expected) << "\n"
                                  << render(*report, OutputFormat::kText);
      EXPECT_EQ(report->compatible(), expected.empty()) << mode_name(mode);
    }
    // Warnings and notes: each listed one is among the FULL check's (others may be too).
    if (!c["warnings"] && !c["notes"]) continue;
    CheckOptions full;
    full.mode = Mode::kFull;
    auto report = check_texts({c["old"].as<std::string>(), c["new"].as<std::string>()},
                              {"old", "new"}, format, full);
    EXPECT_TRUE(report.ok()) << report.status().message();
    if (!report.ok()) continue;
    for (auto [key, level] : {std::pair{"warnings", Level::kWarning}, {"notes", Level::kInfo}}) {
      std::set<std::string> found = rules_at(*report, level);
      for (const std::string& id : list(c[key]))
        EXPECT_TRUE(found.count(id))
            << "expected " << id << " in " << key << ", got " << show(found);
    }
  }
  return n;
}

TEST(CompatCorpus, Avro) { EXPECT_GE(run_corpus("avro.yaml", Format::kAvro), 55u); }

// OpenAPI: BACKWARD is old clients against the new server, FORWARD new clients against the old
// one (docs/compat.md, "OpenAPI").
TEST(CompatCorpus, OpenApi) { EXPECT_GE(run_corpus("openapi.yaml", Format::kOpenApi), 79u); }

TEST(CompatCorpus, JsonSchema) {
  EXPECT_GE(run_corpus("jsonschema.yaml", Format::kJsonSchema), 64u);
}

}  // namespace
}  // namespace tandem::compat
