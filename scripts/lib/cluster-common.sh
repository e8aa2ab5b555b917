# shellcheck shell=bash
# cluster-common.sh: what scripts/local-sge and scripts/local-slurm share.
#
# Sourced, never run. The script that sources it sets first:
#   CLUSTER   its own name (local-sge, local-slurm), for messages and temp files
#   LOG_DIR   the directory of its logs (made by need_root)
#   REPO      the top of this repository
#   KEEP_ENV  (array, may be empty) variables that must reach the script again
#             when need_root re-runs it through sudo, which resets the environment
# and defines export_cluster_env, which puts the cluster's environment into the
# current shell (for 'exec' and 'tutorial').

T0=${EPOCHREALTIME//[.,]/}
# microseconds since $1 (a value of ${EPOCHREALTIME//[.,]/}), as seconds with one decimal
seconds_since() {
    local us=$(( ${EPOCHREALTIME//[.,]/} - $1 ))
    printf '%d.%d' $((us / 1000000)) $((us / 100000 % 10))
}
elapsed() { seconds_since "$T0"; }     # since the script started
log() { printf '[%s %5ss] %s\n' "$CLUSTER" "$(elapsed)" "$*"; }
die() { printf '[%s %5ss] ERROR: %s\n' "$CLUSTER" "$(elapsed)" "$*" >&2; exit 1; }
lc()  { printf '%s' "$1" | tr '[:upper:]' '[:lower:]'; }
# Is $2 one of the lines of $1 (ignoring case)? A here-string, not a pipe, so
# that grep -q stopping early cannot trip pipefail.
has_line() { grep -qixF -- "$2" <<<"$1"; }

# wait_for SECONDS CMD [ARGS...]: run CMD every 0.2 s until it succeeds
# (return 0) or about SECONDS have passed (return 1).
wait_for() {
    local tries=$(( $1 * 5 )) i
    shift
    for ((i = 0; i < tries; i++)); do
        "$@" && return 0
        sleep 0.2
    done
    return 1
}

# need_root COMMAND [ARGS...]: go on as root, through sudo when not root (the
# command and its arguments are run again, with the variables of KEEP_ENV that
# are set); then make the log directory and a temporary directory ($TMPD).
need_root() {
    if [ "$(id -u)" != 0 ]; then
        # Installing packages and starting daemons needs root: ask sudo, where there is one.
        command -v sudo >/dev/null || die "'$1' must run as root, and there is no sudo here"
        log "'$1' needs root: running it through sudo"
        local keep=() v
        for v in "${KEEP_ENV[@]}"; do
            if [ -n "${!v+set}" ]; then keep+=("$v=${!v}"); fi
        done
        exec sudo -- env "${keep[@]}" "$0" "$@"
    fi
    mkdir -p "$LOG_DIR"
    TMPD=$(mktemp -d "/tmp/$CLUSTER.XXXXXX")
    trap cleanup EXIT
}
cleanup() {
    rm -rf "${TMPD:-/nonexistent}"
    if [ -n "${POLICY_RC_CREATED:-}" ]; then rm -f /usr/sbin/policy-rc.d; fi
    return 0
}

# --- packages ----------------------------------------------------------------
# Is the Debian package $1 installed?
pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# apt_install PKG...: install the packages (all of them are named to apt-get;
# call it only when one is missing), without letting their maintainer scripts
# start services: the SysV init scripts do not work without an init system,
# and we start the daemons ourselves. The log is $LOG_DIR/apt.log.
apt_install() {
    if [ ! -e /usr/sbin/policy-rc.d ]; then     # unless a policy exists
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        POLICY_RC_CREATED=1
    fi
    export DEBIAN_FRONTEND=noninteractive
    local apt=(apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends
               -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@")
    # finish an earlier installation that was interrupted or failed
    dpkg --configure -a >"$LOG_DIR/apt.log" 2>&1 || true
    if ! "${apt[@]}" >>"$LOG_DIR/apt.log" 2>&1; then
        log "apt-get install failed: apt-get update, then again"
        apt-get -o DPkg::Lock::Timeout=600 update -q >>"$LOG_DIR/apt.log" 2>&1 || true
        "${apt[@]}" >>"$LOG_DIR/apt.log" 2>&1 || { tail -30 "$LOG_DIR/apt.log" >&2; die "apt-get install failed (see $LOG_DIR/apt.log)"; }
    fi
    if [ -n "${POLICY_RC_CREATED:-}" ]; then rm -f /usr/sbin/policy-rc.d; POLICY_RC_CREATED=; fi
}

# --- daemons, by pid -----------------------------------------------------------
# A process that is gone or a zombie counts as dead: in containers, PID 1 often
# does not reap orphans, so a killed daemon can stay <defunct> for a long time.
pid_alive() {
    [ -r "/proc/$1/stat" ] && ! awk '{exit !($3 == "Z" || $3 == "X")}' "/proc/$1/stat" 2>/dev/null
}

pid_gone() { ! pid_alive "$1"; }

# The pid in the pid file $2 if it belongs to a live process called $1 (pids
# are reused).
pid_from_file() {
    local pid
    [ -r "$2" ] || return 1
    pid=$(tr -dc '0-9' <"$2")
    if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ] && pid_alive "$pid"; then
        echo "$pid"
        return 0
    fi
    return 1
}

# The pid of a live process whose command line starts with the program $2
# (and whose name is $1), for a daemon that has not written its pid file yet.
pid_by_program() {
    local d cmd pid
    for d in /proc/[0-9]*; do
        [ "$(cat "$d/comm" 2>/dev/null)" = "$1" ] || continue
        cmd=
        { IFS= read -r -d '' cmd <"$d/cmdline"; } 2>/dev/null || true
        [ "$cmd" = "$2" ] || continue
        pid=${d#/proc/}
        if pid_alive "$pid"; then
            echo "$pid"
            return 0
        fi
    done
    return 1
}

# Send $2 (TERM or KILL) to pid $1 and wait until it is gone: up to 30 s, then
# SIGKILL and up to 10 s more. A daemon may need a few seconds to shut down.
stop_pid() {
    local pid=$1 sig=${2:-TERM}
    kill "-$sig" "$pid" 2>/dev/null || return 0
    wait_for 30 pid_gone "$pid" && return 0
    log "pid $pid still there after 30 s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_for 10 pid_gone "$pid" && return 0
    die "pid $pid did not go away"
}

# --- commands both scripts have ------------------------------------------------
# exec CMD ARGS: run CMD with the cluster's environment.
common_exec() {
    [ $# -gt 0 ] || die "usage: $0 exec COMMAND [ARGS...]"
    export_cluster_env
    exec "$@"
}

# run_examples PYTHON: run every program in examples/ with this repository's
# drmaa package and the cluster's environment; fail if one fails.
run_examples() {
    local py=$1 f rc failed=() start
    command -v "$py" >/dev/null || die "$py not found"
    export_cluster_env
    export PYTHONPATH=$REPO
    export PYTHONDONTWRITEBYTECODE=1    # no root-owned __pycache__ in the repository
    cd "$REPO/examples" || die "no examples in $REPO"
    log "running the examples with $("$py" -c 'import sys; print(sys.executable, sys.version.split()[0])') in $PWD"
    for f in $(printf '%s\n' *.py | LC_ALL=C sort); do
        echo
        echo "===== $f ====="
        start=${EPOCHREALTIME//[.,]/}
        rc=0
        timeout 600 "$py" "./$f" </dev/null 2>&1 || rc=$?
        printf -- '----- %s: exit %d, %s s\n' "$f" "$rc" "$(seconds_since "$start")"
        if [ "$rc" != 0 ]; then failed+=("$f"); fi
    done
    echo
    log "the jobs' output files (<program>.out, <program>.<task>.out for bulk jobs) are in $PWD"
    if [ ${#failed[@]} -gt 0 ]; then
        die "${#failed[@]} example(s) failed: ${failed[*]}"
    fi
    log "all examples ran (tutorial took $(elapsed) s)"
}
