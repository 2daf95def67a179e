// ParamService over a real PostgreSQL and a real gRPC channel on loopback.
#include <gtest/gtest.h>

#include <grpcpp/grpcpp.h>

#include "paramctl/param_grpc.h"
#include "paramctl/preset_store.h"
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

    ParamCoreConfig cfg;
    cfg.strategies["ma"] = {{"binance-us/BTCUSDT"}, "ma/f10", 60};
    core_ = std::make_unique<ParamCore>(cfg, std::make_unique<DefaultPresetChooser>());
    ASSERT_TRUE(upsert_presets(*db_, {preset("ma/f10", "ma", 10), preset("ma/f20", "ma", 20)}));
    auto loaded = load_presets(*db_);
    ASSERT_TRUE(loaded);
    core_->load_presets(*loaded);

    service_ = std::make_unique<ParamGrpcService>(*core_, *db_, clock_);
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
  std::unique_ptr<ParamCore> core_;
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
  ASSERT_EQ(core_->on_outcome(o).kind, Verdict::Kind::kApplied);
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

}  // namespace
}  // namespace tp::paramctl
