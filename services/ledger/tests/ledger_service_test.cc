// The ledger binary against a real nats-server and PostgreSQL: messages on
// several streams, the service killed with SIGKILL twice in the middle of a
// batch's transaction, PostgreSQL restarted and crashed under it, the
// ledger running as a login role that may only INSERT and SELECT; the
// chain must hold every message exactly once, gap-free, with its Merkle
// tree, signed tree heads, and proofs served over gRPC that verify.
#include <signal.h>

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <pqxx/pqxx>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "audit_grpc.h"
#include "ledger/core/tree_head.h"
#include "ledger/store/ledger_table.h"
#include "tp/bus/jetstream_transport.h"
#include "tp/migrations/ledger.h"
#include "tp/runtime/checkpoint.h"
#include "tp/testing/free_port.h"
#include "tp/bus/publisher.h"
#include "tp/runtime/topology.h"
#include "tp/signing/key_ring.h"
#include "tp/signing/signer.h"
#include "tp/testing/child_process.h"
#include "tp/testing/nats_server.h"
#include "tp/testing/postgres_server.h"
#include "tp/testing/temp_dir.h"
#include "trading/v1/services.grpc.pb.h"

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

    write_config(conn_);

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

  // A short ack_wait: messages fetched but unacked by a killed ledger come
  // back after it, not after the default 30 s.
  void write_config(const std::string& conn) {
    grpc_port_ = testing::free_loopback_port();
    config_ = dir_->path() + "/ledger.json";
    ASSERT_TRUE(testing::write_file(
        config_, R"({"nats": {"urls": [")" + nats_->url() + R"("]},
  "database": {"connection": ")" + conn + R"("},
  "keys": {"file": ")" + dir_->path() + R"(/keys/ledger.json"},
  "consumer": {"batch_size": 8, "fetch_timeout": "50ms", "ack_wait": "2s"},
  "grpc": {"address": "127.0.0.1:)" + std::to_string(grpc_port_) + R"("},
  "tree_heads": {"interval": "200ms"},
  "log": {"level": "warn"}})"));
  }

  // The ledger's tables, created by the owner before the ledger starts, and
  // a trigger that makes every batch's transaction take >= 30 ms, so a
  // SIGKILL lands inside one.
  void migrate_and_slow_down() {
    auto db = store::Database::connect({.connection_string = conn_});
    ASSERT_TRUE(db) << db.error().to_string();
    ASSERT_TRUE(store::apply_migrations(**db, runtime::checkpoint_migrations()));
    ASSERT_TRUE(store::apply_migrations(**db, migrations::ledger_migrations()));
    ASSERT_TRUE((*db)->execute(
        "CREATE FUNCTION test_slow_batch() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN PERFORM pg_sleep(0.03); RETURN NULL; END; $$;"
        "CREATE TRIGGER test_slow_batch AFTER INSERT ON ledger_tree_nodes "
        "FOR EACH STATEMENT EXECUTE FUNCTION test_slow_batch()"));
  }

  // Every message exactly once, gap-free, chain + tree + heads verified,
  // entries and leaves written together.
  void expect_complete_log(int64_t per_stream) {
    auto db = store::Database::connect({.connection_string = conn_});
    ASSERT_TRUE(db) << db.error().to_string();
    auto pub = ledger::read_public_key_file(dir_->path() + "/keys/ledger-tree-head.pem.pub");
    ASSERT_TRUE(pub) << pub.error().to_string();
    auto report = verify_ledger(**db, {.public_key = *pub});
    ASSERT_TRUE(report) << report.error().to_string();
    EXPECT_FALSE(report->broken) << report->broken->reason;
    EXPECT_EQ(report->checked, static_cast<uint64_t>(3 * per_stream));
    EXPECT_EQ(report->checkpoint_next_index, static_cast<uint64_t>(3 * per_stream));
    EXPECT_TRUE(report->tree_checked);
    EXPECT_EQ(report->nodes_checked, 2u * report->checked - std::popcount(report->checked));
    EXPECT_GE(report->tree_heads_checked, 1u);

    pqxx::connection c(conn_);
    pqxx::work tx(c);
    auto per_stream_rows = tx.exec(
        "SELECT stream, count(*), count(DISTINCT stream_sequence), min(stream_sequence), "
        "max(stream_sequence) FROM ledger_entries GROUP BY stream ORDER BY stream");
    ASSERT_EQ(per_stream_rows.size(), 3u);
    for (const auto& r : per_stream_rows) {
      SCOPED_TRACE(r[0].c_str());
      EXPECT_EQ(r[1].as<int64_t>(), per_stream);
      EXPECT_EQ(r[2].as<int64_t>(), per_stream);
      EXPECT_EQ(r[3].as<int64_t>(), 1);
      EXPECT_EQ(r[4].as<int64_t>(), per_stream);
    }
  }

  // Entries minus leaf hashes, in one snapshot (a COMMIT the killed ledger
  // sent may still land between two separate reads).
  int64_t entries_without_leaves() {
    try {
      pqxx::connection c(conn_);
      pqxx::work tx(c);
      return tx.exec("SELECT (SELECT count(*) FROM ledger_entries) - "
                     "(SELECT count(*) FROM ledger_tree_nodes)")[0][0].as<int64_t>();
    } catch (const std::exception&) {
      return -1;
    }
  }

  void stop_ledger() {
    ledger_->signal(SIGTERM);
    ASSERT_TRUE(ledger_->wait_for_exit(20s));
    EXPECT_TRUE(ledger_->exited_successfully()) << ledger_->exit_description() << "\n"
                                                << testing::file_tail(dir_->path() + "/ledger.log");
    ledger_.reset();
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
  uint16_t grpc_port_ = 0;

  // The AuditService of the running ledger: a signed head over everything,
  // inclusion proofs of entries fetched over gRPC and hashed here,
  // consistency with an older head, a trade's timeline.
  void check_grpc(uint64_t size) {
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(grpc_port_),
                                       grpc::InsecureChannelCredentials());
    auto stub = trading::v1::AuditService::NewStub(channel);
    auto pub = ledger::read_public_key_file(dir_->path() + "/keys/ledger-tree-head.pem.pub");
    ASSERT_TRUE(pub) << pub.error().to_string();
    trading::v1::SignedTreeHead head;
    ASSERT_TRUE(wait_for([&] {
      grpc::ClientContext ctx;
      trading::v1::GetTreeHeadRequest req;
      return stub->GetTreeHead(&ctx, req, &head).ok() && head.tree_size() == size;
    })) << "no signed tree head of size " << size;
    auto sth = *from_proto(head);
    ASSERT_TRUE(verify_tree_head(sth, *pub));

    for (uint64_t leaf : {uint64_t{0}, uint64_t{1}, uint64_t{7}, size / 2, size - 1}) {
      SCOPED_TRACE(leaf);
      grpc::ClientContext ectx;
      trading::v1::GetEntriesRequest ereq;
      ereq.set_from_index(leaf);
      ereq.set_to_index(leaf + 1);
      trading::v1::GetEntriesResponse eresp;
      ASSERT_TRUE(stub->GetEntries(&ectx, ereq, &eresp).ok());
      ASSERT_EQ(eresp.entries_size(), 1);
      Entry e = from_proto(eresp.entries(0));
      ASSERT_EQ(entry_hash(e), e.entry_hash);
      ASSERT_EQ(sha256(e.payload), e.payload_sha256);
      grpc::ClientContext pctx;
      trading::v1::GetInclusionProofRequest preq;
      preq.set_leaf_index(leaf);
      preq.set_tree_size(size);
      trading::v1::InclusionProof proof;
      ASSERT_TRUE(stub->GetInclusionProof(&pctx, preq, &proof).ok());
      std::vector<Digest> path;
      for (const auto& h : proof.audit_path()) path.push_back(*to_digest(h));
      const Digest leaf_digest = leaf_hash(canonical_encoding(e));
      EXPECT_EQ(proof.leaf_hash(), to_bytes(leaf_digest));
      EXPECT_TRUE(verify_inclusion(leaf, size, leaf_digest, path, sth.root));
      path[0][0] ^= 1;
      EXPECT_FALSE(verify_inclusion(leaf, size, leaf_digest, path, sth.root));
    }

    grpc::ClientContext hctx;
    trading::v1::GetTreeHeadRequest hreq;
    hreq.set_tree_size(100);
    trading::v1::SignedTreeHead old;
    ASSERT_TRUE(stub->GetTreeHead(&hctx, hreq, &old).ok());
    auto old_sth = *from_proto(old);
    ASSERT_TRUE(verify_tree_head(old_sth, *pub));
    grpc::ClientContext cctx;
    trading::v1::GetConsistencyProofRequest creq;
    creq.set_first(100);
    creq.set_second(size);
    trading::v1::ConsistencyProof cproof;
    ASSERT_TRUE(stub->GetConsistencyProof(&cctx, creq, &cproof).ok());
    std::vector<Digest> proof;
    for (const auto& h : cproof.proof()) proof.push_back(*to_digest(h));
    EXPECT_TRUE(verify_consistency(100, size, old_sth.root, sth.root, proof));

    grpc::ClientContext tctx;
    trading::v1::GetEntriesRequest treq;
    treq.set_correlation_id("bar:5");
    treq.set_by_published_time(true);
    trading::v1::GetEntriesResponse timeline;
    ASSERT_TRUE(stub->GetEntries(&tctx, treq, &timeline).ok());
    ASSERT_EQ(timeline.entries_size(), 2);
    EXPECT_EQ(timeline.entries(0).message_type(), "trading.v1.Bar");
    EXPECT_EQ(timeline.entries(1).message_type(), "trading.v1.Signal");
    EXPECT_LE(timeline.entries(0).published_ns(), timeline.entries(1).published_ns());

    grpc::ClientContext bctx;
    trading::v1::GetInclusionProofRequest breq;
    breq.set_leaf_index(size);
    breq.set_tree_size(size);
    trading::v1::InclusionProof none;
    auto bad = stub->GetInclusionProof(&bctx, breq, &none);
    EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
};

TEST_F(LedgerServiceTest, SurvivesSigkillWithoutGapsOrDuplicates) {
  migrate_and_slow_down();
  publish(0, 200);  // 600 messages
  start_ledger();
  ASSERT_TRUE(wait_for([&] { return rows() >= 100; })) << testing::file_tail(dir_->path() + "/ledger.log");
  ledger_->kill_and_reap();  // SIGKILL, most likely inside a batch's transaction
  const int64_t after_first_kill = rows();
  EXPECT_LT(after_first_kill, 600) << "the kill came too late to test anything";
  EXPECT_EQ(entries_without_leaves(), 0) << "entries and tree nodes commit together";

  publish(200, 100);  // 900 in total
  start_ledger();
  ASSERT_TRUE(wait_for([&] { return rows() > after_first_kill + 50; }));
  ledger_->kill_and_reap();

  start_ledger();
  ASSERT_TRUE(wait_for([&] { return rows() >= 900; })) << testing::file_tail(dir_->path() + "/ledger.log");
  std::this_thread::sleep_for(300ms);  // nothing more may arrive
  EXPECT_EQ(rows(), 900);

  check_grpc(900);
  stop_ledger();
  expect_complete_log(300);

  pqxx::connection c(conn_);
  pqxx::work tx(c);
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

// PostgreSQL restarted (fast shutdown) and then crashed (SIGKILL) while the
// ledger appends: its transactions are retried or redelivered, never
// doubled or lost.
TEST_F(LedgerServiceTest, PostgresRestartAndCrashLeaveNoGapOrDuplicate) {
  migrate_and_slow_down();
  publish(0, 200);
  start_ledger();
  ASSERT_TRUE(wait_for([&] { return rows() >= 100; })) << testing::file_tail(dir_->path() + "/ledger.log");
  ASSERT_TRUE(pg_->restart());
  ASSERT_TRUE(wait_for([&] { return rows() >= 300; })) << testing::file_tail(dir_->path() + "/ledger.log");
  ASSERT_TRUE(pg_->kill());
  std::this_thread::sleep_for(500ms);  // the ledger sees the database gone
  ASSERT_TRUE(pg_->restart());
  publish(200, 100);
  ASSERT_TRUE(wait_for([&] { return rows() >= 900; })) << testing::file_tail(dir_->path() + "/ledger.log");
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(rows(), 900);
  check_grpc(900);
  stop_ledger();
  expect_complete_log(300);
}

// Production set-up (docs/ledger.md, "The writer role"): the owner migrates,
// the ledger logs in as a role that is a member of tp_ledger_writer and may
// not UPDATE or DELETE ledger rows, even with the triggers gone.
TEST_F(LedgerServiceTest, RunsAsAnAppendOnlyLoginRole) {
  migrate_and_slow_down();
  {
    pqxx::connection c(conn_);
    pqxx::work tx(c);
    tx.exec0("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tp_ledger') THEN "
             "CREATE ROLE tp_ledger LOGIN IN ROLE tp_ledger_writer; END IF; END $$");
    tx.exec0("GRANT SELECT ON tp_schema_migrations TO tp_ledger");
    tx.exec0("GRANT SELECT, INSERT, UPDATE ON tp_checkpoints TO tp_ledger");
    tx.commit();
  }
  std::string as_ledger = conn_;
  as_ledger.replace(as_ledger.find("user=tp"), 7, "user=tp_ledger");
  write_config(as_ledger);
  publish(0, 50);
  start_ledger();
  ASSERT_TRUE(wait_for([&] { return rows() >= 150; })) << testing::file_tail(dir_->path() + "/ledger.log");
  check_grpc(150);
  stop_ledger();
  expect_complete_log(50);
  {
    pqxx::connection owner(conn_);
    pqxx::work tx(owner);
    tx.exec0("DROP TRIGGER ledger_entries_append_only ON ledger_entries");
    tx.commit();
  }
  pqxx::connection c(as_ledger);
  for (const char* statement : {"UPDATE ledger_entries SET subject = 'x' WHERE index = 3",
                                "DELETE FROM ledger_entries WHERE index = 3",
                                "DELETE FROM ledger_tree_heads",
                                "DROP TRIGGER ledger_entries_no_truncate ON ledger_entries"}) {
    pqxx::work tx(c);
    EXPECT_THROW(tx.exec0(statement), pqxx::sql_error) << statement;
  }
}

}  // namespace
}  // namespace tp::ledger
