#pragma once
// Owning wrappers for libxgboost's C API handles and its errors, shared by the trainer and
// the table scorer. Internal to src/train: the C API's handles and error strings are turned
// into Status here and never leave the module.
#include <xgboost/c_api.h>

#include <string>

#include "core/status.h"

namespace pixguard::xgb {

// The library's message for the call that just failed (thread-local inside libxgboost).
inline Status error(const std::string& what) {
  const char* message = XGBGetLastError();
  return Status::InvalidArgument("libxgboost: " + what + ": " + (message != nullptr ? message : "unknown error"));
}

class DMatrix {
 public:
  DMatrix() = default;
  ~DMatrix() {
    if (handle_ != nullptr) XGDMatrixFree(handle_);
  }
  DMatrix(const DMatrix&) = delete;
  DMatrix& operator=(const DMatrix&) = delete;
  DMatrixHandle* out() { return &handle_; }
  DMatrixHandle get() const { return handle_; }

 private:
  DMatrixHandle handle_ = nullptr;
};

class Booster {
 public:
  Booster() = default;
  ~Booster() {
    if (handle_ != nullptr) XGBoosterFree(handle_);
  }
  Booster(const Booster&) = delete;
  Booster& operator=(const Booster&) = delete;
  BoosterHandle* out() { return &handle_; }
  BoosterHandle get() const { return handle_; }

 private:
  BoosterHandle handle_ = nullptr;
};

// "1.7.4": the library actually linked, for model cards.
inline std::string version() {
  int major = 0, minor = 0, patch = 0;
  XGBoostVersion(&major, &minor, &patch);
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

}  // namespace pixguard::xgb
