#include "tp/bandit/standardizer.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "internal.h"

namespace tp::bandit {

Status StandardizerOptions::validate() const {
  if (dimension < 1) return make_error(ErrorCode::kInvalidArgument, "standardizer dimension must be >= 1");
  for (int j : passthrough)
    if (j < 0 || j >= dimension)
      return make_error(ErrorCode::kInvalidArgument,
                        "passthrough feature " + std::to_string(j) + " is out of range");
  if (!(std::isfinite(clip) && clip > 0))
    return make_error(ErrorCode::kInvalidArgument, "standardisation clip must be finite and > 0");
  if (min_observations < 2)
    return make_error(ErrorCode::kInvalidArgument, "min_observations must be >= 2");
  return ok();
}

Standardizer::Standardizer(const StandardizerOptions& options)
    : options_(options),
      pass_(static_cast<size_t>(options.dimension), false),
      n_(static_cast<size_t>(options.dimension), 0),
      mean_(static_cast<size_t>(options.dimension), 0.0),
      m2_(static_cast<size_t>(options.dimension), 0.0) {
  for (int j : options.passthrough) pass_[static_cast<size_t>(j)] = true;
}

Result<Standardizer> Standardizer::create(const StandardizerOptions& options) {
  if (auto s = options.validate(); !s) return std::unexpected(s.error());
  return Standardizer(options);
}

double Standardizer::stddev(int j) const {
  const auto n = n_[static_cast<size_t>(j)];
  return n < 2 ? 0.0 : std::sqrt(m2_[static_cast<size_t>(j)] / static_cast<double>(n - 1));
}

void Standardizer::standardize(std::span<const double> raw, std::span<double> out) const {
  const double c = options_.clip;
  for (size_t j = 0; j < raw.size(); ++j) {
    const double x = raw[j];
    if (!std::isfinite(x)) {
      out[j] = 0.0;
    } else if (pass_[j]) {
      out[j] = x;
    } else if (n_[j] >= options_.min_observations && m2_[j] > 0) {
      const double s = std::sqrt(m2_[j] / static_cast<double>(n_[j] - 1));
      out[j] = std::clamp((x - mean_[j]) / s, -c, c);
    } else {
      out[j] = 0.0;
    }
  }
}

std::vector<double> Standardizer::standardize(std::span<const double> raw) const {
  std::vector<double> out(raw.size());
  standardize(raw, out);
  return out;
}

void Standardizer::observe(std::span<const double> raw) {
  for (size_t j = 0; j < raw.size() && j < n_.size(); ++j) {
    const double x = raw[j];
    if (!std::isfinite(x)) continue;
    const int64_t n = ++n_[j];
    const double delta = x - mean_[j];
    mean_[j] += delta / static_cast<double>(n);
    m2_[j] += delta * (x - mean_[j]);
  }
}

std::string Standardizer::snapshot() const {
  nlohmann::json doc = {{"format", "tp.bandit.standardizer"},
                        {"version", 1},
                        {"dimension", options_.dimension},
                        {"n", n_},
                        {"mean", detail::to_hex(mean_)},
                        {"m2", detail::to_hex(m2_)}};
  return doc.dump();
}

Result<Standardizer> Standardizer::restore(std::string_view snapshot,
                                           const StandardizerOptions& options) {
  if (auto s = options.validate(); !s) return std::unexpected(s.error());
  auto corrupt = [](const std::string& why) {
    return make_error(ErrorCode::kDataLoss, "standardizer snapshot: " + why);
  };
  auto doc = nlohmann::json::parse(snapshot, nullptr, false);
  if (!doc.is_object() || doc.value("format", "") != "tp.bandit.standardizer")
    return corrupt("not a standardizer snapshot");
  if (doc.value("version", 0) != 1) return corrupt("unsupported version");
  try {
    const int d = doc.at("dimension").get<int>();
    if (d != options.dimension)
      return make_error(ErrorCode::kFailedPrecondition,
                        "standardizer snapshot: dimension " + std::to_string(d) +
                            " is not the configured " + std::to_string(options.dimension));
    Standardizer out(options);
    auto n = doc.at("n").get<std::vector<int64_t>>();
    auto mean = detail::from_hex(doc.at("mean").get<std::string>(), static_cast<size_t>(d));
    auto m2 = detail::from_hex(doc.at("m2").get<std::string>(), static_cast<size_t>(d));
    if (static_cast<int>(n.size()) != d || !mean || !m2) return corrupt("bad statistics");
    out.n_ = std::move(n);
    out.mean_ = std::move(*mean);
    out.m2_ = std::move(*m2);
    return out;
  } catch (const std::exception& e) {
    return corrupt(e.what());
  }
}

}  // namespace tp::bandit
