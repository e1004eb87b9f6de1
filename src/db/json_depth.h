#pragma once
// How deeply a JSON text nests, found without parsing it. A parsed document is copied,
// compared, serialised and destroyed by recursion (nlohmann::json): a text of 200,000 `[` —
// 400 KB — overflows the stack. Text from outside (a gateway's answer, a row edited by hand)
// is measured first and refused past a limit.

#include <cstddef>
#include <string_view>

namespace tandem::json_depth {

// The deepest nesting of arrays and objects in `text` (0 for a scalar), counting brackets
// outside strings. Stops counting at `stop_at` and returns it (the rest need not be read).
size_t measure(std::string_view text, size_t stop_at = 1 << 20);

// Deeper than any document tandem writes or reads from another program.
inline constexpr size_t kLimit = 64;

// Whether `text` nests at most kLimit deep.
inline bool within_limit(std::string_view text) { return measure(text, kLimit + 1) <= kLimit; }

}  // namespace tandem::json_depth
