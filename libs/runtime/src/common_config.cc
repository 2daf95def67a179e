#include "tp/config/reader.h"
#include "tp/runtime/service.h"

namespace tp::runtime {

CommonConfig read_common_config(config::Reader& r, std::string_view service) {
  using std::chrono::milliseconds;
  CommonConfig c;
  c.service = service;
  c.nats_urls = r.string_list("nats.urls", {.default_value = std::vector<std::string>{
                                                "nats://127.0.0.1:4222"},
                                            .allow_empty_list = false});
  c.nats_user = r.string("nats.user", {.default_value = "", .allow_empty = true});
  c.nats_password = r.secret("nats.password", {.required = false}).reveal();
  c.max_in_flight = r.integer("nats.max_in_flight", {.min = 1, .max = 1'000'000, .default_value = 4096});
  c.publish_ack_timeout = r.duration_ms("nats.publish_ack_timeout",
                                        {.min = milliseconds(10), .default_value = milliseconds(5000)});
  c.send_asap = r.boolean("nats.send_asap", {.default_value = false});
  c.database_connection = r.string("database.connection",
                                   {.default_value = "host=127.0.0.1 port=55432 user=tp dbname=trading"});
  c.database_password = r.secret("database.password", {.required = false}).reveal();
  c.admin_address = r.string("admin.address", {.default_value = "127.0.0.1"});
  c.admin_port = static_cast<uint16_t>(r.integer("admin.port", {.min = 0, .max = 65535, .default_value = 0}));
  c.log_level = r.one_of("log.level", {"trace", "debug", "info", "warn", "error", "critical", "off"}, "info");
  c.keys_file = r.string("keys.file");
  c.max_age = r.duration_ms("security.max_age", {.min = milliseconds(1000), .default_value = milliseconds(30'000)});
  c.max_future = r.duration_ms("security.max_future", {.min = milliseconds(0), .default_value = milliseconds(5'000)});
  c.replay_capacity = r.integer("security.replay_capacity", {.min = 1000, .default_value = 1'000'000});
  c.batch_size = r.integer("consumer.batch_size", {.min = 1, .max = 10'000, .default_value = 256});
  c.fetch_timeout = r.duration_ms("consumer.fetch_timeout",
                                  {.min = milliseconds(1), .default_value = milliseconds(100)});
  c.ack_wait = r.duration_ms("consumer.ack_wait", {.min = milliseconds(1000), .default_value = milliseconds(30'000)});
  c.max_deliver = r.integer("consumer.max_deliver", {.min = 1, .max = 1000, .default_value = 5});
  return c;
}

}  // namespace tp::runtime
