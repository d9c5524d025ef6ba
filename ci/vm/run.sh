#!/usr/bin/env bash
# Boots Debian's own kernel in a small VM and runs one command inside it, as
# root, with the host's files visible read-only: for tests that need a full
# kernel (V4L2 devices, later netem) on machines and CI runners that have
# neither modules nor /dev/kvm.
#
#   ci/vm/run.sh [--modules "v4l2loopback ..."] [--out DIR] -- COMMAND...
#
# - The kernel is the one Debian's linux-image-amd64 points at, run under
#   qemu's software emulation through virtme-ng (installed in a venv under
#   the cache). /dev/kvm here cannot run a stock kernel, so KVM is off.
# - --modules: out-of-tree modules to build against Debian's headers (cached
#   per kernel version) and load before COMMAND. Known: v4l2loopback.
# - --out DIR: a host directory the guest may write (everything else is
#   read-only or throwaway); $VM_OUT names it inside.
# - COMMAND runs in the current directory with GStreamer's plugin registry
#   built on the host (a scan under emulation takes ~35 s). Its output
#   streams to the terminal and to $CACHE/last-run.log. The script fails,
#   printing the guest's kernel log, when COMMAND fails or the VM does not
#   come up.
#
# env: CAMVIEW_VM_CACHE (default target/vm), CAMVIEW_VM_MEM (2G),
#      CAMVIEW_VM_TIMEOUT (seconds, 900)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${CAMVIEW_VM_CACHE:-$repo/target/vm}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

modules="" out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --modules) modules=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "ci/vm/run.sh: unknown option $1 (usage: ci/vm/run.sh [--modules M] [--out DIR] -- COMMAND...)" >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "ci/vm/run.sh: no command to run in the VM" >&2; exit 2; }

# virtme-ng, pinned, in its own venv. It starts `virtme-run` through PATH.
vng_version=1.42
venv=$cache/venv
if ! "$venv/bin/vng" --version 2>/dev/null | grep -q "$vng_version"; then
  echo "ci/vm/run.sh: installing virtme-ng $vng_version into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "virtme-ng==$vng_version"
fi
export PATH=$venv/bin:$PATH

# The kernel Debian's linux-image-amd64 depends on (not the host's own).
kver=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null | grep -o 'linux-image-[^ ,]*-amd64' | head -1 || true)
kver=${kver#linux-image-}
kernel=/boot/vmlinuz-$kver
if [ -z "$kver" ] || [ ! -r "$kernel" ] || [ ! -d "/usr/src/linux-headers-$kver" ]; then
  echo "ci/vm/run.sh: no Debian kernel with headers; run ci/install-deps.sh (linux-image-amd64, linux-headers-amd64)" >&2
  exit 2
fi

# Out-of-tree modules, built once per kernel version.
load=()
for module in $modules; do
  case "$module" in
    v4l2loopback)
      tarball=/usr/src/v4l2loopback.tar.bz2
      [ -r "$tarball" ] || { echo "ci/vm/run.sh: $tarball missing; run ci/install-deps.sh (v4l2loopback-source)" >&2; exit 2; }
      dir=$cache/modules/v4l2loopback-$kver
      if [ ! -f "$dir/v4l2loopback.ko" ]; then
        echo "ci/vm/run.sh: building v4l2loopback for $kver" >&2
        rm -rf "$dir" && mkdir -p "$dir"
        tar -xjf "$tarball" -C "$dir" --strip-components=2
        make -s -C "/usr/src/linux-headers-$kver" M="$dir" modules >"$dir/build.log" 2>&1 \
          || { cat "$dir/build.log" >&2; echo "ci/vm/run.sh: v4l2loopback did not build" >&2; exit 1; }
      fi
      load+=("$dir/v4l2loopback.ko")
      ;;
    *) echo "ci/vm/run.sh: no recipe for module $module" >&2; exit 2 ;;
  esac
done

# GStreamer's plugin registry, scanned here at native speed.
registry=$cache/gst-registry.bin
GST_REGISTRY=$registry gst-inspect-1.0 >/dev/null

if [ -n "$out" ]; then mkdir -p "$out"; out=$(cd "$out" && pwd); fi
env_file=$cache/guest-env.sh
{
  printf 'export GST_REGISTRY=%q GST_REGISTRY_UPDATE=no HOME=/tmp VM_OUT=%q\n' "$registry" "$out"
  printf 'export CAMVIEW_VM_MODULES=%q\n' "${load[*]:-}"
  printf 'export PATH=%q\n' "$PATH"
  printf 'cd %q\n' "$PWD"
  printf 'set --'; printf ' %q' "$@"; printf '\n'
} >"$env_file"

# Drivers for emulated hardware no test needs: ~4 s of boot under emulation.
blacklist=module_blacklist=kvm,kvm_amd,kvm_intel,iTCO_wdt,iTCO_vendor_support,lpc_ich,ahci,libahci,i2c_i801,i2c_smbus,powernow_k8,pcspkr,sr_mod,cdrom,sg,joydev,psmouse,serio_raw,evdev,button,i6300esb,virtio_rng,rng_core,floppy,bochs,drm

rwdir=()
[ -n "$out" ] && rwdir=(--rwdir "$out")
log=$cache/last-run.log
started=$(date +%s)
set +e
# A pipe, not `> file`: qemu reopens its stdout and would clobber a file.
timeout "${CAMVIEW_VM_TIMEOUT:-900}" vng --disable-kvm --run "$kernel" \
  --memory "${CAMVIEW_VM_MEM:-2G}" --cpus "$(nproc)" --append "$blacklist" "${rwdir[@]}" \
  --exec ". $env_file && $here/guest.sh \"\$@\"" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
echo "ci/vm/run.sh: the VM ran $(( $(date +%s) - started )) s (exit $rc); log in $log" >&2
if [ "$rc" -ne 0 ] || ! grep -q '^CAMVIEW-VM: PASS' "$log"; then
  echo "ci/vm/run.sh: FAILED inside the VM; the guest's log is above and in $log" >&2
  exit 1
fi
