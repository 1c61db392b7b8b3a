#!/usr/bin/env bash
# Removes what Deploy/install.sh installed. Keeps /etc/vigil (configuration and credentials)
# unless --purge is given. Run as root.
set -euo pipefail
purge=0
[[ "${1:-}" == "--purge" ]] && purge=1
if [[ $(id -u) -ne 0 ]]; then echo "uninstall.sh: run as root" >&2; exit 1; fi

systemctl disable --now vigil.service 2>/dev/null || true
rm -f /etc/systemd/system/vigil.service /usr/local/bin/vigil /usr/lib/sysusers.d/vigil.conf
rm -rf /usr/local/share/doc/vigil /opt/vigil
systemctl daemon-reload || true
if ((purge)); then
    rm -rf /etc/vigil
    userdel vigil 2>/dev/null || true
    echo "uninstall.sh: removed, including /etc/vigil and the vigil user"
else
    echo "uninstall.sh: removed; /etc/vigil and the vigil user are kept (use --purge to remove them)"
fi
