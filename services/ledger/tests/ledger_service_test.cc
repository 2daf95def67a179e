// The ledger binary against a real nats-server and PostgreSQL: messages on
// several streams, the service killed with SIGKILL twice while consuming,
// restarted; the chain must hold every message exactly once, gap-free.
#include <signal.h>

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <pqxx/pqxx>
#include <thread>

#include "ledger/store/ledger_table.h"
#include "tp/bus/jetstream_transport.h"
#include "tp/bus/publisher.h"
#include "tp/runtime/topology.h"
#include "tp/signing/key_ring.h"
#include "tp/signing/signer.h"
#include "tp/testing/child_process.h"
#include "tp/testing/nats_server.h"
#include "tp/testing/postgres_server.h"
#include "tp/testing/temp_dir.h"

namespace tp::ledger {
namespace {

using namespace std::chrono_literals;

struct Producer {
  std::unique_ptr<signing::Signer> signer;
  std::unique_ptr<bus::Publisher> publisher;
};

class LedgerServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = testing::TempDir::create("tp-ledger-service-");
    ASSERT_TRUE(dir) << dir.error().to_string();
    dir_.emplace(std::move(*dir));
    auto nats = testing::NatsServer::start();
    ASSERT_TRUE(nats) << nats.error().to_string();
    nats_ = std::move(*nats);
    auto pg = testing::PostgresServer::start();
    ASSERT_TRUE(pg) << pg.error().to_string();
    pg_ = std::move(*pg);
    auto conn = pg_->create_database("trading");
    ASSERT_TRUE(conn) << conn.error().to_string();
    conn_ = *conn;

    auto keygen = testing::ChildProcess::spawn(
        {.program = "/usr/bin/python3",
         .args = {std::string(TP_SOURCE_DIR) + "/tools/make_keys.py", dir_->path() + "/keys"},
         .log_path = dir_->path() + "/make_keys.log"});
    ASSERT_TRUE(keygen) << keygen.error().to_string();
    ASSERT_TRUE(keygen->wait_for_exit(30s));
    ASSERT_TRUE(keygen->exited_successfully()) << testing::file_tail(dir_->path() + "/make_keys.log");

    // A short ack_wait: messages fetched but unacked by a killed ledger come
    // back after it, not after the default 30 s.
    config_ = dir_->path() + "/ledger.json";
    ASSERT_TRUE(testing::write_file(
        config_, R"({"nats": {"urls": [")" + nats_->url() + R"("]},
  "database": {"connection": ")" + conn_ + R"("},
  "keys": {"file": ")" + dir_->path() + R"(/keys/ledger.json"},
  "consumer": {"batch_size": 8, "fetch_timeout": "50ms", "ack_wait": "2s"},
  "log": {"level": "warn"}})"));

    auto transport = bus::JetStreamTransport::connect({.servers = {nats_->url()}, .name = "test"});
    ASSERT_TRUE(transport) << transport.error().to_string();
    transport_ = std::move(*transport);
    for (const auto& s : runtime::topology::streams()) ASSERT_TRUE(transport_->ensure_stream(s));
    for (const char* name : {"ingester", "signal", "tradectl"}) {
      auto ring = signing::KeyRing::from_file(dir_->path() + "/keys/" + name + ".json");
      ASSERT_TRUE(ring) << ring.error().to_string();
      auto shared = std::make_shared<const signing::KeyRing>(std::move(*ring));
      auto signer = signing::Signer::create(shared, name, SystemClock::instance());
      ASSERT_TRUE(signer) << signer.error().to_string();
      auto& p = producers_[name];
      p.signer = std::make_unique<signing::Signer>(std::move(*signer));
      p.publisher = std::make_unique<bus::Publisher>(*transport_, *p.signer, SystemClock::instance());
    }
  }

  void TearDown() override {
    if (ledger_) ledger_->kill_and_reap();
  }

  // `n` messages per stream (MD, SIG, CTL), numbered from `first`.
  void publish(int first, int n) {
    for (int i = first; i < first + n; ++i) {
      const std::string t = std::to_string(i);
      ASSERT_TRUE(producers_["ingester"].publisher->publish_bytes(
          "md.bar.test.BTCUSDT.1m", "bar:" + t, "trading.v1.Bar", "bar:" + t, "bar-" + t));
      ASSERT_TRUE(producers_["signal"].publisher->publish_bytes(
          "sig.ma.BTCUSDT", "sig:" + t, "trading.v1.Signal", "bar:" + t, "sig-" + t));
      ASSERT_TRUE(producers_["tradectl"].publisher->publish_bytes(
          "ctl.killswitch", "ks:" + t, "trading.v1.KillSwitch", "", "ks-" + t));
    }
    for (auto& [name, p] : producers_) {
      auto s = p.publisher->flush(10 * kNanosPerSecond);
      ASSERT_TRUE(s) << name << ": " << s.error().to_string();
    }
  }

  void start_ledger() {
    auto child = testing::ChildProcess::spawn({.program = TP_LEDGER_BINARY,
                                               .args = {"--config", config_},
                                               .log_path = dir_->path() + "/ledger.log"});
    ASSERT_TRUE(child) << child.error().to_string();
    ledger_.emplace(std::move(*child));
  }

  int64_t rows() {
    try {
      pqxx::connection c(conn_);
      pqxx::work tx(c);
      if (!tx.exec("SELECT to_regclass('ledger_entries') IS NOT NULL")[0][0].as<bool>()) return 0;
      return tx.exec("SELECT count(*) FROM ledger_entries")[0][0].as<int64_t>();
    } catch (const std::exception&) {
      return 0;
    }
  }

  // Polls (the ledger is a separate process) until `pred` holds or 60 s pass.
  bool wait_for(const std::function<bool()>& pred) {
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred()) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  std::optional<testing::TempDir> dir_;
  std::unique_ptr<testing::NatsServer> nats_;
  std::unique_ptr<testing::PostgresServer> pg_;
  std::string conn_;
  std::string config_;
  std::unique_ptr<bus::JetStreamTransport> transport_;
  std::map<std::string, Producer> producers_;
  std::optional<testing::ChildProcess> ledger_;
};

TEST_F(LedgerServiceTest, SurvivesSigkillWithoutGapsOrDuplicates) {
  publish(0, 200);  // 600 messages
  start_ledger();
  ASSERT_TRUE(wait_for([&] { return rows() >= 100; })) << testing::file_tail(dir_->path() + "/ledger.log");
  ledger_->kill_and_reap();  // SIGKILL mid-stream
  const int64_t after_first_kill = rows();
  EXPECT_LT(after_first_kill, 600) << "the kill came too late to test anything";

  publish(200, 100);  // 900 in total
  start_ledger();
  ASSERT_TRUE(wait_for([&] { return rows() > after_first_kill + 50; }));
  ledger_->kill_and_reap();

  start_ledger();
  ASSERT_TRUE(wait_for([&] { return rows() >= 900; })) << testing::file_tail(dir_->path() + "/ledger.log");
  std::this_thread::sleep_for(300ms);  // nothing more may arrive
  EXPECT_EQ(rows(), 900);

  ledger_->signal(SIGTERM);
  ASSERT_TRUE(ledger_->wait_for_exit(20s));
  EXPECT_TRUE(ledger_->exited_successfully()) << ledger_->exit_description() << "\n"
                                              << testing::file_tail(dir_->path() + "/ledger.log");

  auto db = store::Database::connect({.connection_string = conn_});
  ASSERT_TRUE(db) << db.error().to_string();
  auto report = verify_ledger(**db, {});
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_FALSE(report->broken) << report->broken->reason;
  EXPECT_EQ(report->checked, 900u);
  EXPECT_EQ(report->checkpoint_next_index, 900u);

  pqxx::connection c(conn_);
  pqxx::work tx(c);
  auto per_stream = tx.exec(
      "SELECT stream, count(*), count(DISTINCT stream_sequence), min(stream_sequence), "
      "max(stream_sequence) FROM ledger_entries GROUP BY stream ORDER BY stream");
  ASSERT_EQ(per_stream.size(), 3u);
  for (const auto& r : per_stream) {
    SCOPED_TRACE(r[0].c_str());
    EXPECT_EQ(r[1].as<int64_t>(), 300);
    EXPECT_EQ(r[2].as<int64_t>(), 300);
    EXPECT_EQ(r[3].as<int64_t>(), 1);
    EXPECT_EQ(r[4].as<int64_t>(), 300);
  }
  // The entry carries the broker's store time and the envelope's fields.
  auto first = tx.exec(
      "SELECT subject, message_id, producer, message_type, correlation_id, received_ns > 0, "
      "published_ns > 0, payload FROM ledger_entries WHERE stream = 'MD' AND stream_sequence = 7");
  ASSERT_EQ(first.size(), 1u);
  EXPECT_STREQ(first[0][0].c_str(), "md.bar.test.BTCUSDT.1m");
  EXPECT_STREQ(first[0][1].c_str(), "bar:6");
  EXPECT_STREQ(first[0][2].c_str(), "ingester");
  EXPECT_STREQ(first[0][3].c_str(), "trading.v1.Bar");
  EXPECT_STREQ(first[0][4].c_str(), "bar:6");
  EXPECT_TRUE(first[0][5].as<bool>());
  EXPECT_TRUE(first[0][6].as<bool>());
  EXPECT_EQ(pqxx::binarystring(first[0][7]).str(), "bar-6");
}

}  // namespace
}  // namespace tp::ledger
