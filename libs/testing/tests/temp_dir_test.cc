#include "tp/testing/temp_dir.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tp/testing/free_port.h"

namespace tp::testing {
namespace {

namespace fs = std::filesystem;

TEST(TempDirTest, CreatesAPrivateDirectoryAndRemovesItWithItsContents) {
  std::string path;
  {
    auto dir = TempDir::create("tp-tempdir-test-");
    ASSERT_TRUE(dir) << dir.error().to_string();
    path = dir->path();
    EXPECT_TRUE(fs::is_directory(path));
    EXPECT_EQ(fs::path(path).filename().string().rfind("tp-tempdir-test-", 0), 0u);
    EXPECT_EQ(fs::status(path).permissions() & fs::perms::all, fs::perms::owner_all);
    fs::create_directories(path + "/a/b");
    std::ofstream(path + "/a/b/file.txt") << "data";
  }
  EXPECT_FALSE(fs::exists(path));
}

TEST(TempDirTest, TwoDirectoriesWithTheSamePrefixDiffer) {
  auto a = TempDir::create("tp-same-");
  auto b = TempDir::create("tp-same-");
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->path(), b->path());
}

TEST(TempDirTest, MoveTransfersOwnership) {
  auto dir = TempDir::create("tp-move-");
  ASSERT_TRUE(dir);
  std::string path = dir->path();
  {
    TempDir moved = std::move(*dir);
    EXPECT_EQ(moved.path(), path);
    EXPECT_EQ(dir->path(), "");
    EXPECT_TRUE(fs::exists(path));
  }
  EXPECT_FALSE(fs::exists(path));
}

TEST(TempDirTest, MoveAssignmentRemovesTheDirectoryItReplaces) {
  auto first = TempDir::create("tp-assign-");
  auto second = TempDir::create("tp-assign-");
  ASSERT_TRUE(first && second);
  std::string replaced = first->path();
  std::string kept = second->path();
  *first = std::move(*second);
  EXPECT_FALSE(fs::exists(replaced));
  EXPECT_EQ(first->path(), kept);
  EXPECT_TRUE(fs::exists(kept));
}

TEST(TempDirTest, RejectsAPrefixWithASlash) {
  auto dir = TempDir::create("a/b");
  ASSERT_FALSE(dir);
  EXPECT_EQ(dir.error().to_string(), "invalid_argument: temp dir prefix must not contain '/': a/b");
}

TEST(FreeLoopbackPortTest, ReturnsAPortThatCanBeBoundOnLoopback) {
  uint16_t port = free_loopback_port();
  ASSERT_GT(port, 0);
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ::close(fd);
}

}  // namespace
}  // namespace tp::testing
