// JqProgram: jq programs on one value, and the arithmetic fast path held to jq's own output.

#include "gateway/jq_program.h"

#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace tandem::gateway {
namespace {

std::unique_ptr<JqProgram> compiled(const std::string& program) {
  auto p = JqProgram::compile(program);
  EXPECT_TRUE(p.ok()) << program << ": " << p.status().message();
  return p.ok() ? std::move(p).value() : nullptr;
}

TEST(JqProgram, RecognizesArithmeticPipelines) {
  for (const char* program : {". * 100 | round", ".*100|round", ". / 100", ". + 1", ". - 2.5",
                              "round", "floor | . * 3", "ceil", "fabs", ".", ". * 1e3"}) {
    EXPECT_TRUE(JqProgram::arithmetic(program).has_value()) << program;
    EXPECT_TRUE(compiled(program)->has_fast_path()) << program;
  }
  for (const char* program :
       {". / 0", "tostring", ". * 100 + 1", "100 * .", ". * .5", ".total", "round |", "| round",
        ". * -1", "def f: 1; f", "if . then 1 else 2 end", ". % 3", "(. * 100)", ". * 1e400"}) {
    EXPECT_FALSE(JqProgram::arithmetic(program).has_value()) << program;
  }
}

// Every fast program on every input gives exactly what jq gives (numbers as jq prints them,
// NaN and infinities as jq prints them), and inputs that are not numbers go to jq.
TEST(JqProgram, FastPathMatchesJqExactly) {
  std::vector<std::string> inputs = {"0",
                                     "-0",
                                     "1",
                                     "-1",
                                     "10.37",
                                     "1037",
                                     "0.1",
                                     "1e2",
                                     "1E-7",
                                     "123456789012345678",
                                     "9007199254740993",
                                     "1.7976931348623157e308",
                                     "5e-324",
                                     "2.5",
                                     "-2.5",
                                     "0.000001",
                                     "1e17",
                                     "12345.678e-3",
                                     "1e-5",
                                     "1e-10",
                                     "1.5e-7",
                                     "0.0001",
                                     "0.001",
                                     "1e20",
                                     "1e21",
                                     "1e100",
                                     "123e30",
                                     "-1e-300",
                                     "1234567890123456",
                                     "12345678901234567",
                                     "100000000000000000000",
                                     "4.35",
                                     "0.1e-3",
                                     "99999999999999999999999"};
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> unit(-1e6, 1e6);
  std::uniform_int_distribution<int> exponent(-320, 308);
  for (int i = 0; i < 300; ++i) {
    double d = unit(rng);
    inputs.push_back(fmt::format("{}e{}", d, exponent(rng)));
    inputs.push_back(fmt::format("{}", d));
    inputs.push_back(fmt::format("{:.2f}", d));
    inputs.push_back(std::to_string(static_cast<long long>(d * 1000)));
  }
  for (const char* text :
       {". * 100 | round", ". / 100", ". + 0.1", ". - 3", "round", "floor", "ceil", "fabs", ".",
        ". * 1e300 | . * 1e300", ". / 3 | . * 3", ". * 0.07 | round | . / 100"}) {
    auto program = compiled(text);
    ASSERT_TRUE(program && program->has_fast_path()) << text;
    for (const std::string& input : inputs) {
      std::string fast, slow;
      double d = 0;
      if (std::from_chars(input.data(), input.data() + input.size(), d).ec ==
          std::errc::result_out_of_range) {
        EXPECT_FALSE(program->run(input, fast).ok()) << input;  // refused, not clamped
        continue;
      }
      ASSERT_TRUE(program->run(input, fast).ok()) << text << " on " << input;
      ASSERT_TRUE(program->run_jq(input, slow).ok()) << text << " on " << input;
      EXPECT_EQ(fast, slow) << text << " on " << input;
    }
  }
}

TEST(JqProgram, NonNumbersGoToJq) {
  auto program = compiled(". / 100");
  std::string out;
  // A string divided by a number is a jq error, as it would be without the fast path.
  Status st = program->run("\"abc\"", out);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("cannot be divided"), std::string::npos) << st.message();
  // And a string times a number repeats it in jq 1.6: still jq's answer.
  auto times = compiled(". * 2");
  ASSERT_TRUE(times->run("\"ab\"", out).ok());
  EXPECT_EQ(out, "\"abab\"");
  // Out of a double's range: jq would change the value (1e400 → 1.797…e308); refused.
  for (const char* huge : {"1e400", "-1e400", "1e-400"}) {
    Status big = program->run(huge, out);
    EXPECT_FALSE(big.ok()) << huge;
    EXPECT_NE(big.message().find("out of the range"), std::string::npos) << big.message();
  }
  EXPECT_FALSE(compiled("tostring")->run("1e400", out).ok());
  auto tostr = compiled("tostring");
  ASSERT_TRUE(tostr->run("12", out).ok());
  EXPECT_EQ(out, "\"12\"");
}

}  // namespace
}  // namespace tandem::gateway
