#include "config.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace wiki {
namespace {

TEST_CASE("config: defaults") {
  auto c = ParseConfig("");
  REQUIRE(c.ok());
  CHECK(c->title == "Latest_plane_crash");
  CHECK(c->massage == MassageMode::kPerRevision);
  CHECK(c->fib_n == 34);
  CHECK(c->merge == MergeMode::kWord);
  CHECK(c->max_article_bytes == 2u * 1024 * 1024);
  CHECK(c->max_body_bytes() == 3u * 2 * 1024 * 1024 + 65536);
  CHECK(c->metrics_file == "/var/lib/wiki/.metrics");
  CHECK(c->generation_file == "/var/lib/wiki/.generation");
  CHECK(c->shed_after_ms == 30);  // as the shipped file says
}

TEST_CASE("config: --print values, as the INI spells them") {
  auto c = ParseConfig(
      "[article]\ntitle = T\nmax_article_bytes = 4096\n"
      "plain_revisions = 9\npack_revisions = 0\n"
      "[edit]\nmerge = off\n[massage]\nmode = per-request\n"
      "[server]\nthreads = 7\n[server]\nthreads = 8\n");
  REQUIRE(c.ok());
  struct Row {
    const char* key;
    const char* value;
  };
  for (const Row& row : std::vector<Row>{
           {"article.title", "T"},
           {"article.max_article_bytes", "4096"},
           {"article.plain_revisions", "9"},
           {"article.pack_revisions", "0"},
           {"article.data_dir", "/var/lib/wiki"},
           {"article.cache_dir", "/var/lib/wiki"},  // default: data_dir
           {"article.generation_file", "/var/lib/wiki/.generation"},
           {"edit.merge", "off"},
           {"massage.mode", "per-request"},
           {"massage.fib_n", "34"},
           {"server.threads", "8"},  // the last occurrence
           {"server.shed_after_ms", "30"},
           {"server.metrics_file", "/var/lib/wiki/.metrics"},
           {"server.accel_redirect", ""},
           {"server.accel_min_bytes", "65536"},
           {"server.max_body_bytes", "77824"},  // 3 x 4096 + 64 KiB
       }) {
    CAPTURE(row.key);
    auto v = ConfigValue(*c, row.key);
    REQUIRE(v.ok());
    CHECK(*v == row.value);
  }
  for (const char* bad : {"title", "article.nope", "", "server.threads.x"}) {
    CAPTURE(bad);
    CHECK(ConfigValue(*c, bad).status().code() == Status::Code::kNotFound);
  }
}

TEST_CASE("config: the shipped conf/article-server.ini parses") {
  auto c = LoadConfig("conf/article-server.ini");
  REQUIRE_MESSAGE(c.ok(), c.status().ToString());
  CHECK(c->massage == MassageMode::kPerRevision);
  CHECK(c->fib_n == 34);
}

TEST_CASE("config: values and the last occurrence wins") {
  auto c = ParseConfig(
      "[article]\ndata_dir = /a\ndata_dir = /b\nmax_article_bytes = 4096\n"
      "[massage]\nmode = per-request\nfib_n = 20\n"
      "[edit]\nmerge = line\n[edit]\nmerge = off\n"
      "[server]\nthreads = 8\nshed_after_ms = 0\nmetrics_file = /m\n"
      "accel_min_bytes = 0\n");
  REQUIRE_MESSAGE(c.ok(), c.status().ToString());
  CHECK(c->data_dir == "/b");
  CHECK(c->CacheDir() == "/b");  // follows the data_dir given last
  auto own = ParseConfig("[article]\ndata_dir = /a\ncache_dir = /run/w\n");
  REQUIRE(own.ok());
  CHECK(own->CacheDir() == "/run/w");
  CHECK(*ConfigValue(*own, "article.cache_dir") == "/run/w");
  CHECK(c->max_article_bytes == 4096);
  CHECK(c->massage == MassageMode::kPerRequest);
  CHECK(c->fib_n == 20);
  CHECK(c->merge == MergeMode::kOff);
  CHECK(c->threads == 8);
  CHECK(c->shed_after_ms == 0);
  CHECK(c->metrics_file == "/m");
  CHECK(c->accel_min_bytes == 0);
}

TEST_CASE("config: edge caches, comma-separated host:port") {
  auto none = ParseConfig("");
  REQUIRE(none.ok());
  CHECK(none->edge_caches.empty());
  CHECK(*ConfigValue(*none, "edge.caches") == "");
  auto c = ParseConfig(
      "[edge]\ncaches = 127.0.0.1:8081, edge2.example:80,[::1]:8082\n"
      "timeout_ms = 150\n");
  REQUIRE_MESSAGE(c.ok(), c.status().ToString());
  CHECK(c->edge_caches == std::vector<std::string>{"127.0.0.1:8081",
                                                   "edge2.example:80",
                                                   "[::1]:8082"});
  CHECK(c->edge_timeout_ms == 150);
  CHECK(*ConfigValue(*c, "edge.caches") ==
        "127.0.0.1:8081,edge2.example:80,[::1]:8082");
  auto cleared = ParseConfig("[edge]\ncaches = a:1\ncaches =\n");
  REQUIRE(cleared.ok());
  CHECK(cleared->edge_caches.empty());
}

TEST_CASE("config: errors name the key") {
  struct Row {
    const char* ini;
    const char* message;
  };
  const std::vector<Row> rows = {
      {"[massage]\nmode = sometimes\n", "mode"},
      {"[massage]\nfib_n = 46\n", "fib_n"},
      {"[massage]\nfib_n = -1\n", "fib_n"},
      {"[massage]\nfib_n = 3x\n", "fib_n"},
      {"[edit]\nmerge = maybe\n", "merge"},
      {"[article]\ntitle = a/b\n", "title"},
      {"[article]\ntitle =\n", "title"},
      {"[article]\ncache_dir =\n", "cache_dir"},
      {"[article]\nmax_article_bytes = 10\n", "max_article_bytes"},
      {"[article]\nplain_revisions = 1\n", "plain_revisions"},
      {"[article]\npack_revisions = 5000\n", "pack_revisions"},
      {"[article]\ngeneration_file =\n", "generation_file"},
      {"[server]\nthreads = 0\n", "threads"},
      {"[server]\nthread = 4\n", "unknown key"},
      {"[edge]\ncaches = nohost\n", "caches"},
      {"[edge]\ncaches = a:1,b:0\n", "caches"},
      {"[edge]\ncaches = :80\n", "caches"},
      {"[edge]\ntimeout_ms = 5\n", "timeout_ms"},
      {"[nope]\nx = 1\n", "unknown section"},
      {"not an ini line\n", "1"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.ini);
    auto c = ParseConfig(row.ini);
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().code() == Status::Code::kInvalidArgument);
    CHECK(c.status().message().find(row.message) != std::string::npos);
  }
  CHECK(LoadConfig("/nonexistent/wiki.ini").status().code() ==
        Status::Code::kIOError);
}

}  // namespace
}  // namespace wiki
