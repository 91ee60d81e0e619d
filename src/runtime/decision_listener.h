#pragma once
// Told what became of each message a caller waits on (RecordBatch::request), on the thread
// driving the pipeline, while the batch is processed: the pre-authorization API answers from
// it (preauth/preauth_source.h). Views are valid during the call only.
#include <cstdint>
#include <string_view>

#include "core/status.h"
#include "decide/decider.h"
#include "decode/field_values.h"

namespace pixguard {

class DecisionListener {
 public:
  virtual ~DecisionListener() = default;
  // Dead-lettered: the field and rule a dead letter carries.
  virtual void rejected(int64_t position, const Rejection& why) = 0;
  // Its end_to_end_id was seen before (within dedupe.horizon): not decided again.
  virtual void duplicate(int64_t position, std::string_view end_to_end_id) = 0;
  // Decided (`decision`, by `model_version`): `answer` is the JSON object a caller receives
  // (RecordEncoder::answer), whose "features" member starts at `features_at` (left out
  // unless the caller asked for it).
  virtual void decided(int64_t position, std::string_view end_to_end_id, const Decision& decision,
                       std::string_view model_version, std::string_view answer, std::size_t features_at) = 0;
  // The batch's requests are all decided (the calls above are done); its records go to the
  // sinks next, so answers need not wait for them. An error fails the batch.
  virtual Status batch_decided() = 0;
};

}  // namespace pixguard
