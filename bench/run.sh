#!/usr/bin/env bash
# gantry vs nginx vs HAProxy (vs Envoy when installed) on one machine.
#
#   bench/run.sh [--rounds N] [--duration SECS] [--quick] [--proxies "gantry nginx haproxy"]
#                (also gantry_rr / gantry_lr: 3 endpoints, round robin / least_request+outlier)
#                [--phases "throughput h2 h2tls idle instr alloc"] [--out FILE] [--keep-tmp]
#                [--wait-quiet SECS]
#
# Environment variables with the same meaning: ROUNDS, DURATION, QUICK=1, PROXIES, PHASES, OUT,
# KEEP_TMP=1, WAIT_QUIET, plus GANTRY_BIN (default: build/gantry next to this directory), IDLE_CONNS
# (10000). The valgrind phases (instr, alloc) measure VALGRIND_VARIANTS ("h1 tls h2 h2tls"),
# each from two request counts: INSTR_N1 / INSTR_N2 (2000 / 12000) and ALLOC_N1 / ALLOC_N2
# (1000 / 5000) for h1 (HTTP/1.1); INSTR_TLS_N1 / INSTR_TLS_N2 and ALLOC_TLS_N1 / ALLOC_TLS_N2
# for tls (HTTP/1.1 over TLS 1.3); INSTR_H2_N1 / INSTR_H2_N2 and ALLOC_H2_N1 / ALLOC_H2_N2 for h2
# (h2c); INSTR_H2TLS_N1 / INSTR_H2TLS_N2 and ALLOC_H2TLS_N1 / ALLOC_H2TLS_N2 for h2tls (h2 over
# TLS 1.3), with the same defaults as h1; VALGRIND_H2_STREAMS (8): streams in flight (h2, h2tls).
#
# Prints a Markdown table to stdout and writes it (and the raw TSV it came from) to
# bench/results/. See bench/README.md for what each figure means and the targets.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT_DIR=$(dirname "$BENCH_DIR")

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
QUICK=${QUICK:-0}
PROXIES=${PROXIES:-"gantry nginx haproxy envoy"}
GANTRY_BIN=${GANTRY_BIN:-$ROOT_DIR/build/gantry}
IDLE_CONNS=${IDLE_CONNS:-10000}
INSTR_N1=${INSTR_N1:-2000}
INSTR_N2=${INSTR_N2:-12000}
ALLOC_N1=${ALLOC_N1:-1000}
ALLOC_N2=${ALLOC_N2:-5000}
INSTR_TLS_N1=${INSTR_TLS_N1:-2000}
INSTR_TLS_N2=${INSTR_TLS_N2:-12000}
ALLOC_TLS_N1=${ALLOC_TLS_N1:-1000}
ALLOC_TLS_N2=${ALLOC_TLS_N2:-5000}
INSTR_H2_N1=${INSTR_H2_N1:-2000}
INSTR_H2_N2=${INSTR_H2_N2:-12000}
INSTR_H2TLS_N1=${INSTR_H2TLS_N1:-2000}
INSTR_H2TLS_N2=${INSTR_H2TLS_N2:-12000}
ALLOC_H2_N1=${ALLOC_H2_N1:-1000}
ALLOC_H2_N2=${ALLOC_H2_N2:-5000}
ALLOC_H2TLS_N1=${ALLOC_H2TLS_N1:-1000}
ALLOC_H2TLS_N2=${ALLOC_H2TLS_N2:-5000}
VALGRIND_H2_STREAMS=${VALGRIND_H2_STREAMS:-8}
VALGRIND_VARIANTS=${VALGRIND_VARIANTS:-"h1 tls h2 h2tls"}
PHASES=${PHASES:-"throughput h2 h2tls idle instr alloc"}
KEEP_TMP=${KEEP_TMP:-0}
OUT=${OUT:-}
WARMUP=${WARMUP:-2}
WAIT_QUIET=${WAIT_QUIET:-0}
CLIENT_CPU=${CLIENT_CPU:-1}

usage() { sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while (($#)); do
    case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --quick) QUICK=1; shift ;;
    --proxies) PROXIES=$2; shift 2 ;;
    --phases) PHASES=${2//,/ }; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --keep-tmp) KEEP_TMP=1; shift ;;
    --wait-quiet) WAIT_QUIET=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
done

if ((QUICK)); then
    # Same code paths, small numbers: for developing the harness, not for quoting figures.
    ROUNDS=1 DURATION=3 WARMUP=1 IDLE_CONNS=2000 INSTR_N1=300 INSTR_N2=1300 ALLOC_N1=300 ALLOC_N2=1300
    INSTR_TLS_N1=200 INSTR_TLS_N2=700 ALLOC_TLS_N1=200 ALLOC_TLS_N2=700
    INSTR_H2_N1=200 INSTR_H2_N2=700 ALLOC_H2_N1=200 ALLOC_H2_N2=700
    INSTR_H2TLS_N1=200 INSTR_H2TLS_N2=700 ALLOC_H2TLS_N1=200 ALLOC_H2TLS_N2=700
fi
if [[ -z $OUT ]]; then
    OUT=$BENCH_DIR/results/$(date +%Y-%m-%d).md
    ((QUICK)) && OUT=${OUT%.md}-quick.md
fi

# Scenarios: URL path, wrk connections, extra wrk arguments, body size, description. (d) and
# (e) speak TLS 1.3 to the proxy (its TLS listener: an ECDSA P-256 certificate made at start-up,
# the same for every proxy); (e) makes a new TLS connection per request: wrk keeps the last
# session ticket it got (SSL_clear keeps the session), so after a connection's first handshake
# these are TLS 1.3 resumptions (PSK with ECDHE: no certificate, no signature).
# SCENARIO_LIST picks a subset, e.g. SCENARIO_LIST="d e".
SCENARIOS=(${SCENARIO_LIST:-a b c t d e})
declare -A S_PATH=([a]=/64 [b]=/1m [c]=/64 [t]=/64t [d]=/64 [e]=/64)
declare -A S_CONNS=([a]=64 [b]=16 [c]=64 [t]=64 [d]=64 [e]=64)
declare -A S_HEADER=([a]="" [b]="" [c]="Connection: close" [t]="" [d]="" [e]="Connection: close")
declare -A S_BODY=([a]=64 [b]=1048576 [c]=64 [t]=64 [d]=64 [e]=64)
declare -A S_TLS=([d]=1 [e]=1)
declare -A S_DESC=([a]="64 B, 64 keep-alive conns" [b]="1 MiB, 16 keep-alive conns"
    [c]="64 B, new connection per request, 64 conns"
    [t]="as (a) on a gantry route with retries, per_try_timeout and a 0% mirror"
    [d]="TLS 1.3, 64 B, 64 keep-alive conns"
    [e]="TLS 1.3, 64 B, new TLS connection per request (resumed from the last ticket, PSK+ECDHE), 64 conns")
DIRECT_SCENARIOS=${DIRECT_SCENARIOS:-b}  # the client straight to the upstream, as a reference
GANTRY_ONLY_SCENARIOS=${GANTRY_ONLY_SCENARIOS:-t}  # gantry features the other proxies lack

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

for tool in nginx wrk python3 taskset valgrind; do
    command -v "$tool" >/dev/null || die "'$tool' is not installed"
done
(($(nproc) > CLIENT_CPU)) || die "need at least $((CLIENT_CPU + 1)) CPUs to pin the client to CPU $CLIENT_CPU"

# Idle connections need one descriptor each, on both the client and the proxy side.
ulimit -n "$(ulimit -Hn)"
NOFILE=$(ulimit -n)
if ((IDLE_CONNS + 500 > NOFILE)); then
    log "open-file limit is $NOFILE: idle test uses $((NOFILE - 500)) connections instead of $IDLE_CONNS"
    IDLE_CONNS=$((NOFILE - 500))
fi

TMP=$(mktemp -d /tmp/gantry-bench.XXXXXX)
RAW=$TMP/raw.tsv
META=$TMP/meta.tsv
: >"$RAW"
: >"$META"

# ---------------------------------------------------------------- process bookkeeping
PIDS=()  # every background process this script started (roots of process trees)

tree_pids() {  # ROOT and its descendants
    local todo=("$1") pid kids
    while ((${#todo[@]})); do
        pid=${todo[0]}
        todo=("${todo[@]:1}")
        [[ -d /proc/$pid ]] || continue
        echo "$pid"
        kids=$(cat /proc/"$pid"/task/*/children 2>/dev/null || true)
        for k in $kids; do todo+=("$k"); done
    done
}

forget_pid() {
    local keep=() p
    for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
    PIDS=("${keep[@]}")
}

stop_pid() {  # PID [SECONDS]: SIGTERM, wait, then SIGKILL whatever is left of its tree
    local pid=$1 limit=$((${2:-10} * 10)) tree i
    tree=$(tree_pids "$pid")
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < limit; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    for p in $tree; do kill -KILL "$p" 2>/dev/null || true; done
    wait "$pid" 2>/dev/null || true
    forget_pid "$pid"
}

cleanup() {
    local rc=$? p
    set +e
    trap - EXIT INT TERM
    for p in "${PIDS[@]}"; do stop_pid "$p" 5; done
    if ((KEEP_TMP)); then
        log "temporary files kept in $TMP"
    else
        rm -rf "$TMP"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

LAST_PID=
start_bg() {  # NAME CMD...: starts CMD in the background, logging to $TMP/NAME.log
    local name=$1
    shift
    "$@" >"$TMP/$name.log" 2>&1 &
    LAST_PID=$!
    PIDS+=("$LAST_PID")
}

wait_port() {  # PORT PID NAME [SECONDS]
    local port=$1 pid=$2 name=$3 limit=$((${4:-10} * 10)) i
    for ((i = 0; i < limit; i++)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            log "$name exited during start-up; its output:"
            tail -n 20 "$TMP/$name.log" >&2
            return 1
        fi
        if (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    log "$name did not listen on port $port within $((limit / 10))s"
    return 1
}

free_ports() {  # N: N distinct free TCP ports on 127.0.0.1
    python3 - "$1" <<'EOF'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() {  # ROOT_PID: utime+stime of the whole process tree, in clock ticks
    local total=0 pid stat fields
    for pid in $(tree_pids "$1"); do
        stat=$(cat /proc/"$pid"/stat 2>/dev/null) || continue
        stat=${stat##*) }  # comm may hold spaces; fields restart at field 3 (state)
        read -ra fields <<<"$stat"
        total=$((total + fields[11] + fields[12]))  # fields 14 and 15: utime, stime
    done
    echo "$total"
}

raw() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RAW"; }  # scenario proxy round metric value
meta() { printf '%s\t%s\n' "$1" "$2" >>"$META"; }

# ---------------------------------------------------------------- upstream
read -r UP_PORT GANTRY_PORT NGINX_PORT HAPROXY_PORT ENVOY_PORT GANTRY_H2_PORT NGINX_H2_PORT \
    HAPROXY_H2_PORT GANTRY_RR_PORT GANTRY_LR_PORT <<<"$(free_ports 10)"
declare -A PORT=([gantry]=$GANTRY_PORT [nginx]=$NGINX_PORT [haproxy]=$HAPROXY_PORT
    [envoy]=$ENVOY_PORT [direct]=$UP_PORT [gantry_rr]=$GANTRY_RR_PORT
    [gantry_lr]=$GANTRY_LR_PORT)
# HTTP/2 cleartext (h2c, prior knowledge) listeners of the same processes, for the h2 phase.
declare -A H2_PORT=([gantry]=$GANTRY_H2_PORT [nginx]=$NGINX_H2_PORT [haproxy]=$HAPROXY_H2_PORT)
read -r GANTRY_TLS_PORT NGINX_TLS_PORT HAPROXY_TLS_PORT <<<"$(free_ports 3)"
declare -A TLS_PORT=([gantry]=$GANTRY_TLS_PORT [nginx]=$NGINX_TLS_PORT [haproxy]=$HAPROXY_TLS_PORT)

# One certificate for every proxy's TLS listener (haproxy wants certificate and key in one file).
CERT_DIR=$TMP/tls
mkdir -p "$CERT_DIR"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=bench.test \
    -addext subjectAltName=DNS:bench.test -keyout "$CERT_DIR/key.pem" -out "$CERT_DIR/cert.pem" \
    2>/dev/null || die "openssl could not make the bench certificate"
cat "$CERT_DIR/cert.pem" "$CERT_DIR/key.pem" >"$CERT_DIR/combined.pem"

# nginx drops privileges to "nobody" when started as root, and nobody cannot read the mktemp
# directory; keep the workers as the invoking user instead.
NGINX_USER=""
((EUID == 0)) && NGINX_USER="user root;"

nginx_common() {  # DIR: the parts every nginx config here shares
    cat <<EOF
$NGINX_USER
pid $1/nginx.pid;
error_log $1/error.log warn;
worker_rlimit_nofile $NOFILE;
events { worker_connections $((NOFILE - 100)); }
EOF
}
nginx_http_common() {  # DIR
    cat <<EOF
    access_log off;
    keepalive_timeout 300s;
    keepalive_requests 1000000;
    client_body_temp_path $1/client_body;
    proxy_temp_path $1/proxy;
    fastcgi_temp_path $1/fastcgi;
    uwsgi_temp_path $1/uwsgi;
    scgi_temp_path $1/scgi;
EOF
}

start_upstream() {
    local dir=$TMP/upstream body64
    mkdir -p "$dir/www"
    head -c 1048576 /dev/urandom >"$dir/www/1m"
    body64=$(printf 'gantry-bench-%051d' 0)  # 13 + 51 = 64 bytes
    cat >"$dir/nginx.conf" <<EOF
$(nginx_common "$dir")
worker_processes 1;
daemon off;
http {
$(nginx_http_common "$dir")
    sendfile on;
    tcp_nopush on;
    server {
        listen 127.0.0.1:$UP_PORT backlog=4096;
        # Two more addresses of the same server: the 3-endpoint clusters of gantry_rr/gantry_lr.
        listen 127.0.0.2:$UP_PORT backlog=4096;
        listen 127.0.0.3:$UP_PORT backlog=4096;
        location = /64 { default_type text/plain; return 200 "$body64"; }
        location = /64t { default_type text/plain; return 200 "$body64"; }
        location = /1m { default_type application/octet-stream; alias $dir/www/1m; }
    }
}
EOF
    start_bg upstream nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf"
    UP_PID=$LAST_PID
    wait_port "$UP_PORT" "$UP_PID" upstream || die "the upstream nginx did not start"
    local n
    n=$(curl -fsS "http://127.0.0.1:$UP_PORT/64" | wc -c)
    ((n == 64)) || die "upstream /64 returned $n bytes"
    n=$(curl -fsS "http://127.0.0.1:$UP_PORT/1m" | wc -c)
    ((n == 1048576)) || die "upstream /1m returned $n bytes"
}

# ---------------------------------------------------------------- proxy configs
# Each writer takes WORKERS and MODE (normal | valgrind: one process, in the foreground) and
# sets CMD to the command line that runs the proxy.
CMD=()

config_gantry() {
    local workers=$1 dir=$TMP/gantry
    mkdir -p "$dir"
    cat >"$dir/gantry.yaml" <<EOF
workers: $workers
log:
  level: warn
  access: { path: off }
limits:
  idle_timeout: 300s
listeners:
  - name: bench
    listen: ["127.0.0.1:$GANTRY_PORT"]
    virtual_hosts: [bench]
  - name: bench_h2
    listen: ["127.0.0.1:$GANTRY_H2_PORT"]
    protocols: [http2]
    virtual_hosts: [bench]
  - name: bench_tls
    listen: ["127.0.0.1:$GANTRY_TLS_PORT"]
    protocols: [http1, http2]
    virtual_hosts: [bench]
    tls:
      certificates: [{ cert: "$CERT_DIR/cert.pem", key: "$CERT_DIR/key.pem" }]
virtual_hosts:
  - name: bench
    domains: ["*"]
    routes:
      # (t): retries, a per-try timeout and a mirror that is configured but never triggered;
      # the plain route below serves every other scenario.
      - match: { path: /64t }
        forward:
          cluster: upstream
          per_try_timeout: 5s
          retries: { attempts: 2, on: [5xx, reset, connect-failure] }
          mirror: { cluster: shadow, percent: 0 }
      - match: { prefix: / }
        forward: { cluster: upstream }
clusters:
  - name: upstream
    endpoints:
      - { address: "127.0.0.1:$UP_PORT" }
    pool: { max_idle_per_endpoint: 512, idle_timeout: 300s }
  - name: shadow
    endpoints:
      - { address: "127.0.0.1:$UP_PORT" }
EOF
    CMD=("$GANTRY_BIN" -c "$dir/gantry.yaml")
}

# gantry_rr and gantry_lr: gantry balancing over three endpoints (the same upstream on
# 127.0.0.1-3): plain round robin, and least_request with outlier detection on (the issue's
# "within 3%" comparison). Same settings as config_gantry otherwise.
config_gantry_lb() {  # WORKERS NAME PORT CLUSTER_KEYS
    local workers=$1 dir=$TMP/$2
    mkdir -p "$dir"
    cat >"$dir/gantry.yaml" <<EOF
workers: $workers
log:
  level: warn
  access: { path: off }
limits:
  idle_timeout: 300s
listeners:
  - name: bench
    listen: ["127.0.0.1:$3"]
    virtual_hosts: [bench]
virtual_hosts:
  - name: bench
    domains: ["*"]
    routes:
      - match: { prefix: / }
        forward: { cluster: upstream }
clusters:
  - name: upstream
    endpoints:
      - { address: "127.0.0.1:$UP_PORT" }
      - { address: "127.0.0.2:$UP_PORT" }
      - { address: "127.0.0.3:$UP_PORT" }
    pool: { max_idle_per_endpoint: 512, idle_timeout: 300s }
$4
EOF
    CMD=("$GANTRY_BIN" -c "$dir/gantry.yaml")
}
config_gantry_rr() { config_gantry_lb "$1" gantry_rr "$GANTRY_RR_PORT" "    lb: round_robin"; }
config_gantry_lr() {
    config_gantry_lb "$1" gantry_lr "$GANTRY_LR_PORT" "    lb: least_request
    least_request: { choices: 2 }
    outlier_detection: { consecutive_5xx: 5, interval: 1s, base_ejection_time: 30s }"
}

config_nginx() {
    local workers=$1 mode=$2 dir=$TMP/nginx process
    mkdir -p "$dir"
    process="worker_processes $workers;"
    [[ $mode == valgrind ]] && process="worker_processes 1; master_process off;"
    # proxy_max_temp_file_size 0: stream bodies larger than the proxy buffers instead of
    # spilling them to disk, which is how a latency-minded nginx is configured.
    cat >"$dir/nginx.conf" <<EOF
$(nginx_common "$dir")
$process
daemon off;
http {
$(nginx_http_common "$dir")
    upstream up {
        server 127.0.0.1:$UP_PORT;
        keepalive 512;
        keepalive_requests 1000000;
        keepalive_timeout 300s;
    }
    server {
        listen 127.0.0.1:$NGINX_PORT backlog=4096;
        location / {
            proxy_pass http://up;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_max_temp_file_size 0;
        }
    }
    # nginx 1.22 (Debian bookworm): "http2" on a listen without ssl is h2c with prior knowledge
    # (the "http2 on" directive arrived in 1.25.1).
    server {
        listen 127.0.0.1:$NGINX_H2_PORT http2 backlog=4096;
        location / {
            proxy_pass http://up;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_max_temp_file_size 0;
        }
    }
    server {
        listen 127.0.0.1:$NGINX_TLS_PORT ssl http2 backlog=4096;
        ssl_certificate $CERT_DIR/cert.pem;
        ssl_certificate_key $CERT_DIR/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_cache shared:SSL:10m;
        location / {
            proxy_pass http://up;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_max_temp_file_size 0;
        }
    }
}
EOF
    CMD=(nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf")
}

config_haproxy() {
    local workers=$1 dir=$TMP/haproxy
    mkdir -p "$dir"
    cat >"$dir/haproxy.cfg" <<EOF
global
    nbthread $workers
    # HAProxy asks for 2 descriptors per connection (client and server side); idle clients need
    # only one, so start even when the open-file limit is below that worst case.
    no strict-limits
    maxconn $((IDLE_CONNS + 100))

defaults
    mode http
    option http-keep-alive
    http-reuse always
    maxconn $((IDLE_CONNS + 100))
    timeout connect 5s
    timeout client 300s
    timeout server 300s
    timeout http-request 10s
    timeout http-keep-alive 300s

frontend bench
    bind 127.0.0.1:$HAPROXY_PORT
    default_backend upstream

frontend bench_h2
    bind 127.0.0.1:$HAPROXY_H2_PORT proto h2
    default_backend upstream

frontend bench_tls
    bind 127.0.0.1:$HAPROXY_TLS_PORT ssl crt $CERT_DIR/combined.pem ssl-min-ver TLSv1.2 alpn h2,http/1.1
    default_backend upstream

backend upstream
    server up 127.0.0.1:$UP_PORT
EOF
    CMD=(haproxy -db -f "$dir/haproxy.cfg")
}

config_envoy() {
    local workers=$1 dir=$TMP/envoy
    mkdir -p "$dir"
    cat >"$dir/envoy.yaml" <<EOF
static_resources:
  listeners:
  - name: bench
    address: { socket_address: { address: 127.0.0.1, port_value: $ENVOY_PORT } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: bench
          generate_request_id: false
          common_http_protocol_options: { idle_timeout: 300s }
          route_config:
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - match: { prefix: "/" }
                route: { cluster: upstream }
          http_filters:
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
              suppress_envoy_headers: true
  clusters:
  - name: upstream
    type: STATIC
    connect_timeout: 1s
    load_assignment:
      cluster_name: upstream
      endpoints:
      - lb_endpoints:
        - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: $UP_PORT } } }
EOF
    CMD=(envoy -c "$dir/envoy.yaml" --concurrency "$workers" --log-level warn --disable-hot-restart)
}

declare -A PROXY_PID=()

start_proxy() {  # NAME WORKERS MODE: starts it, waits for its port, checks it proxies
    local name=$1 workers=$2 mode=$3 pid wait_s=10
    "config_$name" "$workers" "$mode"
    if [[ $mode == valgrind ]]; then
        CMD=(valgrind "${VALGRIND_ARGS[@]}" "${CMD[@]}")
        wait_s=120
    fi
    start_bg "$name" "${CMD[@]}"
    pid=$LAST_PID
    if ! wait_port "${PORT[$name]}" "$pid" "$name" "$wait_s"; then
        stop_pid "$pid"
        return 1
    fi
    if ! check_proxy "$name"; then
        stop_pid "$pid"
        return 1
    fi
    PROXY_PID[$name]=$pid
}

check_proxy() {  # NAME: a few requests of each kind must come back whole
    local port=${PORT[$1]} out
    if ! out=$(python3 "$BENCH_DIR/kaclient.py" 127.0.0.1 "$port" /64 20 64 2>&1) ||
        ! out=$(python3 "$BENCH_DIR/kaclient.py" 127.0.0.1 "$port" /1m 2 1048576 2>&1); then
        log "$1 does not proxy correctly: $out"
        tail -n 20 "$TMP/$1.log" >&2
        return 1
    fi
    if [[ -n ${TLS_PORT[$1]:-} ]] &&
        { ! out=$(curl -fsS --cacert "$CERT_DIR/cert.pem" --tlsv1.3 --resolve \
            "bench.test:${TLS_PORT[$1]}:127.0.0.1" "https://bench.test:${TLS_PORT[$1]}/64" 2>&1 |
            wc -c) || ((out != 64)); }; then
        log "$1 does not proxy correctly over TLS: $out"
        tail -n 20 "$TMP/$1.log" >&2
        return 1
    fi
}

stop_proxy() {
    local pid=${PROXY_PID[$1]:-}
    [[ -n $pid ]] && stop_pid "$pid" "${2:-10}"
    unset "PROXY_PID[$1]"
}

# ---------------------------------------------------------------- which proxies run
ACTIVE=()
for p in $PROXIES; do
    case $p in
    gantry)
        if [[ -x $GANTRY_BIN ]]; then
            # Measure a copy: a rebuild in the tree during the run must not swap the binary.
            cp "$GANTRY_BIN" "$TMP/gantry.bin"
            GANTRY_BIN=$TMP/gantry.bin
            ACTIVE+=(gantry)
            meta gantry_version "$("$GANTRY_BIN" --version 2>&1 | head -n 1)"
        else
            log "gantry: SKIPPED: no binary at $GANTRY_BIN (build it, or set GANTRY_BIN)"
            meta skipped "gantry: no binary at $GANTRY_BIN"
        fi
        ;;
    gantry_rr | gantry_lr)
        if [[ -x $GANTRY_BIN ]]; then
            if [[ $GANTRY_BIN != "$TMP/gantry.bin" ]]; then
                cp "$GANTRY_BIN" "$TMP/gantry.bin"
                GANTRY_BIN=$TMP/gantry.bin
            fi
            ACTIVE+=("$p")
        else
            log "$p: SKIPPED: no binary at $GANTRY_BIN"
            meta skipped "$p: no binary at $GANTRY_BIN"
        fi
        ;;
    nginx) ACTIVE+=(nginx) ;;
    haproxy)
        if command -v haproxy >/dev/null; then ACTIVE+=(haproxy); else
            log "haproxy: SKIPPED: not installed"
            meta skipped "haproxy: not installed"
        fi
        ;;
    envoy)
        if command -v envoy >/dev/null; then ACTIVE+=(envoy); else
            log "envoy: skipped (no envoy binary on PATH)"
            meta skipped "envoy: no envoy binary on PATH"
        fi
        ;;
    *) die "unknown proxy '$p' (known: gantry nginx haproxy envoy gantry_rr gantry_lr)" ;;
    esac
done
((${#ACTIVE[@]})) || die "no proxy to measure"
for phase in $PHASES; do
    [[ $phase =~ ^(throughput|h2|h2tls|idle|instr|alloc)$ ]] || die "unknown phase '$phase' (known: throughput h2 h2tls idle instr alloc)"
done
for variant in $VALGRIND_VARIANTS; do
    [[ $variant =~ ^(h1|tls|h2|h2tls)$ ]] || die "unknown valgrind variant '$variant' (known: h1 tls h2 h2tls)"
done

# ---------------------------------------------------------------- 3. throughput and latency
busy_ticks() {  # all CPUs' user + nice + system + steal time so far, in clock ticks
    # irq and softirq are left out: the kernel may account loopback traffic there rather than
    # to the processes (CONFIG_IRQ_TIME_ACCOUNTING), and it is this benchmark's own traffic.
    awk '/^cpu / {print $2 + $3 + $4 + $9; exit}' /proc/stat
}

machine_load() {  # percent of all CPUs busy over one second (run before starting anything)
    local b0 b1
    b0=$(busy_ticks)
    sleep 1
    b1=$(busy_ticks)
    awk -v t=$((b1 - b0)) -v hz="$CLK_TCK" -v n="$(nproc)" \
        'BEGIN {v = 100 * t / hz / n; printf "%.0f", (v > 100 ? 100 : v)}'
}

wait_quiet() {  # with --wait-quiet S: wait up to S seconds for other jobs to leave the CPUs
    local waited=0 load
    ((WAIT_QUIET > 0)) || return 0
    while load=$(machine_load) && ((load >= 10 && waited < WAIT_QUIET)); do
        ((waited == 0)) && log "waiting for the machine to be quiet (${load}% busy)"
        waited=$((waited + 1))
    done
    ((waited == 0)) || log "waited ${waited}s; now ${load}% busy"
}

ticks_to_s() { awk -v t="$1" -v hz="$CLK_TCK" 'BEGIN {printf "%.2f", t / hz}'; }

run_wrk() {  # SCENARIO PROXY ROUND SECONDS [record]: one wrk run; records it when asked
    local scen=$1 proxy=$2 round=$3 secs=$4 record=${5:-} root out c0 c1 u0=0 u1=0 b0 b1
    local hdr=()
    [[ -n ${S_HEADER[$scen]} ]] && hdr=(-H "${S_HEADER[$scen]}")
    root=${PROXY_PID[$proxy]:-$UP_PID}  # "direct": the upstream's own CPU
    [[ -n $record ]] && wait_quiet
    b0=$(busy_ticks)
    c0=$(cpu_ticks "$root")
    [[ $root != "$UP_PID" ]] && u0=$(cpu_ticks "$UP_PID")
    local url="http://127.0.0.1:${PORT[$proxy]}${S_PATH[$scen]}"
    [[ -n ${S_TLS[$scen]:-} ]] && url="https://127.0.0.1:${TLS_PORT[$proxy]}${S_PATH[$scen]}"
    out=$(/usr/bin/time -f 'WRKCPU %U %S' taskset -c "$CLIENT_CPU" wrk -t1 -c"${S_CONNS[$scen]}" \
        -d"${secs}s" --timeout 5s --latency -s "$BENCH_DIR/wrk_report.lua" "${hdr[@]}" \
        "$url" 2>&1) || {
        log "wrk failed against $proxy in ($scen): $(grep -v '^WRKCPU\|^Command exited' <<<"$out" | tail -n 2)"
        return 1
    }
    if ! kill -0 "$root" 2>/dev/null; then
        log "$proxy exited during ($scen)"
        return 1
    fi
    c1=$(cpu_ticks "$root")
    [[ $root != "$UP_PID" ]] && u1=$(cpu_ticks "$UP_PID")
    b1=$(busy_ticks)
    [[ -n $record ]] || return 0
    echo "$out" >"$TMP/wrk-$scen-$proxy-$round.txt"
    record_wrk "$scen" "$proxy" "$round" "$out" $((c1 - c0)) $((b1 - b0 - (c1 - c0) - (u1 - u0)))
}

record_wrk() {  # SCENARIO PROXY ROUND WRK_OUTPUT PROXY_TICKS OTHER_TICKS (other incl. wrk)
    local scen=$1 proxy=$2 round=$3 out=$4 proxy_s stats pair wrk_cpu other_pct
    local -A kv=()
    stats=$(grep '^WRKSTATS ' <<<"$out") || die "no WRKSTATS line from wrk: $out"
    for pair in ${stats#WRKSTATS }; do kv[${pair%%=*}]=${pair#*=}; done
    wrk_cpu=$(awk '/^WRKCPU / {print $2 + $3}' <<<"$out")
    proxy_s=$(ticks_to_s "$5")
    # CPU that neither the proxy, the upstream nor wrk used, as a share of the machine: anything
    # well above 0 means another process disturbed this run.
    other_pct=$(awk -v t="$6" -v hz="$CLK_TCK" -v w="${wrk_cpu:-0}" -v d="${kv[duration_us]}" \
        -v n="$(nproc)" 'BEGIN {v = 100 * (t / hz - w) / (d / 1e6 * n); printf "%.1f", v < 0 ? 0 : v}')
    local errors=$((kv[err_connect] + kv[err_read] + kv[err_write] + kv[err_status] + kv[err_timeout]))
    raw "$scen" "$proxy" "$round" requests "${kv[requests]}"
    raw "$scen" "$proxy" "$round" duration_s "$(awk -v d="${kv[duration_us]}" 'BEGIN {printf "%.6f", d / 1e6}')"
    raw "$scen" "$proxy" "$round" p50_ms "$(awk -v v="${kv[p50_us]}" 'BEGIN {printf "%.3f", v / 1e3}')"
    raw "$scen" "$proxy" "$round" p99_ms "$(awk -v v="${kv[p99_us]}" 'BEGIN {printf "%.3f", v / 1e3}')"
    raw "$scen" "$proxy" "$round" errors "$errors"
    raw "$scen" "$proxy" "$round" cpu_s "$proxy_s"
    raw "$scen" "$proxy" "$round" other_cpu_pct "$other_pct"
    raw "$scen" "$proxy" "$round" body_bytes "${S_BODY[$scen]}"
    log "$(awk -v r="${kv[requests]}" -v d="${kv[duration_us]}" -v p50="${kv[p50_us]}" \
        -v p99="${kv[p99_us]}" -v c="$proxy_s" -v head="round $round/$ROUNDS  $scen  $proxy" \
        -v tail="errors $errors  other CPU $other_pct%" \
        'BEGIN {printf "%-24s %9.0f req/s  p50 %6.2f ms  p99 %6.2f ms  cpu %5.2f s  %s",
                head, r / (d / 1e6), p50 / 1e3, p99 / 1e3, c, tail}')"
}

runs_scenario() {  # SCENARIO PROXY: whether PROXY takes part in SCENARIO
    [[ $2 == gantry || " $GANTRY_ONLY_SCENARIOS " != *" $1 "* ]]
}

throughput_phase() {
    local p s r running=()
    for p in "${ACTIVE[@]}"; do
        if start_proxy "$p" 2 normal; then
            running+=("$p")
        elif [[ $p == gantry ]]; then
            log "gantry: SKIPPED: it did not start or did not proxy correctly (see above)"
            meta skipped "gantry: failed to start or to proxy (throughput)"
        else
            die "$p did not start"
        fi
    done
    THROUGHPUT=("${running[@]}")
    log "warm-up: ${WARMUP}s per proxy and scenario"
    for s in "${SCENARIOS[@]}"; do
        for p in "${THROUGHPUT[@]}"; do
            runs_scenario "$s" "$p" && measure "$s" "$p" 0 "$WARMUP"
        done
    done
    # Interleaved rounds: drift in the machine (thermal, other tenants) hits every proxy alike.
    for ((r = 1; r <= ROUNDS; r++)); do
        for s in "${SCENARIOS[@]}"; do
            for p in "${THROUGHPUT[@]}"; do
                runs_scenario "$s" "$p" && measure "$s" "$p" "$r" "$DURATION" record
            done
            if [[ " $DIRECT_SCENARIOS " == *" $s "* ]]; then
                run_wrk "$s" direct "$r" "$DURATION" record || die "the upstream failed"
            fi
        done
    done
    for p in "${THROUGHPUT[@]}"; do stop_proxy "$p"; done
}

declare -A BROKEN=()  # "proxy:scenario" pairs that failed once and are not run again

measure() {  # SCENARIO PROXY ROUND SECONDS [record]: run_wrk, surviving a proxy that fails
    local s=$1 p=$2 r=$3
    [[ -z ${BROKEN[$p:$s]:-} ]] || return 0
    [[ -n ${S_TLS[$s]:-} && -z ${TLS_PORT[$p]:-} ]] && return 0  # no TLS config for it (Envoy)
    run_wrk "$@" && return 0
    BROKEN[$p:$s]=1
    raw "$s" "$p" "$r" failed 1
    local pid=${PROXY_PID[$p]} status=0 why keep=() q
    if kill -0 "$pid" 2>/dev/null; then
        why="stopped serving"
    else
        wait "$pid" || status=$?
        why="exited with status $status$( ((status > 128)) && echo " (signal $((status - 128)))")"
    fi
    log "$p: FAILED in scenario ($s), round $r: $why; ($s) goes on without it"
    tail -n 5 "$TMP/$p.log" >&2
    meta failed "$p: $why in scenario ($s), round $r (round 0 = warm-up); its later ($s) runs skipped"
    stop_proxy "$p" 5
    # The other scenarios still say something: restart it for them, or drop it if it will not.
    if start_proxy "$p" 2 normal; then return 0; fi
    meta failed "$p: did not restart; its remaining throughput runs skipped"
    for q in "${THROUGHPUT[@]}"; do [[ $q == "$p" ]] || keep+=("$q"); done
    THROUGHPUT=("${keep[@]}")
}

# ---------------------------------------------------------------- 3b. HTTP/2 (h2load)
H2_CONNS=${H2_CONNS:-16}
H2_STREAMS=${H2_STREAMS:-32}

# The h2 phase runs over h2c (prior knowledge); the h2tls phase over the TLS listeners of
# scenarios (d)/(e), where ALPN picks h2 (wrk offers no ALPN there, so (d)/(e) stay HTTP/1.1).
H2_SCEN=h2
h2_url() {  # PROXY
    if [[ $H2_SCEN == h2tls ]]; then
        echo "https://127.0.0.1:${TLS_PORT[$1]}/64"
    else
        echo "http://127.0.0.1:${H2_PORT[$1]}/64"
    fi
}

run_h2load() {  # PROXY ROUND SECONDS [record]: one h2load run of GET /64 ($H2_SCEN)
    local proxy=$1 round=$2 secs=$3 record=${4:-} root out c0 c1 u0 u1 b0 b1 log_file
    local total ok latency
    root=${PROXY_PID[$proxy]}
    log_file=$TMP/h2load-$H2_SCEN-$proxy-$round.log
    [[ -n $record ]] && wait_quiet
    b0=$(busy_ticks)
    c0=$(cpu_ticks "$root")
    u0=$(cpu_ticks "$UP_PID")
    out=$(/usr/bin/time -f 'WRKCPU %U %S' taskset -c "$CLIENT_CPU" h2load -t1 -c"$H2_CONNS" \
        -m"$H2_STREAMS" -D"$secs" --log-file="$log_file" \
        "$(h2_url "$proxy")" 2>&1) || {
        log "h2load failed against $proxy: $(tail -n 2 <<<"$out")"
        return 1
    }
    c1=$(cpu_ticks "$root")
    u1=$(cpu_ticks "$UP_PID")
    b1=$(busy_ticks)
    kill -0 "$root" 2>/dev/null || { log "$proxy exited during ($H2_SCEN)"; return 1; }
    read -r total ok < <(awk '/^requests:/ {print $2, $8}' <<<"$out")
    [[ -n $record ]] || return 0
    ((ok > 0)) || { log "h2load against $proxy: no request succeeded: $out"; return 1; }
    echo "$out" >"$TMP/h2load-$H2_SCEN-$proxy-$round.txt"
    # h2load's log: start time, status, duration in microseconds, one request a line.
    latency=$(awk '{print $3}' "$log_file" | sort -n | awk '{v[NR] = $1}
        END {if (NR) printf "%.3f %.3f", v[int((NR - 1) * 0.5) + 1] / 1e3, v[int((NR - 1) * 0.99) + 1] / 1e3;
             else print "0 0"}')
    rm -f "$log_file"
    local wrk_cpu proxy_s other_pct p50 p99 rps
    read -r p50 p99 <<<"$latency"
    wrk_cpu=$(awk '/^WRKCPU / {print $2 + $3}' <<<"$out")
    proxy_s=$(ticks_to_s $((c1 - c0)))
    other_pct=$(awk -v t=$((b1 - b0 - (c1 - c0) - (u1 - u0))) -v hz="$CLK_TCK" -v w="${wrk_cpu:-0}" \
        -v d="$secs" -v n="$(nproc)" 'BEGIN {v = 100 * (t / hz - w) / (d * n); printf "%.1f", v < 0 ? 0 : v}')
    raw "$H2_SCEN" "$proxy" "$round" requests "$ok"
    raw "$H2_SCEN" "$proxy" "$round" duration_s "$secs"
    raw "$H2_SCEN" "$proxy" "$round" p50_ms "$p50"
    raw "$H2_SCEN" "$proxy" "$round" p99_ms "$p99"
    raw "$H2_SCEN" "$proxy" "$round" errors "$((total - ok))"
    raw "$H2_SCEN" "$proxy" "$round" cpu_s "$proxy_s"
    raw "$H2_SCEN" "$proxy" "$round" other_cpu_pct "$other_pct"
    raw "$H2_SCEN" "$proxy" "$round" body_bytes 64
    rps=$(awk -v r="$ok" -v d="$secs" 'BEGIN {printf "%.0f", r / d}')
    log "$(printf '%-24s %9s req/s  p50 %6s ms  p99 %6s ms  cpu %5s s  errors %s  other CPU %s%%' \
        "round $round/$ROUNDS  $H2_SCEN  $proxy" "$rps" "$p50" "$p99" "$proxy_s" "$((total - ok))" "$other_pct")"
}

h2_phase() {  # SCENARIO: h2 (h2c) or h2tls (h2 by ALPN over TLS)
    local p r running=() check
    H2_SCEN=$1
    if ! command -v h2load >/dev/null; then
        log "$H2_SCEN: SKIPPED: h2load not installed"
        meta skipped "$H2_SCEN: h2load not installed"
        return
    fi
    for p in "${ACTIVE[@]}"; do
        [[ $p == envoy ]] && continue  # no h2c or TLS listener configured for it
        if ! start_proxy "$p" 2 normal; then
            log "$p: $H2_SCEN skipped, it did not start"
            continue
        fi
        if [[ $H2_SCEN == h2tls ]]; then
            check=$(curl -sS --http2 -k -o /dev/null -w '%{http_version}' "$(h2_url "$p")" || true)
        else
            check=$(curl -sS --http2-prior-knowledge -o /dev/null -w '%{http_version}' \
                "$(h2_url "$p")" || true)
        fi
        if [[ $check != 2 ]]; then
            log "$p: $H2_SCEN skipped, its listener does not answer HTTP/2 (got '$check')"
            meta skipped "$p: $H2_SCEN listener does not answer HTTP/2"
            stop_proxy "$p"
            continue
        fi
        running+=("$p")
    done
    log "$H2_SCEN: warm-up ${WARMUP}s per proxy"
    for p in "${running[@]}"; do run_h2load "$p" 0 "$WARMUP" || true; done
    for ((r = 1; r <= ROUNDS; r++)); do
        for p in "${running[@]}"; do
            run_h2load "$p" "$r" "$DURATION" record || raw "$H2_SCEN" "$p" "$r" failed 1
        done
    done
    for p in "${running[@]}"; do stop_proxy "$p"; done
}

# ---------------------------------------------------------------- 4. idle connection memory
idle_phase() {
    local p out pair
    for p in "${ACTIVE[@]}"; do
        if ! start_proxy "$p" 2 normal; then
            log "$p: idle test skipped, it did not start"
            continue
        fi
        log "idle: $IDLE_CONNS keep-alive connections to $p"
        if out=$(python3 "$BENCH_DIR/idle_conns.py" 127.0.0.1 "${PORT[$p]}" "${PROXY_PID[$p]}" \
            "$IDLE_CONNS" $((IDLE_CONNS / 10)) 2>&1); then
            log "idle $p: $out"
            for pair in $out; do raw idle "$p" 1 "${pair%%=*}" "${pair#*=}"; done
        else
            log "idle $p: FAILED: $out"
        fi
        stop_proxy "$p"
    done
}

# ---------------------------------------------------------------- 5 and 6: valgrind counts
# Both counts are deterministic (they do not depend on timing or on the machine's load) and use
# two runs, N1 and N2 requests, so start-up and shutdown cancel in (X(N2) - X(N1)) / (N2 - N1).
VALGRIND_ARGS=()

callgrind_count() {  # FILE: total instructions (Ir) over all threads of a callgrind output file
    awk '/^totals:/ {t=$2} /^summary:/ {s=$2} END {print (t != "" ? t : s)}' "$1"
}

memcheck_count() {  # FILE: "ALLOCS BYTES" from memcheck's "total heap usage" line
    sed -n 's/.*total heap usage: \([0-9,]*\) allocs, [0-9,]* frees, \([0-9,]*\) bytes allocated.*/\1 \2/p' "$1" |
        tr -d , | tail -n 1
}

# The variants: h1 is HTTP/1.1 on the plain port; tls is HTTP/1.1 over TLS 1.3 on the TLS port
# (one handshake, then keep-alive); h2 is h2c with prior knowledge on the h2 port, all requests
# over one connection with VALGRIND_H2_STREAMS streams at a time; h2tls is the same h2load run
# over TLS 1.3 to the TLS port, ALPN h2. Each sends exactly N requests.
declare -A VARIANT_SUFFIX=([h1]="" [tls]=_tls [h2]=_h2 [h2tls]=_h2tls)
declare -A VARIANT_DESC=([h1]="HTTP/1.1" [tls]="HTTP/1.1 over TLS 1.3" [h2]="h2c"
    [h2tls]="h2 over TLS 1.3")

valgrind_client() {  # VARIANT PROXY N: sends N requests of VARIANT to PROXY; complaints on stderr
    local variant=$1 p=$2 n=$3
    case $variant in
    h1) python3 "$BENCH_DIR/kaclient.py" 127.0.0.1 "${PORT[$p]}" /64 "$n" 64 ;;
    tls) python3 "$BENCH_DIR/kaclient.py" --tls 127.0.0.1 "${TLS_PORT[$p]}" /64 "$n" 64 ;;
    h2) h2load_exactly "$n" "http://127.0.0.1:${H2_PORT[$p]}/64" ;;
    h2tls) h2load_exactly "$n" "https://127.0.0.1:${TLS_PORT[$p]}/64" ;;
    esac
}

h2load_exactly() {  # N URL: N requests over one HTTP/2 connection; fails unless all got a 2xx
    local n=$1 url=$2 out total ok
    out=$(h2load -n"$n" -c1 -m"$VALGRIND_H2_STREAMS" -t1 "$url" 2>&1) ||
        { echo "h2load failed: $out" >&2; return 1; }
    # "requests: N total, N started, N done, N succeeded, ..." and "status codes: N 2xx, ...":
    # a stream that failed or did not get a 2xx would change the count the measurement needs.
    read -r total ok < <(awk '/^requests:/ {print $2, $8}' <<<"$out")
    if [[ $total != "$n" || $ok != "$n" ]] || ! grep -q "^status codes: $n 2xx" <<<"$out"; then
        echo "h2load: not all $n requests succeeded with a 2xx: $(grep -E '^(requests|status codes):' <<<"$out")" >&2
        return 1
    fi
    # Over TLS, ALPN must have picked h2 (h2load would fall back to HTTP/1.1) and TLS 1.3.
    if [[ $url == https:* ]] &&
        ! { grep -q '^Application protocol: h2$' <<<"$out" && grep -q '^TLS Protocol: TLSv1.3$' <<<"$out"; }; then
        echo "h2load: not h2 over TLS 1.3: $(grep -E '^(Application protocol|TLS Protocol):' <<<"$out")" >&2
        return 1
    fi
    echo "h2load: $n requests, $(grep '^finished in' <<<"$out")" >&2
}

COUNT=
valgrind_one() {  # TOOL PROXY N VARIANT: sets COUNT from one valgrind run of PROXY serving N requests
    local tool=$1 p=$2 n=$3 variant=$4 out=$TMP/$1.$2.$4.$3.out
    COUNT=
    case $tool in
    callgrind) VALGRIND_ARGS=(--tool=callgrind --dump-instr=no "--callgrind-out-file=$out") ;;
    # gantry links mimalloc: the synonym makes memcheck count its malloc/free like glibc's.
    memcheck) VALGRIND_ARGS=(--tool=memcheck --leak-check=no "--soname-synonyms=somalloc=*mimalloc*"
        "--log-file=$out") ;;
    esac
    start_proxy "$p" 1 valgrind || return 1
    # The proxy's log is rewritten by the next start; keep the client's complaint apart.
    if ! valgrind_client "$variant" "$p" "$n" 2>>"$TMP/kaclient.log"; then
        tail -n 3 "$TMP/kaclient.log" >&2
        return 1
    fi
    # A graceful stop lets valgrind write its totals; the drain can be slow under valgrind.
    stop_proxy "$p" 120
    [[ -s $out ]] || return 1
    COUNT=$("${tool}_count" "$out")
    [[ -n $COUNT ]]
}

valgrind_phase() {  # TOOL LABEL PREFIX: counts in PREFIX_N1/_N2, PREFIX_TLS_N1/_N2 and so on
    local tool=$1 label=$2 prefix=$3 p c1 c2 variant n1 n2 infix
    for variant in $VALGRIND_VARIANTS; do
        if [[ $variant == h2* ]] && ! command -v h2load >/dev/null; then
            log "$label ${VARIANT_DESC[$variant]}: SKIPPED: h2load not installed"
            meta skipped "$label over ${VARIANT_DESC[$variant]}: h2load not installed"
            continue
        fi
        infix=${VARIANT_SUFFIX[$variant]^^}
        n1=${prefix}${infix}_N1 n2=${prefix}${infix}_N2
        n1=${!n1} n2=${!n2}
        for p in "${ACTIVE[@]}"; do
            [[ $p == envoy ]] && continue  # start-up alone takes minutes under valgrind
            [[ $variant == *tls && -z ${TLS_PORT[$p]:-} ]] && continue  # no TLS listener (gantry_rr/lr)
            [[ $variant == h2 && -z ${H2_PORT[$p]:-} ]] && continue
            log "$label ${VARIANT_DESC[$variant]}: $p under $tool, $n1 and $n2 requests (1 worker)"
            if valgrind_one "$tool" "$p" "$n1" "$variant" && c1=$COUNT &&
                valgrind_one "$tool" "$p" "$n2" "$variant" && c2=$COUNT; then
                record_counts "$tool" "$p" "$n1" "$n2" "$c1" "$c2" "$variant"
            else
                kill -0 "$UP_PID" 2>/dev/null ||
                    die "the upstream nginx exited; its log: $(tail -n 5 "$TMP/upstream.log")"
                log "$label ${VARIANT_DESC[$variant]} $p: FAILED (run with --keep-tmp and see $TMP/$p.log)"
                meta failed "$p: $label over ${VARIANT_DESC[$variant]} failed under $tool"
                stop_proxy "$p" 5
            fi
        done
    done
}

record_counts() {  # TOOL PROXY N1 N2 COUNT1 COUNT2 VARIANT (memcheck counts are "ALLOCS BYTES")
    local tool=$1 p=$2 n=$(($4 - $3)) a1 b1 a2 b2 sfx=${VARIANT_SUFFIX[$7]} desc=${VARIANT_DESC[$7]}
    local per
    if [[ $tool == callgrind ]]; then
        raw instr "$p" 1 "ir_per_req$sfx" "$((($6 - $5) / n))"
        log "instructions $p, $desc: $((($6 - $5) / n)) per request"
    else
        read -r a1 b1 <<<"$5"
        read -r a2 b2 <<<"$6"
        per=$(awk -v d=$((a2 - a1)) -v n=$n 'BEGIN{printf "%.2f", d/n}')
        raw alloc "$p" 1 "allocs_per_req$sfx" "$per"
        raw alloc "$p" 1 "alloc_bytes_per_req$sfx" "$(awk -v d=$((b2 - b1)) -v n=$n 'BEGIN{printf "%.0f", d/n}')"
        log "allocations $p, $desc: $per per request, $(((b2 - b1) / n)) bytes per request"
    fi
}

# ---------------------------------------------------------------- main
meta date "$(date '+%Y-%m-%d %H:%M %Z')"
meta host "$(uname -srm), $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
meta versions "nginx $(nginx -v 2>&1 | sed 's|.*nginx/||'), HAProxy $(haproxy -v 2>/dev/null | awk 'NR==1{print $3}'), $(wrk -v 2>&1 | awk 'NR==1{print $1, $2}'), $(valgrind --version)"
meta gantry_rev "$(git -C "$ROOT_DIR" rev-parse --short HEAD 2>/dev/null || echo 'no commit')$(
    git -C "$ROOT_DIR" diff --quiet HEAD 2>/dev/null || echo ' + uncommitted changes')"
meta rounds "$ROUNDS"
meta duration_s "$DURATION"
meta quick "$QUICK"
meta idle_conns "$IDLE_CONNS"
meta instr_n "$INSTR_N1 $INSTR_N2"
meta alloc_n "$ALLOC_N1 $ALLOC_N2"
meta instr_tls_n "$INSTR_TLS_N1 $INSTR_TLS_N2"
meta alloc_tls_n "$ALLOC_TLS_N1 $ALLOC_TLS_N2"
meta instr_h2_n "$INSTR_H2_N1 $INSTR_H2_N2"
meta alloc_h2_n "$ALLOC_H2_N1 $ALLOC_H2_N2"
meta instr_h2tls_n "$INSTR_H2TLS_N1 $INSTR_H2TLS_N2"
meta alloc_h2tls_n "$ALLOC_H2TLS_N1 $ALLOC_H2TLS_N2"
meta valgrind_h2_streams "$VALGRIND_H2_STREAMS"
meta valgrind_variants "$VALGRIND_VARIANTS"
for s in "${SCENARIOS[@]}"; do meta "scenario_$s" "${S_DESC[$s]}"; done
meta scenario_h2 "64 B over HTTP/2 (h2c prior knowledge, h2load), $H2_CONNS conns x $H2_STREAMS streams; upstream HTTP/1.1"
meta scenario_h2tls "64 B over HTTP/2 over TLS 1.3 (ALPN h2, h2load), $H2_CONNS conns x $H2_STREAMS streams; upstream HTTP/1.1"

log "temporary directory $TMP; proxies: ${ACTIVE[*]}; $ROUNDS round(s) of ${DURATION}s"
LOAD=$(machine_load)
meta load_before "$LOAD"
((LOAD < 10)) || log "warning: the machine is already ${LOAD}% busy; req/s and latency will be noisy"
start_upstream
for phase in $PHASES; do
    case $phase in
    throughput) throughput_phase ;;
    h2) h2_phase h2 ;;
    h2tls) h2_phase h2tls ;;
    idle) idle_phase ;;
    instr) valgrind_phase callgrind instructions INSTR ;;
    alloc) valgrind_phase memcheck allocations ALLOC ;;
    esac
done

mkdir -p "$(dirname "$OUT")"
cp "$RAW" "${OUT%.md}.tsv"
cp "$META" "${OUT%.md}.meta.tsv"
python3 "$BENCH_DIR/report.py" "$RAW" "$META" | tee "$OUT"
log "report written to $OUT (raw results: ${OUT%.md}.tsv and .meta.tsv)"
