#include "revision.h"

#include <time.h>

#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>

namespace wiki {

namespace {

std::string Hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx",
                static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

bool ParseRevisionId(std::string_view s, uint64_t* id) {
  if (s.empty() || s.size() > 19 ||
      s.find_first_not_of("0123456789") != std::string_view::npos) {
    return false;
  }
  uint64_t v = 0;
  for (char c : s) v = v * 10 + static_cast<uint64_t>(c - '0');
  *id = v;
  return true;
}

int64_t NowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

std::string RevisionMeta::RawETag() const {
  return "\"r" + std::to_string(id) + "-" + Hex(hash) + "\"";
}

std::string RevisionMeta::PageETag() const {
  return "\"p" + std::to_string(id) + "-" + Hex(hash) + "\"";
}

uint64_t HashBytes(std::string_view data) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

std::string EncodeLogRecord(const RevisionMeta& m) {
  nlohmann::json j = {
      {"id", m.id},           {"time", FormatIsoTime(m.time_ms)},
      {"time_ms", m.time_ms}, {"size", m.size},
      {"hash", Hex(m.hash)},  {"author", m.author},
      {"summary", m.summary}, {"fib_n", m.fib_n},
      {"fib", m.fib}};
  // Invalid UTF-8 in author/summary must not make dump() throw: replace it.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
         "\n";
}

namespace {

// An integer field that fits T exactly. nlohmann's get<T>() converts
// floats and out-of-range integers with a plain cast (undefined for a
// float beyond T's range, found by fuzzing), so the type and range are
// checked here first.
template <typename T>
bool GetInteger(const nlohmann::json& j, const char* key, T* out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return false;
  if (it->is_number_unsigned()) {
    uint64_t u = it->get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<T>::max())) return false;
    *out = static_cast<T>(u);
    return true;
  }
  int64_t i = it->get<int64_t>();
  if (i < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
      (i > 0 && static_cast<uint64_t>(i) >
                    static_cast<uint64_t>(std::numeric_limits<T>::max()))) {
    return false;
  }
  *out = static_cast<T>(i);
  return true;
}

// 1 to 16 hex digits, nothing else (std::stoull would also take signs,
// spaces and "0x").
bool ParseHash(const nlohmann::json& j, uint64_t* out) {
  auto it = j.find("hash");
  if (it == j.end() || !it->is_string()) return false;
  const std::string& s = it->get_ref<const std::string&>();
  if (s.empty() || s.size() > 16) return false;
  uint64_t v = 0;
  for (char c : s) {
    int d = (c >= '0' && c <= '9')   ? c - '0'
            : (c >= 'a' && c <= 'f') ? c - 'a' + 10
            : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                     : -1;
    if (d < 0) return false;
    v = v << 4 | static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}

bool GetString(const nlohmann::json& j, const char* key, std::string* out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return false;
  *out = it->get<std::string>();
  return true;
}

}  // namespace

Result<RevisionMeta> DecodeLogRecord(std::string_view line) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::Corruption("history record is not JSON");
  }
  RevisionMeta m;
  if (!GetInteger(j, "id", &m.id) || !GetInteger(j, "time_ms", &m.time_ms) ||
      !GetInteger(j, "size", &m.size) || !ParseHash(j, &m.hash) ||
      !GetString(j, "author", &m.author) ||
      !GetString(j, "summary", &m.summary) ||
      !GetInteger(j, "fib_n", &m.fib_n) || !GetInteger(j, "fib", &m.fib)) {
    return Status::Corruption("history record: a field is missing or invalid");
  }
  return m;
}

std::string FormatIsoTime(int64_t time_ms) {
  time_t t = static_cast<time_t>(time_ms / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string FormatHttpDate(int64_t time_ms) {
  time_t t = static_cast<time_t>(time_ms / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  static const char* kDays[] = {"Sun", "Mon", "Tue", "Wed",
                                "Thu", "Fri", "Sat"};
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT",
                kDays[tm.tm_wday], tm.tm_mday, kMonths[tm.tm_mon],
                tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

}  // namespace wiki
