// Parsing of protobuf text format (configs/*.pbtxt) with errors that point at the
// line and column of the mistake and suggest the field that was probably meant.
// Stateless; thread-safe.
#ifndef CAMOE_COMMON_TEXT_PROTO_H_
#define CAMOE_COMMON_TEXT_PROTO_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace camoe {

// Parses `text` into `message` (cleared first). `source_name` prefixes every
// error: "configs/demo.pbtxt:4:3: Message type "camoe.VisionConfig" has no field
// named "widht" (did you mean "width"?)". Unknown fields, unknown enum values and
// duplicate non-repeated fields are errors. All errors are reported, not only the
// first, as InvalidArgument.
absl::Status ParseTextProto(std::string_view text, const std::string& source_name,
                            google::protobuf::Message* message);

// Reads `path` and parses it with ParseTextProto.
absl::Status ParseTextProtoFile(const std::string& path, google::protobuf::Message* message);

// `message` in text format, as written in configs/ files.
std::string ToTextProto(const google::protobuf::Message& message);

}  // namespace camoe

#endif  // CAMOE_COMMON_TEXT_PROTO_H_
