#include "revision.h"

#include <time.h>

#include <cstdio>
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

Result<RevisionMeta> DecodeLogRecord(std::string_view line) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::Corruption("history record is not JSON");
  }
  RevisionMeta m;
  try {
    m.id = j.at("id").get<uint64_t>();
    m.time_ms = j.at("time_ms").get<int64_t>();
    m.size = j.at("size").get<uint64_t>();
    m.hash = std::stoull(j.at("hash").get<std::string>(), nullptr, 16);
    m.author = j.at("author").get<std::string>();
    m.summary = j.at("summary").get<std::string>();
    m.fib_n = j.at("fib_n").get<int>();
    m.fib = j.at("fib").get<uint64_t>();
  } catch (const std::exception& e) {
    return Status::Corruption(std::string("history record: ") + e.what());
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
