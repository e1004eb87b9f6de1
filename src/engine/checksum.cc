// SHA-256 of a migration file, stable across operating systems' line endings.

#include <openssl/evp.h>

#include "tandem/migration.h"

namespace tandem {

std::string checksum(std::string_view content) {
  // Normalise CRLF and lone CR to LF so re-saving a file on Windows or old macOS does not
  // look like an edit of an applied migration.
  std::string normalised;
  std::string_view input = content;
  if (content.find('\r') != std::string_view::npos) {
    normalised.reserve(content.size());
    for (size_t i = 0; i < content.size(); ++i) {
      char c = content[i];
      if (c == '\r') {
        normalised += '\n';
        if (i + 1 < content.size() && content[i + 1] == '\n') ++i;
      } else {
        normalised += c;
      }
    }
    input = normalised;
  }
  // Fetch the implementation once: an implicit fetch per call dominates for small files.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), digest, &len, sha256, nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

}  // namespace tandem
