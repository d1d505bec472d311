# Shared by scripts/package-test.sh and scripts/upgrade-test.sh (sourced, not run): counted checks
# and waiting for an instance's state with a deadline.

passed=0; failed=0

# check DESCRIPTION COMMAND...: runs COMMAND quietly and counts it as passed or failed.
check() {
    local what=$1; shift
    if "$@" >/dev/null 2>&1; then passed=$((passed + 1)); echo "  ok    $what"; else failed=$((failed + 1)); echo "  FAIL  $what"; fi
}

# state_of UNITOP NAME: the instance's state as `UNITOP ps --all --json` lists it, or "absent".
state_of() {
    "$1" ps --all --json | python3 -c 'import json,sys; print(next((i["state"] for i in json.load(sys.stdin) if i["name"] == sys.argv[1]), "absent"))' "$2"
}

# wait_state UNITOP NAME STATE [SECONDS]: waits (default 30 s) until NAME is in STATE.
wait_state() {
    local end=$(( $(date +%s) + ${4:-30} ))
    while [ "$(state_of "$1" "$2")" != "$3" ]; do [ "$(date +%s)" -lt "$end" ] || return 1; sleep 0.2; done
}
