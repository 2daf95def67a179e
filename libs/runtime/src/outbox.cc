#include "tp/runtime/outbox.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/message_lite.h>

namespace tp::runtime {

void Outbox::emit(std::string_view subject, std::string_view message_id,
                  std::string_view correlation_id, const google::protobuf::MessageLite& message) {
  Item item{std::string(subject), std::string(message_id), std::string(correlation_id),
            message.GetTypeName(), {}};
  // Deterministic: map fields in key order, so a replay after a restart
  // produces byte-identical payloads (and the same payload digests).
  {
    google::protobuf::io::StringOutputStream stream(&item.payload);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  items_.push_back(std::move(item));
}

}  // namespace tp::runtime
