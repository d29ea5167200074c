// Packing old revisions through the real stack: a small plain window
// (article.plain_revisions=3, pack_revisions=4) so that a few dozen edits
// make the workers' background packer write packs, then every ?oldid= is
// checked byte for byte (raw) and as a page, from both workers, also after
// a restart of the stack on the same data dir.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "http_client.h"
#include "itest_util.h"
#include "stack.h"
#include "test_util.h"

namespace wiki {
namespace {

using testing::GetRaw;
using testing::Names;
using testing::Put;
using testing::Raw;
using testing::ToId;

constexpr char kSettings[] =
    "article.plain_revisions=3 article.pack_revisions=4 "
    "server.shed_after_ms=0 massage.fib_n=20";

size_t CountPacks(const std::string& data_dir) {
  auto names = Names(data_dir + "/packs");
  return static_cast<size_t>(
      std::count_if(names.begin(), names.end(), [](const std::string& n) {
        return n.size() > 5 && n.compare(n.size() - 5, 5, ".pack") == 0;
      }));
}

// Every revision 1..texts.size() is served byte-exact (raw), and as a page.
void CheckEveryOldid(HttpClient& client, const std::string& url,
                     const std::vector<std::string>& texts) {
  for (size_t i = 0; i < texts.size(); ++i) {
    const uint64_t id = i + 1;
    CAPTURE(id);
    Raw raw = GetRaw(client, url, id);
    CHECK(raw.status == 200);
    CHECK(raw.rev == id);
    CHECK(raw.body == texts[i]);
    auto page = client.Get(url + "?oldid=" + std::to_string(id));
    REQUIRE(page.ok());
    CHECK(page->status == 200);
    CHECK(page->Header("x-revision") == std::to_string(id));
  }
  CHECK(GetRaw(client, url, texts.size() + 1).status == 404);
}

TEST_CASE(
    "Packing: every ?oldid stays byte-exact once old revisions are packed") {
  Stack::Options o;
  o.wiki_set = kSettings;
  auto stack = Stack::Start(o);
  REQUIRE(stack != nullptr);
  HttpClient client;
  const std::string url = stack->ArticleUrl();
  Raw first = GetRaw(client, url);
  REQUIRE(first.status == 200);
  REQUIRE(first.rev == 1);
  std::vector<std::string> texts = {first.body};
  std::string etag = first.etag;
  // 31 revisions: 1..28 lie below the 3 plain ones, 7 packs of 4.
  for (int i = 2; i <= 31; ++i) {
    std::string body = texts.back();
    const size_t at = body.rfind("</p>");
    body.insert(at == std::string::npos ? body.size() : at,
                " (packing edit " + std::to_string(i) + ")");
    auto put = Put(client, url, body, etag);
    REQUIRE(put.ok());
    REQUIRE(put->status == 200);
    REQUIRE(ToId(put->Header("x-revision")) == static_cast<uint64_t>(i));
    etag = put->Header("etag");
    texts.push_back(body);
  }
  // The packer runs in the background after the acknowledgments: wait for
  // its work (bounded), not for a time.
  const std::string data = stack->data_dir();
  for (int tries = 0;
       tries < 300 &&
       (CountPacks(data) < 7 || testing::Exists(data + "/revisions/28.html"));
       ++tries) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(CountPacks(data) == 7);
  CHECK(testing::Exists(data + "/packs/25-28.pack"));
  CHECK_FALSE(testing::Exists(data + "/revisions/1.html"));
  CHECK_FALSE(testing::Exists(data + "/revisions/28.html"));
  CHECK(testing::Exists(data + "/revisions/29.html"));
  CHECK(testing::Exists(data + "/revisions/31.html"));
  CHECK(testing::TempFiles(data + "/packs").empty());
  // Twice: nginx spreads the requests over both workers.
  CheckEveryOldid(client, url, texts);
  CheckEveryOldid(client, url, texts);
  CHECK(stack->Stop());

  // A new stack on the same data dir (recovery opens the packs).
  o.data_dir = data;
  auto again = Stack::Start(o);
  REQUIRE(again != nullptr);
  HttpClient client2;
  CheckEveryOldid(client2, again->ArticleUrl(), texts);
  CHECK(again->Stop());
}

}  // namespace
}  // namespace wiki
