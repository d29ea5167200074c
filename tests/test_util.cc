#include "test_util.h"

#include <brotli/decode.h>
#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "fs_posix.h"

namespace wiki {
namespace testing {

namespace {
bool g_skipped = false;  // test cases run one at a time
}  // namespace

void Skip(const std::string& reason) {
  g_skipped = true;
  std::printf("SKIPPED: %s: %s\n",
              doctest::getContextOptions()->currentTest->m_name,
              reason.c_str());
  std::fflush(stdout);
}

namespace internal {
void ResetSkip() { g_skipped = false; }
bool Skipped() { return g_skipped; }
}  // namespace internal

TempDir::TempDir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
  REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void Spit(const std::string& path, const std::string& data, bool append) {
  std::ofstream out(
      path, std::ios::binary | (append ? std::ios::app : std::ios::trunc));
  out << data;
  REQUIRE(out.good());
}

bool Exists(const std::string& path) {
  return ::access(path.c_str(), F_OK) == 0;
}

std::vector<std::string> Names(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> TempFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const std::string& n : Names(dir)) {
    if (n.rfind(kTempPrefix, 0) == 0) out.push_back(n);
  }
  return out;
}

std::string Gunzip(const std::string& gz) {
  z_stream zs{};
  REQUIRE(inflateInit2(&zs, 15 + 16) == Z_OK);
  std::string out(8 << 20, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  zs.next_out = reinterpret_cast<Bytef*>(&out[0]);
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = inflate(&zs, Z_FINISH);
  out.resize(out.size() - zs.avail_out);
  inflateEnd(&zs);
  CHECK(rc == Z_STREAM_END);
  return out;
}

std::string Unbrotli(const std::string& br) {
  std::string out(8 << 20, '\0');
  size_t size = out.size();
  const BrotliDecoderResult rc = BrotliDecoderDecompress(
      br.size(), reinterpret_cast<const uint8_t*>(br.data()), &size,
      reinterpret_cast<uint8_t*>(&out[0]));
  CHECK(rc == BROTLI_DECODER_RESULT_SUCCESS);
  out.resize(rc == BROTLI_DECODER_RESULT_SUCCESS ? size : 0);
  return out;
}

}  // namespace testing
}  // namespace wiki
