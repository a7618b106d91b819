#include "collector/gtid_tracker.h"

#include "gtest/gtest.h"

namespace dcp::collector {
namespace {

TEST(GtidTracker, MariaDbKeepsTheLastGtidOfEachDomain) {
  GtidTracker t;
  ASSERT_TRUE(t.Reset("0-1-100,1-2-7").ok());
  EXPECT_EQ(t.position(), "0-1-100,1-2-7");
  ASSERT_TRUE(t.Commit("0-1-101").ok());
  ASSERT_TRUE(t.Commit("").ok());  // anonymous: nothing moves
  ASSERT_TRUE(t.Commit("2-5-1").ok());
  EXPECT_EQ(t.position(), "0-1-101,1-2-7,2-5-1");
  ASSERT_TRUE(t.Commit("0-3-102").ok());  // another server took over domain 0
  EXPECT_EQ(t.position(), "0-3-102,1-2-7,2-5-1");
}

TEST(GtidTracker, MysqlAddsToTheExecutedSet) {
  const std::string u = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
  GtidTracker t;
  ASSERT_TRUE(t.Reset(u + ":1-5").ok());
  ASSERT_TRUE(t.Commit(u + ":6").ok());
  ASSERT_TRUE(t.Commit(u + ":tag:1").ok());
  EXPECT_EQ(t.position(), u + ":1-6:tag:1");
}

TEST(GtidTracker, StartsEmptyAndTakesTheFlavourOfTheFirstGtid) {
  GtidTracker t;
  ASSERT_TRUE(t.Reset("").ok());
  EXPECT_EQ(t.position(), "");
  ASSERT_TRUE(t.Commit("0-1-1").ok());
  EXPECT_EQ(t.position(), "0-1-1");
  EXPECT_FALSE(t.Commit("0-x-1").ok());
  EXPECT_EQ(t.position(), "0-1-1");
  EXPECT_FALSE(t.Reset("garbage").ok());
}

}  // namespace
}  // namespace dcp::collector
