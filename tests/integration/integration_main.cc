// main() of the integration test binary: starts (or finds) the PostgreSQL test server
// before the first test, so a server that cannot start fails the run loudly.
#include "gtest/gtest.h"
#include "tests/testing/pg_test_server.h"

namespace {

class PgServerEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { pgark::testing::PgTestServer::Get(); }
};

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new PgServerEnvironment);
  return RUN_ALL_TESTS();
}
