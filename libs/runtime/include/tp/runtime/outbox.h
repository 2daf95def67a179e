// The messages a core wants published, in the order it produced them.
//
// Cores are pure: they never touch the bus. A handler fills an Outbox and the
// shell publishes it (tp::runtime::publish_all), or an in-process run feeds
// it straight to the next core.
//
//   void SignalCore::on_bar(const Bar& bar, Outbox& out) {
//     out.emit(subjects::signal("ma_trend", "BTCUSDT"), ids::signal(...), corr, signal);
//   }
//
// Thread safety: none; one Outbox per handler call.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace google::protobuf {
class MessageLite;
}

namespace tp::runtime {

class Outbox {
 public:
  struct Item {
    std::string subject;
    std::string message_id;
    std::string correlation_id;
    std::string message_type;  // full protobuf name
    std::string payload;       // serialised message
  };

  void emit(std::string_view subject, std::string_view message_id,
            std::string_view correlation_id, const google::protobuf::MessageLite& message);

  const std::vector<Item>& items() const { return items_; }
  std::vector<Item> take() { return std::exchange(items_, {}); }
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }

 private:
  std::vector<Item> items_;
};

}  // namespace tp::runtime
