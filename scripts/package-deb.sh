#!/usr/bin/env bash
# `npm run package`: builds smsotpd_<version>_arm64.deb on any host with dpkg-deb, no emulation.
# Production node_modules are fetched for the target with npm's --os/--cpu; the serialport binding
# ships prebuilt linux-arm64 binaries inside its package, so nothing is compiled.
set -euo pipefail
cd "$(dirname "$0")/.."
arch="${DEB_ARCH:-arm64}"
case "$arch" in arm64) cpu=arm64 ;; amd64) cpu=x64 ;; armhf) cpu=arm ;; *) echo "unsupported DEB_ARCH $arch" >&2; exit 2 ;; esac
command -v dpkg-deb >/dev/null || { echo "dpkg-deb is needed (apt-get install dpkg)" >&2; exit 1; }
version=$(node -p "require('./package.json').version")
out="${OUT_DIR:-dist-deb}"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root="$stage/root"

npm run build >/dev/null
install -d "$root/opt/smsotpd" "$root/DEBIAN" "$root/etc/smsotpd" "$root/lib/systemd/system" "$root/lib/udev/rules.d" "$root/usr/bin" "$root/usr/share/doc/smsotpd"
cp -r dist modem-profiles package.json package-lock.json "$root/opt/smsotpd/"
chmod 0755 "$root/opt/smsotpd/dist/cli/smsotpd.cjs"   # run through its interpreter line (runtime flags)
cp -r docs "$root/opt/smsotpd/docs"
( cd "$root/opt/smsotpd" && npm ci --omit=dev --os=linux --cpu="$cpu" --ignore-scripts --no-audit --no-fund >/dev/null )
rm -f "$root/opt/smsotpd/package-lock.json"
# Prebuilt bindings for other platforms are dead weight on the Pi.
find "$root/opt/smsotpd/node_modules/@serialport/bindings-cpp/prebuilds" -mindepth 1 -maxdepth 1 ! -name "linux-$cpu" -exec rm -rf {} +
binding=$(find "$root/opt/smsotpd/node_modules/@serialport/bindings-cpp/prebuilds/linux-$cpu" -name '*.node' | head -n1)
[ -n "$binding" ] || { echo "no prebuilt serialport binding for linux-$cpu" >&2; exit 1; }

install -m 0640 deploy/debian/config.json "$root/etc/smsotpd/config.json"
install -m 0644 deploy/systemd/smsotpd.service "$root/lib/systemd/system/smsotpd.service"
install -m 0644 deploy/udev/90-smsotpd-modem.rules "$root/lib/udev/rules.d/90-smsotpd-modem.rules"
install -m 0755 deploy/debian/smsotpd-cli "$root/usr/bin/smsotpd"
install -m 0644 README.md deploy/debian/config.example.md "$root/usr/share/doc/smsotpd/"
for f in preinst postinst prerm postrm; do install -m 0755 "deploy/debian/$f" "$root/DEBIAN/$f"; done
echo /etc/smsotpd/config.json > "$root/DEBIAN/conffiles"
size=$(du -sk "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: smsotpd
Version: $version
Architecture: $arch
Maintainer: smsotpd developers <smsotpd@localhost>
Depends: nodejs (>= 20.18), adduser, systemd
Recommends: gpiod
Installed-Size: $size
Section: net
Priority: optional
Homepage: https://localhost/smsotpd
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
