# Shell helpers shared by the scripts that start and stop test daemons (sourced, not run):
#   unblocked CMD...    run CMD with no signals blocked
#   stop_pidfile FILE   stop the process whose pid FILE holds (TERM, then KILL after 15 s)

# Runs a command with no signals blocked (a Swift test's Dispatch thread blocks SIGTERM; a daemon
# inheriting that mask could never be stopped).
unblocked() {
    if ! command -v python3 >/dev/null 2>&1; then "$@"; return; fi
    python3 -c 'import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])' "$@"
}

# Stops the process in pidfile $1 (TERM, then KILL after 15 s).
stop_pidfile() {
    [ -f "$1" ] || return 0
    pid=$(cat "$1")
    case "$pid" in ''|*[!0-9]*) return 0 ;; esac
    kill -0 "$pid" 2>/dev/null || return 0
    kill "$pid"
    end=$(( $(date +%s) + 15 ))
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$(date +%s)" -ge "$end" ]; then kill -9 "$pid" 2>/dev/null || true; break; fi
        sleep 0.1
    done
}
