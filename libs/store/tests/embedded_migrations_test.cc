// The CMake function tp_embed_sql_migrations() embeds
// tests/testdata/migrations into this binary; the embedded bytes must be the
// files' bytes exactly, or checksums would not match the files.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tp/migrations/store_testdata.h"

namespace tp::store {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::string kDir = std::string(TP_SOURCE_DIR) + "/libs/store/tests/testdata/migrations/";

TEST(EmbeddedMigrationsTest, EmbedsEveryFileInVersionOrderWithExactBytes) {
  MigrationSet set = tp::migrations::store_testdata_migrations();
  EXPECT_EQ(set.component, "store_testdata");
  ASSERT_EQ(set.migrations.size(), 2u);
  EXPECT_EQ(set.migrations[0].version, 1);
  EXPECT_EQ(set.migrations[0].name, "create_widgets");
  EXPECT_EQ(set.migrations[0].sql, read_file(kDir + "0001_create_widgets.sql"));
  EXPECT_EQ(set.migrations[1].version, 2);
  EXPECT_EQ(set.migrations[1].name, "add_widget_index");
  EXPECT_EQ(set.migrations[1].sql, read_file(kDir + "0002_add_widget_index.sql"));
  EXPECT_NE(set.migrations[0].sql.find("caf\xc3\xa9"), std::string::npos);
  EXPECT_TRUE(validate_migrations(set));
}

TEST(EmbeddedMigrationsTest, ChecksumIsTheFilesSha256) {
  MigrationSet set = tp::migrations::store_testdata_migrations();
  ASSERT_EQ(set.migrations.size(), 2u);
  // sha256sum libs/store/tests/testdata/migrations/0002_add_widget_index.sql
  EXPECT_EQ(sql_checksum(set.migrations[1].sql), "d4926be40b8cc19dc5d1a3193067703adf0aa3d480e33cfbd671935586e540ef");
}

}  // namespace
}  // namespace tp::store
