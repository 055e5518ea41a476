#include "crossq/train/reset_schedule.h"

#include <algorithm>

#include "crossq/core/error.h"

namespace crossq {

ResetSchedule::ResetSchedule(int64_t every, std::vector<int64_t> steps)
    : every_(every), next_periodic_(every > 0 ? every : -1), steps_(std::move(steps)) {
  std::sort(steps_.begin(), steps_.end());
  steps_.erase(std::unique(steps_.begin(), steps_.end()), steps_.end());
}

bool ResetSchedule::due(int64_t env_step) {
  bool hit = false;
  while (next_periodic_ > 0 && env_step >= next_periodic_) {
    hit = true;
    next_periodic_ += every_;
  }
  while (next_listed_ < steps_.size() && env_step >= steps_[next_listed_]) {
    hit = true;
    ++next_listed_;
  }
  return hit;
}

std::vector<int64_t> parse_reset_steps(const std::string& text) {
  std::vector<int64_t> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    std::string part = text.substr(pos, comma - pos);
    part.erase(0, part.find_first_not_of(' '));
    part.erase(part.find_last_not_of(' ') + 1);
    size_t used = 0;
    long long v = -1;
    try {
      v = std::stoll(part, &used);
    } catch (const std::logic_error&) {
      used = 0;
    }
    if (part.empty() || used != part.size() || v <= 0)
      throw usage_error("reset_steps: '" + part + "' is not a positive env step",
                        "write e.g. --reset-steps 15000,50000,250000");
    out.push_back(v);
    pos = comma + 1;
  }
  return out;
}

}  // namespace crossq
