#include "tp/testing/postgres_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <pqxx/pqxx>
#include <string>

namespace tp::testing {
namespace {

using ::testing::HasSubstr;

std::unique_ptr<PostgresServer> must_start() {
  auto server = PostgresServer::start();
  EXPECT_TRUE(server) << server.error().to_string();
  return server ? std::move(*server) : nullptr;
}

// Runs one statement and returns the first column of the first row, or the
// exception text: tests compare values, and a failure shows why.
std::string query_one(const std::string& conninfo, const std::string& sql) {
  try {
    pqxx::connection c(conninfo);
    pqxx::work w(c);
    pqxx::result r = w.exec(sql);
    w.commit();
    if (r.empty()) return "(no rows)";
    return r[0][0].is_null() ? "(null)" : r[0][0].c_str();
  } catch (const std::exception& e) {
    return std::string("error: ") + e.what();
  }
}

bool can_connect(const std::string& conninfo) {
  try {
    pqxx::connection c(conninfo + " connect_timeout=2");
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

TEST(PostgresServerTest, ServesOnLoopbackAsUserTp) {
  auto server = must_start();
  ASSERT_TRUE(server);
  EXPECT_EQ(server->connection_string(),
            "host=127.0.0.1 port=" + std::to_string(server->port()) + " user=tp dbname=postgres");
  EXPECT_EQ(query_one(server->connection_string(), "SELECT current_user"), "tp");
  EXPECT_EQ(query_one(server->connection_string(), "SHOW server_encoding"), "UTF8");
  EXPECT_EQ(query_one(server->connection_string(), "SHOW fsync"), "off");
  EXPECT_EQ(query_one(server->connection_string(), "SHOW listen_addresses"), "127.0.0.1");
  EXPECT_TRUE(server->running());
}

TEST(PostgresServerTest, CreatesDatabasesAndRejectsDuplicates) {
  auto server = must_start();
  ASSERT_TRUE(server);
  auto conninfo = server->create_database("ledger_test");
  ASSERT_TRUE(conninfo) << conninfo.error().to_string();
  EXPECT_EQ(*conninfo,
            "host=127.0.0.1 port=" + std::to_string(server->port()) + " user=tp dbname=ledger_test");
  EXPECT_EQ(query_one(*conninfo, "SELECT current_database()"), "ledger_test");

  auto again = server->create_database("ledger_test");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  EXPECT_THAT(again.error().message,
              HasSubstr("cannot create database ledger_test: ERROR:  database \"ledger_test\" "
                        "already exists"));
}

TEST(PostgresServerTest, RestartKeepsDataAndPort) {
  auto server = must_start();
  ASSERT_TRUE(server);
  const uint16_t port = server->port();
  const std::string db = server->connection_string();
  ASSERT_EQ(query_one(db, "CREATE TABLE fills(id int primary key, qty int); "
                          "INSERT INTO fills VALUES (1, 100) RETURNING qty"),
            "100");

  ASSERT_TRUE(server->stop());
  EXPECT_FALSE(server->running());
  EXPECT_FALSE(can_connect(db));
  ASSERT_TRUE(server->stop()) << "stopping a stopped server is a no-op";

  auto restarted = server->restart();
  ASSERT_TRUE(restarted) << restarted.error().to_string();
  EXPECT_EQ(server->port(), port);
  EXPECT_EQ(query_one(db, "SELECT qty FROM fills WHERE id = 1"), "100");
}

TEST(PostgresServerTest, RestartStopsARunningServerFirst) {
  auto server = must_start();
  ASSERT_TRUE(server);
  const std::string db = server->connection_string();
  ASSERT_EQ(query_one(db, "CREATE TABLE t(v text); INSERT INTO t VALUES ('kept') RETURNING v"),
            "kept");
  auto restarted = server->restart();
  ASSERT_TRUE(restarted) << restarted.error().to_string();
  EXPECT_EQ(query_one(db, "SELECT v FROM t"), "kept");
}

TEST(PostgresServerTest, KillThenRestartRecoversCommittedRows) {
  auto server = must_start();
  ASSERT_TRUE(server);
  const std::string db = server->connection_string();
  ASSERT_EQ(query_one(db, "CREATE TABLE positions(symbol text primary key, qty int); "
                          "INSERT INTO positions VALUES ('AAPL', 7) RETURNING qty"),
            "7");
  // An open session must not keep the killed server's backends alive.
  pqxx::connection held(db);

  ASSERT_TRUE(server->kill());
  EXPECT_FALSE(server->running());
  EXPECT_FALSE(can_connect(db));
  auto second_kill = server->kill();
  ASSERT_FALSE(second_kill);
  EXPECT_EQ(second_kill.error().to_string(),
            "failed_precondition: postgres on 127.0.0.1:" + std::to_string(server->port()) +
                " is not running");

  auto restarted = server->restart();
  ASSERT_TRUE(restarted) << restarted.error().to_string();
  EXPECT_EQ(query_one(db, "SELECT qty FROM positions WHERE symbol = 'AAPL'"), "7");
}

TEST(PostgresServerTest, StopWithAnOpenSessionIsAFastShutdown) {
  auto server = must_start();
  ASSERT_TRUE(server);
  pqxx::connection held(server->connection_string());
  pqxx::work open_transaction(held);
  open_transaction.exec("SELECT 1");
  auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(server->stop());
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

TEST(PostgresServerTest, TwoServersRunInParallelOnDifferentPortsAndDirs) {
  auto a = must_start();
  auto b = must_start();
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->port(), b->port());
  EXPECT_NE(a->directory(), b->directory());
  ASSERT_EQ(query_one(a->connection_string(), "CREATE TABLE only_a(x int); SELECT 'ok'"), "ok");
  EXPECT_THAT(query_one(b->connection_string(), "SELECT count(*) FROM only_a"),
              HasSubstr("relation \"only_a\" does not exist"));
}

TEST(PostgresServerTest, DestructionStopsTheServerAndRemovesItsTempDir) {
  std::string dir;
  std::string db;
  {
    auto server = must_start();
    ASSERT_TRUE(server);
    dir = server->directory();
    db = server->connection_string();
    ASSERT_TRUE(std::filesystem::exists(dir + "/postgres.log"));
    ASSERT_TRUE(std::filesystem::exists(dir + "/data/PG_VERSION"));
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_FALSE(can_connect(db));
}

TEST(PostgresServerTest, DestructionAfterKillRemovesTheTempDir) {
  std::string dir;
  {
    auto server = must_start();
    ASSERT_TRUE(server);
    dir = server->directory();
    ASSERT_TRUE(server->kill());
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
}

TEST(PostgresServerTest, ABadSettingFailsWithTheServersOwnWords) {
  auto server = PostgresServer::start({.settings = {"no_such_setting=1"}});
  ASSERT_FALSE(server);
  EXPECT_EQ(server.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(server.error().message, HasSubstr(" before it was ready; postgres.log:\n"));
  EXPECT_THAT(server.error().message,
              HasSubstr("unrecognized configuration parameter \"no_such_setting\""));
}

}  // namespace
}  // namespace tp::testing
