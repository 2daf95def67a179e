// tradectl's commands against a real PostgreSQL (positions, summary, audit
// verify), a real nats-server (killswitch) and real admin servers (status).
#include <gtest/gtest.h>

#include <atomic>
#include <pqxx/pqxx>
#include <sstream>

#include <grpcpp/grpcpp.h>

#include "audit_grpc.h"
#include "commands.h"
#include "tree_heads.h"
#include "ledger/core/ledger_core.h"
#include "ledger/store/ledger_table.h"
#include "tp/bus/jetstream_transport.h"
#include "tp/migrations/execsim.h"
#include "tp/migrations/ledger.h"
#include "tp/observability/admin_server.h"
#include "tp/runtime/checkpoint.h"
#include "tp/runtime/topology.h"
#include "tp/signing/hmac.h"
#include "tp/signing/key_ring.h"
#include "tp/signing/signer.h"
#include "tp/testing/child_process.h"
#include "tp/testing/nats_server.h"
#include "tp/testing/postgres_server.h"
#include "tp/testing/temp_dir.h"
#include "trading/v1/control.pb.h"
#include "trading/v1/execution.pb.h"
#include "trading/v1/market_data.pb.h"
#include "trading/v1/orders.pb.h"

namespace tp::tradectl {
namespace {

using namespace std::chrono_literals;

struct Run {
  int code;
  std::string out;
  std::string err;
};

Run run_with(const Options& o) {
  std::ostringstream out, err;
  int code = run(o, out, err);
  return {code, out.str(), err.str()};
}

class TradectlDbTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto pg = testing::PostgresServer::start();
    ASSERT_TRUE(pg) << pg.error().to_string();
    pg_ = std::move(*pg);
    auto conn = pg_->create_database("trading");
    ASSERT_TRUE(conn) << conn.error().to_string();
    conn_ = *conn;
    auto db = store::Database::connect({.connection_string = conn_});
    ASSERT_TRUE(db);
    db_ = std::move(*db);
    for (const auto& set : {runtime::checkpoint_migrations(), migrations::ledger_migrations(),
                            migrations::execsim_migrations()})
      ASSERT_TRUE(store::apply_migrations(*db_, set));
    fill();
  }
  static void TearDownTestSuite() {
    db_.reset();
    pg_.reset();
  }

  static void append(ledger::LedgerCore& core, std::string_view stream, uint64_t seq,
                     std::string_view type, const google::protobuf::MessageLite& m) {
    const std::string payload = m.SerializeAsString();
    (void)core.append({.stream = stream, .stream_sequence = seq, .subject = "s",
                       .message_id = "id", .producer = "p", .message_type = type,
                       .key_id = "k", .payload = payload, .published_ns = 1,
                       .received_ns = 2, .correlation_id = ""});
  }

  static void fill() {
    ledger::LedgerCore core;
    uint64_t md = 0, orders = 0, exec = 0, dlq = 0;
    for (uint32_t flags : {0u, 0u, 1u, 5u}) {
      trading::v1::Bar bar;
      bar.set_quality_flags(flags);
      append(core, "MD", ++md, "trading.v1.Bar", bar);
    }
    for (auto reason : {trading::v1::REJECT_NO_CHANGE, trading::v1::REJECT_NO_CHANGE,
                        trading::v1::REJECT_KILL_SWITCH}) {
      trading::v1::DecisionRejection rej;
      rej.set_reason(reason);
      append(core, "ORDERS", ++orders, "trading.v1.DecisionRejection", rej);
    }
    trading::v1::OrderIntent intent;
    append(core, "ORDERS", ++orders, "trading.v1.OrderIntent", intent);
    for (auto type : {trading::v1::EXEC_ACK, trading::v1::EXEC_PARTIAL_FILL, trading::v1::EXEC_FILL}) {
      trading::v1::ExecutionReport rep;
      rep.set_exec_type(type);
      append(core, "EXEC", ++exec, "trading.v1.ExecutionReport", rep);
    }
    trading::v1::DeadLetter dl;
    dl.set_reason("bad_signature");
    append(core, "DLQ", ++dlq, "trading.v1.DeadLetter", dl);
    const auto entries = core.unwritten();
    const auto nodes = core.unwritten_nodes();
    ASSERT_TRUE(db_->transact([&](pqxx::work& tx) -> Status {
      if (auto s = ledger::write_batch(tx, entries, nodes); !s) return s;
      const std::string snap = core.snapshot();
      tx.exec_params("INSERT INTO tp_checkpoints (service, snapshot, applied) VALUES "
                     "('ledger', $1, '{}')",
                     pqxx::binarystring(snap.data(), snap.size()));
      return ok();
    }));
    // Two sleeves on BTCUSDT, one on ETHUSDT; 1-minute bars.
    const int64_t t0 = 1677628800'000'000'000;
    const int64_t m = 60'000'000'000;
    const int64_t k = 100'000'000;
    ASSERT_TRUE(db_->execute(
        "INSERT INTO execsim_position_history VALUES "
        "('ma', 'bin', 'BTCUSDT', " + std::to_string(t0) + ", 0, 0, 0, 0, 0, 0, 0, 0, " + std::to_string(1000 * k) + "),"
        "('ma', 'bin', 'BTCUSDT', " + std::to_string(t0 + m) + ", 0, 0, 0, 0, 0, 0, 0, 0, " + std::to_string(1100 * k) + "),"
        "('ma', 'bin', 'BTCUSDT', " + std::to_string(t0 + 2 * m) + ", 0, 0, 0, 0, 0, 0, 0, 0, " + std::to_string(990 * k) + "),"
        "('rsi', 'bin', 'BTCUSDT', " + std::to_string(t0) + ", 0, 0, 0, 0, 0, 0, 0, 0, " + std::to_string(1000 * k) + "),"
        "('rsi', 'bin', 'BTCUSDT', " + std::to_string(t0 + 2 * m) + ", 0, 0, 0, 0, 0, 0, 0, 0, " + std::to_string(1000 * k) + "),"
        "('ma', 'bin', 'ETHUSDT', " + std::to_string(t0) + ", 0, 0, 0, 0, 0, 0, 0, 0, " + std::to_string(500 * k) + ")"));
    ASSERT_TRUE(db_->execute(
        "INSERT INTO execsim_positions VALUES "
        "('ma', 'bin', 'BTCUSDT', " + std::to_string(t0 + 2 * m) + ", 0, 25000000, 2312345678901, "
        "1000000000, -150000000, 2312345, 2318345678901, 42, 99000000000),"
        "('rsi', 'bin', 'BTCUSDT', " + std::to_string(t0 + 2 * m) + ", 0, 0, 0, 0, 0, 0, 0, 0, 100000000000)"));
  }

  static inline std::unique_ptr<testing::PostgresServer> pg_;
  static inline std::unique_ptr<store::Database> db_;
  static inline std::string conn_;
};

TEST_F(TradectlDbTest, Positions) {
  Options o{.command = Command::kPositions, .db = conn_};
  auto r = run_with(o);
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("ma        bin    BTCUSDT  2023-03-01T00:02:00Z      0.25  23123.45678901"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("-1.5  0.02312345     990"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rsi       bin    BTCUSDT"), std::string::npos) << r.out;
}

TEST_F(TradectlDbTest, PositionsWithoutExecsimTablesFails) {
  auto other = pg_->create_database("empty");
  ASSERT_TRUE(other);
  auto r = run_with({.command = Command::kPositions, .db = *other});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_EQ(r.err, "tradectl: positions: not_found: table execsim_positions does not exist (has "
                   "execsim run against this database?)\n");
}

TEST_F(TradectlDbTest, SummaryCountsFromTheLedgerAndRiskFromExecsim) {
  auto r = run_with({.command = Command::kSummary, .db = conn_});
  EXPECT_EQ(r.code, kExitOk) << r.err << r.out;
  // Column widths depend on the longest label; compare with spaces squeezed.
  std::string squeezed;
  for (char c : r.out)
    if (!(c == ' ' && !squeezed.empty() && squeezed.back() == ' ')) squeezed += c;
  for (const char* line : {
           "\nbars 4\n", "\n bars OK 2\n", "\n bars ZERO_VOLUME 1\n",
           "\n bars ZERO_VOLUME+GAP_BEFORE 1\n", "\norder intents 1\n", "\nrejections 3\n",
           "\n REJECT_KILL_SWITCH 1\n", "\n REJECT_NO_CHANGE 2\n", "\nfills 2\n",
           "\ndead letters 1\n", "\n bad_signature 1\n", "\nall ledger entries 12\n",
           "\nentries: 12\n", "\nchain: OK (12 entries verified)\n",
           "\nma bin/BTCUSDT 0.25 10 0.02312345 -1.5 8.47687655 990\n",
           "\nrsi bin/BTCUSDT 0 0 0 0 0 1000\n"}) {
    EXPECT_NE(squeezed.find(line), std::string::npos) << "missing: " << line << "\n" << r.out;
  }
  // BTCUSDT: sleeves combined from the first bar where both exist:
  // t0 2000, t0+1m 2100 (rsi carried), t0+2m 1990 -> max drawdown 110/2100.
  EXPECT_NE(r.out.find("bin/BTCUSDT     3  -0.5000%  -11.922       5.2381%"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("bin/ETHUSDT     1   0.0000%      n/a       0.0000%"), std::string::npos)
      << r.out;
}

TEST_F(TradectlDbTest, AuditVerifyOkAndBroken) {
  auto r = run_with({.command = Command::kAuditVerify, .db = conn_});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("checked 12 entries (0..11) in "), std::string::npos) << r.out;
  EXPECT_TRUE(r.out.ends_with("\nOK\n")) << r.out;

  auto part = run_with({.command = Command::kAuditVerify, .db = conn_, .from = 3, .to = 5});
  EXPECT_EQ(part.code, kExitOk);
  EXPECT_NE(part.out.find("checked 3 entries (3..5)"), std::string::npos) << part.out;

  // Tamper with a database of its own (the suite shares the other one).
  auto conn = pg_->create_database("tampered");
  ASSERT_TRUE(conn);
  {
    auto db = store::Database::connect({.connection_string = *conn});
    ASSERT_TRUE(db);
    ASSERT_TRUE(store::apply_migrations(**db, migrations::ledger_migrations()));
    ledger::LedgerCore core;
    trading::v1::Bar bar;
    for (uint64_t seq = 1; seq <= 10; ++seq) append(core, "MD", seq, "trading.v1.Bar", bar);
    const auto entries = core.unwritten();
    const auto nodes = core.unwritten_nodes();
    ASSERT_TRUE((*db)->transact([&](pqxx::work& tx) { return ledger::write_batch(tx, entries, nodes); }));
    ASSERT_TRUE((*db)->execute("DROP TRIGGER ledger_entries_append_only ON ledger_entries;"
                               "UPDATE ledger_entries SET producer = 'mallory' WHERE index = 7"));
  }
  auto broken = run_with({.command = Command::kAuditVerify, .db = *conn});
  EXPECT_EQ(broken.code, kExitFailure);
  EXPECT_NE(broken.out.find("\nBROKEN at index 7: hash mismatch at index 7: entry_hash is "),
            std::string::npos)
      << broken.out;
  auto summary = run_with({.command = Command::kSummary, .db = *conn});
  EXPECT_EQ(summary.code, kExitFailure);
  EXPECT_NE(summary.out.find("chain: BROKEN at index 7: hash mismatch at index 7"),
            std::string::npos);
}

// prove, consistency and entries against an AuditService served in-process
// over the same database (the ledger binary's own gRPC is covered by
// ledger_service_test), and verify with a pinned key.
TEST_F(TradectlDbTest, AuditProveConsistencyAndEntriesOverGrpc) {
  auto dir = testing::TempDir::create("tp-tradectl-audit-");
  ASSERT_TRUE(dir);
  auto signer = ledger::TreeHeadSigner::from_seed(std::string(32, '\x11'));
  ASSERT_TRUE(signer);
  const std::string key_file = dir->path() + "/ledger-tree-head.pem.pub";
  ASSERT_TRUE(testing::write_file(key_file, ledger::public_key_pem(signer->public_key())));
  auto other = ledger::TreeHeadSigner::from_seed(std::string(32, '\x12'));
  const std::string other_file = dir->path() + "/other.pub";
  ASSERT_TRUE(testing::write_file(other_file, signing::to_hex(other->public_key())));

  ledger::TreeHeadIssuer issuer(*db_, *signer, SystemClock::instance());
  ASSERT_TRUE(issuer.register_key());
  ASSERT_TRUE(issuer.head_at(5));
  ASSERT_TRUE(issuer.publish_latest());
  ledger::AuditGrpcService service(*db_, issuer);
  service.set_serving(true);
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  auto server = builder.BuildAndStart();
  ASSERT_TRUE(server);
  const std::string address = "127.0.0.1:" + std::to_string(port);

  auto prove = run_with({.command = Command::kAuditProve, .public_key_file = key_file,
                         .ledger = address, .entry = 3});
  EXPECT_EQ(prove.code, kExitOk) << prove.err << prove.out;
  EXPECT_NE(prove.out.find("tree head: size 12, root "), std::string::npos) << prove.out;
  EXPECT_NE(prove.out.find("entry 3: MD #4 trading.v1.Bar on s (message id, producer p, published 1970-01-01T00:00:00.000Z)"), std::string::npos)
      << prove.out;
  EXPECT_NE(prove.out.find("\ninclusion proof: 4 hashes, leads to the signed root\nOK\n"),
            std::string::npos)
      << prove.out;

  auto outside = run_with({.command = Command::kAuditProve, .public_key_file = key_file,
                           .ledger = address, .entry = 7, .size = 5});
  EXPECT_EQ(outside.code, kExitFailure);
  EXPECT_TRUE(outside.out.ends_with("FAILED: entry 7 is not in the signed tree of 5 entries\n"))
      << outside.out;

  auto wrong_key = run_with({.command = Command::kAuditProve, .public_key_file = other_file,
                             .ledger = address, .entry = 3});
  EXPECT_EQ(wrong_key.code, kExitFailure);
  EXPECT_NE(wrong_key.out.find("FAILED: tree head of size 12 is signed by key " + signer->key_id() +
                               ", not by the trusted key " + other->key_id()),
            std::string::npos)
      << wrong_key.out;

  auto consistent = run_with({.command = Command::kAuditConsistency, .from = 5,
                              .public_key_file = key_file, .ledger = address});
  EXPECT_EQ(consistent.code, kExitOk) << consistent.err << consistent.out;
  EXPECT_TRUE(consistent.out.ends_with(": the log of 12 entries extends the log of 5\nOK\n"))
      << consistent.out;
  auto too_far = run_with({.command = Command::kAuditConsistency, .from = 13,
                           .public_key_file = key_file, .ledger = address});
  EXPECT_EQ(too_far.code, kExitFailure);
  EXPECT_EQ(too_far.out, "FAILED: the latest signed tree has 12 entries, fewer than 13\n");

  auto bars = run_with({.command = Command::kAuditEntries, .ledger = address,
                        .message_type = "trading.v1.Bar"});
  EXPECT_EQ(bars.code, kExitOk) << bars.err;
  EXPECT_TRUE(bars.out.ends_with("\n4 entries\n")) << bars.out;
  EXPECT_NE(bars.out.find("    0  1970-01-01T00:00:00.000Z  MD"), std::string::npos) << bars.out;
  auto none = run_with({.command = Command::kAuditEntries, .ledger = address, .correlation_id = "x"});
  EXPECT_EQ(none.out, "no entries\n");

  auto verified = run_with({.command = Command::kAuditVerify, .db = conn_, .public_key_file = key_file});
  EXPECT_EQ(verified.code, kExitOk) << verified.err << verified.out;
  EXPECT_NE(verified.out.find("\ntree: 12 entries, root "), std::string::npos) << verified.out;
  EXPECT_NE(verified.out.find("\ntree heads: 2 verified (latest size 12), signatures checked with "
                              "the pinned public key\nOK\n"),
            std::string::npos)
      << verified.out;
  auto unpinned = run_with({.command = Command::kAuditVerify, .db = conn_, .public_key_file = other_file});
  EXPECT_EQ(unpinned.code, kExitFailure);
  EXPECT_NE(unpinned.out.find("BROKEN at index 4: tree head signature invalid at size 5"), std::string::npos)
      << unpinned.out;

  auto down = run_with({.command = Command::kAuditEntries, .ledger = "127.0.0.1:1"});
  EXPECT_EQ(down.code, kExitFailure);
  EXPECT_TRUE(down.err.starts_with("tradectl: audit entries: ledger at 127.0.0.1:1: ")) << down.err;
  server->Shutdown();
}

TEST(TradectlStatus, TableOfAdminEndpoints) {
  std::atomic<bool> db_ok{false};
  obs::AdminServer up({});
  ASSERT_TRUE(up.add_readiness_check("broker", [] { return true; }));
  ASSERT_TRUE(up.start());
  obs::AdminServer down({});
  ASSERT_TRUE(down.add_readiness_check("database", [&] { return db_ok.load(); }));
  ASSERT_TRUE(down.start());
  const std::string up_url = "http://127.0.0.1:" + std::to_string(up.port());
  const std::string down_url = "http://127.0.0.1:" + std::to_string(down.port());
  Options o{.command = Command::kStatus,
            .admins = {{"signal", up_url}, {"decision", down_url + "/"}}};
  auto r = run_with(o);
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_EQ(r.out,
            "service   health  ready      details\n"
            "--------  ------  ---------  ----------------\n"
            "signal    ok      ready      broker: ok\n"
            "decision  ok      not ready  database: failed\n"
            "1 of 2 services ready\n");
  db_ok = true;
  r = run_with(o);
  EXPECT_EQ(r.code, kExitOk) << r.out;
  EXPECT_TRUE(r.out.ends_with("2 of 2 services ready\n"));
}

TEST(TradectlKillSwitch, PublishesASignedKillSwitch) {
  auto dir = testing::TempDir::create("tp-tradectl-");
  ASSERT_TRUE(dir);
  auto nats = testing::NatsServer::start();
  ASSERT_TRUE(nats) << nats.error().to_string();
  auto keygen = testing::ChildProcess::spawn(
      {.program = "/usr/bin/python3",
       .args = {std::string(TP_SOURCE_DIR) + "/tools/make_keys.py", dir->path() + "/keys"},
       .log_path = dir->path() + "/make_keys.log"});
  ASSERT_TRUE(keygen);
  ASSERT_TRUE(keygen->wait_for_exit(30s));
  ASSERT_TRUE(keygen->exited_successfully());

  Options o{.command = Command::kKillSwitch, .engage = true, .reason = "drill", .scope = "*",
            .operator_name = "ann", .keys_file = dir->path() + "/keys/tradectl.json",
            .nats_urls = {(*nats)->url()}};
  auto r = run_with(o);
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_TRUE(r.out.starts_with("kill switch ON scope * published on ctl.killswitch: stream CTL "
                                "sequence 1 (message id killswitch:on:"))
      << r.out;
  o.engage = false;
  r = run_with(o);
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("stream CTL sequence 2"), std::string::npos) << r.out;

  // What the decision service would receive: verified with its own ring.
  auto transport = bus::JetStreamTransport::connect({.servers = {(*nats)->url()}, .name = "check"});
  ASSERT_TRUE(transport);
  bus::ConsumerConfig cc{.stream = "CTL", .durable = "check"};
  ASSERT_TRUE((*transport)->ensure_consumer(cc));
  auto sub = (*transport)->subscribe(cc);
  ASSERT_TRUE(sub);
  auto got = (*sub)->fetch(2, 5 * kNanosPerSecond);
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 2u);
  auto ring = signing::KeyRing::from_file(dir->path() + "/keys/decision.json");
  ASSERT_TRUE(ring) << ring.error().to_string();
  signing::Verifier verifier(std::make_shared<const signing::KeyRing>(std::move(*ring)), {});
  const auto& d = *(*got)[0];
  auto env = verifier.verify(d.subject(), d.headers(), d.payload(), d.stored_ns());
  ASSERT_TRUE(env) << env.error().message;
  EXPECT_EQ(env->producer, "tradectl");
  EXPECT_EQ(env->message_type, "trading.v1.KillSwitch");
  trading::v1::KillSwitch ks;
  ASSERT_TRUE(ks.ParseFromString(d.payload()));
  EXPECT_TRUE(ks.engaged());
  EXPECT_EQ(ks.scope(), "*");
  EXPECT_EQ(ks.reason(), "drill");
  EXPECT_EQ(ks.operator_(), "ann");
  trading::v1::KillSwitch off;
  ASSERT_TRUE(off.ParseFromString((*got)[1]->payload()));
  EXPECT_FALSE(off.engaged());

  o.keys_file = dir->path() + "/keys/ingester.json";  // no tradectl signing key
  r = run_with(o);
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_TRUE(r.err.starts_with("tradectl: killswitch: ")) << r.err;
}

}  // namespace
}  // namespace tp::tradectl
