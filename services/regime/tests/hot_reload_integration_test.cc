// Hot reload for real: the regime binary on a real nats-server and
// PostgreSQL. Bars stream in, a new version is promoted through the
// service's own gRPC Promote mid-stream, and the REGIME stream must hold
// exactly one posterior per bar: the old version's up to the switch, the
// new one's after it, bit for bit what the pure core computes. Also the
// registry API (ListModels, GetModel, Predict) and the bar store.
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <pqxx/pqxx>
#include <set>
#include <thread>

#include "model_registry.h"
#include "platform.h"
#include "promotion.h"
#include "real_bars.h"
#include "tp/bus/jetstream_transport.h"
#include "tp/bus/publisher.h"
#include "tp/migrations/regime.h"
#include "tp/observability/http_client.h"
#include "tp/regime/regime_core.h"
#include "tp/runtime/topology.h"
#include "tp/signing/key_ring.h"
#include "tp/signing/signer.h"
#include "tp/store/migrations.h"
#include "tp/testing/child_process.h"
#include "tp/testing/free_port.h"
#include "tp/testing/nats_server.h"
#include "tp/testing/postgres_server.h"
#include "tp/testing/temp_dir.h"
#include "trading/v1/services.grpc.pb.h"

namespace tp::regime {
namespace {

using trading::v1::Bar;
using trading::v1::RegimePosterior;

constexpr size_t kBars = 3000, kSwitchAt = 1500;

std::unique_ptr<signing::Signer> signer_for(const std::string& keys_dir, const std::string& producer) {
  auto ring = signing::KeyRing::from_file(keys_dir + "/" + producer + ".json");
  EXPECT_TRUE(ring) << ring.error().to_string();
  auto shared = std::make_shared<const signing::KeyRing>(std::move(*ring));
  auto signer = signing::Signer::create(shared, producer, SystemClock::instance());
  EXPECT_TRUE(signer) << signer.error().to_string();
  return std::make_unique<signing::Signer>(std::move(*signer));
}

TEST(RegimeHotReload, PromotionMidStreamSwitchesBetweenTwoBarsWithNothingLostOrDoubled) {
  auto nats = testing::NatsServer::start();
  ASSERT_TRUE(nats) << nats.error().to_string();
  auto pg = testing::PostgresServer::start();
  ASSERT_TRUE(pg) << pg.error().to_string();
  auto conninfo = (*pg)->create_database("trading");
  ASSERT_TRUE(conninfo);
  auto work = testing::TempDir::create("tp-regime-reload");
  ASSERT_TRUE(work);
  const std::string keys_dir = work->path() + "/keys";
  {
    testing::ChildSpec keys;
    keys.program = "/usr/bin/python3";
    keys.args = {std::string(TP_SOURCE_DIR) + "/tools/make_keys.py", keys_dir};
    keys.log_path = work->path() + "/make_keys.log";
    auto p = testing::ChildProcess::spawn(keys);
    ASSERT_TRUE(p);
    ASSERT_TRUE(p->wait_for_exit(std::chrono::seconds(30)) && p->exited_successfully());
  }

  // Two versions in the registry, trained on the first 1000 bars; A promoted.
  auto bars = testdata::btcusdt_bars(kBars);
  ASSERT_EQ(bars.size(), kBars);
  auto db = store::Database::connect({.connection_string = *conninfo});
  ASSERT_TRUE(db);
  ASSERT_TRUE(store::apply_migrations(**db, tp::migrations::regime_migrations()));
  ModelRegistry registry(**db);
  std::vector<hmm::PriceBar> prices;
  for (size_t i = 0; i < 1000; ++i) prices.push_back(to_price_bar(bars[i].second));
  std::map<std::string, std::string> version;  // "a"/"b" -> name
  for (auto [key, states] : {std::pair{"a", 3}, std::pair{"b", 2}}) {
    TrainSpec spec;
    spec.fit.states = states;
    spec.fit.restarts = 2;
    auto trained = train_model(prices, spec);
    ASSERT_TRUE(trained) << trained.error().to_string();
    ASSERT_TRUE(registry.add(make_record(*trained, "csv:BTCUSDT_1m_20230301_20230321.csv")));
    version[key] = trained->version;
  }
  auto transport = bus::JetStreamTransport::connect({.servers = {(*nats)->url()}, .name = "test"});
  ASSERT_TRUE(transport);
  for (const auto& stream : runtime::topology::streams()) ASSERT_TRUE((*transport)->ensure_stream(stream));
  auto regime_signer = signer_for(keys_dir, "regime");
  {
    bus::Publisher control(**transport, *regime_signer, SystemClock::instance());
    ASSERT_TRUE(promote_model(registry, control, version["a"], "test"));
  }

  // The service.
  launcher::PlatformOptions o;
  o.nats_url = (*nats)->url();
  o.db_connection = *conninfo;
  o.keys_dir = keys_dir;
  o.log_dir = work->path() + "/log";
  o.working_dir = TP_SOURCE_DIR;
  const uint16_t grpc_port = testing::free_loopback_port();
  o.services.push_back({.name = "regime",
                        .binary = std::string(TP_BINARY_DIR) + "/services/regime/regime",
                        .config_file = std::string(TP_SOURCE_DIR) + "/deploy/local/regime.json",
                        .admin_port = testing::free_loopback_port(),
                        .env = {{"TP_GRPC__ADDRESS", "127.0.0.1:" + std::to_string(grpc_port)}}});
  launcher::Platform platform(o);
  ASSERT_TRUE(platform.start("regime")) << platform.log_path("regime");

  auto ingester_signer = signer_for(keys_dir, "ingester");
  bus::Publisher md(**transport, *ingester_signer, SystemClock::instance());
  auto publish = [&](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      const auto& [id, bar] = bars[i];
      ASSERT_TRUE(md.publish(runtime::subjects::bar("binance-us", "BTCUSDT", "1m"), id, id, bar));
    }
    ASSERT_TRUE(md.flush(30 * kNanosPerSecond));
  };
  auto wait_for = [&](const std::string& what, const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!done()) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "timed out waiting for " << what << "; log:\n"
                                                            << testing::file_tail(platform.log_path("regime"));
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  };
  auto regime_messages = [&] {
    auto state = (*transport)->stream_state("REGIME");
    return state ? state->messages : 0;
  };
  auto metrics = [&] {
    auto r = obs::http_get("127.0.0.1", platform.admin_port("regime"), "/metrics", std::chrono::seconds(2));
    return r ? r->body : std::string();
  };

  publish(0, kSwitchAt);
  wait_for("first half", [&] { return regime_messages() == kSwitchAt; });

  auto stub = trading::v1::RegimeService::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(grpc_port), grpc::InsecureChannelCredentials()));
  {
    grpc::ClientContext ctx;
    trading::v1::PromoteRequest request;
    request.set_version(version["b"]);
    request.set_operator_("alice");
    trading::v1::PromoteResponse response;
    auto status = stub->Promote(&ctx, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(response.model().promoted());
  }
  wait_for("the reload", [&] {
    return metrics().find("tp_regime_active_model{service=\"regime\",version=\"" + version["b"] + "\"} 1") !=
           std::string::npos;
  });
  publish(kSwitchAt, kBars);
  wait_for("second half", [&] { return regime_messages() == kBars; });

  // Exactly one posterior per bar, in bar order; A then B.
  bus::ConsumerConfig reader{.stream = "REGIME", .durable = "test-reader", .max_ack_pending = 10000};
  ASSERT_TRUE((*transport)->ensure_consumer(reader));
  auto sub = (*transport)->subscribe(reader);
  ASSERT_TRUE(sub);
  std::vector<RegimePosterior> got;
  while (got.size() < kBars) {
    auto batch = (*sub)->fetch(500, kNanosPerSecond);
    ASSERT_TRUE(batch);
    for (auto& d : *batch) {
      RegimePosterior p;
      ASSERT_TRUE(p.ParseFromString(d->payload()));
      got.push_back(p);
      ASSERT_TRUE(d->ack());
    }
  }
  RegimeCore reference(ModelVersionPtr(*registry.load(version["a"])));
  std::set<int64_t> times;
  for (size_t i = 0; i < kBars; ++i) {
    if (i == kSwitchAt) {
      ASSERT_TRUE(reference.activate(*registry.load(version["b"])));
    }
    runtime::Outbox out;
    reference.on_bar(bars[i].second, bars[i].first, out);
    RegimePosterior expected;
    ASSERT_TRUE(expected.ParseFromString(out.items().at(0).payload));
    ASSERT_EQ(got[i].SerializeAsString(), expected.SerializeAsString()) << "bar " << i;
    EXPECT_EQ(got[i].model_version(), version[i < kSwitchAt ? "a" : "b"]) << i;
    times.insert(got[i].trace().event_time_ns());
  }
  EXPECT_EQ(times.size(), kBars);
  EXPECT_NE(metrics().find("tp_regime_model_reloads_total{service=\"regime\",result=\"switched\"} 1"),
            std::string::npos)
      << metrics();

  // Every bar is in the bar store, once; ListModels marks B promoted.
  {
    pqxx::connection c(*conninfo);
    pqxx::work tx(c);
    EXPECT_EQ(tx.exec1("SELECT count(*) FROM regime_bars")[0].as<int64_t>(), static_cast<int64_t>(kBars));
  }
  {
    grpc::ClientContext ctx;
    trading::v1::ListModelsResponse response;
    ASSERT_TRUE(stub->ListModels(&ctx, {}, &response).ok());
    ASSERT_EQ(response.models_size(), 2);
    for (const auto& m : response.models()) EXPECT_EQ(m.promoted(), m.version() == version["b"]) << m.version();
  }
  {
    grpc::ClientContext ctx;
    trading::v1::GetModelRequest request;
    request.set_version("hmm-0000000000000000");
    trading::v1::ModelInfo response;
    auto status = stub->GetModel(&ctx, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(status.error_message(), "no regime model version 'hmm-0000000000000000'");
  }
  {
    grpc::ClientContext ctx;
    trading::v1::PredictRequest request;  // the promoted version, B: logret, rvol
    request.add_features(-0.01);
    request.add_features(-4.0);
    trading::v1::PredictResponse response;
    auto status = stub->Predict(&ctx, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.posterior().model_version(), version["b"]);
    EXPECT_EQ(response.state_probabilities_size(), 2);
    EXPECT_NEAR(response.posterior().p_bull() + response.posterior().p_bear() + response.posterior().p_chop(), 1.0,
                1e-12);
  }
  {
    grpc::ClientContext ctx;
    trading::v1::PredictRequest request;
    request.add_features(0.0);
    trading::v1::PredictResponse response;
    auto status = stub->Predict(&ctx, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(status.error_message(), "model " + version["b"] + " takes 2 features (logret,rvol), got 1");
  }
  // Training over gRPC on the stored bars registers a third version.
  {
    grpc::ClientContext ctx;
    trading::v1::TrainRequest request;
    request.mutable_instrument()->set_venue("binance-us");
    request.mutable_instrument()->set_symbol("BTCUSDT");
    request.set_timeframe("1m");
    request.set_states(2);
    trading::v1::TrainResponse response;
    auto status = stub->Train(&ctx, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.model().states(), 2u);
    EXPECT_FALSE(response.model().promoted());
    // 20% of the observations were held out and scored: a real, finite log-likelihood.
    EXPECT_TRUE(std::isfinite(response.model().validation_log_likelihood()));
    EXPECT_NE(response.model().validation_log_likelihood(), 0.0);
    EXPECT_EQ(response.model().train_from_ns(), bars[30].second.open_time_ns());
    EXPECT_LT(response.model().train_to_ns(), bars.back().second.open_time_ns());  // the tail was held out
    grpc::ClientContext lctx;
    trading::v1::ListModelsResponse all;
    ASSERT_TRUE(stub->ListModels(&lctx, {}, &all).ok());
    EXPECT_EQ(all.models_size(), 3);
  }
  ASSERT_TRUE(platform.stop("regime"));
}

}  // namespace
}  // namespace tp::regime
