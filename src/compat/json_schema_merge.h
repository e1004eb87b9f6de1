#pragma once
// JSON Schema's allOf (and a 2019-09 $ref beside other keywords) read as one schema: the
// intersection of two model nodes — properties merged, required ORed, bounds tightened, a
// closed side closing the result, kinds that cannot meet becoming "no value".

#include <set>

#include "compat/model.h"

namespace tandem::compat {

// A node of `schema` accepting what both `a` and `b` accept, as far as the model can say.
// Nodes still being read (`building`: a $ref back up through allOf) or past depth 16 are not
// merged: one side is kept and the other recorded as text that must be equal (fail closed).
NodeId intersect(Schema& schema, NodeId a, NodeId b, int depth, const std::set<NodeId>& building);

}  // namespace tandem::compat
