// Checkpoints against a real PostgreSQL.
#include "tp/runtime/checkpoint.h"

#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "tp/testing/postgres_server.h"

namespace tp::runtime {
namespace {

class CheckpointTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto pg = tp::testing::PostgresServer::start();
    ASSERT_TRUE(pg) << pg.error().to_string();
    server_ = pg->release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    static int n = 0;
    auto conn = server_->create_database("cp" + std::to_string(++n));
    ASSERT_TRUE(conn) << conn.error().to_string();
    auto db = store::Database::connect({.connection_string = *conn});
    ASSERT_TRUE(db) << db.error().to_string();
    db_ = std::move(*db);
    ASSERT_TRUE(store::apply_migrations(*db_, checkpoint_migrations()));
  }
  static tp::testing::PostgresServer* server_;
  std::unique_ptr<store::Database> db_;
};
tp::testing::PostgresServer* CheckpointTest::server_ = nullptr;

TEST_F(CheckpointTest, FirstStartHasNoCheckpoint) {
  CheckpointStore store(*db_, "signal");
  auto loaded = store.load();
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  EXPECT_FALSE(loaded->has_value());
}

TEST_F(CheckpointTest, SaveAndLoadRoundTripBinarySnapshotsAndSequences) {
  CheckpointStore store(*db_, "signal");
  std::string snapshot("\x00\x01\xff state", 10);
  ASSERT_TRUE(store.save({snapshot, {{"signal-bars", 42}, {"signal-params", 7}}}));
  ASSERT_TRUE(store.save({snapshot + "!", {{"signal-bars", 43}, {"signal-params", 7}}}));
  auto loaded = store.load();
  ASSERT_TRUE(loaded && loaded->has_value());
  EXPECT_EQ((*loaded)->snapshot, snapshot + "!");
  EXPECT_EQ((*loaded)->applied.at("signal-bars"), 43u);
  EXPECT_EQ((*loaded)->applied.at("signal-params"), 7u);
  CheckpointStore other(*db_, "decision");
  EXPECT_FALSE(other.load()->has_value());
}

TEST_F(CheckpointTest, DomainRowsCommitOrRollBackWithTheCheckpoint) {
  ASSERT_TRUE(db_->execute("CREATE TABLE fills (id text PRIMARY KEY)"));
  CheckpointStore store(*db_, "execsim");
  ASSERT_TRUE(store.save({"s1", {{"execsim-orders", 1}}}, [](pqxx::work& tx) -> Status {
    tx.exec("INSERT INTO fills VALUES ('f1')");
    return ok();
  }));
  auto failed = store.save({"s2", {{"execsim-orders", 2}}}, [](pqxx::work& tx) -> Status {
    tx.exec("INSERT INTO fills VALUES ('f2')");
    return make_error(ErrorCode::kInvalidArgument, "rejected by the core");
  });
  ASSERT_FALSE(failed);
  auto loaded = store.load();
  EXPECT_EQ((*loaded)->snapshot, "s1");
  auto count = db_->transact_value<int64_t>([](pqxx::work& tx) -> Result<int64_t> {
    return tx.exec1("SELECT count(*) FROM fills")[0].as<int64_t>();
  });
  EXPECT_EQ(*count, 1);
}

}  // namespace
}  // namespace tp::runtime
