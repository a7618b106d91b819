#include "collector/topology.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dcp::collector {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

ServerProbe Maria(uint32_t id, bool read_only, std::string state) {
  ServerProbe p;
  p.mariadb = true;
  p.server_id = id;
  p.read_only = read_only;
  p.gtid_state = std::move(state);
  return p;
}

ServerProbe Mysql(uint32_t id, bool read_only, std::string executed, std::string purged = "") {
  ServerProbe p;
  p.server_id = id;
  p.read_only = read_only;
  p.gtid_state = std::move(executed);
  p.gtid_purged = std::move(purged);
  return p;
}

ServerProbe Down() {
  ServerProbe p;
  p.error = absl::UnavailableError("127.0.0.1:1: connection refused");
  return p;
}

ChooseOptions Source(bool confirmed = false) {
  ChooseOptions o;
  o.role = CollectorRole::kSource;
  o.loss_confirmed = confirmed;
  return o;
}

ChooseOptions Target() {
  ChooseOptions o;
  o.role = CollectorRole::kTarget;
  return o;
}

// Primary A (1), target replica B (2), standby C (3) with log_slave_updates.
TEST(ChooseServer, SteadyStateStaysOnThePrimary) {
  const TopologyPosition pos{"0-1-100", 1};
  auto c = ChooseServer(pos, {Maria(1, false, "0-1-100"), Maria(3, true, "0-1-100")}, Source());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->index, 0u);
  EXPECT_EQ(c->gtid, "0-1-100");
  EXPECT_TRUE(c->lost.empty());
}

TEST(ChooseServer, PlannedSwitchoverFollowsTheWritableServer) {
  // A read-only and re-pointed to C, C promoted: both hold the position; C is the primary.
  const TopologyPosition pos{"0-1-100", 1};
  auto c = ChooseServer(pos, {Maria(1, true, "0-1-100,0-3-102"), Maria(3, false, "0-1-100,0-3-102")},
                        Source());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->index, 1u);
  EXPECT_EQ(c->gtid, "0-1-100");
}

TEST(ChooseServer, PrimaryDownStandbyHoldingThePositionIsUsedBeforePromotion) {
  const TopologyPosition pos{"0-1-100", 1};
  auto c = ChooseServer(pos, {Down(), Maria(3, true, "0-1-100")}, Source());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->index, 1u);
}

TEST(ChooseServer, CrashFailoverWithLossIsSuspectedThenNamed) {
  // C's IO thread was stopped at 0-1-100; A wrote 101..105 and died; C was promoted and
  // wrote 0-3-101..0-3-103.
  const TopologyPosition pos{"0-1-105", 1};
  const std::vector<ServerProbe> probes = {Down(), Maria(3, false, "0-1-100,0-3-103")};
  auto suspected = ChooseServer(pos, probes, Source());
  ASSERT_TRUE(absl::IsUnavailable(suspected.status())) << suspected.status();
  EXPECT_THAT(suspected.status().message(), HasSubstr("loss suspected"));
  auto c = ChooseServer(pos, probes, Source(/*confirmed=*/true));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->index, 1u);
  EXPECT_EQ(c->gtid, "0-1-100");
  EXPECT_THAT(c->lost, ElementsAre("0-1-101", "0-1-102", "0-1-103", "0-1-104", "0-1-105"));
  EXPECT_TRUE(c->lost_complete);
  EXPECT_TRUE(ServerHolds(probes[1], "0-1-100"));
  EXPECT_FALSE(ServerHolds(probes[1], "0-1-101"));
  EXPECT_TRUE(ServerHolds(probes[1], "0-3-102"));
}

TEST(ChooseServer, LossKeepsTheDomainsTheServerHolds) {
  const TopologyPosition pos{"0-1-105,7-1-20", 1};
  auto c = ChooseServer(pos, {Maria(3, false, "0-1-103,7-1-20,0-3-104")}, Source(true));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->gtid, "0-1-103,7-1-20");
  EXPECT_THAT(c->lost, ElementsAre("0-1-104", "0-1-105"));
}

TEST(ChooseServer, LongLossListsAreCut) {
  const TopologyPosition pos{"0-1-50000", 1};
  auto c = ChooseServer(pos, {Maria(3, false, "0-1-1,0-3-60000")}, Source(true));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->lost.size(), 10'000u);
  EXPECT_FALSE(c->lost_complete);
}

TEST(ChooseServer, AnUnrelatedWritableServerIsRefused) {
  const TopologyPosition pos{"0-1-105", 1};
  auto c = ChooseServer(pos, {Maria(9, false, "0-9-4")}, Source(true));
  EXPECT_TRUE(absl::IsFailedPrecondition(c.status())) << c.status();
  EXPECT_THAT(c.status().message(), HasSubstr("not a server of this replication topology"));
}

TEST(ChooseServer, SplitBrainChoosesNothing) {
  const TopologyPosition pos{"0-1-100", 1};
  auto c = ChooseServer(pos, {Maria(1, false, "0-1-100"), Maria(3, false, "0-1-100")}, Source());
  EXPECT_TRUE(absl::IsUnavailable(c.status())) << c.status();
  EXPECT_THAT(c.status().message(), HasSubstr("split brain"));
  // A target collector reads replicas; writability is not its concern.
  auto t = ChooseServer(pos, {Maria(1, false, "0-1-100"), Maria(3, false, "0-1-100")}, Target());
  EXPECT_TRUE(t.ok()) << t.status();
}

TEST(ChooseServer, NoWritableServerMeansWaiting) {
  const TopologyPosition pos{"0-1-105", 1};
  auto c = ChooseServer(pos, {Down(), Maria(3, true, "0-1-100")}, Source(true));
  EXPECT_TRUE(absl::IsUnavailable(c.status())) << c.status();
  EXPECT_THAT(c.status().message(), HasSubstr("none is writable"));
  EXPECT_THAT(c.status().message(), HasSubstr("connection refused"));
}

TEST(ChooseServer, TargetWaitsForAReplicaToCatchUpAndNeverDeclaresLoss) {
  // B died; B2 is behind B's position: wait, do not skip.
  const TopologyPosition pos{"0-1-105", 2};
  auto c = ChooseServer(pos, {Down(), Maria(4, true, "0-1-103")}, Target());
  EXPECT_TRUE(absl::IsUnavailable(c.status())) << c.status();
  EXPECT_THAT(c.status().message(), HasSubstr("waiting for a replica to catch up"));
  auto later = ChooseServer(pos, {Down(), Maria(4, true, "0-1-106")}, Target());
  ASSERT_TRUE(later.ok()) << later.status();
  EXPECT_EQ(later->index, 1u);
}

TEST(ChooseServer, TargetPrefersTheServerItReadLast) {
  const TopologyPosition pos{"0-1-100", 4};
  auto c = ChooseServer(pos, {Maria(2, true, "0-1-101"), Maria(4, true, "0-1-100")}, Target());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->index, 1u);
}

TEST(ChooseServer, WithoutAGtidOnlyTheSameServerResumes) {
  const TopologyPosition pos{"", 1};
  auto same = ChooseServer(pos, {Maria(3, true, ""), Maria(1, false, "")}, Source());
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->index, 1u);
  auto other = ChooseServer(pos, {Maria(3, false, "0-3-5")}, Source(true));
  EXPECT_TRUE(absl::IsFailedPrecondition(other.status())) << other.status();
  EXPECT_THAT(other.status().message(), HasSubstr("has no GTID"));
}

// MySQL: executed sets and purged sets (no MySQL server is packaged here; encoded states).
constexpr char kA[] = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
constexpr char kC[] = "4e11fa47-71ca-11e1-9e33-c80aa9429562";

TEST(ChooseServer, MysqlResumesOnAServerWhoseExecutedSetContainsThePosition) {
  const TopologyPosition pos{std::string(kA) + ":1-100", 1};
  auto c = ChooseServer(
      pos, {Down(), Mysql(3, false, std::string(kA) + ":1-100," + kC + ":1-7", std::string(kA) + ":1-40")},
      Source());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->index, 1u);
  EXPECT_EQ(c->gtid, std::string(kA) + ":1-100");
}

TEST(ChooseServer, MysqlPurgedBeyondThePositionIsAnError) {
  const TopologyPosition pos{std::string(kA) + ":1-100", 1};
  auto c = ChooseServer(pos, {Mysql(3, false, std::string(kA) + ":1-200", std::string(kA) + ":1-150")},
                        Source());
  EXPECT_TRUE(absl::IsFailedPrecondition(c.status())) << c.status();
  EXPECT_THAT(c.status().message(), HasSubstr("purged"));
  EXPECT_THAT(c.status().message(), HasSubstr(std::string(kA) + ":101-150"));
}

TEST(ChooseServer, MysqlLossIsTheSetDifference) {
  const TopologyPosition pos{std::string(kA) + ":1-105", 1};
  const ServerProbe c3 = Mysql(3, false, std::string(kA) + ":1-100," + kC + ":1-3");
  auto c = ChooseServer(pos, {Down(), c3}, Source(true));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->gtid, std::string(kA) + ":1-100");
  EXPECT_THAT(c->lost, ElementsAre(std::string(kA) + ":101-105"));
  EXPECT_TRUE(ServerHolds(c3, std::string(kA) + ":100"));
  EXPECT_FALSE(ServerHolds(c3, std::string(kA) + ":101"));
}

}  // namespace
}  // namespace dcp::collector
