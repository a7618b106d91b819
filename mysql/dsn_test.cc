#include "mysql/dsn.h"

#include "gtest/gtest.h"

namespace dcp::mysql {
namespace {

TEST(Dsn, ParsesFullForm) {
  auto dsn = Dsn::Parse("mysql://app:s%40cret@db.example:3307/shop?connect-timeout=3");
  ASSERT_TRUE(dsn.ok()) << dsn.status();
  EXPECT_EQ(dsn->user, "app");
  EXPECT_EQ(dsn->password, "s@cret");
  EXPECT_EQ(dsn->host, "db.example");
  EXPECT_EQ(dsn->port, 3307);
  EXPECT_EQ(dsn->database, "shop");
  EXPECT_EQ(dsn->connect_timeout_s, 3);
}

TEST(Dsn, DefaultsAndNoPassword) {
  auto dsn = Dsn::Parse("mysql://dcp@127.0.0.1");
  ASSERT_TRUE(dsn.ok()) << dsn.status();
  EXPECT_EQ(dsn->user, "dcp");
  EXPECT_FALSE(dsn->password.has_value());
  EXPECT_EQ(dsn->port, 3306);
  EXPECT_EQ(dsn->Address(), "127.0.0.1:3306");
}

TEST(Dsn, Ipv6AndSocket) {
  auto v6 = Dsn::Parse("mysql://u@[::1]:3310");
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 3310);
  EXPECT_EQ(v6->Address(), "[::1]:3310");
  auto sock = Dsn::Parse("mysql://root@localhost?socket=/tmp/x.sock");
  ASSERT_TRUE(sock.ok()) << sock.status();
  EXPECT_EQ(sock->socket, "/tmp/x.sock");
}

TEST(Dsn, ToStringRedactsPasswordAndRoundTrips) {
  auto dsn = Dsn::Parse("mysql://app:hunter2@h:1/db?ssl-mode=required");
  ASSERT_TRUE(dsn.ok());
  const std::string text = dsn->ToString();
  EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
  EXPECT_EQ(text, "mysql://app:***@h:1/db?ssl-mode=required");
  Dsn no_password = *dsn;
  no_password.password.reset();
  auto reparsed = Dsn::Parse("mysql://app@h:1/db?ssl-mode=required");
  ASSERT_TRUE(reparsed.ok());
  EXPECT_EQ(*reparsed, no_password);
}

TEST(Dsn, RejectsBadInput) {
  EXPECT_FALSE(Dsn::Parse("postgres://x@y").ok());
  EXPECT_FALSE(Dsn::Parse("mysql://x@y:0").ok());
  EXPECT_FALSE(Dsn::Parse("mysql://x@y:70000").ok());
  EXPECT_FALSE(Dsn::Parse("mysql://x@y:abc").ok());
  EXPECT_FALSE(Dsn::Parse("mysql://x@y?bogus=1").ok());
  EXPECT_FALSE(Dsn::Parse("mysql://x:%zz@y").ok());
  auto bad = Dsn::Parse("mysql://x:secret%2@y");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().find("secret"), std::string::npos);
}

}  // namespace
}  // namespace dcp::mysql
