#include "open_loop.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <string>

namespace wiki {
namespace loadtest {

Schedule::Schedule(double rate, double duration_s)
    : rate_(rate),
      count_(rate > 0 && duration_s > 0
                 ? static_cast<uint64_t>(std::floor(rate * duration_s + 1e-9))
                 : 0) {}

int64_t Schedule::IntendedNs(uint64_t i) const {
  return static_cast<int64_t>(std::floor(static_cast<double>(i) * 1e9 / rate_));
}

uint64_t Schedule::DueAt(int64_t elapsed_ns) const {
  if (elapsed_ns < 0 || count_ == 0) return 0;
  // A floating-point guess, then corrected against IntendedNs itself so
  // that the two always agree.
  double guess = std::floor(static_cast<double>(elapsed_ns) * rate_ / 1e9) + 1;
  uint64_t n = guess >= static_cast<double>(count_)
                   ? count_
                   : static_cast<uint64_t>(guess);
  while (n < count_ && IntendedNs(n) <= elapsed_ns) ++n;
  while (n > 0 && IntendedNs(n - 1) > elapsed_ns) --n;
  return n;
}

namespace {

constexpr uint64_t kExact = 1024;  // values below are their own bucket
constexpr int kSubBits = 9;        // 512 buckets per power of two above

int Log2(uint64_t v) { return 63 - __builtin_clzll(v); }

}  // namespace

size_t Histogram::BucketOf(uint64_t us) {
  if (us < kExact) return static_cast<size_t>(us);
  const int e = Log2(us);                   // >= 10
  const uint64_t m = us >> (e - kSubBits);  // 512..1023
  return static_cast<size_t>(kExact + (e - 10) * (1u << kSubBits) +
                             (m - (1u << kSubBits)));
}

uint64_t Histogram::UpperBound(size_t bucket) {
  if (bucket < kExact) return bucket;
  const size_t rest = bucket - kExact;
  const int e = static_cast<int>(rest >> kSubBits) + 10;
  const uint64_t m = (rest & ((1u << kSubBits) - 1)) + (1u << kSubBits);
  return ((m + 1) << (e - kSubBits)) - 1;
}

void Histogram::Record(uint64_t us) {
  const size_t b = BucketOf(us);
  if (b >= buckets_.size()) buckets_.resize(b + 1, 0);
  ++buckets_[b];
  ++count_;
  if (us > max_) max_ = us;
}

uint64_t Histogram::Percentile(double p) const {
  if (count_ == 0) return 0;
  uint64_t rank = static_cast<uint64_t>(std::ceil(p * count_));
  if (rank < 1) rank = 1;
  if (rank > count_) rank = count_;
  uint64_t seen = 0;
  for (size_t b = 0; b < buckets_.size(); ++b) {
    seen += buckets_[b];
    if (seen >= rank) {
      const uint64_t bound = UpperBound(b);
      return bound < max_ ? bound : max_;
    }
  }
  return max_;
}

size_t HeadLength(std::string_view data) {
  const size_t at = data.find("\r\n\r\n");
  return at == std::string_view::npos ? 0 : at + 4;
}

namespace {

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

ResponseHead ParseHead(std::string_view head, bool head_request) {
  ResponseHead r;
  // "HTTP/1.x NNN ..."
  if (head.size() < 12 || head.substr(0, 7) != "HTTP/1." || head[8] != ' ' ||
      !std::isdigit(static_cast<unsigned char>(head[9])) ||
      !std::isdigit(static_cast<unsigned char>(head[10])) ||
      !std::isdigit(static_cast<unsigned char>(head[11]))) {
    return r;
  }
  r.status = (head[9] - '0') * 100 + (head[10] - '0') * 10 + (head[11] - '0');
  r.close = head[7] == '0';  // HTTP/1.0 closes unless told otherwise
  bool have_length = false, chunked = false;
  size_t at = head.find("\r\n");
  while (at != std::string_view::npos && at + 2 < head.size()) {
    const size_t end = head.find("\r\n", at + 2);
    if (end == std::string_view::npos) break;
    std::string_view line = head.substr(at + 2, end - at - 2);
    at = end;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = Trim(line.substr(0, colon));
    const std::string_view value = Trim(line.substr(colon + 1));
    if (StartsWithNoCase(name, "content-length") && name.size() == 14) {
      if (value.empty() ||
          value.find_first_not_of("0123456789") != std::string_view::npos) {
        return r;
      }
      r.body_length = std::strtoull(std::string(value).c_str(), nullptr, 10);
      have_length = true;
    } else if (StartsWithNoCase(name, "transfer-encoding") &&
               name.size() == 17) {
      chunked = StartsWithNoCase(value, "chunked");
    } else if (StartsWithNoCase(name, "connection") && name.size() == 10) {
      if (StartsWithNoCase(value, "close")) r.close = true;
      if (StartsWithNoCase(value, "keep-alive")) r.close = false;
    }
  }
  const bool no_body =
      head_request || r.status / 100 == 1 || r.status == 204 || r.status == 304;
  if (no_body) {
    r.body_length = 0;
    r.ok = true;
  } else {
    r.ok = have_length && !chunked;
  }
  return r;
}

}  // namespace loadtest
}  // namespace wiki
