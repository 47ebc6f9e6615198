# Debian packages for the test scripts (sourced, not run).

# apt_install PACKAGE...: apt-get update + install, waiting for the apt and dpkg locks (a fresh
# machine's apt-daily timer may hold them for minutes) and retrying twice: a mirror caught
# mid-sync fails one attempt, not the next. Output goes to stderr only on failure.
apt_install() {
  local attempt out
  out=$(mktemp)
  for attempt in 1 2 3; do
    if { apt-get -o DPkg::Lock::Timeout=600 -qq update \
         && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$@"; } > "$out" 2>&1; then
      rm -f "$out"; return 0
    fi
    echo "apt-get install $* failed (attempt $attempt of 3): $(grep -E '^(E|W): ' "$out" | tail -2 | tr '\n' ' ')" >&2
    [ "$attempt" -lt 3 ] && sleep $((attempt * 20))
  done
  tail -20 "$out" >&2; rm -f "$out"
  return 1
}
