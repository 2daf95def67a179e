// Error values for the whole platform.
//
// Expected failures are values, never exceptions across a library boundary:
// a function that can fail returns tp::Result<T> (std::expected<T, tp::Error>)
// or tp::Status (std::expected<void, tp::Error>). Mark such functions
// [[nodiscard]] so that a dropped error is a compile error under -Werror.
//
//   tp::Result<int> parse_port(std::string_view s);
//   auto port = parse_port("70000");
//   if (!port) log(port.error().to_string());  // "invalid_argument: ..."
//
// Business outcomes (an order rejected by risk) are message fields, not Errors.
#pragma once

#include <expected>
#include <string>
#include <string_view>

namespace tp {

enum class ErrorCode {
  kInvalidArgument,     // the caller's input is wrong; retrying will not help
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,  // the system is not in a state to do this
  kPermissionDenied,    // authentication or authorisation failed
  kUnavailable,         // a dependency (broker, database) is down; retry later
  kTimeout,
  kResourceExhausted,   // a bounded buffer or window is full; retry later
  kDataLoss,            // stored data is corrupt or tampered with
  kInternal,            // a bug
};

std::string_view to_string(ErrorCode code);

// True for codes where the same call may succeed later.
bool is_transient(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;

  // "<code>: <message>", e.g. "unavailable: nats: connection refused".
  std::string to_string() const;
};

template <typename T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

inline std::unexpected<Error> make_error(ErrorCode code, std::string message) {
  return std::unexpected<Error>(Error{code, std::move(message)});
}

inline Status ok() { return {}; }

}  // namespace tp
