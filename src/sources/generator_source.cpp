#include "sources/generator_source.h"

#include <charconv>

namespace pixguard {

GeneratorSource::GeneratorSource(const GeneratorOptions& options)
    : options_(options), generator_(std::make_unique<Generator>(options)) {}

Status GeneratorSource::read(RecordBatch* batch, std::size_t max_records, bool* end) {
  *end = false;
  while (batch->size() < max_records) {
    message_.clear();
    const auto position = static_cast<int64_t>(generator_->produced()) + 1;
    if (!generator_->next(&message_)) {
      *end = true;
      break;
    }
    batch->add(message_, position);
  }
  return Status::Ok();
}

Status GeneratorSource::seek(std::string_view position) {
  uint64_t target = 0;
  if (std::from_chars(position.data(), position.data() + position.size(), target).ec != std::errc{}) {
    return Status::InvalidArgument("generator: bad position '" + std::string(position) + "'");
  }
  generator_ = std::make_unique<Generator>(options_);
  while (generator_->produced() < target) {
    message_.clear();
    if (!generator_->next(&message_)) break;
  }
  return Status::Ok();
}

}  // namespace pixguard
