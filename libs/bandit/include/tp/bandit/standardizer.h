// Running feature standardisation for bandit contexts: per-feature mean and
// variance by Welford's algorithm, applied with the statistics *before* the
// context being standardised (frozen per decision), so the standardised
// vector a decision used can be recorded and learned from later, exactly.
//
//   tp::bandit::Standardizer s({.dimension = 6, .passthrough = {5}});  // bias copied
//   std::vector<double> z(6);
//   s.standardize(raw, z);   // with the statistics of earlier contexts
//   s.observe(raw);          // then fold this context in
//
// Rule for feature j (not passthrough), with n_j finite observations so far,
// mean m_j and sample variance s_j^2 = M2_j / (n_j - 1):
//   z_j = clamp((x_j - m_j) / s_j, -clip, clip)   if n_j >= min_observations and s_j^2 > 0
//   z_j = 0                                       otherwise, or when x_j is not finite
// so before a feature has a usable scale it carries no information (the
// model then learns through the passthrough bias only: context-free TS).
// Passthrough features are copied (0 when not finite). Non-finite values
// are not observed.
//
// Determinism: plain IEEE arithmetic in a fixed order, no FMA contraction;
// snapshot() stores the bits. Thread-safety: const methods are reentrant.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tp/core/error.h"

namespace tp::bandit {

struct StandardizerOptions {
  int dimension = 0;
  std::vector<int> passthrough;  // feature indices copied as they are (e.g. the bias)
  double clip = 5.0;             // > 0
  int64_t min_observations = 2;  // >= 2
  [[nodiscard]] Status validate() const;
};

class Standardizer {
 public:
  [[nodiscard]] static Result<Standardizer> create(const StandardizerOptions& options);

  const StandardizerOptions& options() const { return options_; }
  // out.size() == raw.size() == dimension (precondition).
  void standardize(std::span<const double> raw, std::span<double> out) const;
  std::vector<double> standardize(std::span<const double> raw) const;
  void observe(std::span<const double> raw);

  int64_t count(int j) const { return n_[static_cast<size_t>(j)]; }
  double mean(int j) const { return mean_[static_cast<size_t>(j)]; }
  // Sample standard deviation (0 with fewer than 2 observations).
  double stddev(int j) const;
  double m2(int j) const { return m2_[static_cast<size_t>(j)]; }

  // {"format":"tp.bandit.standardizer","version":1,"dimension":d,"n":[..],
  //  "mean":hex,"m2":hex}
  std::string snapshot() const;
  // kDataLoss for a corrupt snapshot, kFailedPrecondition for another dimension.
  [[nodiscard]] static Result<Standardizer> restore(std::string_view snapshot,
                                                    const StandardizerOptions& options);

 private:
  explicit Standardizer(const StandardizerOptions& options);
  StandardizerOptions options_;
  std::vector<bool> pass_;
  std::vector<int64_t> n_;
  std::vector<double> mean_, m2_;
};

}  // namespace tp::bandit
