#!/usr/bin/env bash
# Builds the smsotpd SD-card image for Raspberry Pi 3, 4, 400 and Zero 2 W: Debian 13 "trixie"
# arm64 with Debian's kernel and raspi-firmware, the smsotpd .deb installed and enabled,
# per-device secrets made at first boot, SSH off.
#
#   sudo deploy/image/build.sh [--deb FILE] [--out IMAGE] [--xz]
#
# Without --deb it runs `npm run package` first. Output: deploy/image/out/smsotpd-<version>-arm64.img
# (an MBR disk: FAT32 "RASPIFIRM" with firmware, kernel, initrd, config.txt, cmdline.txt; ext4
# "RASPIROOT"). No loop devices or mounts: mmdebstrap builds a directory (arm64 binaries run
# through qemu-user), mkfs.vfat+mcopy and mkfs.ext4 -d make the two file systems as files, and
# sfdisk+dd put them into the disk image.
#
# Environment: SMSOTPD_IMAGE_MIRROR (default http://deb.debian.org/debian),
# SMSOTPD_IMAGE_SECURITY_MIRROR (default http://deb.debian.org/debian-security),
# SMSOTPD_IMAGE_APT_CACHE (a directory kept between builds for downloaded .debs; default
# deploy/image/out/apt-cache; "none" turns it off).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

die() { echo "build-image: $*" >&2; exit 1; }
say() { echo "build-image: $*"; }

deb="" out="" xz=no
while [ $# -gt 0 ]; do
  case "$1" in
    --deb) deb=${2:?--deb needs a file}; shift 2 ;;
    --out) out=${2:?--out needs a file}; shift 2 ;;
    --xz) xz=yes; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done

[ "$(id -u)" = 0 ] || die "run as root: mmdebstrap chroots into the image, and the file systems must keep root-owned files (sudo $0)"

mirror=${SMSOTPD_IMAGE_MIRROR:-http://deb.debian.org/debian}
security=${SMSOTPD_IMAGE_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
cache=${SMSOTPD_IMAGE_APT_CACHE:-$here/out/apt-cache}
boot_mb=256

# --- tools ------------------------------------------------------------------------------------
# Everything this script runs, installed when missing (a fresh Debian or Ubuntu machine has none
# of it). Recommends stay off, so what mmdebstrap only recommends but needs here is named:
# arch-test (foreign-architecture check), qemu-user-static + binfmt-support (running arm64 in the
# chroot), the archive keyring, gpgv (the Release signatures), ca-certificates (https mirrors).
need=()
for pair in mmdebstrap:mmdebstrap arch-test:arch-test qemu-aarch64-static:qemu-user-static update-binfmts:binfmt-support \
            gpgv:gpgv mkfs.vfat:dosfstools mcopy:mtools sfdisk:fdisk mkfs.ext4:e2fsprogs xz:xz-utils \
            od:coreutils findmnt:mount; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
done
[ -f /usr/share/keyrings/debian-archive-keyring.gpg ] || need+=(debian-archive-keyring)
[ -d /etc/ssl/certs ] && [ -n "$(ls -A /etc/ssl/certs 2>/dev/null)" ] || need+=(ca-certificates)
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
[ -f /usr/share/keyrings/debian-archive-trixie-stable.gpg ] || [ -f /usr/share/keyrings/debian-archive-keyring.gpg ] \
  || die "no Debian archive keyring (apt-get install debian-archive-keyring)"

# arm64 programs in the chroot (maintainer scripts, update-initramfs) run through qemu-user.
mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc \
  || die "cannot mount binfmt_misc: arm64 emulation needs it"
# qemu-user-static registers its formats with binfmt-support when that is installed first; either
# order works with an explicit import.
update-binfmts --import qemu-aarch64 >/dev/null 2>&1 || true
update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
[ "$(cat /proc/sys/fs/binfmt_misc/qemu-aarch64 2>/dev/null | head -n1)" = enabled ] \
  || die "qemu-aarch64 is not registered with binfmt_misc (update-binfmts --enable qemu-aarch64)"

# --- the package ------------------------------------------------------------------------------
version=$(cd "$repo" && node -p "require('./package.json').version" 2>/dev/null) || version=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$repo/package.json")
if [ -z "$deb" ]; then
  say "building the package (npm run package)"
  (cd "$repo" && npm run --silent package)
  deb="$repo/dist-deb/smsotpd_${version}_arm64.deb"
fi
[ -f "$deb" ] || die "no package at $deb"
deb=$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")
[ "$(dpkg-deb -f "$deb" Architecture)" = arm64 ] || die "$deb is not an arm64 package"

out=${out:-$here/out/smsotpd-${version}-arm64.img}
mkdir -p "$(dirname "$out")"
out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")

work=$(mktemp -d "${TMPDIR:-/var/tmp}/smsotpd-image.XXXXXX")
cleanup() {
  # An interrupted mmdebstrap can leave /proc, /sys or /dev mounted in the chroot: never delete
  # through a mount into the host's own file systems.
  if findmnt -rn -o TARGET | grep -qF "$work/"; then
    echo "build-image: leaving $work: file systems are still mounted under it (umount -R them, then rm -rf it)" >&2
  else
    rm -rf --one-file-system "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
rootdir=$work/root
t0=$SECONDS

# --- the root file system -----------------------------------------------------------------------
# Lite: no desktop, no recommends (mmdebstrap's default). Each line says why it is there.
packages=(
  systemd-sysv udev kmod dbus                 # init; dbus for timedatectl (smsotpd doctor's clock check)
  linux-image-arm64 initramfs-tools zstd      # Debian's kernel: Pi 3/4/400/Zero 2 W (no Pi 5)
  raspi-firmware                              # GPU firmware, config.txt/cmdline.txt in /boot/firmware
  firmware-brcm80211 wpasupplicant            # Wi-Fi (the Zero 2 W has no Ethernet)
  systemd-resolved systemd-timesyncd iproute2 iputils-ping
  openssh-server sudo nano less               # off by default; nano for sudoedit
  fdisk e2fsprogs dosfstools                  # first-boot growing of the root partition; fsck
  nodejs adduser gpiod                        # smsotpd's Depends (trixie's nodejs is 20) and Recommends
)
list=$(printf '%s\n' "${packages[@]}" | sed 's/#.*//' | tr -s ' \n' ',' | sed 's/^,//; s/,$//')

hooks=(
  # Before any package: the trimmed initramfs settings must be there when the kernel's postinst
  # runs update-initramfs.
  --setup-hook="tar -C '$here/setup' --owner=0 --group=0 -cf - . | tar -C \"\$1\" -xf -"
)
if [ "$cache" != none ]; then
  mkdir -p "$cache"
  hooks+=(--skip=essential/unlink
          --setup-hook='mkdir -p "$1"/var/cache/apt/archives'
          --setup-hook="sync-in $cache /var/cache/apt/archives"
          --customize-hook="sync-out /var/cache/apt/archives $cache")
fi
hooks+=(--customize-hook="SMSOTPD_IMAGE_DEB='$deb' '$here/customize.sh' \"\$1\"")

say "mmdebstrap: Debian trixie arm64 ($mirror)"
mmdebstrap --mode=root --architectures=arm64 --variant=required \
  --include="$list" \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-include=/usr/share/doc/smsotpd/*' \
  "${hooks[@]}" \
  trixie "$rootdir" \
  "deb $mirror trixie main non-free-firmware" \
  "deb $mirror trixie-updates main non-free-firmware" \
  "deb $security trixie-security main non-free-firmware"
say "root file system built in $((SECONDS - t0)) s"

# mmdebstrap puts the build host's resolver config back; on the Pi systemd-resolved answers.
ln -sfn ../run/systemd/resolve/stub-resolv.conf "$rootdir/etc/resolv.conf"

kver=$(cd "$rootdir/boot" && ls vmlinuz-* | sed 's/^vmlinuz-//' | sort -V | tail -n1)
[ -n "$kver" ] && [ -f "$rootdir/boot/initrd.img-$kver" ] || die "no kernel/initrd in the image's /boot"
# Every module the initramfs list names must exist in this kernel (as a module or built in).
while read -r m; do
  case "$m" in ''|'#'*) continue ;; esac
  pat="/${m//[-_]/[-_]}\.ko"
  grep -qE "${pat}(\.[a-z]+)?:" "$rootdir/lib/modules/$kver/modules.dep" \
    || grep -qE "${pat}\$" "$rootdir/lib/modules/$kver/modules.builtin" \
    || die "initramfs module list names $m, which kernel $kver does not have"
done <"$here/setup/usr/share/initramfs-tools/modules.d/smsotpd-image"
for f in config.txt cmdline.txt "vmlinuz-$kver" "initrd.img-$kver" start4.elf bootcode.bin; do
  [ -f "$rootdir/boot/firmware/$f" ] || die "raspi-firmware did not put $f into /boot/firmware"
done
grep -q 'root=LABEL=RASPIROOT' "$rootdir/boot/firmware/cmdline.txt" || die "cmdline.txt has no root=LABEL=RASPIROOT: $(cat "$rootdir/boot/firmware/cmdline.txt")"

# --- the two file systems and the disk --------------------------------------------------------
say "file systems and disk image"
fw=$work/firmware
mv "$rootdir/boot/firmware" "$fw"
install -d -m 0755 "$rootdir/boot/firmware"          # the mount point
fw_mb=$(du -sm "$fw" | cut -f1)
[ "$fw_mb" -lt $((boot_mb - 32)) ] || die "boot files ($fw_mb MB) do not fit the ${boot_mb} MB boot partition"

truncate -s "${boot_mb}M" "$work/boot.vfat"
mkfs.vfat -F 32 -n RASPIFIRM "$work/boot.vfat" >/dev/null
mcopy -s -p -m -i "$work/boot.vfat" "$fw"/* ::/

used_mb=$(du -sm "$rootdir" | cut -f1)
# Room for metadata and a first `apt update`; first boot grows it to the whole card.
root_mb=$(( (used_mb * 13 / 10 + 400 + 3) / 4 * 4 ))
mkfs.ext4 -q -L RASPIROOT -d "$rootdir" -E lazy_itable_init=1 "$work/root.ext4" "${root_mb}M"

start1=8192                                  # 4 MiB, erase-block aligned
start2=$((start1 + boot_mb * 2048))
total_mb=$((4 + boot_mb + root_mb))
rm -f "$out"
truncate -s "${total_mb}M" "$out"
sfdisk --quiet "$out" <<SFDISK
label: dos
label-id: 0x$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
unit: sectors
start=$start1, size=$((boot_mb * 2048)), type=c, bootable
start=$start2, size=$((root_mb * 2048)), type=83
SFDISK
dd if="$work/boot.vfat" of="$out" bs=1M seek=4 conv=notrunc,sparse status=none
dd if="$work/root.ext4" of="$out" bs=1M seek=$((4 + boot_mb)) conv=notrunc,sparse status=none
sync "$out"

say "image: $out (${total_mb} MB: boot ${boot_mb} MB, root ${root_mb} MB with ${used_mb} MB used; kernel $kver)"
if [ "$xz" = yes ]; then
  xz -T0 -3 -f -k "$out"
  say "compressed: $out.xz ($(du -h "$out.xz" | cut -f1))"
fi
say "done in $((SECONDS - t0)) s"
