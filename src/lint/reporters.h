#pragma once
// What the lint reporters share with `tandem lint --trace`'s report.

#include "lint/json_writer.h"
#include "tandem/lint.h"

namespace tandem::lint {

// One finding as a JSON object (keys in alphabetical order, as the reports always had them).
void finding_json(JsonWriter& w, const Finding& f);

}  // namespace tandem::lint
