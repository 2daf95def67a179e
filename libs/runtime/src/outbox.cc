#include "tp/runtime/outbox.h"

#include <google/protobuf/message_lite.h>

#include "tp/bus/publisher.h"

namespace tp::runtime {

void Outbox::emit(std::string_view subject, std::string_view message_id,
                  std::string_view correlation_id, const google::protobuf::MessageLite& message) {
  Item item{std::string(subject), std::string(message_id), std::string(correlation_id),
            message.GetTypeName(), {}};
  // Deterministic: a replay after a restart produces byte-identical
  // payloads (and the same payload digests).
  (void)bus::serialize_deterministic(message, item.payload);
  items_.push_back(std::move(item));
}

}  // namespace tp::runtime
