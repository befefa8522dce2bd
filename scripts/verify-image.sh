#!/usr/bin/env bash
# Boots the smsotpd SD-card image under QEMU (arm64 "virt" machine, Debian's kernel from the
# image, TCG emulation) and checks it the way a site admin would use it, through a simulated GSM
# modem on a virtual USB serial port:
#
#   sudo scripts/verify-image.sh [IMAGE]      (no IMAGE: builds one with deploy/image/build.sh)
#
# 1. first boot: passwords on the console and in smsotpd-credentials.txt on the boot partition,
#    the smsotpd admin's password accepted by POST /auth, root grown to the disk; SSH off in the
#    image (no host keys in it) and turned on by a file "ssh" on the boot partition
# 2. /healthz answers 200 over HTTPS on 443 from the host (hostfwd to 127.0.0.1 only; the guest has
#    no other way out), with the certificate whose fingerprint the first-boot banner showed
# 3. `systemctl restart smsotpd` in the guest: a new process answers /healthz again
# 4. `smsotpd doctor` in the guest has no FAIL line and exits 0
# 5. one OTP login from the host: PIN -> transaction_id, the SMS read from the host simulator's
#    record (it went out through /dev/ttyUSB0 in the guest), OTP -> "value": true
#
# The disk the guest sees is a copy of the image with a verification config (modem provider on
# /dev/ttyUSB0, listening on the guest's interfaces) and a verification unit written into its
# root file system; the image itself is not changed. Installs what it needs with apt-get.
# Exits non-zero on any failed check. Takes 8-11 minutes on 2 cores (mostly emulation).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

die() { echo "verify-image: FAIL: $*" >&2; exit 1; }
say() { echo "verify-image: $*"; }
now_ms() { date +%s%3N; }
secs() { awk -v ms="$1" 'BEGIN { printf "%.1f s", ms / 1000 }'; }

case "${1:-}" in -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;; esac
[ "$(id -u)" = 0 ] || die "run as root (apt-get, binfmt_misc and the image build need it): sudo $0 $*"
image=${1:-}
[ $# -le 1 ] || die "usage: $0 [IMAGE]"

# --- tools ------------------------------------------------------------------------------------
need=()
for pair in qemu-system-aarch64:qemu-system-arm qemu-img:qemu-utils debugfs:e2fsprogs sfdisk:fdisk mcopy:mtools curl:curl; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
done
# The virtio NIC's option ROM; QEMU refuses to start the NIC without it.
[ -f /usr/lib/ipxe/qemu/efi-virtio.rom ] || need+=(ipxe-qemu)
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
command -v node >/dev/null || die "node is needed on the host for the modem simulator (Node.js >= 20.18)"
[ -f dist/cli/smsotpd.cjs ] || { say "building dist/ for the simulator"; npm run --silent build; }

work=$(mktemp -d "${TMPDIR:-/var/tmp}/smsotpd-verify.XXXXXX")
qemu_pid="" sim_pid=""
cleanup() {
  local rc=$?
  [ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null && wait "$qemu_pid" 2>/dev/null || true
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null || true
  if [ $rc -ne 0 ] && [ -f "$work/console.log" ]; then
    # The console shows the throwaway VM's first-boot passwords: keep the log, not them.
    keep=/var/tmp/smsotpd-verify-console.log
    sed -E 's/(admin \/ )[A-Za-z0-9]+/\1[redacted]/' "$work/console.log" >"$keep" || true
    echo "verify-image: guest console (passwords redacted): $keep" >&2
    tail -n 40 "$keep" >&2 || true
  fi
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- stage: build or take the image --------------------------------------------------------------
t=$(now_ms)
if [ -z "$image" ]; then
  say "no image given: building one (deploy/image/build.sh)"
  "$repo/deploy/image/build.sh"
  image=$(ls -t "$repo"/deploy/image/out/smsotpd-*-arm64.img | head -n1)
  t_build=$(( $(now_ms) - t )); build_label="build"
else
  t_build=0; build_label="build (image given)"
fi
[ -f "$image" ] || die "no image at $image"
say "image: $image"

# --- stage: extract kernel/initrd, prepare the guest's disk ---------------------------------------
t=$(now_ms)
read -r p2_start < <(sfdisk -J "$image" | node -e 'const p=JSON.parse(require("fs").readFileSync(0)).partitiontable.partitions; if (p.length!==2) process.exit(1); console.log(p[1].start*512)') \
  || die "$image has no two-partition table (is it an smsotpd image?)"
cp --sparse=always "$image" "$work/disk.raw"
fs="$work/disk.raw?offset=$p2_start"
dbg() { debugfs "$@" 2>"$work/debugfs.err" || { cat "$work/debugfs.err" >&2; die "debugfs $*"; }; }
kver=$(dbg -R 'ls /boot' "$fs" | tr -s ' ' '\n' | sed -n 's/^vmlinuz-//p' | sort -V | tail -n1)
[ -n "$kver" ] || die "no /boot/vmlinuz-* in the image's root file system"
dbg -R "dump /boot/vmlinuz-$kver $work/vmlinuz" "$fs" >/dev/null
dbg -R "dump /boot/initrd.img-$kver $work/initrd.img" "$fs" >/dev/null
gid=$(dbg -R 'cat /etc/group' "$fs" | awk -F: '$1=="smsotpd"{print $3}')
[ -n "$gid" ] || die "no smsotpd group in the image: is the package installed?"
[ -n "$(dbg -R "ls /lib/modules/$kver/kernel/drivers/usb/serial" "$fs" | grep -o 'ftdi_sio[.a-z]*')" ] \
  || die "the image's kernel has no ftdi_sio module (QEMU's usb-serial is an FT232)"

# The verification config: the package's defaults, with the modem the guest gets from QEMU.
cat >"$work/config.json" <<'JSON'
{
  "listen": { "host": "0.0.0.0", "port": 443, "tls": "auto" },
  "dataDir": "/var/lib/smsotpd",
  "token": { "otpLength": 6, "challengeValidity": 300, "maxFail": 10 },
  "sms": {
    "text": "Your login code is {otp}",
    "providers": [
      { "id": "hat", "type": "modem", "device": "/dev/ttyUSB0", "profile": "sim800" }
    ]
  }
}
JSON
cat >"$work/smsotpd-verify.service" <<'UNIT'
[Unit]
Description=verify-image.sh: checks inside the guest
After=smsotpd.service smsotpd-firstboot.service
Wants=smsotpd.service

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/smsotpd-verify
StandardOutput=journal+console
StandardError=journal+console
TimeoutStartSec=20min
UNIT
# Runs in the guest; every line it prints starting with "VERIFY" is read by this script on the
# console. It prints no password.
cat >"$work/smsotpd-verify" <<'GUEST'
#!/bin/bash
set -uo pipefail
ms() { date +%s%3N; }
say() { echo "VERIFY $*"; }
fail() { echo "VERIFY FAIL $*"; exit 1; }
# HTTPS on the loopback through node (the image has no curl), verifying the server against the
# certificate smsotpd made (a self-signed one, its own trust anchor). Prints a status line, then
# the body, like an HTTP/1.0 exchange.
http() { # METHOD PATH [FORM]
  node -e '
    const https = require("https"), fs = require("fs");
    const [method, path, body = ""] = process.argv.slice(1);
    const req = https.request({ host: "127.0.0.1", port: 443, method, path, timeout: 30000,
        ca: fs.readFileSync("/var/lib/smsotpd/tls/cert.pem"),
        headers: { "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body) } },
      (res) => { let d = ""; res.on("data", (c) => (d += c)); res.on("end", () => process.stdout.write(`HTTP/1.1 ${res.statusCode} x\r\n\r\n${d}`)); });
    req.on("error", () => process.exit(1));
    req.on("timeout", () => req.destroy());
    req.end(body);' "$1" "$2" "${3:-}" 2>/dev/null
}
healthy() { http GET /healthz | head -n1 | grep -q ' 200 '; }
wait_healthy() { local i; for i in $(seq 1 ${1:-300}); do healthy && return 0; sleep 1; done; return 1; }

wait_healthy 1800 || fail "smsotpd never answered /healthz inside the guest"

# First boot.
[ -e /var/lib/smsotpd-firstboot/done ] || fail "first boot did not finish: $(systemctl status smsotpd-firstboot --no-pager 2>&1 | tail -n 5)"
creds=/boot/firmware/smsotpd-credentials.txt
mountpoint -q /boot/firmware || fail "/boot/firmware (LABEL=RASPIFIRM) is not mounted"
[ -s "$creds" ] || fail "no $creds on the boot partition"
api_pw=$(sed -n 's/^ *smsotpd admin: *admin \/ \([A-Za-z0-9]*\)$/\1/p' "$creds")
[ -n "$api_pw" ] || fail "no smsotpd admin password in $creds"
auth=$(http POST /auth "username=admin&password=$api_pw")
echo "$auth" | grep -q '"status": *true' && echo "$auth" | grep -q '"token"' \
  || fail "POST /auth with the password from $creds: $(echo "$auth" | head -n1)"
say "firstboot ok: credentials file on the boot partition, its smsotpd admin password accepted by POST /auth"
[ -s /etc/ssh/ssh_host_ed25519_key ] || fail "no SSH host key made at first boot"
# The host put a file "ssh" on the boot partition: SSH must come on, and the file go.
for i in $(seq 1 60); do systemctl is-active --quiet ssh.service && break; sleep 1; done
systemctl is-active --quiet ssh.service || fail "the file ssh on the boot partition did not turn SSH on: $(systemctl status smsotpd-bootconfig ssh --no-pager 2>&1 | tail -n 8)"
systemctl is-enabled --quiet ssh.service || fail "ssh.service runs but is not enabled for the next boots"
[ ! -e /boot/firmware/ssh ] || fail "the file ssh is still on the boot partition"
say "ssh ok: host keys made at first boot; the file ssh on the boot partition turned sshd on (enabled, active) and was removed"
root_mb=$(df -BM --output=size / | tail -n1 | tr -dc 0-9)
[ "$root_mb" -gt 2500 ] || fail "root file system not grown to the disk: ${root_mb} MB"
say "grow ok: root file system ${root_mb} MB"

# The hardened unit, as installed: its exposure score, and that its sandbox still reaches what
# smsotpd needs (port 443 is proven by every request here; the modem by the login the host makes).
score=$(systemd-analyze security smsotpd.service 2>/dev/null | sed -n 's/.*Overall exposure level for smsotpd.service: \([0-9.]*\).*/\1/p')
[ -n "$score" ] || fail "systemd-analyze security smsotpd.service gave no score"
awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || fail "smsotpd.service exposure $score > 2.0"
[ "$(systemctl show -p User --value smsotpd)" = smsotpd ] || fail "smsotpd.service does not run as the smsotpd user"
say "unit ok: exposure $score (systemd-analyze security), user smsotpd, HTTPS on 443 with CAP_NET_BIND_SERVICE only"
# GPIO (a modem's power key): the same unit file with gpioinfo as its program, so the same sandbox.
if ls /dev/gpiochip* >/dev/null 2>&1; then
  sed -e 's|^ExecStart=.*|ExecStart=/usr/bin/gpioinfo|' -e 's|^Type=.*|Type=oneshot|' -e '/^Restart/d' \
    /usr/lib/systemd/system/smsotpd.service >/run/systemd/system/smsotpd-gpiocheck.service
  systemctl daemon-reload
  systemctl start smsotpd-gpiocheck.service || fail "gpioinfo in smsotpd's sandbox: $(journalctl -u smsotpd-gpiocheck --no-pager -n 5 2>&1)"
  lines=$(journalctl -u smsotpd-gpiocheck --no-pager -o cat | grep -c 'line ')
  say "gpio ok: gpioinfo under smsotpd.service's sandbox read $lines lines of $(ls /dev/gpiochip* | tr '\n' ' ')"
else
  say "gpio skipped: this guest has no /dev/gpiochip*"
fi

# Restart.
pid1=$(systemctl show -p MainPID --value smsotpd)
t=$(ms)
systemctl restart smsotpd || fail "systemctl restart smsotpd: $(systemctl status smsotpd --no-pager 2>&1 | tail -n 5)"
wait_healthy 300 || fail "no /healthz after systemctl restart smsotpd"
pid2=$(systemctl show -p MainPID --value smsotpd)
[ "$pid1" != "$pid2" ] && [ "$pid2" != 0 ] || fail "MainPID did not change on restart ($pid1 -> $pid2)"
say "restart ok $(( $(ms) - t )) ms (pid $pid1 -> $pid2)"

# Doctor: the modem on /dev/ttyUSB0 needs its boot and registration first; give it time.
t=$(ms)
for i in $(seq 1 30); do
  out=$(smsotpd doctor 2>&1); rc=$?
  [ $rc -eq 0 ] && ! echo "$out" | grep -q '^FAIL' && break
  sleep 5
done
echo "$out" | sed 's/^/VERIFY doctor| /'
[ $rc -eq 0 ] && ! echo "$out" | grep -q '^FAIL' || fail "smsotpd doctor (exit $rc)"
echo "$out" | grep -q '^ok   modem hat' || fail "doctor did not report the modem hat as ok"
say "doctor ok $(( $(ms) - t )) ms"

# A user with an SMS token, for the login the host makes.
t=$(ms)
smsotpd user add alice --mobile +4917612345678 >/dev/null || fail "smsotpd user add alice"
echo 1234 | smsotpd token init --user alice --phone +4917612345678 --pin-stdin >/dev/null || fail "smsotpd token init"
say "enrolled ok $(( $(ms) - t )) ms"
say "ready"
GUEST
chmod 0755 "$work/smsotpd-verify"
chmod 0644 "$work/smsotpd-verify.service"
chmod 0640 "$work/config.json"
cat >"$work/debugfs.cmd" <<CMDS
rm /etc/smsotpd/config.json
write $work/config.json /etc/smsotpd/config.json
sif /etc/smsotpd/config.json uid 0
sif /etc/smsotpd/config.json gid $gid
write $work/smsotpd-verify /usr/local/sbin/smsotpd-verify
write $work/smsotpd-verify.service /etc/systemd/system/smsotpd-verify.service
CMDS
debugfs -w -f "$work/debugfs.cmd" "$fs" >"$work/debugfs.out" 2>&1 || { cat "$work/debugfs.out" >&2; die "writing the verification files into the guest's disk"; }
! grep -qiE 'error|not found|Ext2' "$work/debugfs.out" || { cat "$work/debugfs.out" >&2; die "debugfs reported a problem writing the verification files"; }
# SSH as built: off, and no host keys that every card would share.
dbg -R 'ls /etc/systemd/system/multi-user.target.wants' "$fs" | grep -q 'ssh\.service' && die "the image enables ssh.service"
dbg -R 'ls /etc/ssh' "$fs" | grep -q 'ssh_host_' && die "the image ships SSH host keys"
# The documented way to turn SSH on: an empty file "ssh" on the boot partition (of the copy).
p1_start=$(sfdisk -J "$image" | node -e 'console.log(JSON.parse(require("fs").readFileSync(0)).partitiontable.partitions[0].start*512)')
: >"$work/ssh"
mcopy -i "$work/disk.raw@@$p1_start" "$work/ssh" ::/ssh || die "could not put the file ssh on the guest's boot partition"
# A disk bigger than the image, as an SD card is: first boot must grow the root partition.
qemu-img create -q -f qcow2 -F raw -b "$work/disk.raw" "$work/disk.qcow2" 4G
t_extract=$(( $(now_ms) - t ))
say "kernel $kver; guest disk ready in $(secs $t_extract)"

# --- the simulated modem and the guest --------------------------------------------------------------
read -r http_port modem_port < <(node -e '
  const net = require("net"); const ports = [];
  const next = () => { const s = net.createServer(); s.listen(0, "127.0.0.1", () => { ports.push(s.address().port); s.close(() => ports.length < 2 ? next() : console.log(ports.join(" "))); }); };
  next();')
mkdir -p "$work/sim"
node dist/cli/smsotpd.cjs sim --listen "tcp://127.0.0.1:$modem_port" --profile sim800 --data-dir "$work/sim" >"$work/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$modem_port") 2>/dev/null && break; sleep 0.1; done
kill -0 "$sim_pid" 2>/dev/null || { cat "$work/sim.log" >&2; die "the modem simulator did not start"; }
say "modem simulator on 127.0.0.1:$modem_port (record: sim-sms.jsonl)"

t_boot0=$(now_ms)
# Emulation on a busy host can take longer than systemd's 90 s for the boot partition's device to
# appear (its fsck and mount then fail and the guest lands in emergency mode): the device and
# start timeouts are raised on the guest's command line; a real Pi has them in seconds.
# QEMU connects to the simulator (server=off): the simulator only listens. The FT232 that
# usb-serial emulates is /dev/ttyUSB0 in the guest (ftdi_sio). restrict=on: the guest reaches
# nothing outside; only the hostfwd on 127.0.0.1 comes in.
qemu-system-aarch64 -M virt -cpu cortex-a53 -smp 2 -m 1024 -nodefaults -display none -no-reboot \
  -kernel "$work/vmlinuz" -initrd "$work/initrd.img" \
  -append "root=LABEL=RASPIROOT rw console=ttyAMA0 net.ifnames=0 systemd.wants=smsotpd-verify.service systemd.default_device_timeout_sec=900 systemd.default_timeout_start_sec=900" \
  -drive file="$work/disk.qcow2",format=qcow2,if=virtio -snapshot \
  -netdev user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:"$http_port"-:443 -device virtio-net-pci,netdev=net0 \
  -device virtio-rng-pci \
  -device qemu-xhci -chardev socket,id=modem,host=127.0.0.1,port="$modem_port",server=off -device usb-serial,chardev=modem \
  -serial file:"$work/console.log" >"$work/qemu.log" 2>&1 &
qemu_pid=$!
say "guest booting (qemu pid $qemu_pid; API on 127.0.0.1:$http_port)"

alive() { kill -0 "$qemu_pid" 2>/dev/null || { cat "$work/qemu.log" >&2; die "QEMU exited"; }; }
# The guest's VERIFY lines, without the journal's "[time] unit[pid]: " prefix the console adds.
verify_lines() { { grep -ao 'VERIFY .*' "$work/console.log" 2>/dev/null || true; } | tr -d '\r'; }
# Waits for a VERIFY line on the guest console; a VERIFY FAIL line ends the run.
wait_console() { # PATTERN TIMEOUT_S
  local deadline=$((SECONDS + $2))
  while [ $SECONDS -lt $deadline ]; do
    alive
    if verify_lines | grep -q '^VERIFY FAIL'; then
      verify_lines >&2; die "inside the guest: $(verify_lines | grep '^VERIFY FAIL' | head -n1)"
    fi
    verify_lines | grep -E "$1" && return 0
    sleep 1
  done
  die "no '$1' on the guest console within $2 s"
}

# --- stage: boot to /healthz ----------------------------------------------------------------------
api="https://127.0.0.1:$http_port"
# The guest makes its certificate at first boot and shows its SHA-256 fingerprint on the console.
# The host takes the certificate it is served, checks that fingerprint, and from then on verifies
# every connection against it (curl --cacert), as a site pins it in its RADIUS or PAM client.
cacert=$work/guest-cert.pem
guest_cert() {
  node -e '
    const tls = require("tls");
    const s = tls.connect({ host: "127.0.0.1", port: +process.argv[1], rejectUnauthorized: false, servername: "localhost" }, () => {
      const c = s.getPeerCertificate();
      const pem = "-----BEGIN CERTIFICATE-----\n" + c.raw.toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "") + "\n-----END CERTIFICATE-----\n";
      require("fs").writeFileSync(process.argv[2], pem);
      console.log(c.fingerprint256); s.end();
    });
    s.on("error", () => process.exit(1)); s.setTimeout(5000, () => process.exit(1));' "$http_port" "$cacert" 2>/dev/null
}
# Emulated, a first boot takes 1-2 minutes on an idle 2-core host and over 10 on a busy one.
boot_timeout=${SMSOTPD_VERIFY_BOOT_TIMEOUT:-1800}
deadline=$((SECONDS + boot_timeout))
until served_fp=$(guest_cert) && curl -fsS -o /dev/null --max-time 5 --cacert "$cacert" "$api/healthz" 2>/dev/null; do
  alive
  [ $SECONDS -lt $deadline ] || die "no 200 from $api/healthz within $boot_timeout s of starting QEMU (SMSOTPD_VERIFY_BOOT_TIMEOUT)"
  sleep 1
done
t_healthz=$(( $(now_ms) - t_boot0 ))
say "healthz 200 over HTTPS from the host after $(secs $t_healthz)"
grep -aq 'smsotpd appliance, first boot' "$work/console.log" && grep -aq 'console/SSH login: *admin / ' "$work/console.log" \
  || die "the first-boot banner with the login was not shown on the console"
say "first-boot banner with both logins shown on the console"
shown_fp=$(grep -a -A1 'pin it in RADIUS' "$work/console.log" | tail -n1 | tr -d ' \r')
norm() { tr -d ':\n' | tr 'a-f' 'A-F'; }
[ -n "$shown_fp" ] && [ "$(echo "$shown_fp" | norm)" = "$(echo "$served_fp" | norm)" ] \
  || die "the certificate served on 443 ($served_fp) is not the one the first-boot banner showed ($shown_fp)"
say "HTTPS: the certificate served on 443 has the fingerprint the first-boot banner showed; every request from here on verifies it"

# --- in-guest stages: first boot, restart, doctor, enrol -------------------------------------------
wait_console '^VERIFY firstboot ok' 600 | sed 's/^/  guest: /'
wait_console '^VERIFY ssh ok' 60 | sed 's/^/  guest: /'
wait_console '^VERIFY grow ok' 60 | sed 's/^/  guest: /'
line=$(wait_console '^VERIFY unit ok' 120); echo "  guest: $line"
exposure=$(echo "$line" | sed -n 's/.*exposure \([0-9.]*\).*/\1/p')
wait_console '^VERIFY gpio (ok|skipped)' 120 | sed 's/^/  guest: /'
line=$(wait_console '^VERIFY restart ok' 600); echo "  guest: $line"
t_restart=$(echo "$line" | sed -n 's/.*restart ok \([0-9]*\) ms.*/\1/p')
curl -fsS -o /dev/null --max-time 10 --cacert "$cacert" "$api/healthz" || die "no 200 from $api/healthz after the restart"
line=$(wait_console '^VERIFY doctor ok' 600)
verify_lines | grep '^VERIFY doctor|' | sed 's/^VERIFY doctor| /  doctor: /'
echo "  guest: $line"
t_doctor=$(echo "$line" | sed -n 's/.*doctor ok \([0-9]*\) ms.*/\1/p')
wait_console '^VERIFY enrolled ok' 600 | sed 's/^/  guest: /'
wait_console '^VERIFY ready' 60 >/dev/null

# --- stage: one OTP login through the modem ---------------------------------------------------------
t=$(now_ms)
records=$work/sim/sim-sms.jsonl
before=$( [ -f "$records" ] && wc -l <"$records" || echo 0 )
step1=$(curl -fsS --max-time 60 --cacert "$cacert" -d user=alice -d pass=1234 "$api/validate/check") || die "POST /validate/check (PIN) failed"
txid=$(echo "$step1" | node -e 'const r=JSON.parse(require("fs").readFileSync(0)); if (r.result?.status!==true || r.result?.value!==false || !r.detail?.transaction_id) process.exit(1); console.log(r.detail.transaction_id)') \
  || die "step 1 gave no challenge: $step1"
say "step 1: PIN accepted, transaction_id $txid"
otp=""
for _ in $(seq 1 120); do
  if [ -f "$records" ] && [ "$(wc -l <"$records")" -gt "$before" ]; then
    otp=$(tail -n +"$((before + 1))" "$records" | node -e '
      for (const l of require("fs").readFileSync(0, "utf8").split("\n").filter(Boolean)) {
        const r = JSON.parse(l); const m = /\b(\d{6})\b/.exec(r.text);
        if (r.to === "+4917612345678" && m) { console.log(m[1]); break; } }')
    [ -n "$otp" ] && break
  fi
  sleep 1
done
[ -n "$otp" ] || die "no SMS to +4917612345678 reached the host's simulated modem within 120 s"
say "SMS reached the simulated modem through the guest's /dev/ttyUSB0"
step2=$(curl -fsS --max-time 60 --cacert "$cacert" -d user=alice -d transaction_id="$txid" -d pass="$otp" "$api/validate/check") || die "POST /validate/check (OTP) failed"
echo "$step2" | node -e 'const r=JSON.parse(require("fs").readFileSync(0)); process.exit(r.result?.status===true && r.result?.value===true ? 0 : 1)' \
  || die "step 2 did not accept the OTP: $step2"
t_login=$(( $(now_ms) - t ))
say "step 2: OTP accepted, \"value\": true"

total=$(( t_build + t_extract + $(now_ms) - t_boot0 ))   # the guest stages overlap the boot figure
echo
echo "verify-image: PASS ($image, kernel $kver)"
printf '  %-28s %s\n' "$build_label" "$(secs $t_build)" "extract + guest disk" "$(secs $t_extract)" \
  "boot to /healthz 200" "$(secs $t_healthz)" "systemctl restart -> 200" "$(secs "${t_restart:-0}")" \
  "doctor green" "$(secs "${t_doctor:-0}")" "OTP login via modem" "$(secs $t_login)" "total" "$(secs $total)"
echo "  unit exposure (systemd-analyze security, in the guest): $exposure"
