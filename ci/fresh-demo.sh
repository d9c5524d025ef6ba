#!/usr/bin/env bash
# Times `just demo` as a newcomer meets it: a fresh Debian 12 (bookworm
# minbase, plus ca-certificates) with only this machine's Rust toolchain and
# `just`, an empty cargo registry and a fresh clone of this repository. It
# runs in a chroot as root, so the packages `just demo` installs come from
# the Debian mirror and the crates from the registry, as on a new machine.
# Prints each line of the demo with the seconds since it started, then the
# time to the first statistics line and to the end. Not part of `just test`
# (it downloads and compiles everything: about 6 minutes, 9 with --all);
# its figures are in docs/testing.md ("A newcomer's demo, timed").
#
#   ci/fresh-demo.sh [SECONDS]         # the demo's length (default 10)
#   ci/fresh-demo.sh --all [SECONDS]   # then every test stage's packages
#                                      # and tools, timed (what `.ci/run`
#                                      # adds on a completely new machine)
#
# Run as root. Work directory: target/fresh-demo (removed when it is done).
set -euo pipefail
cd "$(dirname "$0")/.."
all=false
if [ "${1:-}" = --all ]; then all=true; shift; fi
seconds=${1:-10}
[ "$(id -u)" = 0 ] || { echo "ci/fresh-demo.sh: run as root (it makes a chroot)" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "ci/fresh-demo.sh: debootstrap missing; run ci/install-deps.sh aarch64" >&2; exit 2; }
rustup_home=${RUSTUP_HOME:-$HOME/.rustup}
cargo_bin=${CARGO_HOME:-$HOME/.cargo}/bin
[ -x "$cargo_bin/cargo" ] && [ -x "$cargo_bin/just" ] \
  || { echo "ci/fresh-demo.sh: needs cargo and just in $cargo_bin" >&2; exit 2; }

work=$PWD/target/fresh-demo
root=$work/root
mounts=()
cleanup() {
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[i]}" 2>/dev/null || true; done
  # Never into a mount still attached (the host's /dev, /sys).
  if [ -d "$work" ]; then rm -rf --one-file-system "$work"; fi
}
trap cleanup EXIT
cleanup
mkdir -p "$root"

# How many Debian packages the root has.
packages_in_root() { chroot "$root" dpkg -l | grep -c '^ii'; }

mirror=$(bash ci/debian-mirror.sh)
echo "ci/fresh-demo.sh: a fresh bookworm in $root" >&2
debootstrap --variant=minbase --include=ca-certificates bookworm "$root" "$mirror" >"$work.log" 2>&1 \
  || { tail -20 "$work.log" >&2; echo "ci/fresh-demo.sh: debootstrap failed" >&2; exit 1; }

# Rust as rustup installs it: the toolchains (read-only, shared with this
# machine), rustup and its proxies, and `just` in ~/.cargo/bin; nothing
# else of ~/.cargo (no registry, no other cargo tools), so every crate is
# downloaded and every tool built.
mkdir -p "$root/root/.cargo/bin" "$root/root/.rustup"
cp -a "$cargo_bin/rustup" "$cargo_bin/just" "$root/root/.cargo/bin/"
for f in "$cargo_bin"/*; do
  if [ "$(readlink "$f")" = rustup ]; then cp -a "$f" "$root/root/.cargo/bin/"; fi
done
for m in proc sys dev; do
  mount --rbind "/$m" "$root/$m" && mounts+=("$root/$m")
done
mount --bind -o ro "$rustup_home" "$root/root/.rustup" && mounts+=("$root/root/.rustup")
cp /etc/resolv.conf "$root/etc/resolv.conf"
# This machine's own certificate authorities (a network that inspects TLS
# has one), as a new machine on the same network would have them.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  chroot "$root" update-ca-certificates >/dev/null
fi
base_packages=$(packages_in_root)
git clone -q "$PWD" "$root/root/camview"

# A login's environment, not this one's.
user_env=(/usr/bin/env -i HOME=/root TERM=dumb
  PATH=/root/.cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
echo "ci/fresh-demo.sh: just demo $seconds, in the chroot" >&2
start=$SECONDS
first=""
status=unknown
while IFS= read -r line; do
  t=$((SECONDS - start))
  if [[ "$line" == "fresh-demo-exit "* ]]; then status=${line#fresh-demo-exit }; continue; fi
  printf '%5d s  %s\n' "$t" "$line"
  # The receiver's first statistics line: the picture is flowing.
  if [ -z "$first" ] && [[ "$line" == *kbit/s* ]]; then first=$t; fi
done < <(chroot "$root" "${user_env[@]}" bash -c "cd /root/camview && just demo $seconds" 2>&1; echo "fresh-demo-exit $?")
end=$((SECONDS - start))
echo
echo "== fresh-machine demo =="
echo "  first statistics after ${first:-?} s, done after $end s ($((end / 60)) min $((end % 60)) s)"
echo "  Debian packages: $base_packages in the fresh root, $(packages_in_root) after the demo"
[ "$status" = 0 ] || { echo "ci/fresh-demo.sh: just demo failed (exit $status)" >&2; exit 1; }
$all || exit 0

groups=$(bash ci/install-deps.sh --groups | paste -sd' ')
echo "ci/fresh-demo.sh: ci/install-deps.sh $groups, in the chroot" >&2
start=$SECONDS
chroot "$root" "${user_env[@]}" bash -c "cd /root/camview && bash ci/install-deps.sh $groups" >"$work-all.log" 2>&1 \
  || { tail -30 "$work-all.log" >&2; echo "ci/fresh-demo.sh: installing every group failed" >&2; exit 1; }
end=$((SECONDS - start))
echo "  every test stage's packages and tools: $end s ($((end / 60)) min $((end % 60)) s) more; $(packages_in_root) Debian packages"
