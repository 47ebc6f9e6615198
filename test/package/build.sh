#!/usr/bin/env bash
# Builds the Debian packages (one postgresql-<version>-dbos-client per PostgreSQL version of
# debian/pgversions that the machine supports) from a committed revision, in a scratch copy
# of the tree, so nothing is written into the repository.
# Usage: test/package/build.sh [--ref REV] [--out DIR]     (defaults: HEAD, /tmp/dbos_client_deb)
# Installs what the build needs (debhelper, dpkg-dev, postgresql-server-dev-all, rapidjson-dev,
# g++) when missing. Leaves the .deb files, and only them, in DIR.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
. test/apt.sh
REF=HEAD OUT=/tmp/dbos_client_deb
while [ $# -gt 0 ]; do
  case $1 in
    --ref) REF=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "usage: $0 [--ref REV] [--out DIR]" >&2; exit 2 ;;
  esac
done

need=()
for p in build-essential debhelper dpkg-dev fakeroot postgresql-server-dev-all rapidjson-dev g++; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}"
  apt_install "${need[@]}" || { echo "cannot install ${need[*]}" >&2; exit 1; }
fi

rev=$(git -C "$ROOT" rev-parse --verify "$REF^{commit}")
work=$(mktemp -d /tmp/dbos_client_debbuild.XXXXXX)
trap 'rm -rf "$work"' EXIT
git -C "$ROOT" archive --format=tar --prefix=src/ "$rev" | tar -x -C "$work"
[ -f "$work/src/debian/control.in" ] || { echo "build.sh: $REF has no debian/control.in" >&2; exit 1; }

cd "$work/src"
pg_buildext updatecontrol     # debian/control: the versions this machine supports
echo "building $(dpkg-parsechangelog -S Source) $(dpkg-parsechangelog -S Version) from $(git -C "$ROOT" rev-parse --short "$rev") for PostgreSQL $(pg_buildext supported-versions | xargs)"
start=$(date +%s)
# two make jobs at most: the machine is shared
if ! MAKEFLAGS=-j2 dpkg-buildpackage -us -uc -b > "$work/build.log" 2>&1; then
  tail -60 "$work/build.log"
  echo "build.sh: dpkg-buildpackage failed (log above)" >&2
  exit 1
fi
mkdir -p "$OUT"
rm -f "$OUT"/*.deb
mv "$work"/*.deb "$OUT"/
echo "built in $(( $(date +%s) - start )) s:"
ls -1 "$OUT"/*.deb
