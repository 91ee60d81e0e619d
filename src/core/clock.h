#pragma once
// The wall clock as Unix microseconds (checkpoint stamps, metrics ages, alert times).
#include <chrono>
#include <cstdint>

namespace pixguard {

inline int64_t unix_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace pixguard
