#include "regime_grpc.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "promotion.h"
#include "tp/observability/log.h"
#include "tp/rpc/grpc_server.h"

namespace tp::regime {

namespace {

using rpc::to_grpc;

grpc::Status starting() { return rpc::starting("regime"); }

grpc::Status invalid(const std::string& text) { return {grpc::StatusCode::INVALID_ARGUMENT, text}; }

}  // namespace

trading::v1::ModelInfo to_model_info(const ModelRecord& m) {
  trading::v1::ModelInfo info;
  info.set_version(m.version);
  info.set_name(m.name);
  info.set_states(static_cast<uint32_t>(m.states));
  auto features = hmm::FeatureSpec::parse(m.features);
  if (features)
    for (auto f : features->features) info.add_features(std::string(hmm::to_string(f)));
  info.set_covariance(m.covariance);
  try {
    const auto metrics = nlohmann::json::parse(m.metrics);
    info.set_train_log_likelihood(metrics.value("train_log_likelihood", 0.0));
    if (metrics.contains("validation_log_likelihood") && metrics["validation_log_likelihood"].is_number())
      info.set_validation_log_likelihood(metrics["validation_log_likelihood"].get<double>());
    info.set_bic(metrics.value("bic", 0.0));
  } catch (const std::exception&) {
    // Metrics are informational; a version with unreadable metrics still loads.
  }
  info.set_train_from_ns(m.train_from_ns);
  info.set_train_to_ns(m.train_to_ns);
  info.set_code_version(m.code_version);
  info.set_promoted(m.promoted);
  info.set_parameters_json(m.parameters);
  return info;
}

Result<std::shared_ptr<const HmmModelVersion>> RegimeGrpcService::version(const std::string& name) {
  {
    std::lock_guard lock(cache_mu_);
    if (auto it = cache_.find(name); it != cache_.end()) return it->second;
  }
  auto loaded = registry_.load(name);
  if (!loaded) return loaded;
  std::lock_guard lock(cache_mu_);
  cache_.emplace(name, *loaded);
  return loaded;
}

grpc::Status RegimeGrpcService::Train(grpc::ServerContext*, const trading::v1::TrainRequest* req,
                                      trading::v1::TrainResponse* resp) {
  if (!serving_) return starting();
  if (req->instrument().venue().empty() || req->instrument().symbol().empty() || req->timeframe().empty())
    return invalid("instrument (venue, symbol) and timeframe are required");
  TrainSpec spec;
  spec.fit = defaults_.fit;
  spec.validation_fraction = defaults_.validation_fraction;
  if (req->states() != 0) spec.fit.states = static_cast<int>(req->states());
  if (req->seed() != 0) spec.fit.seed = req->seed();
  if (!req->covariance().empty()) {
    auto type = hmm::parse_covariance_type(req->covariance());
    if (!type) return to_grpc(type.error());
    spec.fit.covariance = *type;
  }
  if (req->features_size() > 0) {
    std::string list;
    for (const auto& f : req->features()) list += (list.empty() ? "" : ",") + f;
    auto features = hmm::FeatureSpec::parse(list);
    if (!features) return to_grpc(features.error());
    spec.features = *features;
  }
  BarRange range{req->instrument().venue(), req->instrument().symbol(), req->timeframe(), req->from_ns(),
                 req->to_ns() == 0 ? INT64_MAX : req->to_ns()};
  auto bars = registry_.bars(range);
  if (!bars) return to_grpc(bars.error());
  auto trained = train_model(*bars, spec);
  if (!trained) return to_grpc(trained.error());
  auto record = make_record(*trained, "db:" + range.venue + "/" + range.symbol + "/" + range.timeframe);
  if (auto added = registry_.add(record); !added) return to_grpc(added.error());
  auto stored = registry_.get(record.version);
  if (!stored) return to_grpc(stored.error());
  *resp->mutable_model() = to_model_info(*stored);
  log::info("regime model trained", {{"version", record.version},
                                     {"bars", static_cast<int64_t>(bars->size())},
                                     {"states", record.states},
                                     {"features", record.features}});
  return grpc::Status::OK;
}

grpc::Status RegimeGrpcService::Predict(grpc::ServerContext*, const trading::v1::PredictRequest* req,
                                        trading::v1::PredictResponse* resp) {
  if (!serving_) return starting();
  std::string name = req->model_version();
  if (name.empty()) {
    auto promoted = registry_.promoted();
    if (!promoted) return to_grpc(promoted.error());
    if (!*promoted) return {grpc::StatusCode::FAILED_PRECONDITION, "no regime model has been promoted"};
    name = **promoted;
  }
  auto v = version(name);
  if (!v) return to_grpc(v.error());
  const auto& model = *(*v)->model();
  const int k = model.states(), d = model.dimension();
  if (req->features_size() != d)
    return invalid("model " + name + " takes " + std::to_string(d) + " features (" + (*v)->spec().names() +
                   "), got " + std::to_string(req->features_size()));
  Eigen::VectorXd x(d);
  for (int i = 0; i < d; ++i) {
    x[i] = req->features(i);
    if (!std::isfinite(x[i])) return invalid("feature " + std::to_string(i) + " is not finite");
  }
  // The prior is the state distribution of the previous bar: the prediction
  // for this bar is prior x transition. Without one, the start distribution.
  hmm::GaussianHmm stepped = model;
  if (req->prior_size() > 0) {
    if (req->prior_size() != k)
      return invalid("prior must have " + std::to_string(k) + " state probabilities, got " +
                     std::to_string(req->prior_size()));
    Eigen::VectorXd prior(k);
    double sum = 0;
    for (int i = 0; i < k; ++i) {
      prior[i] = req->prior(i);
      if (!(prior[i] >= 0) || !std::isfinite(prior[i])) return invalid("prior probabilities must be >= 0");
      sum += prior[i];
    }
    if (std::abs(sum - 1.0) > 1e-6) return invalid("prior probabilities must sum to 1");
    stepped.start = (prior.transpose() * model.transition).transpose();
    stepped.start /= stepped.start.sum();
  }
  auto filter = hmm::ForwardFilter::make(std::make_shared<const hmm::GaussianHmm>(std::move(stepped)));
  if (!filter) return to_grpc(filter.error());
  const Eigen::VectorXd& posterior = filter->update(x);
  RegimeEstimate e = (*v)->estimate(posterior);
  auto* p = resp->mutable_posterior();
  p->set_p_bull(e.p_bull);
  p->set_p_bear(e.p_bear);
  p->set_p_chop(e.p_chop);
  p->set_most_likely(e.most_likely);
  p->set_model_version(name);
  for (int i = 0; i < k; ++i) resp->add_state_probabilities(posterior[i]);
  return grpc::Status::OK;
}

grpc::Status RegimeGrpcService::GetModel(grpc::ServerContext*, const trading::v1::GetModelRequest* req,
                                         trading::v1::ModelInfo* resp) {
  if (!serving_) return starting();
  auto record = registry_.get(req->version());
  if (!record) return to_grpc(record.error());
  *resp = to_model_info(*record);
  return grpc::Status::OK;
}

grpc::Status RegimeGrpcService::ListModels(grpc::ServerContext*, const trading::v1::ListModelsRequest*,
                                           trading::v1::ListModelsResponse* resp) {
  if (!serving_) return starting();
  auto records = registry_.list();
  if (!records) return to_grpc(records.error());
  for (const auto& r : *records) *resp->add_models() = to_model_info(r);
  return grpc::Status::OK;
}

grpc::Status RegimeGrpcService::Promote(grpc::ServerContext*, const trading::v1::PromoteRequest* req,
                                        trading::v1::PromoteResponse* resp) {
  if (!serving_) return starting();
  if (req->version().empty()) return invalid("version is required");
  if (req->operator_().empty()) return invalid("operator is required");
  {
    std::lock_guard lock(publish_mu_);
    auto event = promote_model(registry_, promotions_, req->version(), req->operator_());
    if (!event) return to_grpc(event.error());
  }
  auto record = registry_.get(req->version());
  if (!record) return to_grpc(record.error());
  *resp->mutable_model() = to_model_info(*record);
  log::info("regime model promoted", {{"version", req->version()}, {"operator", req->operator_()}});
  return grpc::Status::OK;
}

}  // namespace tp::regime
