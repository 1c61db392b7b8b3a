"""Deploy/: the unit passes `systemd-analyze verify`, its exposure is <= 1.5 (issue 12), sysusers parses.

Offline and without installing anything on the host: Deploy/install.sh stages into a temporary
root (DESTDIR), the host's own system units and /bin/kill are copied in (verify resolves
sysinit.target and ExecReload's binary inside the root), and systemd-analyze runs with --root.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ANALYZE = shutil.which("systemd-analyze")
pytestmark = pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze missing (tools/setup.sh installs systemd)")
UNIT = "/etc/systemd/system/vigil.service"


@pytest.fixture(scope="module")
def staged(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("root")
    env = dict(os.environ, DESTDIR=str(root))
    subprocess.run([str(ROOT / "Deploy/install.sh"), "--binary", "/bin/true"], check=True, env=env, capture_output=True)
    (root / "usr/lib/systemd").mkdir(parents=True, exist_ok=True)
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True, dirs_exist_ok=True)
    (root / "bin").mkdir(exist_ok=True)
    shutil.copy2("/bin/kill", root / "bin/kill")
    return root


def analyze(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([ANALYZE, *args], capture_output=True, text=True)


def test_install_stages_binary_unit_config_and_sysusers(staged):
    for path in ("usr/local/bin/vigil", "etc/systemd/system/vigil.service", "usr/lib/sysusers.d/vigil.conf",
                 "etc/vigil/vigil.toml", "etc/vigil/credentials"):
        assert (staged / path).exists(), path
    assert oct((staged / "etc/vigil/credentials").stat().st_mode & 0o777) == "0o700"


def test_unit_passes_systemd_analyze_verify(staged):
    result = analyze("verify", f"--root={staged}", UNIT)
    assert result.returncode == 0 and result.stdout == "" and result.stderr == "", result.stderr


def test_verify_would_catch_a_bad_directive(staged):
    bad = staged / "etc/systemd/system/vigil-bad.service"
    bad.write_text((staged / UNIT.lstrip("/")).read_text().replace("NoNewPrivileges=yes", "NoNewPrivileges=yes\nProtectSytem=strict"))
    result = analyze("verify", f"--root={staged}", "/etc/systemd/system/vigil-bad.service")
    assert "Unknown key" in result.stderr


def test_exposure_score_is_at_most_one_and_a_half(staged):
    result = analyze("security", "--offline=yes", "--threshold=20", f"--root={staged}", UNIT)
    m = re.search(r"Overall exposure level for vigil\.service: (\d+\.\d+)", result.stdout + result.stderr)
    assert m, result.stdout + result.stderr
    assert float(m.group(1)) <= 1.5, result.stdout


def test_unit_keeps_the_essentials(staged):
    text = (staged / UNIT.lstrip("/")).read_text()
    for line in ("Type=notify", "NotifyAccess=main", "ExecReload=/bin/kill -HUP $MAINPID", "Restart=on-failure",
                 "CapabilityBoundingSet=\n", "SystemCallFilter=@system-service", "MemoryDenyWriteExecute=yes",
                 "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX", "NoNewPrivileges=yes", "ProtectSystem=strict"):
        assert line in text, line
    assert re.search(r"^WatchdogSec=\d+", text, re.M)


def test_sysusers_entry_parses(staged):
    sysusers = shutil.which("systemd-sysusers")
    if sysusers is None:
        pytest.skip("systemd-sysusers missing")
    (staged / "etc").mkdir(exist_ok=True)
    for f in ("passwd", "group"):
        (staged / "etc" / f).touch()
    result = subprocess.run([sysusers, "--dry-run", f"--root={staged}"], capture_output=True, text=True)
    assert result.returncode == 0 and "Creating user 'vigil'" in result.stdout + result.stderr
