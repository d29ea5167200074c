// The stack as an ordinary user runs it: as root, the launcher, nginx and
// the workers are started as "nobody" (the paths of conf/wikistack that
// `make run` takes for a developer: no `user` line, no socket owner, no
// raised rlimit); as an ordinary user, as that user. The root-only rows
// that cannot run this way (the full-disk test mounts a tmpfs) are reported
// as skipped by doctest::skip when not root.
#include <doctest/doctest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "http_client.h"
#include "itest_util.h"
#include "stack.h"
#include "test_util.h"

namespace wiki {
namespace {

using testing::GetRaw;
using testing::Put;
using testing::Raw;
using testing::ToId;

TEST_CASE("An ordinary user's stack serves, takes edits and stops clean") {
  Stack::Options o;
  o.wiki_set = "server.shed_after_ms=0 massage.fib_n=20";
  uid_t expected_owner = ::geteuid();
  if (::geteuid() == 0) {
    o.user = "nobody";
    const passwd* pw = ::getpwnam("nobody");
    REQUIRE(pw != nullptr);
    expected_owner = pw->pw_uid;
  }
  CAPTURE(o.user);
  auto stack = Stack::Start(o);
  REQUIRE(stack != nullptr);
  HttpClient client;
  const std::string url = stack->ArticleUrl();
  Raw before = GetRaw(client, url);
  REQUIRE(before.status == 200);
  const std::string body = before.body + "<p>Edited by an ordinary user.</p>\n";
  auto put = Put(client, url, body, before.etag);
  REQUIRE(put.ok());
  CHECK(put->status == 200);
  const uint64_t rev = ToId(put->Header("x-revision"));
  CHECK(rev == before.rev + 1);
  Raw after = GetRaw(client, url);
  CHECK(after.body == body);
  auto page = client.Get(url);
  REQUIRE(page.ok());
  CHECK(page->status == 200);
  CHECK(page->body.find("Edited by an ordinary user.") != std::string::npos);
  // The worker wrote the revision as that user.
  struct stat st;
  REQUIRE(
      ::stat((stack->data_dir() + "/revisions/" + std::to_string(rev) + ".html")
                 .c_str(),
             &st) == 0);
  CHECK(st.st_uid == expected_owner);
  CHECK(stack->Stop());
}

}  // namespace
}  // namespace wiki
