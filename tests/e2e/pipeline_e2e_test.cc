// End to end: the seven real service binaries on a real nats-server and
// PostgreSQL, on a slice of the bundled real data. Asserts what a user of the
// platform would check: every order traces to a signal and every fill to an
// order, positions equal the sum of fills, cash reconciles to fills and
// fees, the ledger verifies, and a kill -9 of a service mid-run changes
// nothing in the result.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <pqxx/pqxx>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "platform.h"
#include "sandbox.h"
#include "tp/core/fixed_point.h"
#include "tp/testing/child_process.h"
#include "tp/testing/temp_dir.h"
#include "trading/v1/orders.pb.h"
#include "trading/v1/signals.pb.h"

namespace {

namespace fs = std::filesystem;
using tp::testing::ChildProcess;
using tp::testing::ChildSpec;

constexpr int kBarsPerSymbol = 1200;
const int64_t kInitialCashE8 = 100000LL * tp::fixed::kScale;  // deploy/local/execsim.json

const std::map<std::string, std::string> kBinaries = {
    {"ingester", TP_BIN_INGESTER}, {"regime", TP_BIN_REGIME},     {"paramctl", TP_BIN_PARAMCTL},
    {"signal", TP_BIN_SIGNAL},     {"decision", TP_BIN_DECISION}, {"execsim", TP_BIN_EXECSIM},
    {"ledger", TP_BIN_LEDGER},
};

// What a run produced, in a form two runs can be compared by.
struct RunResult {
  std::vector<std::string> fills;
  std::vector<std::string> orders;
  std::vector<std::string> positions;
  std::vector<std::string> decisions;  // paramctl's: preset and standardised context
  std::vector<std::string> bandit;     // the LinTS posterior per arm
  std::map<std::string, uint64_t> stream_messages;
  int64_t ledger_entries = 0;
  std::string ledger_verification;
  bool ledger_ok = false;
};

std::string source_dir() { return TP_SOURCE_DIR; }

// The first n bars of a bundled file, header kept.
void write_slice(const std::string& from, const std::string& to, int n) {
  std::ifstream in(from);
  std::ofstream out(to);
  std::string line;
  for (int i = 0; i <= n && std::getline(in, line); ++i) out << line << "\n";
}

std::vector<std::string> rows(pqxx::work& tx, const std::string& sql) {
  std::vector<std::string> out;
  for (const auto& row : tx.exec(sql)) {
    std::string line;
    for (const auto& field : row) {
      if (!line.empty()) line += "|";
      line += field.is_null() ? "NULL" : field.c_str();
    }
    out.push_back(line);
  }
  return out;
}

class PipelineE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto dir = tp::testing::TempDir::create("tp-e2e-data");
    ASSERT_TRUE(dir) << dir.error().to_string();
    data_ = new tp::testing::TempDir(std::move(*dir));
    for (const char* sym : {"BTCUSDT", "BTCUSDC"}) {
      write_slice(source_dir() + "/data/binance-us/" + sym + "_1m_20230301_20230321.csv",
                  data_->path() + "/" + sym + ".csv", kBarsPerSymbol);
    }
  }
  static void TearDownTestSuite() {
    delete data_;
    data_ = nullptr;
  }

  // Runs the whole pipeline on fresh servers. With `crash` set, SIGKILLs that
  // service once `crash_after_exec` execution messages exist, then restarts it.
  RunResult run(const std::string& crash = "", uint64_t crash_after_exec = 0) {
    RunResult result;
    tp::launcher::SandboxOptions options;
    options.source_dir = source_dir();
    options.binaries = kBinaries;
    options.env["ingester"] = {{"TP_INGEST__SOURCES__BTCUSDT__PATH", data_->path() + "/BTCUSDT.csv"},
                               {"TP_INGEST__SOURCES__BTCUSDC__PATH", data_->path() + "/BTCUSDC.csv"}};
    auto box = tp::launcher::Sandbox::create(options);
    EXPECT_TRUE(box) << box.error().to_string();
    if (!box) return result;
    auto& platform = (*box)->platform();
    const auto& services = tp::launcher::pipeline_services();
    for (auto it = services.rbegin(); it != services.rend(); ++it) {
      auto s = platform.start(*it);
      EXPECT_TRUE(s) << s.error().message;
      if (!s) return result;
    }
    bool crashed = crash.empty();
    auto drained = platform.wait_until_drained(
        std::chrono::minutes(8), [&](const tp::launcher::Progress& p) {
          if (!crashed && p.stream_messages.at("EXEC") >= crash_after_exec) {
            platform.kill(crash);
            crashed = true;
            auto s = platform.start(crash);
            EXPECT_TRUE(s) << s.error().message;
          }
        });
    EXPECT_TRUE(drained) << drained.error().message;
    EXPECT_TRUE(crashed) << "the run finished before the crash point";
    auto progress = platform.progress();
    if (progress) result.stream_messages = progress->stream_messages;
    auto stopped = platform.stop_all();
    EXPECT_TRUE(stopped) << stopped.error().message;
    const std::string* db = &(*box)->database();
    const std::string work_dir = (*box)->work_dir();

    pqxx::connection conn(*db);
    pqxx::work tx(conn);
    result.fills = rows(tx,
        "SELECT exec_id, client_order_id, strategy, venue, symbol, side, quantity_e8, price_e8, "
        "notional_e8, fee_e8, liquidity, bar_time_ns, decision_id FROM execsim_fills ORDER BY exec_id");
    result.orders = rows(tx,
        "SELECT client_order_id, strategy, side, quantity_e8, status, cumulative_quantity_e8, "
        "average_price_e8 FROM execsim_orders ORDER BY client_order_id");
    result.positions = rows(tx,
        "SELECT strategy, venue, symbol, bar_time_ns, quantity_e8, average_cost_e8, realized_pnl_e8, "
        "unrealized_pnl_e8, fees_e8, cash_e8, equity_e8 FROM execsim_positions "
        "ORDER BY strategy, venue, symbol");
    result.decisions = rows(tx,
        "SELECT decision_id, preset_id, standardized FROM paramctl_decisions ORDER BY decision_id");
    result.bandit = rows(tx,
        "SELECT strategy, venue, symbol, preset_id, rewards_learned, reward_sum, mean, stddev "
        "FROM paramctl_bandit_arms ORDER BY strategy, venue, symbol, preset_id");
    result.ledger_entries = tx.exec1("SELECT count(*) FROM ledger_entries")[0].as<int64_t>();
    check_invariants(tx);
    tx.commit();

    ChildSpec verify;
    verify.program = TP_BIN_TRADECTL;
    verify.args = {"audit", "verify", "--db", *db};
    verify.log_path = work_dir + "/verify.log";
    auto vp = ChildProcess::spawn(verify);
    EXPECT_TRUE(vp);
    EXPECT_TRUE(vp->wait_for_exit(std::chrono::minutes(2)));
    result.ledger_ok = vp->exited_successfully();
    std::ifstream vlog(verify.log_path);
    result.ledger_verification.assign(std::istreambuf_iterator<char>(vlog), {});
    return result;
  }

  // Every order traces to a signal, every fill to an order; positions equal
  // the sum of fills; cash reconciles to fills and fees.
  void check_invariants(pqxx::work& tx) {
    std::set<std::string> signal_ids;
    for (const auto& r : tx.exec("SELECT message_id FROM ledger_entries WHERE message_type = 'trading.v1.Signal'"))
      signal_ids.insert(r[0].c_str());
    std::set<std::string> intended_orders;
    int intents = 0;
    for (const auto& r : tx.exec(
             "SELECT payload FROM ledger_entries WHERE message_type = 'trading.v1.OrderIntent'")) {
      trading::v1::OrderIntent intent;
      pqxx::binarystring bytes(r[0]);
      ASSERT_TRUE(intent.ParseFromString(bytes.str()));
      EXPECT_TRUE(signal_ids.contains(intent.signal_id()))
          << "order " << intent.order().client_order_id() << " traces to no signal ("
          << intent.signal_id() << ")";
      intended_orders.insert(intent.order().client_order_id());
      ++intents;
    }
    EXPECT_GT(intents, 0) << "the run placed no orders: the test would prove nothing";
    for (const auto& r : tx.exec("SELECT client_order_id FROM execsim_orders"))
      EXPECT_TRUE(intended_orders.contains(r[0].c_str())) << r[0].c_str() << " has no order intent";
    auto orphans = tx.exec1(
        "SELECT count(*) FROM execsim_fills f LEFT JOIN execsim_orders o USING (client_order_id) "
        "WHERE o.client_order_id IS NULL")[0].as<int64_t>();
    EXPECT_EQ(orphans, 0) << "fills without an order";
    int books = 0;
    for (const auto& r : tx.exec(
             "SELECT p.strategy, p.venue, p.symbol, p.quantity_e8, p.cash_e8, p.fees_e8, "
             "  COALESCE(SUM(CASE WHEN f.side = 'BUY' THEN f.quantity_e8 ELSE -f.quantity_e8 END), 0), "
             "  COALESCE(SUM(CASE WHEN f.side = 'BUY' THEN f.notional_e8 ELSE -f.notional_e8 END), 0), "
             "  COALESCE(SUM(f.fee_e8), 0) "
             "FROM execsim_positions p LEFT JOIN execsim_fills f "
             "  ON f.strategy = p.strategy AND f.venue = p.venue AND f.symbol = p.symbol "
             "GROUP BY p.strategy, p.venue, p.symbol, p.quantity_e8, p.cash_e8, p.fees_e8")) {
      const std::string book = std::string(r[0].c_str()) + "/" + r[2].c_str();
      EXPECT_EQ(r[3].as<int64_t>(), r[6].as<int64_t>()) << book << ": position != sum of fills";
      EXPECT_EQ(r[5].as<int64_t>(), r[8].as<int64_t>()) << book << ": fees != sum of fill fees";
      EXPECT_EQ(r[4].as<int64_t>(), kInitialCashE8 - r[7].as<int64_t>() - r[8].as<int64_t>())
          << book << ": cash != initial - net notional - fees";
      ++books;
    }
    EXPECT_EQ(books, 4) << "2 strategies x 2 instruments";
    check_attribution(tx);
  }

  // The bandit's feedback loop: a signal carries the decision id of the
  // parameter choice it used, the order intent carries the signal's, and every
  // realised outcome execsim attributes to a decision reaches paramctl.
  void check_attribution(pqxx::work& tx) {
    std::set<std::string> decisions;
    for (const auto& r : tx.exec("SELECT decision_id FROM paramctl_decisions")) decisions.insert(r[0].c_str());
    std::map<std::string, std::string> signal_decision;
    for (const auto& r : tx.exec(
             "SELECT message_id, payload FROM ledger_entries WHERE message_type = 'trading.v1.Signal'")) {
      trading::v1::Signal signal;
      pqxx::binarystring bytes(r[1]);
      ASSERT_TRUE(signal.ParseFromString(bytes.str()));
      ASSERT_FALSE(signal.decision_id().empty()) << r[0].c_str() << " has no decision id";
      EXPECT_TRUE(decisions.contains(signal.decision_id()))
          << "signal " << r[0].c_str() << " names decision " << signal.decision_id() << ", which paramctl never made";
      signal_decision[r[0].c_str()] = signal.decision_id();
    }
    for (const auto& r : tx.exec(
             "SELECT payload FROM ledger_entries WHERE message_type = 'trading.v1.OrderIntent'")) {
      trading::v1::OrderIntent intent;
      pqxx::binarystring bytes(r[0]);
      ASSERT_TRUE(intent.ParseFromString(bytes.str()));
      EXPECT_EQ(intent.order().trace().decision_id(), signal_decision[intent.signal_id()])
          << "order " << intent.order().client_order_id() << " lost its signal's decision id";
    }
    const auto outcomes = tx.exec1("SELECT count(*) FROM execsim_outcomes")[0].as<int64_t>();
    EXPECT_GT(outcomes, 0) << "no realised outcomes: the attribution check would prove nothing";
    EXPECT_EQ(tx.exec1("SELECT count(*) FROM execsim_outcomes o LEFT JOIN paramctl_decisions d "
                       "USING (decision_id) WHERE d.decision_id IS NULL")[0]
                  .as<int64_t>(),
              0)
        << "outcomes attributed to decisions paramctl never made";
    EXPECT_EQ(tx.exec1("SELECT count(*) FROM execsim_outcomes e LEFT JOIN paramctl_outcomes p "
                       "USING (outcome_id) WHERE p.outcome_id IS NULL OR p.reward <> e.reward "
                       "OR p.decision_id <> e.decision_id")[0]
                  .as<int64_t>(),
              0)
        << "outcomes that did not reach paramctl, or arrived with another reward";
    // Event-time learning: before each decision of a book, paramctl learned
    // exactly that book's outcomes closed before the decision's bar. So the
    // rewards learned are the outcomes closed before the book's last decision.
    const auto learned =
        tx.exec1("SELECT COALESCE(sum(rewards_learned), 0) FROM paramctl_bandit_arms")[0].as<int64_t>();
    const auto expected = tx.exec1(
        "SELECT count(*) FROM paramctl_outcomes o JOIN paramctl_decisions d USING (decision_id) "
        "WHERE o.closed_time_ns < (SELECT max(event_time_ns) FROM paramctl_decisions l "
        "  WHERE l.strategy = d.strategy AND l.venue = d.venue AND l.symbol = d.symbol)")[0]
                              .as<int64_t>();
    EXPECT_GT(learned, 0) << "the bandit learned nothing: the feedback loop would be untested";
    EXPECT_EQ(learned, expected) << "rewards learned != outcomes closed before each book's last decision";
  }

  static tp::testing::TempDir* data_;
};
tp::testing::TempDir* PipelineE2E::data_ = nullptr;

TEST_F(PipelineE2E, UndisturbedRunIsConsistentAndAKill9ChangesNothing) {
  RunResult clean = run();
  ASSERT_FALSE(clean.fills.empty()) << "no fills: nothing would be compared";
  EXPECT_EQ(clean.stream_messages["MD"], 2u * kBarsPerSymbol);
  EXPECT_EQ(clean.stream_messages["DLQ"], 0u);
  EXPECT_TRUE(clean.ledger_ok) << clean.ledger_verification;
  uint64_t all = 0;
  for (const auto& [stream, n] : clean.stream_messages) all += n;
  EXPECT_EQ(static_cast<uint64_t>(clean.ledger_entries), all) << "ledger must hold every message";

  const uint64_t midway = clean.stream_messages["EXEC"] / 2;
  for (const std::string victim : {"execsim", "decision", "paramctl"}) {
    SCOPED_TRACE("kill -9 of " + victim);
    RunResult crashed = run(victim, midway);
    EXPECT_EQ(crashed.fills, clean.fills);
    EXPECT_EQ(crashed.orders, clean.orders);
    EXPECT_EQ(crashed.positions, clean.positions);
    EXPECT_EQ(crashed.decisions, clean.decisions) << "the bandit chose differently";
    EXPECT_EQ(crashed.bandit, clean.bandit) << "the bandit learned differently";
    EXPECT_EQ(crashed.stream_messages, clean.stream_messages) << "nothing lost, nothing doubled";
    EXPECT_EQ(crashed.ledger_entries, clean.ledger_entries);
    EXPECT_TRUE(crashed.ledger_ok) << crashed.ledger_verification;
  }
}

}  // namespace
