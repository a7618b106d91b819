#!/usr/bin/env bash
# scripts/package builds a .deb whose contents are the tools, their man pages and bash
# completion, the examples and the systemd unit; installed with dpkg -i on this machine it
# gives `dcp --version`, `man dcp`, a `dcp` system user, and a unit `systemd-analyze verify`
# accepts; dpkg -r removes it again. The install half needs root (skipped otherwise, exit 77).
# Needs DCP_BUILD_DIR.
set -euo pipefail
: "${DCP_BUILD_DIR:?}"
root=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }

deb=$("$root/scripts/package" --no-setup --build-dir "$DCP_BUILD_DIR" | tail -n 1)
[ -f "$deb" ] || fail "no package: $deb"
echo "package: $deb ($(stat -c %s "$deb") bytes)"
contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/dcp ./usr/bin/verifier ./usr/bin/padder \
         ./usr/share/man/man1/dcp.1.gz ./usr/share/man/man1/verifier.1.gz \
         ./usr/share/man/man1/padder.1.gz \
         ./usr/share/bash-completion/completions/dcp \
         ./usr/share/bash-completion/completions/verifier \
         ./usr/share/bash-completion/completions/padder \
         ./usr/share/doc/dcp/examples/dcp.toml ./usr/share/doc/dcp/examples/verifier.toml \
         ./usr/lib/systemd/system/dcp.service; do
  grep -q " $f\$" <<<"$contents" || fail "$f is not in the package"
done
control=$(dpkg-deb -f "$deb" Depends)
grep -q "libmariadb3" <<<"$control" || fail "Depends lacks the shared libraries: $control"
dpkg-deb -I "$deb" postinst >/dev/null || fail "no postinst"
unit=$(dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/lib/systemd/system/dcp.service)
for key in "User=dcp" "ProtectSystem=strict" "StateDirectory=dcp" "NoNewPrivileges=yes" \
           "ExecStart=/usr/bin/dcp run --config /etc/dcp/dcp.toml"; do
  grep -qx "$key" <<<"$unit" || fail "unit lacks $key"
done

if [ "$(id -u)" -ne 0 ]; then echo "not root: install checks skipped"; exit 77; fi
# One install at a time on this machine (other checkouts run this test too).
exec 9>/tmp/dcp-package-test.lock
flock 9
cleanup() { dpkg -P dcp >/dev/null 2>&1 || true; }
trap cleanup EXIT
dpkg -i "$deb" || fail "dpkg -i"
[ "$(dpkg-query -W -f='${Status}' dcp)" = "install ok installed" ] || fail "not installed"
/usr/bin/dcp --version | grep -qE "^dcp [0-9.]+ \(revision " || fail "dcp --version"
/usr/bin/verifier --help >/dev/null || fail "verifier --help"
MANPAGER=cat man dcp 2>/dev/null | grep -q "online data-consistency checker" || fail "man dcp"
MANPAGER=cat man padder 2>/dev/null | grep -q -- "--max-lag" || fail "man padder lacks --max-lag"
getent passwd dcp >/dev/null || fail "no dcp user"
[ "$(stat -c %G /etc/dcp)" = dcp ] || fail "/etc/dcp is not group dcp"
unit_path=/usr/lib/systemd/system/dcp.service
out=$(systemd-analyze verify "$unit_path" 2>&1) || fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify warned: $out"
bash -c "source /usr/share/bash-completion/completions/verifier; COMP_WORDS=(verifier data --max-la);
         COMP_CWORD=2; _dcp_complete_verifier; [ \"\${COMPREPLY[*]}\" = --max-lag ]" \
  || fail "installed completion"
dpkg -r dcp >/dev/null || fail "dpkg -r"
dpkg -P dcp >/dev/null || fail "dpkg -P"
[ ! -e /usr/bin/dcp ] || fail "/usr/bin/dcp left after dpkg -r"
echo "package installed, checked and removed"
