#!/usr/bin/env bash
# Runs every test. Installs the independent tools the interop tests use when it can (Debian
# packages, as root); a test whose tool is still missing is skipped and says why.
# M2MSEC_REQUIRE_TOOLS=1 (set by .ci/run) turns every such skip into a failure.
set -euo pipefail
cd "$(dirname "$0")"

# command → Debian package.
declare -A tools=(
  [openssl]=openssl
  [runuser]=util-linux
  [testssl]=testssl.sh
  [xmlsec1]=xmlsec1
  # The web console's real-browser tests (tests/M2MSec.Tests/Browser): Debian's chromium driven through its
  # chromedriver, trusting the operator's root through a throwaway NSS database made with certutil/pk12util.
  [chromium]=chromium
  [chromedriver]=chromium-driver
  [certutil]=libnss3-tools
  [pk12util]=libnss3-tools
)

missing=()
for cmd in "${!tools[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${tools[$cmd]}")
done
# (Two commands of one package: install it once.)
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u | sed '/^$/d')
# PostgreSQL server binaries live off the PATH, in /usr/lib/postgresql/<version>/bin; the
# tests start a throwaway cluster from them (tests/M2MSec.Tests/Support/PostgresServer.cs).
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: installing ${missing[*]}"
    apt-get update -qq || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
      || echo "test.sh: could not install ${missing[*]}; their tests will skip"
  else
    echo "test.sh: missing ${missing[*]} (run as root to install); their tests will skip"
  fi
fi

# Detailed console output gives each skipped test with its reason; the passed ones are dropped.
dotnet test M2MSec.slnx -c Release --logger "console;verbosity=detailed" "$@" \
  | grep -v -E '^[[:space:]]+Passed [A-Za-z]'
