#pragma once
// UTF-8 checks. PostgreSQL refuses invalid UTF-8 in a UTF8 database and JSON cannot carry it,
// so every text that reaches a statement or a report is checked here first.

#include <cstddef>
#include <string>
#include <string_view>

namespace tandem::utf8 {

// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or code points above
// U+10FFFF). When it is not and `bad` is given, *bad is the offset of the first bad byte.
bool valid(std::string_view text, size_t* bad = nullptr);

// `text` with every byte that is not part of well-formed UTF-8 replaced by U+FFFD, for
// messages and JSON output.
std::string sanitize(std::string_view text);

}  // namespace tandem::utf8
