#!/usr/bin/env bash
# Builds (once, cached) the Docker image the release archive is tested in:
# Debian bookworm, minbase, plus exactly ci/runtime-packages.txt. No image
# registry is reachable, so it is made with debootstrap and `docker import`.
# Starts dockerd first when none answers (--iptables=false --bridge=none
# --storage-driver=vfs: what works on these machines).
#
#   ci/docker-image.sh        # prints the image name
set -euo pipefail
cd "$(dirname "$0")/.."
# One maker at a time (ci/prepare-roots.sh may be making it in the
# background): a second caller waits, then finds it cached.
mkdir -p target
exec 9>"target/.docker-image.lock"
flock -w 1200 9 || { echo "ci/docker-image.sh: target/.docker-image.lock is still held after 20 min" >&2; exit 1; }

image=camview-runtime:bookworm
cache=$PWD/target/docker

if ! docker info >/dev/null 2>&1; then
  command -v dockerd >/dev/null || { echo "ci/docker-image.sh: dockerd missing; run ci/install-deps.sh" >&2; exit 2; }
  mkdir -p "$cache"
  echo "ci/docker-image.sh: starting dockerd (log: $cache/dockerd.log)" >&2
  # (Without our lock's descriptor: the daemon outlives this script.)
  nohup dockerd --iptables=false --bridge=none --storage-driver=vfs >"$cache/dockerd.log" 2>&1 9>&- &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { tail -20 "$cache/dockerd.log" >&2; echo "ci/docker-image.sh: dockerd did not start" >&2; exit 1; }
fi

packages=$(grep -v '^#' ci/runtime-packages.txt | paste -sd, -)
# Docker keeps the image across clones and runs, like the installed
# packages; it is made again when the package list or this recipe changes
# (the key, a label on the image).
key=$(cat ci/runtime-packages.txt ci/docker-image.sh | sha256sum | cut -c1-16)
if [ "$(docker image inspect -f '{{ index .Config.Labels "camview.key" }}' "$image" 2>/dev/null)" = "$key" ]; then
  echo "$image"
  exit 0
fi

mirror=$(bash ci/debian-mirror.sh)
root=$cache/bookworm-root
rm -rf "$root" && mkdir -p "$root"
echo "ci/docker-image.sh: making $image (bookworm minbase + $packages)" >&2
# The first stage here; the second (configuring the packages, as apt does
# on a user's machine: library links, alternatives such as libblas.so.3)
# inside a container. dconf-service's configuration fails without a D-Bus
# (it is a dependency of a dependency of the good plugins, and unused), so
# dpkg is asked once more to configure everything else; then committed.
debootstrap --foreign --variant=minbase --include="$packages" bookworm "$root" "$mirror" >"$cache/debootstrap.log" 2>&1 \
  || { tail -20 "$cache/debootstrap.log" >&2; echo "ci/docker-image.sh: debootstrap failed" >&2; exit 1; }
tar -C "$root" -c . | docker import - "$image-stage1" >/dev/null
rm -rf "$root"
docker rm -f camview-image-build >/dev/null 2>&1 || true
docker run --name camview-image-build --network none "$image-stage1" sh -c \
  '/debootstrap/debootstrap --second-stage; dpkg --configure -a; dpkg -l | grep -c "^ii"' \
  >"$cache/second-stage.log" 2>&1 || true
configured=$(tail -1 "$cache/second-stage.log")
case "$configured" in
  ''|*[!0-9]*|[0-9]|[0-9][0-9]) tail -20 "$cache/second-stage.log" >&2
    echo "ci/docker-image.sh: the packages were not configured" >&2; exit 1 ;;
esac
docker commit --change "LABEL camview.key=$key" camview-image-build "$image" >/dev/null
docker rm camview-image-build >/dev/null
docker rmi "$image-stage1" >/dev/null
# The image this one replaced, untagged now: with the vfs storage driver
# every image is a full copy of its root (about 1 GiB), so none is left.
docker image prune -f >/dev/null
echo "ci/docker-image.sh: $image has $configured packages configured" >&2
echo "$image"
