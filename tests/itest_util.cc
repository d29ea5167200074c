#include "itest_util.h"

#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <thread>
#include <utility>

namespace wiki {
namespace testing {

ReadFlood::ReadFlood(const std::string& article_url, int threads) {
  // The current page and raw text are served by nginx from the front cache;
  // the old revisions and the history reach the workers. Each thread cycles
  // through all of them, so a flood always loads the app too.
  const std::vector<std::string> targets = {
      article_url, article_url + "?oldid=1", article_url + "?action=raw",
      article_url + "?action=raw&oldid=1",
      article_url + "?action=history&format=json"};
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this, targets, i] {
      HttpClient client;
      client.set_timeout_ms(15000);
      for (size_t n = static_cast<size_t>(i); !stop_.load(); ++n) {
        auto r = client.Get(targets[n % targets.size()]);
        long status = r.ok() ? r->status : 0;
        std::lock_guard<std::mutex> l(mu_);
        ++by_status_[status];
        if (status != 200 && first_failure_.empty()) {
          first_failure_ = r.ok() ? std::to_string(status) + " " + r->body
                                  : r.status().ToString();
        }
      }
    });
  }
}

void ReadFlood::Stop() {
  stop_.store(true);
  for (auto& t : threads_) t.join();
  threads_.clear();
}

int ReadFlood::Count(long status) {
  std::lock_guard<std::mutex> l(mu_);
  return by_status_[status];
}

int ReadFlood::Failed() {
  std::lock_guard<std::mutex> l(mu_);
  int n = 0;
  for (auto& [status, count] : by_status_) n += status == 200 ? 0 : count;
  return n;
}

std::string ReadFlood::FirstFailure() {
  std::lock_guard<std::mutex> l(mu_);
  return first_failure_;
}

uint64_t ToId(const std::string& s) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos)
    return 0;
  return std::strtoull(s.c_str(), nullptr, 10);
}

bool IsShed(const HttpResponse& r) {
  return r.status == 503 && r.Header("retry-after") == "1" &&
         r.Header("x-wiki-shed") == "1";
}

Result<HttpResponse> GetRetrying(HttpClient& client, const std::string& url) {
  for (int i = 0;; ++i) {
    auto r = client.Get(url);
    if (i == 20 || !r.ok() || !IsShed(*r)) return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

Raw GetRaw(HttpClient& client, const std::string& article_url, uint64_t oldid) {
  std::string url = article_url + "?action=raw";
  if (oldid != 0) url += "&oldid=" + std::to_string(oldid);
  auto r = GetRetrying(client, url);
  Raw out;
  if (!r.ok()) return out;
  out.status = r->status;
  out.rev = ToId(r->Header("x-revision"));
  out.etag = r->Header("etag");
  out.body = std::move(r->body);
  return out;
}

Result<HttpResponse> Put(HttpClient& client, const std::string& url,
                         const std::string& body, const std::string& if_match) {
  HttpRequest req;
  req.method = "PUT";
  req.url = url;
  req.headers = {{"Content-Type", "text/html"}, {"If-Match", if_match}};
  req.body = body;
  req.has_body = true;
  return client.Send(req);
}

std::vector<uint64_t> HistoryIds(HttpClient& client, const std::string& url) {
  auto r = GetRetrying(client, url + "?action=history&format=json");
  std::vector<uint64_t> ids;
  if (!r.ok() || r->status != 200) return ids;
  auto doc = nlohmann::json::parse(r->body, nullptr, false);
  if (doc.is_discarded() || !doc.contains("revisions")) return ids;
  for (const auto& rev : doc["revisions"])
    ids.push_back(rev.value("id", uint64_t{0}));
  return ids;
}

void StartGate::ArriveAndWait() {
  std::unique_lock<std::mutex> lock(mu_);
  if (--waiting_ == 0) {
    cv_.notify_all();
  } else {
    cv_.wait(lock, [&] { return waiting_ == 0; });
  }
}

}  // namespace testing
}  // namespace wiki
