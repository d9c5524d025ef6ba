#!/usr/bin/env bash
# Proves that ci/install-deps.sh installs everything `just test` used, so a
# fresh machine cannot fail where this one passed (a package installed by
# hand once hid liborc-0.4-dev:arm64 from CI).
#
#   ci/check-deps.sh start     # record which files are opened, from now on
#   ci/check-deps.sh verify    # stop recording and check them
#   ci/check-deps.sh stop      # stop recording (a failed run)
#
# `start` runs fatrace (fanotify; root, or sudo) in the background: every
# file any process opens, kept once per file with the name of a process
# that opened it. `verify` then
#   1. replays the script: asks apt which packages its groups bring onto a
#      clean Debian 12 (an empty package database, as debootstrap starts
#      from), adding the base system every Debian installation has
#      (priorities required and important);
#   2. finds the packages that own each file opened during the run
#      (directories left out: many packages own /usr/lib);
#   3. fails, naming package, file and process, for each file none of
#      whose owners the replay brings in.
# Files no package owns (the Rust toolchain, caches, target/) are not
# packages' business and are left out. Both steps take seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$PWD/target/check-deps
trace=$dir/opened.tsv
pidfile=$dir/fatrace.pid

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

# The recorder runs in a session of its own (fatrace and its filter), so
# stopping it stops both; a pidfile left from another boot is ignored.
stop_recording() {
  [ -f "$pidfile" ] || return 0
  local pid
  pid=$(cat "$pidfile")
  rm -f "$pidfile"
  if grep -qs fatrace "/proc/$pid/cmdline"; then
    "${sudo_cmd[@]}" kill -- "-$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
}

# The packages ci/install-deps.sh brings onto a clean Debian 12, as
# "name:arch" lines (arch "all" for architecture-independent ones).
replay() {
  local empty=$dir/empty-root
  rm -rf "$empty" && mkdir -p "$empty/lists/partial"
  : >"$empty/status"
  local wanted=()
  for g in $(bash ci/install-deps.sh --groups); do
    mapfile -t -O "${#wanted[@]}" wanted < <(bash ci/install-deps.sh --list "$g")
  done
  # The base system every Debian installation has.
  mapfile -t -O "${#wanted[@]}" wanted < <(apt-cache dumpavail \
    | awk '/^Package:/ { p = $2 } /^Priority: (required|important)$/ { print p }' | sort -u)
  apt-get -s -o Dir::State::status="$empty/status" -o Dir::State::extended_states="$empty/extended" \
    -o Debug::NoLocking=1 install --no-install-recommends "${wanted[@]}" 2>"$dir/replay.err" \
    | awk '/^Inst / && match($0, /\[[a-z0-9]+\]/) { name = $2; sub(/:.*/, "", name)
                                                      print name ":" substr($0, RSTART + 1, RLENGTH - 2) }' | sort -u \
    || { cat "$dir/replay.err" >&2; echo "ci/check-deps.sh: apt could not replay ci/install-deps.sh on an empty root" >&2; exit 1; }
}

# Installed files and their packages ("path<TAB>name:arch"), with merged-/usr
# paths folded onto /usr as the kernel reports them.
owners() {
  dpkg-query -W -f='${binary:Package}\t${Architecture}\n' | sed 's/:[a-z0-9]*\t/\t/' \
    | sort -u >"$dir/arch.tsv"
  awk 'NR == FNR { split($0, f, "\t"); arch[f[1]] = f[2]; next }
       FNR == 1 { pkg = FILENAME; sub(/.*\//, "", pkg); sub(/\.list$/, "", pkg)
                  name = pkg; sub(/:.*/, "", name)
                  a = (index(pkg, ":") ? substr(pkg, index(pkg, ":") + 1) : arch[name]) }
       { path = $0; sub(/^\/(lib|lib32|libx32|lib64|bin|sbin)\//, "/usr&", path); print path "\t" name ":" a }' \
    "$dir/arch.tsv" /var/lib/dpkg/info/*.list
}

# Folds merged-/usr paths onto /usr, as the kernel reports them.
fold_usr='{ sub(/^\/(lib|lib32|libx32|lib64|bin|sbin)\//, "/usr&") }'

case "${1:-}" in
  start)
    command -v fatrace >/dev/null || { echo "ci/check-deps.sh: fatrace missing; run ci/install-deps.sh test" >&2; exit 2; }
    mkdir -p "$dir"
    stop_recording
    : >"$trace"
    # Opens only; each file once, with a process that opened it. Paths under
    # the system directories only: the rest belongs to no package.
    "${sudo_cmd[@]}" setsid bash -c 'echo $$ >"$2"; exec fatrace -f O 2>/dev/null | awk '\''
        { if (!match($0, /\([0-9]+\): [A-Z<>+]+ +/)) next
          comm = substr($0, 1, RSTART - 1); path = substr($0, RSTART + RLENGTH)
          if (path !~ /^\/(usr|etc|lib|lib32|libx32|lib64|bin|sbin|opt)\//) next
          if (!(path in seen)) { seen[path] = 1; print path "\t" comm; fflush() } }'\'' >>"$1"' \
      _ "$trace" "$pidfile" </dev/null >/dev/null 2>&1 &
    for _ in $(seq 50); do [ -s "$pidfile" ] && break; sleep 0.1; done
    sleep 0.5
    pid=$(cat "$pidfile" 2>/dev/null || true)
    [ -n "$pid" ] && grep -qs fatrace "/proc/$pid/cmdline" \
      || { echo "ci/check-deps.sh: fatrace did not start (it needs root or sudo)" >&2; exit 1; }
    echo "ci/check-deps.sh: recording which files are opened (target/check-deps/opened.tsv)" >&2
    ;;
  stop)
    stop_recording
    ;;
  verify)
    stop_recording
    [ -s "$trace" ] || { echo "ci/check-deps.sh: nothing was recorded; run \`ci/check-deps.sh start\` first" >&2; exit 1; }
    replay >"$dir/replayed.txt"
    [ -s "$dir/replayed.txt" ] || { echo "ci/check-deps.sh: apt's replay of ci/install-deps.sh installed nothing (see $dir/replay.err)" >&2; exit 1; }
    owners | sort -t$'\t' -k1,1 >"$dir/owners.tsv"
    # Opened files, not directories, with merged-/usr paths folded.
    while IFS=$'\t' read -r path comm; do
      [ -d "$path" ] || printf '%s\t%s\n' "$path" "$comm"
    done <"$trace" | awk "$fold_usr 1" | sort -t$'\t' -k1,1 -u >"$dir/opened-sorted.tsv"
    # path, package, process: every owner of every opened file
    join -t$'\t' "$dir/owners.tsv" "$dir/opened-sorted.tsv" >"$dir/used.tsv"
    # A file is covered when any of its owners is replayed.
    awk -F'\t' 'NR == FNR { have[$1] = 1; next }
                { split($2, pa, ":"); ok = ($2 in have) || ((pa[1] ":all") in have)
                  covered[$1] = covered[$1] || ok; owner[$1] = $2; comm[$1] = $3 }
                END { for (p in covered) if (!covered[p]) print owner[p] "\t" p "\t" comm[p] }' \
      "$dir/replayed.txt" "$dir/used.tsv" | sort -t$'\t' -k1,1 -u >"$dir/missing.tsv"
    used=$(cut -f2 "$dir/used.tsv" | sort -u | wc -l)
    if [ -s "$dir/missing.tsv" ]; then
      echo "ci/check-deps.sh: this run used packages ci/install-deps.sh does not install on a fresh machine:" >&2
      awk -F'\t' '{ printf "  %-36s %s (opened by %s)\n", $1, $2, $3 }' "$dir/missing.tsv" >&2
      echo "Add each to the group of the stage that uses it in ci/install-deps.sh." >&2
      exit 1
    fi
    echo "ci/check-deps.sh: all $used packages this run used are installed by ci/install-deps.sh on a fresh Debian 12" >&2
    ;;
  *) echo "usage: ci/check-deps.sh start | verify | stop" >&2; exit 2 ;;
esac
