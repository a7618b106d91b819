#include "mysql/dsn.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "gtest/gtest.h"
#include "mysql/credentials.h"

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

TEST(Dsn, PasswordFromEnvironmentOrFile) {
  setenv("DCP_DSN_TEST_PW", "from-env", 1);
  auto dsn = Dsn::Parse("mysql://u@h:1?password-env=DCP_DSN_TEST_PW");
  ASSERT_TRUE(dsn.ok()) << dsn.status();
  EXPECT_EQ(dsn->password, "from-env");
  EXPECT_FALSE(dsn->password_in_text);
  EXPECT_EQ(dsn->ToString(), "mysql://u:***@h:1");

  const std::string file = ::testing::TempDir() + "/dcp-dsn-test.pw";
  std::ofstream(file) << "from-file\n";
  dsn = Dsn::Parse("mysql://u@h:1?password-file=" + file);
  ASSERT_TRUE(dsn.ok()) << dsn.status();
  EXPECT_EQ(dsn->password, "from-file");

  EXPECT_TRUE(Dsn::Parse("mysql://u:p@h:1")->password_in_text);
  // Errors name the variable or file, never a value.
  unsetenv("DCP_DSN_TEST_UNSET");
  auto bad = Dsn::Parse("mysql://u@h?password-env=DCP_DSN_TEST_UNSET");
  EXPECT_EQ(bad.status().message(),
            "DSN: password-env: environment variable DCP_DSN_TEST_UNSET is not set");
  bad = Dsn::Parse("mysql://u:other@h?password-env=DCP_DSN_TEST_PW");
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().find("from-env"), std::string::npos);
  EXPECT_FALSE(Dsn::Parse("mysql://u@h?password-file=/nonexistent/pw").ok());
  std::remove(file.c_str());
}

TEST(Credentials, ClientDefaultsFile) {
  auto d = ParseClientDefaults(
      "# comment\n[mysqld]\npassword = not-this\n[client]\nuser = ops\n"
      "password = \"pa ss#word\"\nport=3307\n[mysql]\npassword=nor-this\n",
      "my.cnf");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->user, "ops");
  EXPECT_EQ(d->password, "pa ss#word");
  EXPECT_EQ(ParseClientDefaults("[client]\npassword=x # note\n", "f")->password, "x");
  EXPECT_FALSE(ParseClientDefaults("[client\n", "f").ok());
}

TEST(Credentials, CommandLineDsnOrder) {
  CredentialSources sources;
  sources.mysql_pwd = "from-mysql-pwd";
  std::vector<std::string> warnings;
  // MYSQL_PWD fills a DSN without a password.
  EXPECT_EQ(CommandLineDsn("--source", "mysql://u@h", sources, &warnings)->password,
            "from-mysql-pwd");
  // --defaults-file comes before it, and gives the user when the DSN has none.
  sources.defaults = ClientDefaults{"ops", "from-defaults"};
  auto dsn = CommandLineDsn("--source", "mysql://h:1", sources, &warnings);
  EXPECT_EQ(dsn->password, "from-defaults");
  EXPECT_EQ(dsn->user, "ops");
  EXPECT_EQ(CommandLineDsn("--source", "mysql://me@h:1", sources, &warnings)->user, "me");
  EXPECT_TRUE(warnings.empty());
  // The DSN's own password wins, with a warning that names the flag and not the password.
  dsn = CommandLineDsn("--target", "mysql://u:inline-pw@h", sources, &warnings);
  EXPECT_EQ(dsn->password, "inline-pw");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].rfind("--target: the password in the DSN", 0), 0u) << warnings[0];
  EXPECT_EQ(warnings[0].find("inline-pw"), std::string::npos);
  EXPECT_EQ(CommandLineDsn("--target", "postgres://x", sources, &warnings).status().message(),
            "--target: DSN must start with mysql:// "
            "(mysql://user[:password]@host[:port][/db][?opts])");
}

}  // namespace
}  // namespace dcp::mysql
