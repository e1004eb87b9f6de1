#pragma once
// The compatibility rules, one per file under src/compat/rules/. Each judges one pair the
// walker brings together — reader node against writer node, or a field one side lacks — and
// reports findings through the walker; none of them descends (the walker does). Each file also
// lists the ids it reports (rules() in compat.cc gathers them).

#include <vector>

#include "compat/model.h"
#include "compat/openapi_walker.h"
#include "compat/walker.h"

namespace tandem::compat::checks {

// Node pairs. type_changed returns false when the kinds differ so much that the walker must not
// descend (a record against a string).
bool type_changed(Walker& w, const Node& reader, const Node& writer);
// The writer's (non-union) value matches no branch of the reader's union: type-changed.
void type_not_in_union(Walker& w, const Node& reader, const Node& writer);
void name_changed(Walker& w, const Node& reader, const Node& writer);
void fixed_size_changed(Walker& w, const Node& reader, const Node& writer);
void enum_symbols(Walker& w, const Node& reader, const Node& writer);
void allowed_values(Walker& w, const Node& reader, const Node& writer);
void range_narrowed(Walker& w, const Node& reader, const Node& writer);
void length_narrowed(Walker& w, const Node& reader, const Node& writer);
void pattern_changed(Walker& w, const Node& reader, const Node& writer);
void size_narrowed(Walker& w, const Node& reader, const Node& writer);
void logical_type_changed(Walker& w, const Node& reader, const Node& writer);
void unsupported_keyword(Walker& w, const Node& reader, const Node& writer);
void content_model(Walker& w, const Node& reader, const Node& writer);

// Protobuf: the package of the file changed (the root pseudo-records); reserved numbers or
// names dropped from a message or an enum; an enum value's number moved or renamed.
void package_changed(Walker& w, const Node& reader, const Node& writer);
void reserved_removed(Walker& w, const Node& reader, const Node& writer);
void enum_value_numbers(Walker& w, const Node& reader, const Node& writer);

// A union branch of the writer that no reader branch reads (`reader` may be a plain node).
void union_branch(Walker& w, const Node& reader, const Node& writer_branch);

// Fields. field_missing: the reader has `field`, the writer does not write it.
// field_unknown: the writer writes `field`, the reader has no such field.
void field_missing(Walker& w, const Node& reader, const Field& field, const Node& writer);
void field_unknown(Walker& w, const Node& reader, const Node& writer, const Field& field);
void field_became_required(Walker& w, const Field& reader, const Field& writer);
void default_changed(Walker& w, const Field& reader, const Field& writer);
void field_renamed(Walker& w, const Field& reader, const Field& writer);
// Protobuf fields.
// field_number_reused: one number, another name and another type.
// message_removed: a top-level message only the writer's file has.
// field_removed_not_reserved: a field gone from the new message without `reserved` for it.
void field_number_reused(Walker& w, const Field& reader, const Field& writer);
void message_removed(Walker& w, const Node& reader_file, const Field& message);
void field_removed_not_reserved(Walker& w, const Node& reader, const Field& field);
// Is the type of `a` (in the reader's schema) the type of `b` (in the writer's), by name?
bool same_declared_type(const Walker& w, const Field& reader, const Field& writer);

// OpenAPI (compat/openapi_walker.h). Each gets the client's part and the server's; a null one
// is missing on that side. Request parts are read by the server, responses by the clients.
// path_missing / operation_missing: a path or an operation only one side has.
void path_missing(ApiWalker& w, const ApiPath* client, const ApiPath* server);
void operation_missing(ApiWalker& w, const ApiOperation* client, const ApiOperation* server);
void operation_id_changed(ApiWalker& w, const ApiOperation& client, const ApiOperation& server);
void security_requirement(ApiWalker& w, const ApiOperation& client, const ApiOperation& server);
void security_scheme_changed(ApiWalker& w, const ApiSecurityScheme& client,
                             const ApiSecurityScheme& server);
void request_parameter_missing(ApiWalker& w, const ApiParameter* client,
                               const ApiParameter* server);
void request_parameter_moved(ApiWalker& w, const ApiParameter& client, const ApiParameter& server);
void request_parameter_required(ApiWalker& w, const ApiParameter& client,
                                const ApiParameter& server);
// A body on one side only, or required by the server only. True when both sides have one (their
// media types are compared next).
bool request_body(ApiWalker& w, const ApiOperation& client, const ApiOperation& server);
// A media type of a request body (`request`) or of a response only one side has.
void media_type_missing(ApiWalker& w, bool request, const ApiMedia* client, const ApiMedia* server);
void response_status_missing(ApiWalker& w, const ApiOperation& client_op,
                             const ApiOperation& server_op, const ApiResponse* client,
                             const ApiResponse* server);
// A response header on one side only, or required by clients and optional on the server.
void response_header(ApiWalker& w, const ApiParameter* client, const ApiParameter* server);

// The ids each file reports, for the rule list.
extern const std::vector<RuleInfo> kTypeChanged, kNameChanged, kFixedSizeChanged, kEnumSymbols,
    kAllowedValues, kRangeNarrowed, kLengthNarrowed, kPatternChanged, kSizeNarrowed,
    kLogicalTypeChanged, kUnsupportedKeyword, kContentModel, kUnionBranch, kFieldMissing,
    kFieldUnknown, kFieldBecameRequired, kDefaultChanged, kFieldRenamed, kWalker, kPackageChanged,
    kReservedRemoved, kEnumValueNumbers, kFieldNumberReused, kMessageRemoved,
    kFieldRemovedNotReserved, kPathMissing, kOperationMissing, kOperationIdChanged,
    kSecurityRequirement, kSecuritySchemeChanged, kRequestParameterMissing, kRequestParameterMoved,
    kRequestParameterRequired, kRequestBody, kMediaTypeMissing, kResponseStatusMissing,
    kResponseHeader;

}  // namespace tandem::compat::checks
