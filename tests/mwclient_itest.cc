// Real MediaWiki clients against the real stack: Debian's python3-mwclient
// (tests/mwclient_test.py) reads, edits with a summary, edits from a stale
// base and collides, all through /w/api.php; and the API's wire shapes as
// MediaWiki documents them (errors with MediaWiki-API-Error, formatversion).
#include <doctest/doctest.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "http_client.h"
#include "itest_util.h"
#include "stack.h"

namespace wiki {
namespace {

using testing::RawExchange;
using testing::RawRequest;
using testing::RawResponse;

// A stack without load shedding: these check API shapes, and on a busy
// machine the app's 503 for a read that queued too long would fail them.
std::unique_ptr<Stack> StartStack() {
  Stack::Options o;
  o.wiki_set = testing::kNoShed;
  return Stack::Start(o);
}

TEST_CASE("python3-mwclient reads and edits through /w/api.php") {
  auto stack = StartStack();
  REQUIRE(stack != nullptr);
  // Debian's interpreter: the package lives in its dist-packages.
  const std::string cmd = "/usr/bin/python3 tests/mwclient_test.py " +
                          std::to_string(stack->port()) + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int rc = ::pclose(p);
  INFO(out);
  CHECK(rc == 0);
  CHECK(out.find("\n0 failed") != std::string::npos);
}

TEST_CASE("/w/api.php answers in MediaWiki's shapes") {
  auto stack = StartStack();
  REQUIRE(stack != nullptr);
  HttpClient client;
  const std::string api = stack->BaseUrl() + "/w/api.php";

  auto fv2 = client.Get(api +
                        "?action=query&prop=revisions&titles=Latest_plane_crash"
                        "&rvprop=content|ids&rvslots=main&format=json"
                        "&formatversion=2");
  REQUIRE(fv2.ok());
  CHECK(fv2->status == 200);
  auto j = nlohmann::json::parse(fv2->body, nullptr, false);
  REQUIRE(j.is_object());
  const auto& rev = j["query"]["pages"][0]["revisions"][0];
  CHECK(rev["revid"] == 1);
  CHECK(rev["slots"]["main"]["content"].get<std::string>().size() > 1000);

  auto missing =
      client.Get(api + "?action=query&prop=info&titles=Other&format=json");
  REQUIRE(missing.ok());
  j = nlohmann::json::parse(missing->body, nullptr, false);
  CHECK(j["query"]["pages"]["-1"]["missing"] == "");

  auto get_edit = client.Get(api + "?action=edit&title=Latest_plane_crash");
  REQUIRE(get_edit.ok());
  CHECK(get_edit->status == 200);
  CHECK(get_edit->Header("mediawiki-api-error") == "mustbeposted");

  auto bad = client.PostForm(api, {{"action", "edit"},
                                   {"format", "json"},
                                   {"title", "Latest_plane_crash"},
                                   {"text", "x"},
                                   {"baserevid", "1"},
                                   {"token", "abc"}});
  REQUIRE(bad.ok());
  CHECK(bad->Header("mediawiki-api-error") == "badtoken");
  j = nlohmann::json::parse(bad->body, nullptr, false);
  CHECK(j["error"]["code"] == "badtoken");

  // sha1 and revids; an old revision by timestamp.
  auto sha = client.Get(api +
                        "?action=query&prop=revisions&revids=1"
                        "&rvprop=sha1|timestamp|ids&format=json");
  REQUIRE(sha.ok());
  j = nlohmann::json::parse(sha->body, nullptr, false);
  const nlohmann::json r1 = j["query"]["pages"]["1"]["revisions"][0];
  CHECK(r1["revid"] == 1);
  CHECK(r1["sha1"].get<std::string>().size() == 40);
  auto by_time =
      client.Get(api +
                 "?action=query&prop=revisions&titles=Latest_plane_crash"
                 "&rvstart=" +
                 r1["timestamp"].get<std::string>() +
                 "&rvprop=ids|sha1&format=json&formatversion=2");
  REQUIRE(by_time.ok());
  j = nlohmann::json::parse(by_time->body, nullptr, false);
  CHECK(j["query"]["pages"][0]["revisions"][0]["sha1"] == r1["sha1"]);

  // appendtext, then the same text again: nochange, no new revision.
  auto appended = client.PostForm(api, {{"action", "edit"},
                                        {"format", "json"},
                                        {"formatversion", "2"},
                                        {"title", "Latest_plane_crash"},
                                        {"appendtext", "<p>Appended.</p>\n"},
                                        {"token", "+\\"}});
  REQUIRE(appended.ok());
  j = nlohmann::json::parse(appended->body, nullptr, false);
  CHECK(j["edit"]["result"] == "Success");
  CHECK(j["edit"]["newrevid"] == 2);
  auto raw = client.Get(stack->ArticleUrl() + "?action=raw");
  REQUIRE(raw.ok());
  auto same = client.PostForm(api, {{"action", "edit"},
                                    {"format", "json"},
                                    {"formatversion", "2"},
                                    {"title", "Latest_plane_crash"},
                                    {"text", raw->body},
                                    {"baserevid", "2"},
                                    {"token", "+\\"}});
  REQUIRE(same.ok());
  j = nlohmann::json::parse(same->body, nullptr, false);
  CHECK(j["edit"]["nochange"] == true);
  CHECK(!j["edit"].contains("newrevid"));
  auto info = client.Get(api +
                         "?action=query&prop=info&titles=Latest_plane_crash"
                         "&format=json&formatversion=2");
  REQUIRE(info.ok());
  j = nlohmann::json::parse(info->body, nullptr, false);
  CHECK(j["query"]["pages"][0]["lastrevid"] == 2);
}

// nginx's limit_req refuses a burst of writes from one address (127.0.0.1
// is exempt by design, so the client binds to 127.0.0.2): on /w/api.php in
// MediaWiki's error shape, on /w/rest.php in the REST one, elsewhere in
// plain text as before.
TEST_CASE("/w/api.php: a rate-limited write is MediaWiki's ratelimited") {
  auto stack = StartStack();
  REQUIRE(stack != nullptr);
  const std::string body =
      "action=edit&format=json&title=Latest_plane_crash&baserevid=1"
      "&text=x&token=abc";  // badtoken when let through: changes nothing
  const std::string post =
      RawRequest("POST", "/w/api.php",
                 "Content-Type: application/x-www-form-urlencoded\r\n"
                 "Content-Length: " +
                     std::to_string(body.size()) + "\r\n") +
      body;
  int limited = 0, passed = 0;
  for (int i = 0; i < 40; ++i) {  // far over 2/s with a burst of 10
    RawResponse r = RawExchange(*stack, post, "127.0.0.2");
    CHECK(r.status == 200);
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    REQUIRE(j.is_object());
    CAPTURE(r.head);
    if (j["error"]["code"] == "ratelimited") {
      ++limited;
      CHECK(r.head.find("MediaWiki-API-Error: ratelimited\r\n") !=
            std::string::npos);
      CHECK(r.head.find("Content-Type: application/json") != std::string::npos);
      CHECK(r.head.find("Retry-After: 1\r\n") != std::string::npos);
      CHECK(!j["error"]["info"].get<std::string>().empty());
    } else {
      ++passed;
      CHECK(j["error"]["code"] == "badtoken");
    }
  }
  CHECK(limited >= 20);
  CHECK(passed >= 1);
  // The same address, still limited: the REST API answers 429 in its shape,
  // the reader's edit URL in plain text.
  const std::string json_body = "{}";
  RawResponse rest = RawExchange(
      *stack,
      RawRequest("PUT", "/w/rest.php/v1/page/Latest_plane_crash",
                 "Content-Type: application/json\r\nContent-Length: 2\r\n") +
          json_body,
      "127.0.0.2");
  CHECK(rest.status == 429);
  auto j = nlohmann::json::parse(rest.body, nullptr, false);
  REQUIRE(j.is_object());
  CHECK(j["httpCode"] == 429);
  CHECK(j["errorKey"] == "apierror-ratelimited");
  CHECK(rest.head.find("MediaWiki-API-Error") == std::string::npos);
  RawResponse wiki = RawExchange(
      *stack,
      RawRequest("PUT", "/wiki/Latest_plane_crash",
                 "Content-Type: text/html\r\nContent-Length: 9\r\n") +
          "<p>x</p>\n",
      "127.0.0.2");
  CHECK(wiki.status == 429);
  CHECK(wiki.head.find("Content-Type: text/plain") != std::string::npos);
  // 127.0.0.1 is never limited.
  CHECK(RawExchange(*stack, post).body.find("badtoken") != std::string::npos);
}

TEST_CASE("/w/index.php?title=... answers as /wiki/<title>?...") {
  auto stack = StartStack();
  REQUIRE(stack != nullptr);
  HttpClient client;
  const std::string index = stack->BaseUrl() + "/w/index.php?title=";
  auto direct = client.Get(stack->ArticleUrl() + "?action=raw&oldid=1");
  auto raw = client.Get(index + "Latest_plane_crash&action=raw&oldid=1");
  REQUIRE(direct.ok());
  REQUIRE(raw.ok());
  CHECK(raw->status == 200);
  CHECK(raw->Header("x-revision") == "1");
  CHECK(raw->body == direct->body);
  auto history = client.Get(index + "Latest_plane_crash&action=history");
  REQUIRE(history.ok());
  CHECK(history->status == 200);
  auto other = client.Get(index + "Paris&action=raw");
  REQUIRE(other.ok());
  CHECK(other->status == 404);
}

TEST_CASE("/w/rest.php/v1: page, history, PUT with latest.id, 409") {
  auto stack = StartStack();
  REQUIRE(stack != nullptr);
  HttpClient client;
  const std::string page =
      stack->BaseUrl() + "/w/rest.php/v1/page/Latest_plane_crash";
  auto got = client.Get(page);
  REQUIRE(got.ok());
  CHECK(got->status == 200);
  auto j = nlohmann::json::parse(got->body, nullptr, false);
  REQUIRE(j.is_object());
  CHECK(j["key"] == "Latest_plane_crash");
  const uint64_t latest = j["latest"]["id"].get<uint64_t>();
  const std::string source = j["source"].get<std::string>();
  auto put = [&](const std::string& text, uint64_t base) {
    HttpRequest r;
    r.method = "PUT";
    r.url = page;
    r.headers = {{"Content-Type", "application/json"}};
    r.body = nlohmann::json{{"source", text},
                            {"comment", "via REST"},
                            {"latest", {{"id", base}}}}
                 .dump();
    r.has_body = true;
    return client.Send(r);
  };
  auto saved = put(source + "<p>Added over REST.</p>\n", latest);
  REQUIRE(saved.ok());
  CHECK(saved->status == 200);
  j = nlohmann::json::parse(saved->body, nullptr, false);
  CHECK(j["latest"]["id"] == latest + 1);
  // The same line changed differently from the old base: 409, nothing lost.
  auto clash = put(source + "<p>Something else.</p>\n", latest);
  REQUIRE(clash.ok());
  CHECK(clash->status == 409);
  j = nlohmann::json::parse(clash->body, nullptr, false);
  CHECK(j["httpCode"] == 409);
  auto raw = client.Get(stack->ArticleUrl() + "?action=raw");
  REQUIRE(raw.ok());
  CHECK(raw->body == source + "<p>Added over REST.</p>\n");
  auto history = client.Get(page + "/history");
  REQUIRE(history.ok());
  j = nlohmann::json::parse(history->body, nullptr, false);
  CHECK(j["revisions"][0]["comment"] == "via REST");
}

}  // namespace
}  // namespace wiki
