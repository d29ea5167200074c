// article-server: one FastCGI worker process of the mini-Wikipedia.
//
// Started by spawn-fcgi (through multiwatch, which restarts it if it dies)
// with the listening socket as fd 0:
//   article-server --config /etc/wiki/article-server.ini
// Scripts read a setting through the same parser (after the same checks):
//   article-server --config FILE --print server.max_body_bytes
// and the build id a rollout compares with GET /metrics:
//   article-server --build-id
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "article_store.h"
#include "build_info.h"
#include "config.h"
#include "fcgi_server.h"
#include "handler.h"
#include "metrics.h"

int main(int argc, char** argv) {
  std::string config_path = "/etc/wiki/article-server.ini";
  const char* print_key = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
      config_path = argv[++i];
    } else if (std::strcmp(argv[i], "--print") == 0 && i + 1 < argc) {
      print_key = argv[++i];
    } else if (std::strcmp(argv[i], "--build-id") == 0) {
      std::printf("%s\n", wiki::BuildId().c_str());
      return 0;
    } else {
      std::fprintf(stderr,
                   "usage: %s [--config FILE] [--print SECTION.KEY] | "
                   "--build-id\n",
                   argv[0]);
      return 2;
    }
  }
  auto config = wiki::LoadConfig(config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "article-server: %s\n",
                 config.status().ToString().c_str());
    return 1;
  }
  if (print_key != nullptr) {
    auto value = wiki::ConfigValue(*config, print_key);
    if (!value.ok()) {
      std::fprintf(stderr, "article-server: %s\n",
                   value.status().ToString().c_str());
      return 2;
    }
    std::printf("%s\n", value->c_str());
    return 0;
  }
  // A client that hangs up mid-response must not kill the worker.
  signal(SIGPIPE, SIG_IGN);

  wiki::Status s = wiki::Metrics::Global().Attach(config->metrics_file);
  if (!s.ok()) {
    std::fprintf(stderr, "article-server: metrics disabled: %s\n",
                 s.ToString().c_str());
  }
  wiki::StoreOptions store_options;
  store_options.plain_revisions = config->plain_revisions;
  store_options.pack_revisions = config->pack_revisions;
  store_options.generation_file = config->generation_file;
  auto store =
      wiki::ArticleStore::Open(config->data_dir, config->title, store_options);
  if (!store.ok()) {
    std::fprintf(stderr, "article-server: %s\n",
                 store.status().ToString().c_str());
    return 1;
  }
  (*store)->StartPacker();
  (*store)->StartRecheck();
  // The derived files' directory (often tmpfs, emptied by a reboot); a
  // failure here shows up as the front cache turning itself off.
  s = wiki::CreateDir(config->CacheDir(), 0755);
  if (!s.ok()) {
    std::fprintf(stderr, "article-server: %s\n", s.ToString().c_str());
  }
  wiki::Handler handler(*config, store->get());
  return wiki::ServeFastCgi(*config, &handler);
}
