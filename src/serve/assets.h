#pragma once
// The dashboard's page (src/serve/assets/: HTML, CSS, JavaScript), compiled into the binary by
// cmake/embed_assets.cmake: served at `/` and `/assets/NAME`, never read from the disk.

#include <string_view>
#include <vector>

namespace tandem::serve {

struct Asset {
  std::string_view name;          // "index.html", "app.js"
  std::string_view content_type;  // "text/javascript; charset=utf-8"
  std::string_view bytes;
};

// Every asset, sorted by name.
const std::vector<Asset>& assets();

}  // namespace tandem::serve
