#pragma once
// Counts of observations in fixed buckets, as Prometheus histograms want them: counts[i]
// holds values <= kBounds[i] and above the bound before it; the last, values above every
// bound. `Buckets` names the bounds (a static constexpr std::array kBounds).
#include <array>
#include <cstdint>

namespace pixguard {

template <typename Buckets>
struct Histogram {
  static constexpr auto kBounds = Buckets::kBounds;
  std::array<uint64_t, kBounds.size() + 1> counts{};
  uint64_t count = 0;
  double sum = 0;

  void observe(double value, uint64_t times = 1) {
    std::size_t i = 0;
    while (i < kBounds.size() && value > kBounds[i]) ++i;
    counts[i] += times;
    count += times;
    sum += value * static_cast<double>(times);
  }
};

}  // namespace pixguard
