// Structured JSON logging: one JSON object per line, on spdlog.
//
//   tp::log::init("decision", tp::log::Level::kInfo);       // once, in main
//   tp::log::info("order accepted", {{"correlation_id", id}, {"qty", "0.5"},
//                                    {"attempt", 2}, {"paper", true}});
// writes
//   {"ts":"2024-05-01T12:00:00.123456Z","level":"info","service":"decision",
//    "msg":"order accepted","correlation_id":"...","qty":"0.5","attempt":2,"paper":true}
// (on one line). Fields, in this order: ts (RFC 3339, UTC, microseconds),
// level, service, msg, then the caller's fields in the order given. Strings
// are JSON-escaped; invalid UTF-8 is replaced by U+FFFD rather than dropped;
// non-finite doubles are written as null. A caller field named ts, level,
// service or msg is written as field_ts, field_level, ... so the envelope can
// never be overwritten.
//
// Secrets: values are scalars only (strings, integers, doubles, bools). There
// is deliberately no way to log a config object, a message or a map as a
// whole, so nothing reaches the log that a caller did not name field by field.
//
// Tests inject a sink (e.g. spdlog::sinks::ostream_sink_mt) and a
// tp::ManualClock to assert exact lines. Before init() the logger writes to
// stderr with service "" and level info.
//
// Ownership: process-wide; init() replaces the previous configuration.
// Thread safety: every function may be called from any thread, including
// concurrently with init(); lines from different threads never interleave.
#pragma once

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "tp/core/error.h"

namespace spdlog::sinks {
class sink;
}

namespace tp {
class Clock;
}

namespace tp::log {

enum class Level { kTrace, kDebug, kInfo, kWarn, kError, kCritical, kOff };

// "trace", "debug", "info", "warn", "error", "critical", "off".
std::string_view to_string(Level level);
// The inverse of to_string, for config files. Error text:
//   invalid_argument: unknown log level 'verbose' (expected trace, debug,
//   info, warn, error, critical or off)
[[nodiscard]] Result<Level> parse_level(std::string_view text);

// One field value. Implicit from the scalar types so call sites stay short;
// `char` is rejected on purpose (ambiguous between text and number).
class FieldValue {
 public:
  FieldValue(std::string_view text) : value_(text) {}
  FieldValue(const char* text) : value_(std::string_view(text)) {}
  FieldValue(const std::string& text) : value_(std::string_view(text)) {}
  FieldValue(bool flag) : value_(flag) {}
  template <std::signed_integral T>
    requires(!std::same_as<T, char>)
  FieldValue(T number) : value_(static_cast<int64_t>(number)) {}
  template <std::unsigned_integral T>
    requires(!std::same_as<T, bool> && !std::same_as<T, char>)
  FieldValue(T number) : value_(static_cast<uint64_t>(number)) {}
  template <std::floating_point T>
  FieldValue(T number) : value_(static_cast<double>(number)) {}

  using Variant = std::variant<std::string_view, bool, int64_t, uint64_t, double>;
  const Variant& value() const { return value_; }

 private:
  Variant value_;
};

// Keys and string values are views: they only need to live for the call.
struct Field {
  std::string_view key;
  FieldValue value;
};
using Fields = std::initializer_list<Field>;

// Configures the process-wide logger. `sink` defaults to stderr; `clock`
// defaults to the system clock and must outlive every later log call.
void init(std::string_view service, Level level,
          std::shared_ptr<spdlog::sinks::sink> sink = nullptr, const Clock* clock = nullptr);
void set_level(Level level);
Level level();
bool enabled(Level level);
void flush();

// Writes one line if `level` is enabled. Never throws.
void write(Level level, std::string_view msg, Fields fields = {});

inline void trace(std::string_view msg, Fields fields = {}) { write(Level::kTrace, msg, fields); }
inline void debug(std::string_view msg, Fields fields = {}) { write(Level::kDebug, msg, fields); }
inline void info(std::string_view msg, Fields fields = {}) { write(Level::kInfo, msg, fields); }
inline void warn(std::string_view msg, Fields fields = {}) { write(Level::kWarn, msg, fields); }
inline void error(std::string_view msg, Fields fields = {}) { write(Level::kError, msg, fields); }
inline void critical(std::string_view msg, Fields fields = {}) {
  write(Level::kCritical, msg, fields);
}

// The line write() emits, without the trailing newline. Exposed for tools
// that produce the same format and for tests.
std::string render_line(int64_t ts_ns, Level level, std::string_view service,
                        std::string_view msg, Fields fields);

// "2024-05-01T12:00:00.123456Z": RFC 3339, UTC, microseconds (truncated).
std::string format_timestamp(int64_t ts_ns);

}  // namespace tp::log
