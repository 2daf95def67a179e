// Shared fixtures for the ledger tests: the documented known-answer vector
// (docs/ledger.md, "Test vector", computed independently with python3
// hashlib) and a chain builder.
#pragma once

#include <string>
#include <vector>

#include "ledger/core/entry.h"
#include "ledger/core/ledger_core.h"

namespace tp::ledger::testdata {

inline Entry vector_entry_0() {
  Entry e;
  e.index = 0;
  e.stream = "MD";
  e.stream_sequence = 1;
  e.subject = "md.bar.binance-us.BTCUSDT.1m";
  e.message_id = "bar:binance-us:BTCUSDT:1m:1677628800";
  e.producer = "ingester";
  e.message_type = "trading.v1.Bar";
  e.key_id = "ingester-1";
  e.payload = std::string("\x12\x02" "1m\x18\x80\xa0", 7);
  e.payload_sha256 = sha256(e.payload);
  e.published_ns = 1677628860000000000;
  e.received_ns = 1677628860123456789;
  e.correlation_id = "bar:binance-us:BTCUSDT:1m:1677628800";
  e.previous_hash = zero_hash();
  e.entry_hash = entry_hash(e);
  return e;
}

inline Entry vector_entry_1(const std::string& previous_hash) {
  Entry e;
  e.index = 1;
  e.stream = "CTL";
  e.stream_sequence = 42;
  e.subject = "ctl.killswitch";
  e.message_id = "killswitch:1";
  e.producer = "tradectl";
  e.message_type = "trading.v1.KillSwitch";
  e.key_id = "tradectl-1";
  e.payload = "";
  e.payload_sha256 = sha256(e.payload);
  e.published_ns = -1;
  e.received_ns = 0;
  e.correlation_id = "";
  e.previous_hash = previous_hash;
  e.entry_hash = entry_hash(e);
  return e;
}

// A chain of n entries over three streams, built by the core.
inline std::vector<Entry> build_chain(int n) {
  LedgerCore core;
  const char* streams[] = {"MD", "SIG", "ORDERS"};
  std::vector<Entry> out;
  std::vector<std::string> storage;
  for (int i = 0; i < n; ++i) {
    const std::string stream = streams[i % 3];
    const std::string subject = "subject." + std::to_string(i);
    const std::string id = "id:" + std::to_string(i);
    const std::string payload = "payload-" + std::to_string(i * 7);
    (void)core.append({.stream = stream,
                       .stream_sequence = static_cast<uint64_t>(i / 3 + 1),
                       .subject = subject,
                       .message_id = id,
                       .producer = "producer",
                       .message_type = "trading.v1.Bar",
                       .key_id = "key-1",
                       .payload = payload,
                       .published_ns = 1'000 + i,
                       .received_ns = 2'000 + i,
                       .correlation_id = id});
  }
  return core.unwritten();
}

}  // namespace tp::ledger::testdata
