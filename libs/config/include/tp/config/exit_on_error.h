// The start-up idiom for a service's main(): a configuration problem is not
// something to recover from, so print the message for the operator and exit
// with status 2 (the conventional "usage/config error" status; 1 stays free
// for runtime failures).
//
//   int main(int argc, char** argv) {
//     auto doc = tp::config::or_exit(tp::config::load_file(path, tp::config::process_environment()));
//     auto cfg = tp::config::or_exit(read_decision_config(doc));
//     ...
//   }
//
// Only for main(): libraries return the Result instead. Thread-safe in the
// sense std::exit is: call it before starting other threads.
#pragma once

#include <utility>

#include "tp/core/error.h"

namespace tp::config {

inline constexpr int kConfigErrorExitCode = 2;

// Writes error.message and a newline to stderr, then std::exit(2).
[[noreturn]] void exit_with_config_error(const Error& error);

template <typename T>
T or_exit(Result<T> result) {
  if (!result) exit_with_config_error(result.error());
  return std::move(*result);
}

inline void or_exit(const Status& status) {
  if (!status) exit_with_config_error(status.error());
}

}  // namespace tp::config
