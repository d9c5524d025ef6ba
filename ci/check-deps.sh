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
#   2. finds the packages that own each file opened during the run;
#   3. fails, naming package, file and process, for each file none of
#      whose owners the replay brings in.
# Not every open is a need. Left out: directories (many packages own
# /usr/lib); a directory *read* by one process (it opened at least half of
# the files there, three or more: pkg-config looking for a provider of a
# module it lacks, apt-config reading apt.conf.d, the VM's tmpfiles), since
# reading a directory needs none of what is in it; and the optional helpers
# in `optional` below, which programs use when a machine has them and do
# without otherwise.
# Files no package owns (the Rust toolchain, caches, target/) are not
# packages' business and are left out. Both steps take seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$PWD/target/check-deps
trace=$dir/opened.tsv
pidfile=$dir/fatrace.pid

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

# The recorder runs in a process group of its own (fatrace and its
# filter), so stopping it stops both; a pidfile left from another boot is
# ignored.
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

# Folds merged-/usr paths onto /usr, as the kernel reports them.
fold_usr='{ sub(/^\/(lib|lib32|libx32|lib64|bin|sbin)\//, "/usr&") }'

# Installed files and their packages ("path<TAB>name:arch"), with merged-/usr
# paths folded.
owners() {
  dpkg-query -W -f='${binary:Package}\t${Architecture}\n' | sed 's/:[a-z0-9]*\t/\t/' \
    | sort -u >"$dir/arch.tsv"
  awk 'NR == FNR { split($0, f, "\t"); arch[f[1]] = f[2]; next }
       FNR == 1 { pkg = FILENAME; sub(/.*\//, "", pkg); sub(/\.list$/, "", pkg)
                  name = pkg; sub(/:.*/, "", name)
                  a = (index(pkg, ":") ? substr(pkg, index(pkg, ":") + 1) : arch[name]) }
       { print $0 "\t" name ":" a }' "$dir/arch.tsv" /var/lib/dpkg/info/*.list | awk "$fold_usr 1"
}

# Helpers a program uses when the machine has them and does without
# otherwise (grep -E, over lines "path<TAB>process").
t=$'\t'
optional="^/usr/lib/bfd-plugins/|${t}(ar|nm|ranlib|objdump|strip)\$"  # binutils loads every LTO plugin installed; rustc does its own LTO
optional+="|llvm-symbolizer"                        # ASan symbolizes crash reports with it when it is on PATH
optional+="|^/etc/locale\\.alias${t}"               # glibc reads it when present
optional+="|/libnss_[a-z]+\\.so"                    # NSS modules the machine's nsswitch.conf names
optional+="|^/usr/bin/lsb_release${t}"              # Python's platform probes call it when present
# x11-dl's build script asks pkg-config for every X library's libdir and
# makes do without (the window loads them at run time).
optional+="|^/usr/lib/[^/]+/pkgconfig/(xext|gl|xcursor|xxf86vm|xft|xinerama|xi|x11|x11-xcb|xmu|xrandr|xtst|xrender|xpresent|xscrnsaver|xt)\\.pc${t}"

case "${1:-}" in
  start)
    command -v fatrace >/dev/null || { echo "ci/check-deps.sh: fatrace missing; run ci/install-deps.sh test" >&2; exit 2; }
    mkdir -p "$dir"
    stop_recording
    : >"$trace"
    # Opens only; each file once, with a process that opened it. Paths under
    # the system directories only: the rest belongs to no package.
    set -m
    "${sudo_cmd[@]}" bash -c 'echo $$ >"$2"; exec fatrace -f O 2>/dev/null | awk '\''
        { if (!match($0, /\([0-9]+\): [A-Z<>+]+ +/)) next
          comm = substr($0, 1, RSTART - 1); path = substr($0, RSTART + RLENGTH)
          if (path !~ /^\/(usr|etc|lib|lib32|libx32|lib64|bin|sbin|opt)\//) next
          pid = substr($0, RSTART + 1); sub(/\).*/, "", pid)
          if (!((path, pid) in seen)) { seen[path, pid] = 1; print path "\t" comm "\t" pid; fflush() } }'\'' >>"$1"' \
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
    declare -A files_in=()
    stop_recording
    [ -s "$trace" ] || { echo "ci/check-deps.sh: nothing was recorded; run \`ci/check-deps.sh start\` first" >&2; exit 1; }
    replay >"$dir/replayed.txt"
    [ -s "$dir/replayed.txt" ] || { echo "ci/check-deps.sh: apt's replay of ci/install-deps.sh installed nothing (see $dir/replay.err)" >&2; exit 1; }
    owners | sort -t$'\t' -k1,1 >"$dir/owners.tsv"
    # Opened files (not directories), with how many regular files each
    # one's directory holds.
    while IFS=$'\t' read -r path comm pid; do
      [ -d "$path" ] && continue
      d=${path%/*}
      if [ -z "${files_in[$d]:-}" ]; then
        files_in[$d]=$(find "$d" -maxdepth 1 -type f 2>/dev/null | wc -l)
      fi
      printf '%s\t%s\t%s\t%s\n' "$path" "$comm" "$pid" "${files_in[$d]}"
    done <"$trace" >"$dir/opened-files.tsv"
    # Directory reads left out, then the optional helpers; merged-/usr
    # paths folded; one line a file, with a process that opened it. A
    # process that exited before fatrace read its name shows as "unknown":
    # it takes the name of another process that opened the same file (a
    # short-lived `ar` loading binutils' plugins, say), if there is one.
    awk -F'\t' -v OFS='\t' '
        { d = $1; sub(/\/[^\/]*$/, "", d); key = $3 SUBSEP d; n[key]++; line[NR] = $0; k[NR] = key; size[key] = $4
          if ($2 != "unknown") named[$1] = $2 }
        END { for (i = 1; i <= NR; i++) { key = k[i]
                if (n[key] >= 3 && 2 * n[key] >= size[key]) continue
                split(line[i], f, "\t")
                if (f[2] == "unknown" && (f[1] in named)) f[2] = named[f[1]]
                print f[1], f[2] } }' "$dir/opened-files.tsv" \
      | { grep -Ev "$optional" || true; } | awk "$fold_usr 1" | sort -t$'\t' -k1,1 -u >"$dir/opened-sorted.tsv"
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
