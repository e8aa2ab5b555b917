# shellcheck shell=bash
# sge-multihost.sh: a Son of Grid Engine cluster of several hosts on this one
# machine, sourced by scripts/local-sge for its --hosts/--host commands.
# Nothing of the one-host cluster is touched: not its cell, spool, ports or daemons.
#
# Each host is a network namespace named after the host, with a UTS namespace
# of its own (the host name) for every process started in it, one veth pair
# whose other end is a port of the bridge $MH_BRIDGE, and one address in
# $MH_NET.0/24. The bridge and the other ends live in a namespace of their
# own, the switch ($MH_SWITCH). The bridge has no address and the namespaces have no default
# route: nothing leaves them, and the host cannot reach them either. Every
# namespace resolves the host names the same way, from /etc/netns/NAME/hosts,
# which "ip netns exec" mounts over /etc/hosts.
#
# The cell "$MH_CELL" lives in an SGE_ROOT of its own, $MH_ROOT, whose program
# directories are links to the packages' (every host reads it, as every host
# of a real cluster reads a shared SGE_ROOT on NFS); its spool is $MH_SPOOL.
# Nothing of it is under the one-host cluster's SGE_ROOT, whose list of cells
# stays as it was. Its daemons run with argv[0] "$MH_ARGV0_PREFIX..."
# so that nothing that looks for the one-host daemons by their path takes ours.
#
# Roles (--hosts N, N >= 3, default 3): ${MH_PREFIX}master runs sge_qmaster (and
# is an admin and submit host); ${MH_PREFIX}exec1 .. exec(N-1) run sge_execd,
# each with its own spool directory; ${MH_PREFIX}submit is a submit-only host:
# programs under test run there (local-sge exec --host ${MH_PREFIX}submit CMD).

MH_CELL=multi
MH_PREFIX=sgemh-
MH_NET=198.51.100
MH_BRIDGE=mh-br0
MH_QMASTER_PORT=6544
MH_EXECD_PORT=6545
MH_SPOOL=/var/spool/gridengine-multi
MH_ROOT=/var/lib/gridengine-multi
MH_COMMON=$MH_ROOT/$MH_CELL/common
MH_ENV_FILE=$MH_COMMON/local-sge-env.sh
MH_LOG=/var/log/local-sge-multi
MH_RUN=/run/local-sge-multi            # the host list of the running cluster
MH_ARGV0_PREFIX=sge-multi/
MH_QUEUE=all.q
MH_SLOTS_PER_HOST=${LOCAL_SGE_SLOTS_PER_HOST:-2}   # as many as each host has CPUs here: a bulk job of 4 spans two hosts
# The network namespace of the switch: the bridge and the host ends of the
# veth pairs live there, not in the machine's own namespace, so that the
# machine sees none of it and a link can be cut from inside any namespace.
MH_SWITCH=${MH_PREFIX}switch

mh_usage() {
    cat <<EOF
Usage: scripts/local-sge COMMAND --hosts [N] | COMMAND --host NAME [ARGS...]

A Grid Engine cluster of several hosts, each a network namespace on this
machine (cell $MH_CELL, hosts ${MH_PREFIX}*, addresses $MH_NET.0/24 inside them only).
It runs beside the one-host cluster and shares nothing with it but the packages.

  up --hosts [N]          set up and start N hosts (default 3: a master and N-1
                          execution hosts) and a submit-only host, run a job,
                          print the hosts, their roles and the environment
  status --hosts          the hosts, their daemons and qhost; exit 3 if not up
  stop --hosts            stop every daemon, remove every namespace, link and
                          /etc/netns entry made by 'up' (the cell and spool stay)
  env --hosts             the export lines for programs on the submit host
  exec --host NAME CMD    run CMD on host NAME with the cluster's environment
                            scripts/local-sge exec --host ${MH_PREFIX}submit qhost
Faults (root; each waits until its effect is real):
  cut --host NAME         take NAME off the network (packets are dropped, as with a pulled cable)
  mend --host NAME        put it back
  kill-host --host NAME   SIGKILL every process of NAME (its daemons and its jobs)
  start-host --host NAME  start NAME's daemon again and wait until it serves
EOF
}

# --- hosts ---------------------------------------------------------------------
MH_MASTER=${MH_PREFIX}master
MH_SUBMIT=${MH_PREFIX}submit

# "NAME ROLE ADDRESS" per host, for a cluster of $1 hosts (without the submit host).
mh_plan() {
    local n=$1 i
    echo "$MH_MASTER master $MH_NET.10"
    for ((i = 1; i < n; i++)); do echo "${MH_PREFIX}exec$i execution $MH_NET.$((10 + i))"; done
    echo "$MH_SUBMIT submit $MH_NET.100"
}
# The hosts of the running cluster (or of the default plan when none runs).
mh_hosts() { if [ -r "$MH_RUN/hosts" ]; then cat "$MH_RUN/hosts"; else mh_plan 3; fi; }
mh_names() { mh_hosts | awk -v r="${1:-}" 'r == "" || $2 == r {print $1}'; }
mh_role() { mh_hosts | awk -v h="$1" '$1 == h {print $2}'; }
mh_veth() { echo "mh-${1#"$MH_PREFIX"}"; }     # host end of NAME's veth pair

# The command prefix that runs a command on host $1: in its network namespace
# and in a UTS namespace of its own that carries the host's name.
mh_on() {
    # shellcheck disable=SC2016 # expanded by that sh
    MH_ON=(ip netns exec "$1" unshare --uts -- /bin/sh -c 'hostname "$0" && exec "$@"' "$1")
}
mh_in() {
    mh_on "$1"
    shift
    "${MH_ON[@]}" "$@"
}

mh_env_lines() {
    cat <<EOF
export SGE_ROOT=$MH_ROOT
export SGE_CELL=$MH_CELL
export SGE_QMASTER_PORT=$MH_QMASTER_PORT
export SGE_EXECD_PORT=$MH_EXECD_PORT
export DRMAA_LIBRARY_PATH=$DRMAA_LIB
export GLIBC_TUNABLES=$TLS_TUNABLE
export LOCAL_SGE_MASTER_HOST=$MH_MASTER
export LOCAL_SGE_EXEC_HOSTS="$(mh_names execution | tr '\n' ' ' | sed 's/ $//')"
export LOCAL_SGE_SUBMIT_HOST=$MH_SUBMIT
EOF
}

# A Grid Engine program on host $1 with a small, explicit environment.
mh_q() {
    local h=$1
    shift
    mh_in "$h" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="${HOME:-/root}" LANG=C.UTF-8 \
        SGE_ROOT="$MH_ROOT" SGE_CELL="$MH_CELL" SGE_ARCH="$MH_ARCH" \
        SGE_QMASTER_PORT="$MH_QMASTER_PORT" SGE_EXECD_PORT="$MH_EXECD_PORT" "$@"
}
mh_qm() { mh_q "$MH_MASTER" "$@"; }    # on the master: the admin host

# --- daemons -----------------------------------------------------------------
# The live processes called $2 (by comm) in host $1's network namespace.
mh_pids() {
    local h=$1 name=${2:-} p
    for p in $(ip netns pids "$h" 2>/dev/null); do
        pid_alive "$p" || continue
        if [ -z "$name" ] || [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$name" ]; then echo "$p"; fi
    done
}
mh_daemon_of() { if [ "$(mh_role "$1")" = master ]; then echo sge_qmaster; else echo sge_execd; fi; }

# Start the daemon of host $1 unless it runs; argv[0] marks it as ours.
mh_launch() {
    local h=$1 d
    d=$(mh_daemon_of "$h")
    if [ -n "$(mh_pids "$h" "$d")" ]; then return 0; fi
    (cd / && mh_q "$h" /bin/bash -c 'exec -a "$0" "$1"' "$MH_ARGV0_PREFIX$d" "$SGE_BIN/$d") \
        </dev/null >>"$MH_LOG/$h.$d.log" 2>&1 || { tail -20 "$MH_LOG/$h.$d.log" >&2; die "$d on $h failed to start"; }
}

mh_qmaster_answers() { mh_qm qstat -g c >/dev/null 2>&1; }

mh_wait_qmaster() {
    local i
    for i in $(seq 120); do
        mh_qmaster_answers && return 0
        sleep 0.5
    done
    tail -20 "$MH_SPOOL/qmaster/messages" >&2 || true
    die "sge_qmaster on $MH_MASTER does not answer within 60 s"
}

# Wait until every execution host named reports load and its queue is not "u".
mh_wait_exec_hosts() {
    local i h load states pending
    for i in $(seq 240); do
        pending=()
        for h in "$@"; do
            load=$({ mh_qm qhost -h "$h" 2>/dev/null || true; } | awk -v h="$h" '$1 == h {print $7}')
            states=$({ mh_qm qstat -f -q "$MH_QUEUE@$h" 2>/dev/null || true; } | awk -v q="$MH_QUEUE@$h" '$1 == q {print $6}')
            if [ -z "$load" ] || [ "$load" = - ] || [[ $states == *u* ]]; then pending+=("$h"); fi
        done
        if [ ${#pending[@]} -eq 0 ]; then return 0; fi
        sleep 0.5
    done
    die "execution host(s) ${pending[*]} report no load within 120 s"
}

# SIGTERM (or $2) every process of host $1 and wait until they are gone.
mh_kill_all() {
    local h=$1 sig=${2:-TERM} i left
    left=$(mh_pids "$h")
    [ -n "$left" ] || return 0
    # shellcheck disable=SC2086
    kill "-$sig" $left 2>/dev/null || true
    for i in $(seq 150); do
        left=$(mh_pids "$h")
        [ -n "$left" ] || return 0
        sleep 0.2
    done
    # shellcheck disable=SC2086
    kill -KILL $left 2>/dev/null || true
    for i in $(seq 50); do
        [ -n "$(mh_pids "$h")" ] || return 0
        sleep 0.2
    done
    die "processes of $h did not go away: $(mh_pids "$h" | tr '\n' ' ')"
}

# --- network -------------------------------------------------------------------
mh_netns_add() { has_line "$(ip netns list | awk '{print $1}')" "$1" || ip netns add "$1"; }

# Is host $1's link up (its end on the bridge)?
mh_link_up() {
    local out
    out=$(ip -n "$MH_SWITCH" -o link show "$(mh_veth "$1")" 2>/dev/null) || true
    [[ $out == *"state UP"* ]]
}

mh_network_up() {
    local h role addr v
    local sw=(ip -n "$MH_SWITCH")
    mh_netns_add "$MH_SWITCH"
    if ! "${sw[@]}" link show "$MH_BRIDGE" >/dev/null 2>&1; then
        "${sw[@]}" link add "$MH_BRIDGE" type bridge
    fi
    ip netns exec "$MH_SWITCH" sh -c 'echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6' 2>/dev/null || true
    "${sw[@]}" link set "$MH_BRIDGE" up
    mkdir -p "$MH_RUN"
    while read -r h role addr; do
        mkdir -p "/etc/netns/$h"
        {
            echo "127.0.0.1 localhost"
            mh_hosts | awk '{print $3, $1}'
        } >"/etc/netns/$h/hosts"
        # no name server: an unknown name fails at once instead of leaving the machine
        : >"/etc/netns/$h/resolv.conf"
        mh_netns_add "$h"
        v=$(mh_veth "$h")
        if ! "${sw[@]}" link show "$v" >/dev/null 2>&1; then
            "${sw[@]}" link add "$v" type veth peer name eth0 netns "$h"
        fi
        "${sw[@]}" link set "$v" master "$MH_BRIDGE"
        "${sw[@]}" link set "$v" up
        ip netns exec "$h" sh -c "
            echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6 2>/dev/null || true
            ip link set lo up
            ip addr replace $addr/24 dev eth0
            ip link set eth0 up"
    done < <(mh_hosts)
}

mh_network_down() {
    local h
    # the hosts, then the switch (deleting a namespace deletes its links)
    for h in $(ip netns list | awk -v p="$MH_PREFIX" -v sw="$MH_SWITCH" 'index($1, p) == 1 && $1 != sw {print $1}') $MH_SWITCH; do
        has_line "$(ip netns list | awk '{print $1}')" "$h" || continue
        mh_kill_all "$h" TERM
        ip netns del "$h"
        rm -rf "/etc/netns/${h:?}"
        log "namespace $h removed"
    done
    rmdir /etc/netns 2>/dev/null || true
    rm -rf "$MH_RUN"
}

# --- the cell ------------------------------------------------------------------
mh_cell() {
    local db=$MH_SPOOL/spooldb d conf=$MH_LOG/configuration
    [ -d "$MH_ROOT" ] || install -d -o "$ADMIN_USER" -g "$ADMIN_USER" "$MH_ROOT"
    for d in bin lib util utilbin; do
        [ -L "$MH_ROOT/$d" ] || ln -sfn "$SGE_ROOT/$d" "$MH_ROOT/$d"
    done
    for d in "$MH_ROOT/$MH_CELL" "$MH_COMMON" "$MH_SPOOL" "$MH_SPOOL/qmaster" "$MH_SPOOL/qmaster/job_scripts" \
        "$db" "$MH_SPOOL/execd"; do
        [ -d "$d" ] || install -d -o "$ADMIN_USER" -g "$ADMIN_USER" "$d"
    done
    sed -e "s#^spooling_params .*#spooling_params         $db#" \
        -e "s#^qmaster_spool_dir .*#qmaster_spool_dir       $MH_SPOOL/qmaster#" \
        /usr/share/gridengine/default-bootstrap >"$MH_LOG/bootstrap"
    install -m 644 -o "$ADMIN_USER" -g "$ADMIN_USER" "$MH_LOG/bootstrap" "$MH_COMMON/bootstrap"
    echo "$MH_MASTER" >"$MH_COMMON/act_qmaster"
    chown "$ADMIN_USER:$ADMIN_USER" "$MH_COMMON/act_qmaster"
    printf 'SGE_ROOT=%s; export SGE_ROOT\nSGE_CELL=%s; export SGE_CELL\n' "$MH_ROOT" "$MH_CELL" >"$MH_COMMON/settings.sh"
    [ ! -e "$db/sge" ] || return 0
    # The global configuration of the packages, with the changes of the
    # one-host cluster (root may run jobs, accounting flushed every second)
    # and a host declared unknown after 30 s without a load report (5 min by
    # default), so that a dead execution host shows within the tests.
    sed -e "s#^execd_spool_dir .*#execd_spool_dir        $MH_SPOOL/execd#" \
        -e 's/^min_uid .*/min_uid                0/' -e 's/^min_gid .*/min_gid                0/' \
        -e 's/^load_report_time .*/load_report_time       00:00:05/' \
        -e 's/^max_unheard .*/max_unheard            00:00:30/' \
        -e 's/flush_time=00:00:15/flush_time=00:00:01/' \
        /usr/share/gridengine/default-configuration >"$conf"
    chmod 644 "$conf"
    log "creating the spool database $db"
    mh_in "$MH_MASTER" su -s /bin/sh -c "export SGE_ROOT=$MH_ROOT SGE_CELL=$MH_CELL
        set -e
        $SGE_BIN/spoolinit berkeleydb libspoolb $db init
        $SGE_BIN/spooldefaults configuration $conf
        $SGE_BIN/spooldefaults complexes /usr/share/gridengine/util/resources/centry
        $SGE_BIN/spooldefaults usersets /usr/share/gridengine/util/resources/usersets
        $SGE_BIN/spooldefaults managers $ADMIN_USER" "$ADMIN_USER" >"$MH_LOG/init.log" 2>&1 \
        || { cat "$MH_LOG/init.log" >&2; rm -rf "${db:?}"/*; die "creating the spool database failed"; }
}

# qconf -a*/-m* on the master with a sed script as the editor.
mh_qconf_edit() {
    local script=$1
    shift
    printf '#!/bin/sh\nexec sed -i -f %s "$1"\n' "$MH_LOG/edit.sed" >"$MH_LOG/editor"
    chmod 755 "$MH_LOG/editor"
    printf '%s\n' "$script" >"$MH_LOG/edit.sed"
    mh_qm EDITOR="$MH_LOG/editor" qconf "$@"
}

mh_configure() {
    local h qlog=$MH_LOG/qconf.log execs
    execs=$(mh_names execution)
    has_line "$(mh_qm qconf -so 2>/dev/null)" root || mh_qm qconf -ao root >>"$qlog" 2>&1
    for h in $MH_MASTER $MH_SUBMIT; do
        has_line "$(mh_qm qconf -ss 2>/dev/null)" "$h" || mh_qm qconf -as "$h" >>"$qlog" 2>&1
    done
    mh_qconf_edit 's/^schedule_interval .*/schedule_interval                 0:0:1/
s/^flush_submit_sec .*/flush_submit_sec                  1/
s/^flush_finish_sec .*/flush_finish_sec                  1/
s/^job_load_adjustments .*/job_load_adjustments              NONE/
s/^load_adjustment_decay_time .*/load_adjustment_decay_time        0:0:0/' -msconf >>"$qlog" 2>&1 || true
    for h in $execs; do
        # an execution host starts its daemon as an admin host would
        has_line "$(mh_qm qconf -sh 2>/dev/null)" "$h" || mh_qm qconf -ah "$h" >>"$qlog" 2>&1
        if ! mh_qm qconf -se "$h" >/dev/null 2>&1; then
            printf 'hostname %s\nload_scaling NONE\ncomplex_values NONE\nuser_lists NONE\nxuser_lists NONE\nprojects NONE\nxprojects NONE\nusage_scaling NONE\nreport_variables NONE\n' \
                "$h" >"$MH_LOG/exechost.$h"
            chmod 644 "$MH_LOG/exechost.$h"
            mh_qm qconf -Ae "$MH_LOG/exechost.$h" >>"$qlog" 2>&1 || die "could not add execution host $h (see $qlog)"
        fi
    done
    printf 'group_name @allhosts\nhostlist %s\n' "$(tr '\n' ' ' <<<"$execs")" >"$MH_LOG/hostgroup"
    chmod 644 "$MH_LOG/hostgroup"
    if mh_qm qconf -shgrp @allhosts >/dev/null 2>&1; then
        mh_qm qconf -Mhgrp "$MH_LOG/hostgroup" >>"$qlog" 2>&1
    else
        mh_qm qconf -Ahgrp "$MH_LOG/hostgroup" >>"$qlog" 2>&1
    fi
    mh_qm qconf -sp smp >/dev/null 2>&1 || mh_qconf_edit 's/^slots .*/slots              999/' -ap smp >>"$qlog" 2>&1
    local edit="s/^hostlist .*/hostlist              @allhosts/
s/^slots .*/slots                 $MH_SLOTS_PER_HOST/
s/^pe_list .*/pe_list               smp/
s/^load_thresholds .*/load_thresholds       NONE/
s#^shell .*#shell                 /bin/sh#"
    if mh_qm qconf -sq "$MH_QUEUE" >/dev/null 2>&1; then
        mh_qconf_edit "$edit" -mq "$MH_QUEUE" >>"$qlog" 2>&1 || true
    else
        mh_qconf_edit "$edit" -aq "$MH_QUEUE" >>"$qlog" 2>&1 || die "could not add queue $MH_QUEUE (see $qlog)"
    fi
    # execution hosts of an earlier, larger cluster
    for h in $(mh_qm qconf -sel 2>/dev/null || true); do
        if ! has_line "$execs" "$h"; then
            mh_qm qconf -de "$h" >>"$qlog" 2>&1 || true
        fi
    done
}

mh_smoke() {
    local d out id
    d=$(mktemp -d /tmp/local-sge-multi-smoke.XXXXXX)
    out=$(cd "$d" && mh_q "$MH_SUBMIT" timeout 120 qsub -sync y -b y -cwd -N local_sge_smoke /bin/sh -c 'hostname' 2>&1) \
        || { echo "$out" >&2; die "smoke test: qsub -sync y from $MH_SUBMIT failed"; }
    id=$(sed -n 's/^Your job \([0-9]*\) .*/\1/p' <<<"$out")
    grep -q "exited with exit code 0" <<<"$out" || { echo "$out" >&2; die "smoke test: the job did not exit with 0"; }
    log "smoke test: job $id, submitted on $MH_SUBMIT, ran on $(cat "$d/local_sge_smoke.o$id" 2>/dev/null)"
    rm -rf "$d"
}

# --- commands ------------------------------------------------------------------
# Namespaces need root: ask sudo, where there is one, keeping the environment
# (exec runs programs whose environment matters).
mh_need_root() {
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null || die "'${MH_ARGV[*]}' must run as root, and there is no sudo here"
        exec sudo --preserve-env -- "$0" "${MH_ARGV[@]}"
    fi
    mkdir -p "$MH_LOG"
}

mh_cmd_up() {
    local n=${1:-3} h role addr
    if ! [[ $n =~ ^[0-9]+$ ]] || [ "$n" -lt 3 ] || [ "$n" -gt 20 ]; then
        die "--hosts N: N must be 3 to 20 (a master and N-1 execution hosts)"
    fi
    if [ ! -x "$SGE_BIN/sge_qmaster" ]; then
        # the packages of the one-host cluster (which makes this host's name resolve first)
        TMPD=$(mktemp -d /tmp/local-sge.XXXXXX)
        fix_host_resolution pre
        install_packages
        rm -rf "$TMPD"
    fi
    if [ -r "$MH_RUN/hosts" ] && [ "$(mh_plan "$n")" != "$(cat "$MH_RUN/hosts")" ]; then
        log "the running cluster has other hosts: stopping it first"
        mh_network_down
    fi
    mkdir -p "$MH_RUN"
    mh_plan "$n" >"$MH_RUN/hosts"
    mh_network_up
    mh_cell
    mh_launch "$MH_MASTER"
    mh_wait_qmaster
    log "sge_qmaster answers on $MH_MASTER"
    mh_configure
    for h in $(mh_names execution); do mh_launch "$h"; done
    # shellcheck disable=SC2046
    mh_wait_exec_hosts $(mh_names execution)
    mh_env_lines >"$MH_ENV_FILE"
    if [ "${LOCAL_SGE_SKIP_SMOKE:-0}" != 1 ]; then mh_smoke; fi
    log "the cluster of $(mh_hosts | wc -l) hosts is up (took $(elapsed) s):"
    while read -r h role addr; do
        printf '  %-16s %-15s %-10s %s\n' "$h" "$addr" "$role" "$(mh_pids "$h" "$(mh_daemon_of "$h")" | head -1 | sed 's/^/pid /')"
    done < <(mh_hosts | sed "s/ submit / submit-only /")
    mh_q "$MH_SUBMIT" qhost
    echo "# run programs on the submit host: $0 exec --host $MH_SUBMIT CMD; its environment (also in $MH_ENV_FILE):"
    mh_env_lines
}

mh_cmd_status() {
    local rc=0 h role addr d pid
    if [ ! -r "$MH_RUN/hosts" ]; then
        echo "no multi-host cluster is running"
        exit 3
    fi
    while read -r h role addr; do
        if [ "$role" = submit ]; then d=-; else d=$(mh_daemon_of "$h"); fi
        pid=$(if [ "$d" != - ]; then mh_pids "$h" "$d" | head -1; fi)
        if [ "$d" != - ] && [ -z "$pid" ]; then rc=3; fi
        printf '%-16s %-15s %-10s %s %s link %s\n' "$h" "$addr" "$role" "$d" "${pid:-not running}" \
            "$(if mh_link_up "$h"; then echo up; else echo down; fi)"
    done < <(mh_hosts)
    mh_q "$MH_SUBMIT" qhost 2>&1 || rc=3
    mh_q "$MH_SUBMIT" qstat -f -u '*' 2>&1 || rc=3
    exit $rc
}

mh_cmd_stop() {
    if [ -r "$MH_RUN/hosts" ] && [ -n "$(mh_pids "$MH_MASTER" sge_qmaster)" ] && mh_qmaster_answers; then
        mh_qm qdel -f -u '*' >/dev/null 2>&1 || true
        # the execution daemons first, so that qmaster does not wait for them
        for h in $(mh_names execution); do mh_kill_all "$h" TERM; done
    fi
    mh_network_down
    log "the multi-host cluster is stopped; no namespace, link or daemon of it is left (took $(elapsed) s)"
}

mh_host_arg() {
    [ -n "${1:-}" ] || die "--host NAME is missing"
    [ -n "$(mh_role "$1")" ] || die "no host $1 in the cluster: $(mh_names | tr '\n' ' ')"
}

mh_cmd_cut() {
    ip -n "$MH_SWITCH" link set "$(mh_veth "$1")" down
    log "host $1 is cut off the network"
}

mh_cmd_mend() {
    local v i
    v=$(mh_veth "$1")
    ip -n "$MH_SWITCH" link set "$v" up
    # a bridge port forwards again once it has gone through its states
    for i in $(seq 100); do
        mh_link_up "$1" && break
        sleep 0.1
    done
    log "host $1 is back on the network"
}

mh_cmd_kill_host() {
    mh_kill_all "$1" KILL
    log "every process of host $1 was killed"
}

mh_cmd_start_host() {
    local h=$1
    case $(mh_role "$h") in
    master) mh_launch "$h"; mh_wait_qmaster ;;
    execution)
        mh_launch "$h"
        mh_wait_exec_hosts "$h"
        # A job that the host's death cut short before it started (shepherd
        # killed "before prolog") puts the queue in error state E, and no job
        # runs there until an administrator clears it, as here.
        if [[ $({ mh_qm qstat -f -q "$MH_QUEUE@$h" 2>/dev/null || true; } | awk -v q="$MH_QUEUE@$h" '$1 == q {print $6}') == *E* ]]; then
            mh_qm qmod -c "$MH_QUEUE@$h" >/dev/null
            log "queue $MH_QUEUE@$h was in error state E: cleared (qmod -c)"
        fi
        ;;
    *) die "host $h runs no daemon" ;;
    esac
    log "$(mh_daemon_of "$h") serves again on $h (after $(elapsed) s)"
}

# local-sge COMMAND --hosts [N] | COMMAND --host NAME [ARGS...]
multihost_main() {
    local command=$1 flag=$2 host=${3:-}
    MH_ARGV=("$@")
    MH_ARCH=$(/usr/share/gridengine/util/arch 2>/dev/null || echo lx-amd64)
    shift 2
    case $command:$flag in
    up:--hosts | start:--hosts) mh_need_root; mh_cmd_up "$@" ;;
    status:--hosts) mh_need_root; mh_cmd_status ;;
    stop:--hosts) mh_need_root; mh_cmd_stop ;;
    env:--hosts) mh_env_lines ;;
    help:--hosts) mh_usage ;;
    exec:--host)
        mh_need_root
        mh_host_arg "$host"
        shift
        [ $# -gt 0 ] || die "usage: $0 exec --host NAME COMMAND [ARGS...]"
        # the cluster's variables; the caller's GLIBC_TUNABLES kept if it sets the same tunable
        local tunables=${GLIBC_TUNABLES:-}
        # shellcheck disable=SC1090
        . <(mh_env_lines)
        case ":$tunables:" in
            *:glibc.rtld.optional_static_tls=*) export GLIBC_TUNABLES=$tunables ;;
            ::) ;;
            *) export GLIBC_TUNABLES=$tunables:$TLS_TUNABLE ;;
        esac
        mh_on "$host"
        exec "${MH_ON[@]}" "$@"
        ;;
    cut:--host | mend:--host | kill-host:--host | start-host:--host)
        mh_need_root
        mh_host_arg "$host"
        "mh_cmd_${command//-/_}" "$host"
        ;;
    *) mh_usage >&2; die "unknown command '$command $flag'" ;;
    esac
}
