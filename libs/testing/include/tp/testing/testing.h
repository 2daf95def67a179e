// Everything in tp::testing: temp dirs, free ports and real servers
// (nats-server, PostgreSQL) for integration tests.
//
//   #include "tp/testing/testing.h"
//   auto nats = tp::testing::NatsServer::start();
//   auto pg = tp::testing::PostgresServer::start();
//
// See each header for ownership and threading.
#pragma once

#include "tp/testing/free_port.h"
#include "tp/testing/nats_server.h"
#include "tp/testing/postgres_server.h"
#include "tp/testing/temp_dir.h"
