#!/usr/bin/env bash
# META.json (PGXN Meta Spec 1.0.0) and the version numbers of the control file, META.json and
# debian/changelog. Usage: test/package/meta.sh [DIR]   (a source tree; default: this one)
# Prints "suite package metadata: N passed, M failed"; exits non-zero on a failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec node "$here/meta_check.js" "${1:-$here/../..}"
