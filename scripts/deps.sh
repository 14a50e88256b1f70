#!/usr/bin/env bash
# Installs what Cardline needs on a fresh Debian 12 machine, and only what is missing:
#   system packages (apt-get) and the npm dependencies from package-lock.json.
# Idempotent: a second run does nothing but check. Needs root (or sudo) for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages, each with why we need it (docs/dependencies.md has the full list).
PACKAGES=(
  pcscd            # PC/SC daemon: the independent proof drives our simulated card through it
  libpcsclite-dev  # headers the @pokusew/pcsclite binding compiles against (hardware/pcsc)
  vsmartcard-vpcd  # the virtual PC/SC reader our simulated card connects to
  pcsc-tools       # scriptor: an independent PC/SC client
  python3-pyscard  # pyscard: an independent PC/SC client used by the integration test
  socat            # pseudo-terminal pairs and socket listeners in tests
  postgresql-15    # initdb/postgres binaries: the storage tests start a private server of their own
  openssl          # an independent check of the dev PKI's certificates in tests
  strace           # the no-card-data test lists every file the kiosk process writes
  libsystemd-dev   # headers and libsystemd.so the sd-notify binding compiles against (kiosk/systemd: sd_notify)
  swtpm            # a software TPM 2.0: the key-store tests start a fresh one per test (kiosk/keystore, test/fixtures/swtpm.ts)
  swtpm-tools      # swtpm's setup tools (swtpm_setup), which the swtpm package expects beside it
  tpm2-tools       # tpm2_createprimary/create/load/unseal/flushcontext: the kiosk's tpm key store runs them
  tpm2-abrmd       # the TPM access broker: the tpm2 OpenSSL provider and tpm2-tools share the TPM through it
  tpm2-openssl     # the tpm2 OpenSSL provider: the kiosk's TLS key is created in and used from the TPM
  libtss2-tcti-swtpm0  # the TCTI that reaches swtpm over TCP (swtpm:host=…,port=…) in tests
  libtss2-tcti-tabrmd0 # the TCTI that reaches tpm2-abrmd over D-Bus (tabrmd:bus_type=…)
  chromium         # the browser tests drive Debian's Chromium with playwright-core (test/fixtures/browser.ts); the kiosk's screen on the Pi
  fonts-noto-cjk   # Japanese glyphs for the screens (kiosk UI in Japanese), in the browser tests and on the image
  dbus-daemon      # the private D-Bus session bus the tests start for tpm2-abrmd (never the system bus)
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "deps: installing system packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm dependencies: reinstall only when the lock file changed since the last install.
stamp=node_modules/.cardline-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "deps: installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" >"$stamp"
fi
