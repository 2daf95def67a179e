// Polling helpers shared by the server harnesses. Private to libs/testing.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>

namespace tp::testing {

// Connects to 127.0.0.1:port and reads the first line the server sends
// (nats-server's INFO line), waiting at most timeout. Returns the line
// without "\r\n", or an empty string if nothing arrived.
std::string read_greeting(uint16_t port, std::chrono::milliseconds timeout);

// Looks up an executable: $env_var if set and non-empty, else `name` in
// each PATH entry, else in each of fallback_dirs. Empty if not found.
std::string find_executable(const char* env_var, const std::string& name,
                            std::initializer_list<const char*> fallback_dirs);

}  // namespace tp::testing
