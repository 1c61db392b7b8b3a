#!/usr/bin/env bash
# Installs Vigil as a systemd service (Debian 12). Run as root from the repository root:
#   Deploy/install.sh                      # release build, install, enable (not start)
#   Deploy/install.sh --start              # ... and start it
#   Deploy/install.sh --binary PATH        # install an already built binary (no build)
#   Deploy/install.sh --librdkafka FILE    # also install a librdkafka.so.1 >= 2.1 into /opt/vigil/lib
#   DESTDIR=/tmp/root Deploy/install.sh --binary PATH   # stage into a directory (no systemctl)
#
# librdkafka: Debian 12's librdkafka1 is 2.0.2, which mis-parses some current brokers' ApiVersion
# responses ("Read underflow"). Install a librdkafka >= 2.1 (e.g. Confluent's Debian packages, or the
# librdkafka.so.1 inside the confluent-kafka wheel) and pass it with --librdkafka; the unit puts
# /opt/vigil/lib first on LD_LIBRARY_PATH. `vigil version` prints the librdkafka actually loaded.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

binary="" librdkafka="" start=0
while (($#)); do
    case "$1" in
        --binary) binary="$2"; shift 2 ;;
        --librdkafka) librdkafka="$2"; shift 2 ;;
        --start) start=1; shift ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
DESTDIR="${DESTDIR:-}"
if [[ -z "$DESTDIR" && $(id -u) -ne 0 ]]; then echo "install.sh: run as root (or set DESTDIR to stage)" >&2; exit 1; fi

if [[ -z "$binary" ]]; then
    export PATH="/opt/swift/usr/bin:$PATH"
    swift build -c release --product vigil
    binary="$(swift build -c release --show-bin-path)/vigil"
fi

install -d -m 0755 "$DESTDIR/usr/local/bin" "$DESTDIR/etc/systemd/system" "$DESTDIR/usr/lib/sysusers.d" \
    "$DESTDIR/usr/local/share/doc/vigil" "$DESTDIR/opt/vigil/lib"
install -m 0755 "$binary" "$DESTDIR/usr/local/bin/vigil"
[[ -n "$librdkafka" ]] && install -m 0644 "$librdkafka" "$DESTDIR/opt/vigil/lib/librdkafka.so.1"
install -m 0644 Deploy/vigil.service "$DESTDIR/etc/systemd/system/vigil.service"
install -m 0644 Deploy/sysusers.d/vigil.conf "$DESTDIR/usr/lib/sysusers.d/vigil.conf"
install -m 0644 docs/OPERATIONS.md README.md "$DESTDIR/usr/local/share/doc/vigil/"
install -m 0644 Config/schemas/*.json Config/schemas/*.xsd "$DESTDIR/usr/local/share/doc/vigil/"

# Configuration: never overwrite an operator's file. Readable by the service group only.
install -d -m 0750 "$DESTDIR/etc/vigil"
install -d -m 0700 "$DESTDIR/etc/vigil/credentials"
if [[ ! -e "$DESTDIR/etc/vigil/vigil.toml" ]]; then
    install -m 0640 Config/vigil.toml "$DESTDIR/etc/vigil/vigil.toml"
fi

if [[ -n "$DESTDIR" ]]; then
    echo "install.sh: staged into $DESTDIR (no user created, systemd not touched)"
    exit 0
fi

systemd-sysusers /usr/lib/sysusers.d/vigil.conf
chgrp vigil /etc/vigil /etc/vigil/vigil.toml
/usr/local/bin/vigil check-config --config /etc/vigil/vigil.toml >/dev/null
systemctl daemon-reload
systemctl enable vigil.service
if ((start)); then systemctl restart vigil.service; fi
cat <<MSG
install.sh: installed. Next:
  edit /etc/vigil/vigil.toml (kafka.bootstrap_servers, topics, [admin] listen)
  secrets: install -m 0600 /dev/stdin /etc/vigil/credentials/kafka-sasl-password  (then in [kafka]:
           sasl_password_file = "vigil_kafka-sasl-password")
  vigil check-config --config /etc/vigil/vigil.toml
  systemctl start vigil; journalctl -u vigil -f; curl -s 127.0.0.1:9464/readyz
MSG
