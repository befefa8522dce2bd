#!/usr/bin/env bash
# `npm run package`: builds smsotpd_<version>_arm64.deb on any host with dpkg-deb, no emulation.
# Production node_modules are fetched for the target with npm's --os/--cpu; the serialport binding
# ships prebuilt linux-arm64 binaries inside its package, so nothing is compiled.
# Layout (merged /usr): /usr/lib/smsotpd (program), /usr/bin/smsotpd (CLI wrapper),
# /usr/lib/systemd/system, /usr/lib/udev/rules.d, /usr/share/doc/smsotpd (docs, copyright, changelog).
# `lintian dist-deb/smsotpd_*.deb` after it: docs/install.md lists what it says and why.
set -euo pipefail
cd "$(dirname "$0")/.."
arch="${DEB_ARCH:-arm64}"
case "$arch" in arm64) cpu=arm64 ;; amd64) cpu=x64 ;; armhf) cpu=arm ;; *) echo "unsupported DEB_ARCH $arch" >&2; exit 2 ;; esac
need=()
command -v dpkg-deb >/dev/null || need+=(dpkg)
command -v gzip >/dev/null || need+=(gzip)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "package-deb: ${need[*]} needed (apt-get install ${need[*]})" >&2; exit 1; }
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
version=$(node -p "require('./package.json').version")
out="${OUT_DIR:-dist-deb}"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root="$stage/root"
app="$root/usr/lib/smsotpd"
doc="$root/usr/share/doc/smsotpd"

npm run build >/dev/null
install -d "$app" "$root/DEBIAN" "$root/etc/smsotpd" "$root/usr/lib/systemd/system" "$root/usr/lib/udev/rules.d" \
  "$root/usr/bin" "$doc" "$root/usr/share/man/man1"
cp -r dist modem-profiles package.json package-lock.json "$app/"
# Only what runs: no declaration files or source maps of our own.
find "$app/dist" \( -name '*.d.ts' -o -name '*.d.cts' -o -name '*.map' \) -delete
chmod 0755 "$app/dist/cli/smsotpd.cjs"   # run through its interpreter line (runtime flags)
chmod 0644 "$app/dist/cli/main.js"
( cd "$app" && npm ci --omit=dev --os=linux --cpu="$cpu" --ignore-scripts --no-audit --no-fund >/dev/null )
rm -f "$app/package-lock.json" "$app/node_modules/.package-lock.json"
nm="$app/node_modules"
# Prebuilt bindings for other platforms are dead weight on the Pi.
find "$nm/@serialport/bindings-cpp/prebuilds" -mindepth 1 -maxdepth 1 ! -name "linux-$cpu" -exec rm -rf {} +
# Debian is glibc: the musl build is for Alpine.
find "$nm/@serialport/bindings-cpp/prebuilds/linux-$cpu" -name '*musl*' -delete
binding=$(find "$nm/@serialport/bindings-cpp/prebuilds/linux-$cpu" -name '*.node' | head -n1)
[ -n "$binding" ] || { echo "no prebuilt serialport binding for linux-$cpu" >&2; exit 1; }
# The licences go into the copyright file first (from the packages' own LICENSE files)...
node scripts/deb-copyright.mjs "$app" /usr/lib/smsotpd >"$doc/copyright"
# ...then everything of the dependencies that does not run: tests and their data, TypeScript
# sources and declarations, source maps, the addon's C++ sources and headers, docs, licence copies.
find "$nm" -depth -type d \( -name test -o -name tests -o -name __tests__ -o -name example -o -name examples \
  -o -name spec -o -name benchmark -o -name benchmarks -o -name .github -o -name .husky \) -exec rm -rf {} +
# node-addon-api is the addon's build-time C++ wrapper (headers): nothing loads it at run time.
rm -rf "$nm/node-addon-api"
find "$nm" -type f \( -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.map' -o -name '*.md' -o -name '*.markdown' \
  -o -name '*.h' -o -name '*.hh' -o -name '*.hpp' -o -name '*.c' -o -name '*.cc' -o -name '*.cpp' -o -name '*.gyp' -o -name '*.gypi' \
  -o -iname 'license*' -o -iname 'licence*' -o -iname 'copying*' -o -name '.npmignore' -o -name '.eslintrc*' -o -name '.prettierrc*' \
  -o -name '.editorconfig' -o -name 'tsconfig*.json' -o -name '.travis.yml' -o -name 'Makefile' -o -name '*.tsbuildinfo' \
  -o -name '.gitattributes' -o -name '.gitignore' -o -name '*.html' -o -name '*.sh' \) -delete
find "$nm" -depth -type d -empty -delete
# Every bundled package must still load after the trimming (those that load the serialport
# binding only when building for this host's cpu: the binding is the target's).
( cd "$app" && HOST_CPU_MATCHES=$([ "$(node -p process.arch)" = "$cpu" ] && echo 1 || echo 0) node --input-type=module -e "
  import { readdirSync } from 'node:fs';
  const names = readdirSync('node_modules').filter((n) => !n.startsWith('.')).flatMap((n) => n.startsWith('@') ? readdirSync('node_modules/' + n).map((s) => n + '/' + s) : [n]);
  const native = /^(serialport|@serialport\\/(bindings-cpp|stream))\$/;
  let bad = 0;
  // As src/tls/certificate.ts does: @peculiar/x509 (tsyringe) needs the Reflect polyfill first.
  if (names.includes('reflect-metadata')) await import('reflect-metadata');
  for (const n of names) {
    if (native.test(n) && process.env.HOST_CPU_MATCHES !== '1') continue;
    if (/v11/.test(n)) continue;   // otplib's v11 compatibility presets: unused, and they print on load
    try { await import(n); } catch (e) { if (e.code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED' && e.code !== 'ERR_UNSUPPORTED_DIR_IMPORT') { console.error(n + ': ' + e.message); bad++; } }
  }
  process.exit(bad ? 1 : 0);" >/dev/null ) || { echo "package-deb: a bundled package no longer loads after trimming node_modules" >&2; exit 1; }
find "$root" -type d -exec chmod 0755 {} +
find "$app" -type f ! -name smsotpd.cjs ! -name '*.node' -exec chmod 0644 {} +
# Dependencies' command-line scripts (#!) stay runnable as they are upstream; none is on PATH.
find "$nm" -type f -name '*.js' -exec sh -c 'for f; do [ "$(head -c2 "$f")" = "#!" ] && chmod 0755 "$f"; done; true' sh {} +
# main.js keeps an interpreter line for links made to it from an npm install; here only
# smsotpd.cjs is run, so the line becomes a comment (same line numbers in stack traces).
sed -i '1s|^#!.*|// (entry: smsotpd.cjs)|' "$app/dist/cli/main.js"

# 0644 in the package (no secret in the default); postinst makes it 0640 root:smsotpd.
install -m 0644 deploy/debian/config.json "$root/etc/smsotpd/config.json"
install -m 0644 deploy/systemd/smsotpd.service "$root/usr/lib/systemd/system/smsotpd.service"
install -m 0644 deploy/udev/90-smsotpd-modem.rules "$root/usr/lib/udev/rules.d/90-smsotpd-modem.rules"
install -m 0755 deploy/debian/smsotpd-cli "$root/usr/bin/smsotpd"
install -m 0644 README.md deploy/debian/config.example.md docs/*.md "$doc/"
install -D -m 0644 deploy/prometheus/smsotpd-alerts.yml "$doc/examples/smsotpd-alerts.yml"
[ -d docs/img ] && cp -r docs/img "$doc/" || true
gzip -9n <deploy/debian/changelog >"$doc/changelog.gz"
gzip -9n <deploy/debian/smsotpd.1 >"$root/usr/share/man/man1/smsotpd.1.gz"
chmod 0644 "$doc/changelog.gz" "$root/usr/share/man/man1/smsotpd.1.gz"
install -d "$root/usr/share/lintian/overrides"
install -m 0644 deploy/debian/lintian-overrides "$root/usr/share/lintian/overrides/smsotpd"
for f in preinst postinst prerm postrm; do install -m 0755 "deploy/debian/$f" "$root/DEBIAN/$f"; done
echo /etc/smsotpd/config.json > "$root/DEBIAN/conffiles"
changelog_version=$(sed -n '1s/^smsotpd (\([^)]*\)).*/\1/p' deploy/debian/changelog)
[ "$changelog_version" = "$version" ] || { echo "package-deb: deploy/debian/changelog's top entry is $changelog_version, package.json says $version" >&2; exit 1; }
# What the prebuilt serialport binding links against (dh_shlibdeps' job, from its symbol versions).
glibc=$(objdump -T "$binding" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n1 || true)
libdeps="libc6 (>= ${glibc:-2.28}), libgcc-s1 (>= 3.0), libstdc++6 (>= 5.2)"
size=$(du -sk --apparent-size "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: smsotpd
Version: $version
Architecture: $arch
Maintainer: smsotpd developers <smsotpd@users.noreply.github.com>
Depends: nodejs (>= 20.18), adduser, init-system-helpers (>= 1.54), systemd, $libdeps
Recommends: gpiod
Installed-Size: $size
Section: net
Priority: optional
Homepage: https://github.com/smsotpd/smsotpd
Description: SMS one-time-password server with its own GSM modem driver
 A privacyIDEA-compatible SMS token server (challenge-response: PIN, SMS with
 the OTP, then the OTP) that sends through its own AT-command modem driver,
 with privacyIDEA's HTTP, Sipgate and SMTP providers as fallbacks. For sites
 without an internet SMS gateway: one Raspberry Pi with a GSM modem.
CONTROL
install -d "$out"
deb="$out/smsotpd_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb ($(du -h "$deb" | cut -f1)); serialport binding: ${binding#"$root"}"
