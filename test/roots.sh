# Second Debian roots for the tests (sourced, not run).
. "$(dirname "${BASH_SOURCE[0]}")/apt.sh"

# mmdebstrap with retries: a cold root downloads ~300 MB from deb.debian.org, and a mirror caught
# mid-sync ("Hash Sum mismatch", a 404 on a just-replaced .deb) fails one attempt, not the next.
# Usage: mmdebstrap_retry LOG TARGET mmdebstrap-arguments (TARGET among them; it is emptied
# before each retry). On failure prints the log's last lines and returns non-zero.
mmdebstrap_retry() {
  local log=$1 target=$2 attempt; shift 2
  for attempt in 1 2 3; do
    mmdebstrap "$@" > "$log" 2>&1 && return 0
    echo "mmdebstrap attempt $attempt of 3 failed: $(grep -E '^(E|W): ' "$log" | tail -2 | tr '\n' ' ')"
    [ "$attempt" -lt 3 ] && { rm -rf --one-file-system "$target"; sleep $((attempt * 20)); }
  done
  tail -20 "$log"
  return 1
}
