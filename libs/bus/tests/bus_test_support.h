// Shared fixtures for the bus tests: a key ring with one key per producer,
// signers on a manual clock, and a ConsumerEvents that counts.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tp/bus/events.h"
#include "tp/core/clock.h"
#include "tp/signing/key_ring.h"
#include "tp/signing/signer.h"

namespace tp::bus::testing {

inline std::shared_ptr<const signing::KeyRing> make_ring(const std::string& signing_key) {
  std::vector<signing::Key> keys = {
      {"ingester-1", "ingester", std::string(32, 'i'), {"md.>"}, signing::KeyStatus::kActive},
      {"signal-1", "signal", std::string(32, 's'), {"sig.>", "dlq.>"},
       signing::KeyStatus::kActive},
      {"mallory-1", "mallory", std::string(32, 'm'), {"sig.mallory.>"},
       signing::KeyStatus::kActive},
  };
  auto ring = signing::KeyRing::create(keys, signing_key);
  if (!ring) throw std::runtime_error(ring.error().to_string());
  return std::make_shared<const signing::KeyRing>(std::move(*ring));
}

inline signing::NonceSource counting_nonces() {
  auto n = std::make_shared<uint64_t>(0);
  return [n]() {
    char buf[33];
    snprintf(buf, sizeof buf, "%032llx", static_cast<unsigned long long>(++*n));
    return std::string(buf);
  };
}

struct CountingEvents : ConsumerEvents, PublisherEvents {
  int received_count = 0, handled_count = 0, duplicates = 0;
  std::map<std::string, int, std::less<>> retries, rejects, dead;
  uint64_t last_sequence = 0;
  std::vector<uint64_t> pending_reports;  // every pending_messages() value, in order
  int published_count = 0, publish_duplicates = 0;
  std::map<std::string, int, std::less<>> publish_failures;

  void received(uint64_t) override { ++received_count; }
  void handled(double) override { ++handled_count; }
  void duplicate() override { ++duplicates; }
  void retried(std::string_view r) override { ++retries[std::string(r)]; }
  void rejected(std::string_view r) override { ++rejects[std::string(r)]; }
  void dead_lettered(std::string_view r) override { ++dead[std::string(r)]; }
  void ack_pending(int64_t) override {}
  void processed_sequence(uint64_t s) override { last_sequence = s; }
  void pending_messages(uint64_t n) override { pending_reports.push_back(n); }
  void published(double, bool dup) override {
    ++published_count;
    if (dup) ++publish_duplicates;
  }
  void publish_failed(std::string_view r) override { ++publish_failures[std::string(r)]; }
  void in_flight(int64_t) override {}
};

}  // namespace tp::bus::testing
