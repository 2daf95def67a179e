#include "tp/observability/log.h"

#include <spdlog/logger.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "tp/core/clock.h"

namespace tp::log {
namespace {

struct LoggerState {
  std::string service;
  std::shared_ptr<spdlog::logger> logger;
  const Clock* clock = nullptr;
};

std::shared_ptr<const LoggerState> make_state(std::string_view service,
                                              std::shared_ptr<spdlog::sinks::sink> sink,
                                              const Clock* clock) {
  if (!sink) sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  // The line is fully rendered by render_line(); spdlog only adds the newline
  // and serialises writers on the sink's mutex.
  sink->set_formatter(std::make_unique<spdlog::pattern_formatter>(
      "%v", spdlog::pattern_time_type::utc, std::string("\n")));
  sink->set_level(spdlog::level::trace);
  auto logger = std::make_shared<spdlog::logger>("tp", std::move(sink));
  logger->set_level(spdlog::level::trace);
  logger->flush_on(spdlog::level::warn);
  auto state = std::make_shared<LoggerState>();
  state->service = std::string(service);
  state->logger = std::move(logger);
  state->clock = clock != nullptr ? clock : &SystemClock::instance();
  return state;
}

std::atomic<std::shared_ptr<const LoggerState>>& current_state() {
  static std::atomic<std::shared_ptr<const LoggerState>> state{make_state("", nullptr, nullptr)};
  return state;
}

std::atomic<int>& current_level() {
  static std::atomic<int> level{static_cast<int>(Level::kInfo)};
  return level;
}

spdlog::level::level_enum to_spdlog(Level level) {
  switch (level) {
    case Level::kTrace: return spdlog::level::trace;
    case Level::kDebug: return spdlog::level::debug;
    case Level::kInfo: return spdlog::level::info;
    case Level::kWarn: return spdlog::level::warn;
    case Level::kError: return spdlog::level::err;
    case Level::kCritical: return spdlog::level::critical;
    case Level::kOff: return spdlog::level::off;
  }
  return spdlog::level::info;
}

constexpr std::array<std::string_view, 7> kLevelNames = {"trace", "debug",    "info", "warn",
                                                         "error", "critical", "off"};

void append_json_string(std::string& out, std::string_view text) {
  // dump() with error_handler_t::replace never throws on invalid UTF-8.
  out += nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool is_reserved_key(std::string_view key) {
  return key == "ts" || key == "level" || key == "service" || key == "msg";
}

}  // namespace

std::string_view to_string(Level level) {
  const auto index = static_cast<std::size_t>(level);
  return index < kLevelNames.size() ? kLevelNames[index] : "unknown";
}

Result<Level> parse_level(std::string_view text) {
  for (std::size_t i = 0; i < kLevelNames.size(); ++i) {
    if (kLevelNames[i] == text) return static_cast<Level>(i);
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown log level '" + std::string(text) +
                        "' (expected trace, debug, info, warn, error, critical or off)");
}

std::string format_timestamp(int64_t ts_ns) {
  using namespace std::chrono;
  const sys_time<nanoseconds> tp{nanoseconds(ts_ns)};
  const auto day = floor<days>(tp);
  const year_month_day ymd{day};
  const hh_mm_ss<microseconds> hms{floor<microseconds>(tp - day)};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%06dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()),
                static_cast<int>(hms.subseconds().count()));
  return buf;
}

std::string render_line(int64_t ts_ns, Level level, std::string_view service,
                        std::string_view msg, Fields fields) {
  std::string out;
  out.reserve(96 + msg.size() + fields.size() * 24);
  out += R"({"ts":")";
  out += format_timestamp(ts_ns);
  out += R"(","level":")";
  out += to_string(level);
  out += R"(","service":)";
  append_json_string(out, service);
  out += R"(,"msg":)";
  append_json_string(out, msg);
  for (const Field& field : fields) {
    out += ',';
    if (is_reserved_key(field.key)) {
      append_json_string(out, "field_" + std::string(field.key));
    } else {
      append_json_string(out, field.key);
    }
    out += ':';
    std::visit(
        [&out](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string_view>) {
            append_json_string(out, v);
          } else {
            out += nlohmann::json(v).dump();
          }
        },
        field.value.value());
  }
  out += '}';
  return out;
}

void init(std::string_view service, Level level, std::shared_ptr<spdlog::sinks::sink> sink,
          const Clock* clock) {
  auto state = make_state(service, std::move(sink), clock);
  auto previous = current_state().exchange(std::move(state));
  current_level().store(static_cast<int>(level), std::memory_order_relaxed);
  if (previous) previous->logger->flush();
}

void set_level(Level level) {
  current_level().store(static_cast<int>(level), std::memory_order_relaxed);
}

Level level() { return static_cast<Level>(current_level().load(std::memory_order_relaxed)); }

bool enabled(Level level) {
  return level != Level::kOff &&
         static_cast<int>(level) >= current_level().load(std::memory_order_relaxed);
}

void flush() { current_state().load()->logger->flush(); }

void write(Level level, std::string_view msg, Fields fields) {
  if (!enabled(level)) return;
  try {
    const auto state = current_state().load();
    const std::string line =
        render_line(state->clock->now_ns(), level, state->service, msg, fields);
    state->logger->log(to_spdlog(level), spdlog::string_view_t(line.data(), line.size()));
  } catch (...) {
    // Logging must never take the service down; spdlog already reports sink
    // failures on stderr, and an allocation failure here has nowhere to go.
  }
}

}  // namespace tp::log
