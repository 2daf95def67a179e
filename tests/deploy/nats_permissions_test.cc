// The NATS permissions of deploy/nats/auth.conf (generated from
// tools/make_keys.py) against a real nats-server: every producer can store
// messages on its own subjects and on no other, a strategy's credentials can
// publish only that strategy's signals, only execsim can publish execution
// reports, and a service can neither read nor manage what is not its own.
// The HMAC key rings would reject a forged message anyway; this is the layer
// below, where the message never reaches a stream.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tp/bus/jetstream_transport.h"
#include "tp/runtime/topology.h"
#include "tp/testing/nats_server.h"

namespace {

using tp::bus::JetStreamOptions;
using tp::bus::JetStreamTransport;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string password_variable(std::string user) {
  for (char& c : user) c = (c == '-' || c == '.') ? '_' : static_cast<char>(std::toupper(c));
  return "NATS_PASSWORD_" + user;
}

std::string random_password() {
  std::random_device rd;
  std::string out = "tp";
  const char* hex = "0123456789abcdef";
  for (int i = 0; i < 40; ++i) out += hex[rd() % 16];
  return out;
}

// Who may store messages on each subject (docs/protocol.md, "Subjects";
// tools/make_keys.py, PRODUCERS; dead letters only of one's own durables).
const std::map<std::string, std::set<std::string>>& allowed_publishers() {
  static const std::map<std::string, std::set<std::string>> table = {
      {"md.bar.binance-us.BTCUSDT.1m", {"ingester"}},
      {"regime.binance-us.BTCUSDT.1m", {"regime"}},
      {"params.choice.ma_trend.BTCUSDT", {"paramctl"}},
      {"params.outcome.ma_trend.BTCUSDT", {"execsim"}},
      {"sig.ma_trend.BTCUSDT", {"signal"}},
      {"sig.ema-cross.BTCUSDT", {"signal", "strategy-ema-cross"}},
      {"orders.intent.BTCUSDT", {"decision"}},
      {"orders.reject.BTCUSDT", {"decision"}},
      {"exec.report.BTCUSDT", {"execsim"}},
      {"exec.position.BTCUSDT", {"execsim"}},
      {"ctl.killswitch", {"tradectl"}},
      {"ctl.model", {"regime", "tradectl"}},
      {"dlq.ORDERS.execsim-orders", {"execsim"}},
      {"dlq.SIG.decision-signals", {"decision"}},
      {"dlq.MD.ledger-MD", {"ledger"}},
  };
  return table;
}

class NatsPermissionsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string auth = read_file(std::string(TP_SOURCE_DIR) + "/deploy/nats/auth.conf");
    ASSERT_FALSE(auth.empty()) << "deploy/nats/auth.conf missing";
    std::regex user_re("user: \"([^\"]+)\"");
    for (auto it = std::sregex_iterator(auth.begin(), auth.end(), user_re); it != std::sregex_iterator(); ++it) {
      const std::string user = (*it)[1];
      passwords_[user] = random_password();
      // nats-server reads $NATS_PASSWORD_<USER> from its environment
      // (deploy/nats/entrypoint.sh fills them from the secret files).
      ::setenv(password_variable(user).c_str(), passwords_[user].c_str(), 1);
    }
    auto server = tp::testing::NatsServer::start({.extra_config = auth});
    ASSERT_TRUE(server) << server.error().to_string();
    server_ = std::move(*server);
    // Services declare the topology at start-up; the ingester's user may.
    auto ingester = connect("ingester");
    ASSERT_TRUE(ingester) << ingester.error().to_string();
    for (const auto& stream : tp::runtime::topology::streams())
      ASSERT_TRUE((*ingester)->ensure_stream(stream)) << stream.name;
  }
  static void TearDownTestSuite() { server_.reset(); }

  static tp::Result<std::unique_ptr<JetStreamTransport>> connect(const std::string& user,
                                                                 std::string password = "") {
    JetStreamOptions o;
    o.servers = {server_->url()};
    o.name = "permissions-test-" + user;
    o.user = user;
    o.password = password.empty() ? passwords_[user] : password;
    o.initial_connect_deadline_ns = 2 * tp::kNanosPerSecond;
    o.publish_ack_timeout_ns = 2 * tp::kNanosPerSecond;
    o.api_timeout_ns = 2 * tp::kNanosPerSecond;
    return JetStreamTransport::connect(o);
  }

  using Acks = std::map<std::string, std::shared_ptr<std::promise<bool>>>;

  // Queues one message per subject; wait() tells which ones a stream stored.
  // Denied publishes only fail by pub-ack timeout, so every test queues all
  // of its publishes first and waits once.
  static Acks publish_each(JetStreamTransport& bus, const std::string& user,
                           const std::vector<std::string>& subjects) {
    Acks acks;
    for (const auto& subject : subjects) {
      auto promise = std::make_shared<std::promise<bool>>();
      acks[subject] = promise;
      tp::bus::OutgoingMessage m;
      m.subject = subject;
      m.payload = "permissions test";
      m.headers["Nats-Msg-Id"] = "perm:" + user + ":" + subject + ":" + std::to_string(++counter_);
      auto queued = bus.publish_async(std::move(m), [promise](tp::Result<tp::bus::PubAck> ack) {
        promise->set_value(ack.has_value() && !ack->duplicate);
      });
      if (!queued) promise->set_value(false);
    }
    return acks;
  }

  static std::map<std::string, bool> wait(Acks& acks) {
    std::map<std::string, bool> stored;
    for (auto& [subject, promise] : acks) {
      auto future = promise->get_future();
      stored[subject] = future.wait_for(std::chrono::seconds(15)) == std::future_status::ready && future.get();
    }
    return stored;
  }

  // Runs JetStream API calls concurrently (a denied call fails by timeout).
  template <typename F>
  static std::vector<bool> concurrently(std::vector<F> calls) {
    std::vector<std::future<bool>> futures;
    for (auto& call : calls) futures.push_back(std::async(std::launch::async, call));
    std::vector<bool> out;
    for (auto& f : futures) out.push_back(f.get());
    return out;
  }

  static std::map<std::string, std::unique_ptr<JetStreamTransport>> connect_all() {
    std::map<std::string, std::unique_ptr<JetStreamTransport>> out;
    for (const auto& [user, _] : passwords_) {
      auto bus = connect(user);
      EXPECT_TRUE(bus) << user << ": " << bus.error().to_string();
      if (bus) out[user] = std::move(*bus);
    }
    return out;
  }

  static inline std::unique_ptr<tp::testing::NatsServer> server_;
  static inline std::map<std::string, std::string> passwords_;
  static inline int counter_ = 0;
};

TEST_F(NatsPermissionsTest, AuthConfDefinesAUserPerProducerAndTheExampleStrategy) {
  for (const char* user : {"ingester", "regime", "paramctl", "signal", "decision", "execsim", "ledger",
                           "tradectl", "strategy-ema-cross"})
    EXPECT_TRUE(passwords_.contains(user)) << user;
}

TEST_F(NatsPermissionsTest, EachProducerStoresMessagesOnlyOnItsOwnSubjects) {
  std::vector<std::string> subjects;
  for (const auto& [subject, _] : allowed_publishers()) subjects.push_back(subject);
  auto buses = connect_all();
  std::map<std::string, Acks> acks;
  for (auto& [user, bus] : buses) acks[user] = publish_each(*bus, user, subjects);
  for (auto& [user, user_acks] : acks) {
    auto stored = wait(user_acks);
    for (const auto& [subject, publishers] : allowed_publishers())
      EXPECT_EQ(stored[subject], publishers.contains(user))
          << user << (publishers.contains(user) ? " could not publish " : " could publish ") << subject;
  }
  // The refusals are the server's permission checks, not something else.
  const std::string log = read_file(server_->log_path());
  EXPECT_NE(log.find("Publish Violation - User \"signal\", Subject \"orders.intent.BTCUSDT\""), std::string::npos)
      << log.substr(log.size() > 3000 ? log.size() - 3000 : 0);
}

TEST_F(NatsPermissionsTest, OnlyExecsimPublishesExecutionReports) {
  auto buses = connect_all();
  std::map<std::string, Acks> acks;
  for (auto& [user, bus] : buses)
    acks[user] = publish_each(*bus, user, {"exec.report.BTCUSDC", "exec.position.BTCUSDC"});
  for (auto& [user, user_acks] : acks) {
    auto stored = wait(user_acks);
    EXPECT_EQ(stored["exec.report.BTCUSDC"], user == "execsim") << user;
    EXPECT_EQ(stored["exec.position.BTCUSDC"], user == "execsim") << user;
  }
}

TEST_F(NatsPermissionsTest, AStrategyPublishesOnlyItsOwnSignals) {
  auto bus = connect("strategy-ema-cross");
  ASSERT_TRUE(bus) << bus.error().to_string();
  auto acks = publish_each(**bus, "strategy-ema-cross",
                           {"sig.ema-cross.BTCUSDT", "sig.ema-cross.ETHUSDT", "sig.ma_trend.BTCUSDT",
                            "sig.donchian.BTCUSDT", "orders.intent.BTCUSDT", "ctl.killswitch",
                            "dlq.SIG.decision-signals"});
  // Nor may it touch the streams or read them.
  JetStreamTransport* b = bus->get();
  auto api = concurrently(std::vector<std::function<bool()>>{
      [b] { return b->stream_state("SIG").has_value(); },
      [b] { return b->ensure_consumer({.stream = "SIG", .durable = "strategy-spy"}).has_value(); }});
  auto stored = wait(acks);
  EXPECT_TRUE(stored["sig.ema-cross.BTCUSDT"]);
  EXPECT_TRUE(stored["sig.ema-cross.ETHUSDT"]);
  EXPECT_FALSE(stored["sig.ma_trend.BTCUSDT"]) << "another strategy's signal";
  EXPECT_FALSE(stored["sig.donchian.BTCUSDT"]) << "another strategy's signal";
  EXPECT_FALSE(stored["orders.intent.BTCUSDT"]);
  EXPECT_FALSE(stored["ctl.killswitch"]);
  EXPECT_FALSE(stored["dlq.SIG.decision-signals"]);
  EXPECT_FALSE(api[0]) << "strategies get no JetStream API: stream info";
  EXPECT_FALSE(api[1]) << "strategies get no JetStream API: consumers";
}

TEST_F(NatsPermissionsTest, AServiceConsumesOnlyThroughItsOwnDurables) {
  auto signal = connect("signal");
  ASSERT_TRUE(signal) << signal.error().to_string();
  // Its own durable works end to end: create, bind, fetch, ack.
  tp::bus::ConsumerConfig own{.stream = "MD", .durable = "signal-bars", .filter_subject = "md.bar.>"};
  ASSERT_TRUE((*signal)->ensure_consumer(own));
  auto sub = (*signal)->subscribe(own);
  ASSERT_TRUE(sub) << sub.error().to_string();
  auto batch = (*sub)->fetch(10, 2 * tp::kNanosPerSecond);
  ASSERT_TRUE(batch) << batch.error().to_string();
  ASSERT_FALSE(batch->empty()) << "the bars published by the ingester";
  for (auto& d : *batch) EXPECT_TRUE(d->ack());
  // Another service's durable, a stream it does not consume, a made-up name.
  JetStreamTransport* b = signal->get();
  auto denied = concurrently(std::vector<std::function<bool()>>{
      [b] { return b->ensure_consumer({.stream = "ORDERS", .durable = "execsim-orders"}).has_value(); },
      [b] { return b->ensure_consumer({.stream = "ORDERS", .durable = "signal-bars"}).has_value(); },
      [b] { return b->ensure_consumer({.stream = "MD", .durable = "signal-spy"}).has_value(); },
      [b] { return b->delete_consumer("MD", "regime-bars").has_value(); }});
  EXPECT_FALSE(denied[0]) << "another service's durable";
  EXPECT_FALSE(denied[1]) << "its durable name on a stream it does not consume";
  EXPECT_FALSE(denied[2]) << "a durable it does not own";
  EXPECT_FALSE(denied[3]) << "deleting another service's durable";
}

TEST_F(NatsPermissionsTest, TradectlManagesOnlyTheControlStream) {
  auto tradectl = connect("tradectl");
  ASSERT_TRUE(tradectl) << tradectl.error().to_string();
  JetStreamTransport* b = tradectl->get();
  std::vector<std::function<bool()>> calls;
  const auto streams = tp::runtime::topology::streams();
  for (const auto& stream : streams) calls.push_back([b, stream] { return b->ensure_stream(stream).has_value(); });
  auto updated = concurrently(calls);
  for (size_t i = 0; i < streams.size(); ++i) EXPECT_EQ(updated[i], streams[i].name == "CTL") << streams[i].name;
}

TEST_F(NatsPermissionsTest, WrongPasswordsAndUnknownUsersAreRefused) {
  EXPECT_FALSE(connect("decision", "tp-not-the-password-0000000000"));
  passwords_["intruder"] = random_password();
  EXPECT_FALSE(connect("intruder"));
  passwords_.erase("intruder");
  JetStreamOptions anonymous;
  anonymous.servers = {server_->url()};
  anonymous.initial_connect_deadline_ns = tp::kNanosPerSecond;
  EXPECT_FALSE(JetStreamTransport::connect(anonymous)) << "no anonymous access";
}

}  // namespace
