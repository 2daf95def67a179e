// ParamService over a real PostgreSQL and a real gRPC channel on loopback.
#include <gtest/gtest.h>

#include <grpcpp/grpcpp.h>

#include <bit>

#include <nlohmann/json.hpp>

#include "paramctl/core/lints_chooser.h"
#include "paramctl/core/pg_arrays.h"
#include "paramctl/param_grpc.h"
#include "paramctl/preset_store.h"
#include "paramctl/reward_feed.h"
#include "tp/core/clock.h"
#include "tp/migrations/paramctl.h"
#include "tp/store/migrations.h"
#include "tp/testing/postgres_server.h"
#include "trading/v1/services.grpc.pb.h"

namespace tp::paramctl {
namespace {

using trading::v1::ParameterPreset;

ParameterPreset preset(const std::string& id, const std::string& strategy, double fast,
                       bool enabled = true) {
  ParameterPreset p;
  p.set_preset_id(id);
  p.set_strategy(strategy);
  (*p.mutable_values())["fast"] = fast;
  (*p.mutable_values())["slow"] = 50;
  (*p.mutable_values())["scale"] = 0.01;
  p.set_description("fast " + std::to_string(static_cast<int>(fast)));
  p.set_enabled(enabled);
  return p;
}

class ParamGrpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pg = testing::PostgresServer::start();
    ASSERT_TRUE(pg) << pg.error().to_string();
    pg_ = std::move(*pg);
    auto conninfo = pg_->create_database("paramctl_test");
    ASSERT_TRUE(conninfo) << conninfo.error().to_string();
    auto db = store::Database::connect({.connection_string = *conninfo});
    ASSERT_TRUE(db) << db.error().to_string();
    db_ = std::move(*db);
    ASSERT_TRUE(store::apply_migrations(*db_, tp::migrations::paramctl_migrations()));

    ASSERT_TRUE(upsert_presets(*db_, {preset("ma/f10", "ma", 10), preset("ma/f20", "ma", 20)}));
    start(std::make_unique<DefaultPresetChooser>());
  }

  static ParamCoreConfig core_config() {
    ParamCoreConfig cfg;
    cfg.strategies["ma"] = {{"binance-us/BTCUSDT"}, "ma/f10", 60};
    return cfg;
  }

  static std::unique_ptr<LinTsPresetChooser> lints() {
    LinTsChooserConfig b;
    b.model.v = 5;
    b.model.reward_scale = 1e4;
    b.model.reward_clip = 0.05;
    b.standardize_min_observations = 3;
    auto chooser = LinTsPresetChooser::create(b, context_feature_names());
    EXPECT_TRUE(chooser);
    return std::move(*chooser);
  }

  // (Re)starts core, feed, service and server with `chooser`.
  void start(std::unique_ptr<PresetChooser> chooser) {
    if (server_) server_->Shutdown();
    server_.reset();
    chooser_ = chooser.get();
    core_ = std::make_unique<ParamCore>(core_config(), std::move(chooser));
    auto loaded = load_presets(*db_);
    ASSERT_TRUE(loaded);
    core_->load_presets(*loaded);
    feed_ = std::make_unique<RewardFeed>(*core_, *db_);
    service_ = std::make_unique<ParamGrpcService>(*core_, *db_, *feed_, clock_);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_TRUE(server_);
    ASSERT_GT(port_, 0);
    stub_ = trading::v1::ParamService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(port_), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  ManualClock clock_{1'700'000'000'000'000'000};
  std::unique_ptr<testing::PostgresServer> pg_;
  std::unique_ptr<store::Database> db_;
  PresetChooser* chooser_ = nullptr;
  std::unique_ptr<ParamCore> core_;
  std::unique_ptr<RewardFeed> feed_;
  std::unique_ptr<ParamGrpcService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::unique_ptr<trading::v1::ParamService::Stub> stub_;
};

TEST_F(ParamGrpcTest, UnavailableUntilServing) {
  grpc::ClientContext ctx;
  trading::v1::ListPresetsResponse response;
  auto status = stub_->ListPresets(&ctx, {}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(status.error_message(), "paramctl is starting");
}

TEST_F(ParamGrpcTest, RegisterListSelectLearnInspect) {
  service_->set_serving(true);
  {
    grpc::ClientContext ctx;
    trading::v1::RegisterPresetRequest request;
    *request.mutable_preset() = preset("ma/f5", "ma", 5);
    trading::v1::RegisterPresetResponse response;
    ASSERT_TRUE(stub_->RegisterPreset(&ctx, request, &response).ok());
    EXPECT_TRUE(response.created());
    EXPECT_EQ(response.preset().preset_id(), "ma/f5");
    EXPECT_EQ(response.preset().values().at("fast"), 5.0);
  }
  {
    grpc::ClientContext ctx;
    trading::v1::RegisterPresetRequest request;
    *request.mutable_preset() = preset("ma/f10", "ma", 10, false);  // disable the default
    trading::v1::RegisterPresetResponse response;
    ASSERT_TRUE(stub_->RegisterPreset(&ctx, request, &response).ok());
    EXPECT_FALSE(response.created());
    EXPECT_FALSE(response.preset().enabled());
  }
  {
    grpc::ClientContext ctx;
    trading::v1::RegisterPresetRequest request;
    *request.mutable_preset() = preset("ma/f5", "dc", 5);
    trading::v1::RegisterPresetResponse response;
    auto status = stub_->RegisterPreset(&ctx, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(status.error_message(), "preset \"ma/f5\" belongs to strategy \"ma\", not \"dc\"");
  }
  // The catalogue survives a reload from the database.
  auto reloaded = load_presets(*db_);
  ASSERT_TRUE(reloaded);
  ASSERT_EQ(reloaded->size(), 3u);
  EXPECT_EQ((*reloaded)[0].preset_id(), "ma/f10");
  EXPECT_FALSE((*reloaded)[0].enabled());
  {
    grpc::ClientContext ctx;
    trading::v1::ListPresetsRequest request;
    request.set_strategy("ma");
    trading::v1::ListPresetsResponse response;
    ASSERT_TRUE(stub_->ListPresets(&ctx, request, &response).ok());
    ASSERT_EQ(response.presets_size(), 3);
    EXPECT_EQ(response.presets(0).preset_id(), "ma/f10");
    EXPECT_EQ(response.presets(1).preset_id(), "ma/f20");
    EXPECT_EQ(response.presets(2).preset_id(), "ma/f5");
  }
  std::string decision;
  {
    grpc::ClientContext ctx;
    trading::v1::SelectRequest request;
    request.set_strategy("ma");
    request.mutable_instrument()->set_venue("binance-us");
    request.mutable_instrument()->set_symbol("BTCUSDT");
    for (double v : {0.6, 0.2, 0.2, 0.01, 0.001, 1.0}) request.mutable_context()->add_raw(v);
    trading::v1::SelectResponse response;
    auto status = stub_->Select(&ctx, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    // Default disabled -> first enabled preset by id.
    EXPECT_EQ(response.choice().preset().preset_id(), "ma/f20");
    decision = response.choice().decision_id();
    EXPECT_EQ(decision, "sel:ma:binance-us:BTCUSDT:1700000000000000000");
  }
  {
    grpc::ClientContext ctx;
    trading::v1::LearnRequest request;
    request.set_decision_id(decision);
    request.set_reward(0.25);
    trading::v1::LearnResponse response;
    ASSERT_TRUE(stub_->Learn(&ctx, request, &response).ok());
    EXPECT_TRUE(response.applied());
    EXPECT_EQ(response.text(), "reward 0.25 recorded for decision \"" + decision +
                                   "\" (preset \"ma/f20\")");
  }
  {
    grpc::ClientContext ctx;
    trading::v1::LearnRequest request;
    request.set_decision_id(decision);
    request.set_reward(0.5);
    trading::v1::LearnResponse response;
    ASSERT_TRUE(stub_->Learn(&ctx, request, &response).ok());
    EXPECT_FALSE(response.applied());
    EXPECT_EQ(response.text(), "decision \"" + decision + "\" already has a reward");
  }
  {
    grpc::ClientContext ctx;
    trading::v1::LearnRequest request;
    request.set_decision_id("d:nope");
    trading::v1::LearnResponse response;
    ASSERT_TRUE(stub_->Learn(&ctx, request, &response).ok());
    EXPECT_FALSE(response.applied());
    EXPECT_EQ(response.text(), "unknown decision id \"d:nope\"");
  }
  {
    grpc::ClientContext ctx;
    trading::v1::InspectRequest request;
    request.set_strategy("ma");
    trading::v1::InspectResponse response;
    ASSERT_TRUE(stub_->Inspect(&ctx, request, &response).ok());
    ASSERT_EQ(response.arms_size(), 3);
    EXPECT_EQ(response.arms(0).pulls(), 0u);
    EXPECT_EQ(response.feature_names(0), "p_bull");
  }
  {
    grpc::ClientContext ctx;
    trading::v1::SelectRequest request;
    request.set_strategy("zz");
    trading::v1::SelectResponse response;
    auto status = stub_->Select(&ctx, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(status.error_message(), "strategy \"zz\" is not configured");
  }
}

TEST_F(ParamGrpcTest, DecisionRowsArePersistedInTheCheckpointTransaction) {
  runtime::Outbox out;
  trading::v1::RegimePosterior p;
  p.mutable_instrument()->set_venue("binance-us");
  p.mutable_instrument()->set_symbol("BTCUSDT");
  p.set_timeframe("1m");
  p.set_p_bull(1);
  p.mutable_trace()->set_event_time_ns(1'677'628'800LL * kNanosPerSecond);
  ASSERT_EQ(core_->on_regime(p, "bar:x", out).kind, Verdict::Kind::kApplied);
  trading::v1::Outcome o;
  o.set_decision_id("d:ma:binance-us:BTCUSDT:1677628800");
  o.set_reward(0.1);
  o.set_closed_time_ns(5);
  ASSERT_EQ(core_->on_outcome(o, out).kind, Verdict::Kind::kApplied);
  for (int attempt = 0; attempt < 2; ++attempt)  // a re-run body writes nothing twice
    ASSERT_TRUE(db_->transact([&](pqxx::work& tx) { return core_->persist(tx); }));
  auto counts = db_->transact_value<std::string>([](pqxx::work& tx) -> Result<std::string> {
    auto r = tx.exec1(
        "SELECT (SELECT count(*) FROM paramctl_decisions)::text || ' ' || "
        "(SELECT preset_id FROM paramctl_decisions) || ' ' || "
        "(SELECT context->>'p_bull' FROM paramctl_decisions) || ' ' || "
        "(SELECT count(*) FROM paramctl_outcomes)::text");
    return r[0].as<std::string>();
  });
  ASSERT_TRUE(counts);
  EXPECT_EQ(*counts, "1 ma/f10 1.0 1");
}

// ---------------------------------------------------------------- the LinTS bandit

trading::v1::RegimePosterior bar(int i) {
  trading::v1::RegimePosterior p;
  p.mutable_instrument()->set_venue("binance-us");
  p.mutable_instrument()->set_symbol("BTCUSDT");
  p.set_timeframe("1m");
  p.set_p_bull(0.3 + 0.01 * (i % 7));
  p.set_p_bear(0.3);
  p.set_p_chop(0.4 - 0.01 * (i % 7));
  p.set_realized_vol(0.002 + 0.0001 * (i % 5));
  p.set_trend(0.0001 * ((i % 9) - 4));
  p.mutable_trace()->set_event_time_ns((1'677'628'800LL + 60 * i) * kNanosPerSecond);
  return p;
}

std::string select_id(trading::v1::ParamService::Stub& stub, int64_t t, double trend,
                      trading::v1::ParameterChoice* choice = nullptr) {
  grpc::ClientContext ctx;
  trading::v1::SelectRequest request;
  request.set_strategy("ma");
  request.mutable_instrument()->set_venue("binance-us");
  request.mutable_instrument()->set_symbol("BTCUSDT");
  request.mutable_trace()->set_event_time_ns(t);
  for (double v : {0.6, 0.2, 0.2, 0.0021, trend, 1.0}) request.mutable_context()->add_raw(v);
  trading::v1::SelectResponse response;
  auto status = stub.Select(&ctx, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  if (choice) *choice = response.choice();
  return response.choice().decision_id();
}

trading::v1::LearnResponse learn(trading::v1::ParamService::Stub& stub, const std::string& id,
                                 double reward) {
  grpc::ClientContext ctx;
  trading::v1::LearnRequest request;
  request.set_decision_id(id);
  request.set_reward(reward);
  trading::v1::LearnResponse response;
  EXPECT_TRUE(stub.Learn(&ctx, request, &response).ok());
  return response;
}

trading::v1::InspectResponse inspect(trading::v1::ParamService::Stub& stub) {
  grpc::ClientContext ctx;
  trading::v1::InspectRequest request;
  request.set_strategy("ma");
  request.mutable_instrument()->set_venue("binance-us");
  request.mutable_instrument()->set_symbol("BTCUSDT");
  trading::v1::InspectResponse response;
  EXPECT_TRUE(stub.Inspect(&ctx, request, &response).ok());
  return response;
}

std::vector<uint64_t> bits(const std::vector<double>& v) {
  std::vector<uint64_t> out;
  for (double x : v) out.push_back(std::bit_cast<uint64_t>(x));
  return out;
}

TEST_F(ParamGrpcTest, BanditSelectLearnInspect) {
  start(lints());
  service_->set_serving(true);
  trading::v1::ParameterChoice choice;
  const std::string id = select_id(*stub_, 42, 0.001, &choice);
  EXPECT_EQ(id, "sel:ma:binance-us:BTCUSDT:42");
  ASSERT_EQ(choice.context().standardized_size(), 6);
  EXPECT_EQ(choice.context().standardized(5), 1.0);
  EXPECT_NE(choice.sampled_score(), 0.0);
  // The standardised context is recorded with the decision.
  auto recorded = db_->transact_value<std::string>([&](pqxx::work& tx) -> Result<std::string> {
    return tx.exec_params1("SELECT standardized::text FROM paramctl_decisions WHERE decision_id = $1",
                           id)[0]
        .as<std::string>();
  });
  ASSERT_TRUE(recorded);
  EXPECT_EQ(*parse_pg_float_array(*recorded),
            std::vector<double>(choice.context().standardized().begin(),
                                choice.context().standardized().end()));

  auto before = inspect(*stub_);
  ASSERT_EQ(before.arms_size(), 2);
  ASSERT_EQ(before.arms(0).mean_size(), 6);
  EXPECT_EQ(before.arms(0).mean(5), 0.0);            // prior mean
  EXPECT_DOUBLE_EQ(before.arms(0).stddev(5), 5.0);   // v / sqrt(lambda)

  auto learned = learn(*stub_, id, 0.002);
  EXPECT_TRUE(learned.applied()) << learned.text();
  EXPECT_EQ(learned.text(), "reward 0.002 recorded for decision \"" + id + "\" (preset \"" +
                                choice.preset().preset_id() + "\")");
  EXPECT_FALSE(learn(*stub_, id, 0.004).applied());
  auto after = inspect(*stub_);
  const int k = choice.preset().preset_id() == "ma/f10" ? 0 : 1;
  EXPECT_EQ(after.arms(k).rewards_seen(), 1u);
  // One observation z = (0,..,0,1), r = 20 bps: bias mean 20 / 2 = 10 bps.
  EXPECT_DOUBLE_EQ(after.arms(k).mean(5), 10.0);
  EXPECT_LT(after.arms(k).stddev(5), 5.0);
  EXPECT_EQ(after.arms(1 - k).rewards_seen(), 0u);
}

TEST_F(ParamGrpcTest, BanditTablesRoundTripAndARestartContinuesExactly) {
  start(lints());
  service_->set_serving(true);
  auto& chooser = *static_cast<LinTsPresetChooser*>(chooser_);
  // Stream decisions with outcomes, and Learn rewards for Select decisions.
  ParamCoreConfig cfg = core_config();
  runtime::Outbox out;
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(core_->on_regime(bar(i), "bar", out).kind, Verdict::Kind::kApplied);
    if (i % 60 == 0) {
      trading::v1::Outcome o;
      o.set_decision_id("d:ma:binance-us:BTCUSDT:" + std::to_string(1'677'628'800LL + 60 * i));
      o.set_reward(0.001 * (i % 120 == 0 ? 1 : -1));
      o.set_closed_time_ns(bar(i + 5).trace().event_time_ns());
      ASSERT_EQ(core_->on_outcome(o, out).kind, Verdict::Kind::kApplied);
    }
    if (i % 20 == 0) {
      const std::string id = select_id(*stub_, 1000 + i, 0.0001 * (i % 3));
      ASSERT_TRUE(learn(*stub_, id, 0.0003 * (i % 5) - 0.0005).applied());
    }
  }
  // The checkpoint: snapshot + persist() in one transaction (as the runtime does).
  const std::string checkpoint = core_->snapshot();
  ASSERT_TRUE(db_->transact([&](pqxx::work& tx) { return core_->persist(tx); }));

  // paramctl_bandit_arms holds the model's numbers bit for bit.
  const bandit::LinTs* model = chooser.model("ma|binance-us/BTCUSDT");
  ASSERT_NE(model, nullptr);
  ASSERT_EQ(model->arms(), 2);
  auto rows = db_->transact_value<std::vector<std::vector<std::string>>>(
      [](pqxx::work& tx) -> Result<std::vector<std::vector<std::string>>> {
        std::vector<std::vector<std::string>> out;
        for (const auto& r : tx.exec(
                 "SELECT preset_id, b::text, f::text, cholesky::text, mean::text, stddev::text, "
                 "rewards_learned::text, reward_sum::text, feature_names::text "
                 "FROM paramctl_bandit_arms WHERE strategy = 'ma' AND venue = 'binance-us' "
                 "AND symbol = 'BTCUSDT' ORDER BY preset_id")) {
          std::vector<std::string> row;
          for (const auto& f : r) row.push_back(f.c_str());
          out.push_back(row);
        }
        return out;
      });
  ASSERT_TRUE(rows) << rows.error().to_string();
  ASSERT_EQ(rows->size(), 2u);
  for (const auto& row : *rows) {
    const int k = model->find_arm(row[0]);
    ASSERT_GE(k, 0) << row[0];
    auto flat = [](const Eigen::MatrixXd& m) {
      std::vector<double> v;
      for (int i = 0; i < m.rows(); ++i)
        for (int j = 0; j < m.cols(); ++j) v.push_back(m(i, j));
      return v;
    };
    auto vec = [](const Eigen::VectorXd& m) { return std::vector<double>(m.data(), m.data() + m.size()); };
    EXPECT_EQ(bits(*parse_pg_float_array(row[1])), bits(flat(model->b_matrix(k))));
    EXPECT_EQ(bits(*parse_pg_float_array(row[2])), bits(model->arm(k).f));
    EXPECT_EQ(bits(*parse_pg_float_array(row[3])), bits(flat(model->l_matrix(k))));
    EXPECT_EQ(bits(*parse_pg_float_array(row[4])), bits(vec(model->mean(k))));
    EXPECT_EQ(bits(*parse_pg_float_array(row[5])), bits(vec(model->stddev(k))));
    EXPECT_EQ(row[6], std::to_string(model->arm(k).rewards));
    EXPECT_EQ(bits(*parse_pg_float_array("{" + row[7] + "}")), bits({model->arm(k).reward_sum}));
    EXPECT_EQ(row[8], "{p_bull,p_bear,p_chop,realized_vol,trend,bias}");
  }
  EXPECT_GT(model->rewards_learned(), 10u);
  auto features = db_->transact_value<std::string>([](pqxx::work& tx) -> Result<std::string> {
    return tx.exec1("SELECT observations::text FROM paramctl_bandit_features WHERE strategy = 'ma'")[0]
        .as<std::string>();
  });
  ASSERT_TRUE(features);
  EXPECT_EQ(*features, "{200,200,200,200,200,200}");

  // Rewards learned after the checkpoint are in paramctl_rewards only.
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(learn(*stub_, select_id(*stub_, 5000 + i, 0.0002), 0.001).applied());
  const std::string live = core_->snapshot();

  // Restart: a new core restored from the checkpoint learns them again, in order.
  start(lints());
  ASSERT_TRUE(core_->restore(checkpoint));
  EXPECT_NE(core_->snapshot(), live);
  ASSERT_TRUE(feed_->catch_up());
  EXPECT_EQ(core_->snapshot(), live);
  ASSERT_TRUE(feed_->catch_up());  // nothing more
  EXPECT_EQ(core_->snapshot(), live);
  // And both continue alike.
  ASSERT_EQ(core_->on_regime(bar(200), "bar", out).kind, Verdict::Kind::kApplied);
  EXPECT_NE(core_->snapshot(), live);
}

}  // namespace
}  // namespace tp::paramctl
