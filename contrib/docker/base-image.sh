#!/usr/bin/env bash
# Makes sure the Docker engine has the base image the Dockerfile starts from
# (debian:bookworm-slim), so the souk image builds without a registry:
#   contrib/docker/base-image.sh            # present: nothing to do; else pull; else build it
#   contrib/docker/base-image.sh --build    # build it from Debian's packages even if it could be pulled
# When the image is neither present nor pullable (no route to the public
# registry), it is made here: debootstrap installs a minimal bookworm from a
# Debian mirror into a temporary directory, the parts a container never reads
# (documentation, man pages, translations, package caches) are left out as
# in Debian's own slim image, and `docker import` stores the tree under the
# same tag. That needs root and the debootstrap package
# (contrib/install_deps.sh installs it).
# Environment:
#   SOUK_BASE_IMAGE             the tag to provide (default debian:bookworm-slim)
#   SOUK_DEBIAN_MIRROR          where debootstrap and the image's apt read packages
#                               (default http://deb.debian.org/debian)
#   SOUK_DEBIAN_SECURITY_MIRROR the image's security updates
#                               (default http://deb.debian.org/debian-security)
#   DOCKER_HOST                 the engine to talk to, as for the docker client
set -euo pipefail

image=${SOUK_BASE_IMAGE:-debian:bookworm-slim}
suite=bookworm
mirror=${SOUK_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${SOUK_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
force=0
case "${1:-}" in
  "") ;;
  --build) force=1 ;;
  *) echo "usage: $0 [--build]" >&2; exit 2 ;;
esac

say() { echo "base-image: $*"; }
die() { echo "base-image: $*" >&2; exit 1; }

command -v docker >/dev/null 2>&1 || die "no docker client: install docker.io (contrib/install_deps.sh)"
docker version >/dev/null 2>&1 || die "the Docker engine does not answer (start dockerd, or set DOCKER_HOST)"

if [ $force = 0 ]; then
  if docker image inspect "$image" >/dev/null 2>&1; then
    exit 0
  fi
  # An unreachable registry usually fails at once (no DNS); the limit is for
  # one that drops packets instead.
  if timeout 300 docker pull -q "$image" >/dev/null 2>&1; then
    say "pulled $image"
    exit 0
  fi
  say "$image cannot be pulled: building it with debootstrap from $mirror"
fi

[ "$(id -u)" -eq 0 ] || die "building $image needs root (debootstrap and chroot)"
command -v debootstrap >/dev/null 2>&1 || die "debootstrap is missing: install it (contrib/install_deps.sh)"

work=$(mktemp -d "${TMPDIR:-/tmp}/souk-base-image.XXXXXX")
root=$work/rootfs
cleanup() {
  # debootstrap mounts /proc and /sys in the new tree; a failure can leave
  # them there, and removing through a mount point would reach the host.
  if [ -d "$root" ]; then
    awk -v r="$root" '$2 == r || index($2, r "/") == 1 { print $2 }' /proc/mounts | sort -r |
      while read -r m; do umount -l "$m" 2>/dev/null || true; done
  fi
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

if ! debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1; then
  tail -20 "$work/debootstrap.log" >&2
  die "debootstrap failed (log above)"
fi

# The apt sources of Debian's image: the release, its updates and security.
cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security $suite-security main
EOF
# Keep what later installs would add out of the image too, as Debian's slim
# images do (copyright files stay: they are the licences).
cat >"$root/etc/dpkg/dpkg.cfg.d/souk-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
EOF
# Nor do package downloads and apt's binary caches stay behind a later
# apt-get in a layer (about 80 MB after an apt-get update).
cat >"$root/etc/apt/apt.conf.d/souk-slim" <<'EOF'
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb || true"; };
EOF
find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "${root:?}"/usr/share/man/* "${root:?}"/usr/share/info/* "${root:?}"/usr/share/lintian/*
find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
rm -rf "${root:?}"/var/cache/apt/*.bin "${root:?}"/var/cache/apt/archives/*.deb \
  "${root:?}"/var/lib/apt/lists/* "${root:?}"/var/log/*.log "${root:?}"/tmp/*
# A container gets these from the engine; the build host's must not leak in.
: >"$root/etc/hostname"
rm -f "$root/etc/resolv.conf"

tar --numeric-owner --xattrs -C "$root" -c . |
  docker import -c 'CMD ["bash"]' -m "debootstrap --variant=minbase $suite $mirror (contrib/docker/base-image.sh)" \
    - "$image" >/dev/null
say "made $image ($(docker image inspect -f '{{.Size}}' "$image" | awk '{ printf "%.0f MB", $1 / 1e6 }'))"
