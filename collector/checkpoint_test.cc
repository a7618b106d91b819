#include "collector/checkpoint.h"

#include <fstream>

#include "gtest/gtest.h"

namespace dcp::collector {
namespace {

Checkpoint Sample() {
  Checkpoint c;
  c.file = "mysql-bin.000003";
  c.position = 1234;
  c.gtid = "0-1-55,1-2-7";
  c.flavor = "mariadb";
  c.server_id = 1;
  c.saved_at = absl::FromUnixMicros(1'700'000'000'123'456);
  return c;
}

TEST(Checkpoint, JsonRoundTrip) {
  const Checkpoint c = Sample();
  auto back = Checkpoint::FromJson(c.ToJson());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, c);
  EXPECT_EQ(c.ToString(), "mysql-bin.000003:1234 gtid 0-1-55,1-2-7");
}

TEST(Checkpoint, StoreSavesLoadsAndRejectsCorruption) {
  const std::string path = ::testing::TempDir() + "/checkpoint_test.json";
  std::remove(path.c_str());
  CheckpointStore store(path);
  auto none = store.Load();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(store.Save(Sample()).ok());
  auto loaded = store.Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ(**loaded, Sample());

  std::ofstream(path) << "{\"file\": 3}";
  auto corrupt = store.Load();
  EXPECT_EQ(corrupt.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(corrupt.status().message().find(path), std::string::npos);
  std::ofstream(path) << "garbage";
  EXPECT_EQ(store.Load().status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace dcp::collector
