#pragma once
// The synthetic Pix stream (generator.h) as a Source: the embedded default of `pixguard run`.
// Position: the number of messages produced; seek() regenerates up to it (the generator is
// deterministic, so the messages that follow are the same as in the first run).
#include <memory>
#include <string>

#include "sources/generator.h"
#include "sources/source.h"

namespace pixguard {

class GeneratorSource final : public Source {
 public:
  explicit GeneratorSource(const GeneratorOptions& options);

  const std::string& name() const override { return name_; }
  Status read(RecordBatch* batch, std::size_t max_records, bool* end) override;
  std::string position() const override { return std::to_string(generator_->produced()); }
  Status seek(std::string_view position) override;

 private:
  GeneratorOptions options_;
  std::unique_ptr<Generator> generator_;
  std::string name_ = "generator";
  std::string message_;
};

}  // namespace pixguard
