#!/usr/bin/env bash
# Starts or stops the local Kafka-compatible broker (tansu, in-memory) on a free loopback port.
#   tools/broker.sh start   -> prints VIGIL_BOOTSTRAP=127.0.0.1:PORT, writes $VIGIL_RUN/broker.env
#   tools/broker.sh stop
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
mkdir -p "$VIGIL_RUN"
pidfile="$VIGIL_RUN/broker.pid"

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

case "${1:-}" in
start)
    if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        cat "$VIGIL_RUN/broker.env"; exit 0
    fi
    port="${VIGIL_BROKER_PORT:-$(free_port)}"
    "$VIGIL_TANSU" broker --listener-url "tcp://127.0.0.1:$port" \
        --advertised-listener-url "tcp://127.0.0.1:$port" --storage-engine memory://tansu/ \
        >"$VIGIL_RUN/broker.log" 2>&1 &
    echo $! >"$pidfile"
    for _ in $(seq 1 100); do
        if (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "VIGIL_BOOTSTRAP=127.0.0.1:$port" | tee "$VIGIL_RUN/broker.env"; exit 0
        fi
        kill -0 "$(cat "$pidfile")" 2>/dev/null || { cat "$VIGIL_RUN/broker.log" >&2; exit 1; }
        sleep 0.1
    done
    echo "broker: did not start listening on $port" >&2; exit 1 ;;
stop)
    if [[ -f "$pidfile" ]]; then
        pid="$(cat "$pidfile")"
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
        rm -f "$pidfile" "$VIGIL_RUN/broker.env"
    fi ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
