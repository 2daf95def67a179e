#include "tp/runtime/service.h"

#include <signal.h>

#include <condition_variable>
#include <cstring>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "bus_probes.h"
#include "tp/bus/jetstream_transport.h"
#include "tp/config/document.h"
#include "tp/config/exit_on_error.h"
#include "tp/observability/admin_server.h"
#include "tp/observability/heartbeat.h"
#include "tp/observability/log.h"
#include "tp/observability/service_metrics.h"
#include "tp/runtime/topology.h"
#include "tp/signing/key_ring.h"
#include "tp/store/migrations.h"

namespace tp::runtime {

Status publish_all(Outbox& outbox, bus::Publisher& publisher) {
  for (auto& item : outbox.take()) {
    auto s = publisher.publish_bytes(item.subject, item.message_id, item.message_type,
                                     item.correlation_id, std::move(item.payload));
    if (!s) return s;
  }
  return ok();
}

namespace {

constexpr int kRuntimeFailure = 1;

struct Input {
  InputSpec spec;
  bus::Handler handler;
  std::atomic<bool> reposition{false};  // set when a batch was abandoned
  std::unique_ptr<ConsumerMetrics> metrics;
  std::unique_ptr<bus::ConsumerLoop> loop;
  std::unique_ptr<obs::Heartbeat> heartbeat;
};

struct Worker {
  std::string name;
  std::function<void(const std::atomic<bool>&)> body;
};


class Host final : public ServiceContext {
 public:
  Host(CommonConfig common, Service& service) : common_(std::move(common)), service_(service) {}

  int run() {
    auto level = log::parse_level(common_.log_level);
    log::init(common_.service, level ? *level : log::Level::kInfo);
    log::info("starting", {{"service", common_.service}});

    metrics_ = std::make_unique<obs::ServiceMetrics>(common_.service);
    admin_ = std::make_unique<obs::AdminServer>(obs::AdminServer::Options{
        .address = common_.admin_address, .port = common_.admin_port,
        .registry = metrics_->shared_registry()});
    if (auto s = admin_->start(); !s) return fail("admin server", s.error());
    log::info("admin server listening", {{"address", common_.admin_address},
                                         {"port", static_cast<int64_t>(admin_->port())}});

    auto ring = signing::KeyRing::from_file(common_.keys_file);
    if (!ring) return fail("key ring " + common_.keys_file, ring.error());
    ring_ = std::make_shared<const signing::KeyRing>(std::move(*ring));
    log::info("key ring loaded", {{"keys", ring_->describe()}});
    auto signer = signing::Signer::create(ring_, common_.service, clock());
    if (!signer) return fail("signer", signer.error());
    signer_.emplace(std::move(*signer));
    verifier_.emplace(ring_, signing::FreshnessWindow{
                                 .max_age_ns = common_.max_age.count() * kNanosPerMilli,
                                 .max_future_ns = common_.max_future.count() * kNanosPerMilli});

    bus::JetStreamOptions nats;
    nats.servers = common_.nats_urls;
    nats.name = common_.service;
    nats.user = common_.nats_user;
    nats.password = common_.nats_password;
    nats.max_in_flight = common_.max_in_flight;
    nats.publish_ack_timeout_ns = common_.publish_ack_timeout.count() * kNanosPerMilli;
    nats.send_asap = common_.send_asap;
    auto transport = bus::JetStreamTransport::connect(nats);
    if (!transport) return fail("nats", transport.error());
    transport_ = std::move(*transport);
    for (const auto& stream : topology::streams()) {
      if (auto s = transport_->ensure_stream(stream); !s) return fail("stream " + stream.name, s.error());
    }
    (void)admin_->add_readiness_check("broker", [this] { return transport_->connected(); });
    log::info("connected to nats", {{"url", common_.nats_urls.front()}});

    auto db = store::Database::connect({.connection_string = database_connection_string(common_)});
    if (!db) return fail("database", db.error());
    db_ = std::move(*db);
    std::vector<store::MigrationSet> sets{checkpoint_migrations()};
    for (auto& set : service_.migrations()) sets.push_back(std::move(set));
    for (const auto& set : sets) {
      auto report = store::apply_migrations(*db_, set);
      if (!report) return fail("migrations " + set.component, report.error());
    }
    db_ok_ = true;
    (void)admin_->add_readiness_check("database", [this] { return db_ok_.load(); });
    log::info("database ready", {{"database", db_->description()}});

    publisher_metrics_ = std::make_unique<PublisherMetrics>(*metrics_, common_.service);
    publisher_ = std::make_unique<bus::Publisher>(*transport_, *signer_, clock(),
                                                  publisher_metrics_.get());

    if (auto s = service_.start(*this); !s) return fail("start", s.error());
    if (auto s = restore_checkpoint(); !s) return fail("checkpoint", s.error());
    if (auto s = bind_inputs(); !s) return fail("consumers", s.error());
    (void)admin_->add_readiness_check("consumers", [this] { return consumers_bound_.load(); });
    admin_->set_liveness_check([this]() -> Status {
      for (const auto& in : inputs_)
        if (auto s = in->heartbeat->check(in->spec.durable); !s) return s;
      return ok();
    });

    // Signals are taken by sigwait on this thread only.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    std::vector<std::thread> threads;
    for (auto& in : inputs_) {
      threads.emplace_back([this, input = in.get()] {
        while (!stop_.load()) {
          if (input->reposition) {
            if (auto s = bind_input(*input); !s) {
              log::warn("cannot reposition consumer", {{"consumer", input->spec.durable},
                                                       {"error", s.error().to_string()}});
              std::this_thread::sleep_for(std::chrono::milliseconds(500));
              continue;
            }
            log::info("consumer repositioned after an abandoned batch",
                      {{"consumer", input->spec.durable}});
          }
          if (input->spec.accepting) {
            std::unique_lock lock(batch_mutex_);
            if (!input->spec.accepting()) {
              // Wait for another input's batch to move the core on.
              progress_.wait_for(lock, std::chrono::milliseconds(50));
              input->heartbeat->beat();
              continue;
            }
          }
          auto polled = input->loop->poll_once();
          input->heartbeat->beat();
          if (!polled) {
            log::warn("consumer batch failed", {{"consumer", input->spec.durable},
                                                {"error", polled.error().to_string()}});
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
          }
        }
      });
    }
    consumers_bound_ = true;
    for (auto& w : workers_) {
      threads.emplace_back([this, worker = &w] {
        worker->body(stop_);
        log::info("worker finished", {{"worker", worker->name}});
      });
    }
    log::info("running", {{"inputs", static_cast<int64_t>(inputs_.size())},
                          {"workers", static_cast<int64_t>(workers_.size())}});

    int sig = 0;
    sigwait(&signals, &sig);
    log::info("stopping", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    stop_ = true;
    consumers_bound_ = false;
    for (auto& t : threads) t.join();
    if (auto s = publisher_->flush(5 * kNanosPerSecond); !s)
      log::error("final flush failed", {{"error", s.error().to_string()}});
    service_.stop();
    admin_->stop();
    log::info("stopped");
    log::flush();
    return 0;
  }

  // ServiceContext
  const CommonConfig& common() const override { return common_; }
  const Clock& clock() const override { return SystemClock::instance(); }
  bus::Transport& transport() override { return *transport_; }
  bus::Publisher& publisher() override { return *publisher_; }
  store::Database& database() override { return *db_; }
  obs::ServiceMetrics& metrics() override { return *metrics_; }
  obs::AdminServer& admin() override { return *admin_; }
  const signing::Signer& signer() const override { return *signer_; }

  void add_input(InputSpec spec, bus::Handler handler) override {
    auto in = std::make_unique<Input>();
    in->spec = std::move(spec);
    in->handler = std::move(handler);
    inputs_.push_back(std::move(in));
  }
  void add_worker(std::string name, std::function<void(const std::atomic<bool>&)> body) override {
    workers_.push_back({std::move(name), std::move(body)});
  }
  void set_checkpointed(Checkpointed& core) override { core_ = &core; }
  void add_readiness_check(std::string name, std::function<bool()> check) override {
    (void)admin_->add_readiness_check(std::move(name), std::move(check));
  }

 private:
  int fail(const std::string& what, const Error& e) {
    log::critical("start-up failed", {{"step", what}, {"error", e.to_string()}});
    log::flush();
    std::cerr << common_.service << ": " << what << ": " << e.to_string() << "\n";
    return kRuntimeFailure;
  }

  Status restore_checkpoint() {
    if (!core_) return ok();
    checkpoints_.emplace(*db_, common_.service);
    auto saved = checkpoints_->load();
    if (!saved) return std::unexpected(saved.error());
    if (*saved) {
      if (auto s = core_->restore((*saved)->snapshot); !s) return s;
      applied_ = (*saved)->applied;
      log::info("checkpoint restored", {{"bytes", static_cast<int64_t>((*saved)->snapshot.size())}});
    }
    committed_ = {core_->snapshot(), applied_};
    return ok();
  }

  // Skips what a checkpoint already covers; records what it applies. A
  // transient failure abandons the rest of the batch, so the stream is still
  // applied in order when it comes back (unless the message is at its last
  // delivery: the loop dead-letters it and the stream moves on).
  bus::Handler track_applied(const std::string& durable, bus::Handler inner) {
    return [this, durable, inner = std::move(inner)](const bus::Received& r) {
      uint64_t& last = applied_[durable];
      if (core_ && r.stream_sequence <= last) return bus::HandleResult::ok();
      if (core_ && batch_failed_) return bus::HandleResult::retry("an earlier message of the batch failed");
      auto result = inner(r);
      if (core_ && result.kind() == bus::HandleResult::Kind::kRetry &&
          static_cast<int64_t>(r.num_delivered) < common_.max_deliver) {
        batch_failed_ = true;
        return result;
      }
      last = r.stream_sequence;
      dirty_ = true;
      return result;
    };
  }

  Status commit() {
    progress_.notify_all();
    if (batch_failed_) {
      batch_failed_ = false;
      return make_error(ErrorCode::kUnavailable, "batch abandoned after a transient failure");
    }
    if (!core_ || !dirty_) return ok();
    Checkpoint cp{core_->snapshot(), applied_};
    auto saved = checkpoints_->save(cp, [this](pqxx::work& tx) { return core_->persist(tx); });
    db_ok_ = saved.has_value() || !is_transient(saved.error().code);
    if (!saved) return saved;
    committed_ = std::move(cp);
    dirty_ = false;
    return ok();
  }

  void abandon() {
    batch_failed_ = false;
    if (!core_) return;
    core_->discard_pending();
    if (auto s = core_->restore(committed_.snapshot); !s)
      log::critical("cannot roll back to the last checkpoint", {{"error", s.error().to_string()}});
    applied_ = committed_.applied;
    dirty_ = false;
  }

  // (Re)creates an input's durable consumer at the first sequence its
  // checkpoint has not applied, then its consumer loop. The checkpoint, not
  // the broker's ack state, is the source of truth for a stateful service:
  // messages a crashed process fetched but never applied come back at once
  // and in order, instead of after ack_wait behind newer ones.
  Status bind_input(Input& in) {
    bus::ConsumerConfig cc;
    cc.stream = in.spec.stream;
    cc.durable = in.spec.durable;
    cc.filter_subject = in.spec.filter_subject;
    cc.ack_wait_ns = common_.ack_wait.count() * kNanosPerMilli;
    cc.max_deliver = common_.max_deliver;
    // In-order application across redeliveries (docs/pipeline.md).
    cc.max_ack_pending = common_.batch_size;
    if (core_) {
      uint64_t applied;
      {
        std::lock_guard lock(batch_mutex_);
        applied = applied_[cc.durable];
      }
      cc.start_sequence = applied + 1;
      in.loop.reset();
      if (auto s = transport_->delete_consumer(cc.stream, cc.durable); !s) return s;
    }
    if (auto s = transport_->ensure_consumer(cc); !s) return s;
    auto sub = transport_->subscribe(cc);
    if (!sub) return std::unexpected(sub.error());
    if (!in.metrics) in.metrics = std::make_unique<ConsumerMetrics>(*metrics_, cc.stream, cc.durable);
    if (!in.heartbeat)
      in.heartbeat = std::make_unique<obs::Heartbeat>(clock(), std::chrono::seconds(60));
    bus::ConsumerLoopOptions o;
    o.batch_size = static_cast<int>(common_.batch_size);
    o.fetch_timeout_ns = common_.fetch_timeout.count() * kNanosPerMilli;
    o.replay = {.window_ns = common_.max_age.count() * kNanosPerMilli,
                .capacity = static_cast<size_t>(common_.replay_capacity)};
    o.batch_mutex = &batch_mutex_;
    o.before_settle = [this] { return commit(); };
    o.on_abandon = [this, input = &in] {
      abandon();
      input->reposition = true;
    };
    const std::string durable = cc.durable;
    o.on_error = [durable](const Error& e) {
      log::warn("consumer error", {{"consumer", durable}, {"error", e.to_string()}});
    };
    in.loop = std::make_unique<bus::ConsumerLoop>(std::move(*sub), *verifier_, *publisher_,
                                                  track_applied(cc.durable, in.handler), clock(),
                                                  std::move(o), in.metrics.get());
    in.reposition = false;
    return ok();
  }

  Status bind_inputs() {
    for (auto& in : inputs_)
      if (auto s = bind_input(*in); !s) return s;
    return ok();
  }

  CommonConfig common_;
  Service& service_;
  std::unique_ptr<obs::ServiceMetrics> metrics_;
  std::unique_ptr<obs::AdminServer> admin_;
  std::shared_ptr<const signing::KeyRing> ring_;
  std::optional<signing::Signer> signer_;
  std::optional<signing::Verifier> verifier_;
  std::unique_ptr<bus::JetStreamTransport> transport_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<PublisherMetrics> publisher_metrics_;
  std::unique_ptr<bus::Publisher> publisher_;
  std::vector<std::unique_ptr<Input>> inputs_;
  std::vector<Worker> workers_;
  Checkpointed* core_ = nullptr;
  std::optional<CheckpointStore> checkpoints_;
  std::map<std::string, uint64_t> applied_;
  Checkpoint committed_;
  bool dirty_ = false;
  bool batch_failed_ = false;
  std::mutex batch_mutex_;
  std::condition_variable progress_;  // a batch was applied (or abandoned)
  std::atomic<bool> stop_{false};
  std::atomic<bool> consumers_bound_{false};
  std::atomic<bool> db_ok_{false};
};

void print_usage(const std::string& name) {
  std::cout << "usage: " << name << " [--config FILE] [--check-config]\n"
            << "  --config FILE    JSON config (docs/configuration.md); TP_* variables override it\n"
            << "  --check-config   validate the configuration and exit (0 = valid, 2 = errors)\n";
}

}  // namespace

int run_service(int argc, char** argv, std::unique_ptr<Service> service) {
  const std::string name = service->name();
  std::optional<std::string> config_path;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (arg == "--check-config") {
      check_only = true;
    } else if (arg == "--help" || arg == "-h") {
      print_usage(name);
      return 0;
    } else {
      std::cerr << name << ": unknown argument '" << arg << "'\n";
      print_usage(name);
      return config::kConfigErrorExitCode;
    }
  }
  auto env = config::process_environment();
  config::Document doc = config_path ? config::or_exit(config::load_file(*config_path, env))
                                     : config::environment_only(env);
  config::Reader reader(doc);
  CommonConfig common = read_common_config(reader, name);
  service->read_config(reader);
  config::or_exit(reader.finish());
  if (check_only) {
    std::cout << reader.describe();
    return 0;
  }
  Host host(std::move(common), *service);
  return host.run();
}

std::string database_connection_string(const CommonConfig& common) {
  if (common.database_password.empty()) return common.database_connection;
  std::string quoted = "'";
  for (char c : common.database_password) {
    if (c == '\'' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return common.database_connection + " password=" + quoted + "'";
}

}  // namespace tp::runtime
