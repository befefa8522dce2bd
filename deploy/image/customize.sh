#!/usr/bin/env bash
# mmdebstrap customize hook of deploy/image/build.sh: runs on the build host with the image's root
# directory as $1, after all packages are in. Commands for the image run through chroot (arm64,
# under qemu-user via binfmt_misc).
set -euo pipefail
root=${1:?usage: customize.sh ROOTDIR (run by mmdebstrap)}
here=$(cd "$(dirname "$0")" && pwd)
deb=${SMSOTPD_IMAGE_DEB:?SMSOTPD_IMAGE_DEB must name the smsotpd .deb}
inroot() { chroot "$root" env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"; }

# The package: its Depends (nodejs, adduser, systemd) are already in from --include, so apt
# installs just this file and needs no network here.
cp "$deb" "$root/tmp/smsotpd.deb"
inroot apt-get install -y -q --no-install-recommends /tmp/smsotpd.deb
rm -f "$root/tmp/smsotpd.deb"
inroot systemctl is-enabled smsotpd.service >/dev/null || { echo "customize: smsotpd.service is not enabled after installing the package" >&2; exit 1; }

# Our files: first-boot and boot-partition units, network, console greeting.
tar -C "$here/overlay" --owner=0 --group=0 -cf - . | tar -C "$root" -xf -

echo smsotpd >"$root/etc/hostname"
cat >"$root/etc/hosts" <<'HOSTS'
127.0.0.1	localhost
127.0.1.1	smsotpd
::1		localhost ip6-localhost ip6-loopback
ff02::1		ip6-allnodes
ff02::2		ip6-allrouters
HOSTS

# By label: the same on every card, and in QEMU (verify-image.sh) where the disk is /dev/vda.
cat >"$root/etc/fstab" <<'FSTAB'
# <file system>   <mount point>   <type>  <options>                        <dump> <pass>
LABEL=RASPIROOT   /               ext4    rw,noatime,errors=remount-ro     0      1
LABEL=RASPIFIRM   /boot/firmware  vfat    rw,noatime,umask=0077            0      2
FSTAB

# raspi-firmware writes cmdline.txt from this file. Root by label (the chroot's own root means
# nothing on the Pi). Console on the screen only: the GPIO UART (ttyS1 on a Pi 3/4 with Debian's
# kernel) is where a SIM800 HAT sits, and a console there would talk to the modem.
sed -i -e 's|^#\?ROOTPART=.*|ROOTPART=LABEL=RASPIROOT|' -e 's|^#\?CONSOLES=.*|CONSOLES="tty0"|' "$root/etc/default/raspi-firmware"
grep -q '^ROOTPART=LABEL=RASPIROOT' "$root/etc/default/raspi-firmware" || { echo "customize: could not set ROOTPART in /etc/default/raspi-firmware" >&2; exit 1; }
inroot env DEB_MAINT_PARAMS=configure /etc/kernel/postinst.d/z50-raspi-firmware

# Logins: root stays locked; "admin" (sudo) gets its password at first boot.
inroot passwd -l root >/dev/null
inroot useradd -m -s /bin/bash -G sudo,adm,systemd-journal,dialout -c "site admin" admin
inroot passwd -l admin >/dev/null

# SSH: installed, off until the admin asks (a file "ssh" on the boot partition). Host keys made
# now would be the same on every card: first boot makes them.
inroot systemctl disable ssh.service >/dev/null 2>&1 || true
inroot systemctl mask ssh.socket >/dev/null 2>&1 || true
rm -f "$root"/etc/ssh/ssh_host_*

# The package's D-Bus wpa_supplicant is for NetworkManager; Wi-Fi here is wpa_supplicant@wlan0,
# enabled only when a wpa_supplicant.conf is put on the boot partition.
inroot systemctl disable wpa_supplicant.service >/dev/null 2>&1 || true
inroot systemctl enable systemd-networkd.service systemd-resolved.service smsotpd-firstboot.service smsotpd-bootconfig.service

# Per-device identity is made at first boot (mmdebstrap leaves /etc/machine-id empty).
rm -f "$root/var/lib/dbus/machine-id" "$root/var/lib/systemd/random-seed" "$root/var/lib/systemd/credential.secret"
# A Pi has no RTC: systemd starts its clock no earlier than this file's mtime (the build time),
# so OTP expiry and TLS are not judged against 1970 before NTP answers.
touch "$root/usr/lib/clock-epoch"

# The trimmed initramfs list was for the build (emulation) only; kernel updates on the Pi build
# the usual full one. The modules.d list stays, so those still carry what the image needs.
rm -f "$root/etc/initramfs-tools/conf.d/smsotpd-image.conf"

# Nothing of the build left behind: no data, key or log from a daemon run, no package lists.
[ -z "$(ls -A "$root/var/lib/smsotpd" 2>/dev/null)" ] || { echo "customize: /var/lib/smsotpd is not empty in the image" >&2; exit 1; }
inroot apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/log/*.log "$root"/var/log/apt/* "$root"/var/cache/debconf/*-old
