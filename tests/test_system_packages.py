"""scripts/system-packages waits for another apt or dpkg instead of failing: run against
stand-ins for dpkg, apt-get, apt-cache and sudo that report nothing installed and a lock
held by someone else for a while."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import require_tools

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "system-packages"

# apt-get: `update` finds its lock taken the first $LOCKED_UPDATES times (as apt 2.6 says
# it, and fails at once: DPkg::Lock::Timeout does not cover the package lists' lock);
# every call is written to calls.log.
APT_GET = """#!/usr/bin/env bash
echo "apt-get $*" >>"$STATE/calls.log"
case " $* " in
*" update "*)
    n=$(cat "$STATE/updates" 2>/dev/null || echo 0)
    echo $((n + 1)) >"$STATE/updates"
    if ((n < LOCKED_UPDATES)); then
        echo "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 4242 (apt-get)" >&2
        echo "E: Unable to lock directory /var/lib/apt/lists/" >&2
        exit 100
    fi
    [[ -z "${BROKEN:-}" ]] || { echo "E: The repository is not signed." >&2; exit 100; } ;;
esac
exit 0
"""
STAND_INS = {
    "apt-get": APT_GET,
    "dpkg": "#!/usr/bin/env bash\nexit 1\n",  # nothing is installed
    "apt-cache": "#!/usr/bin/env bash\nexit 0\n",
    "sudo": '#!/usr/bin/env bash\n[[ "$1" == -n ]] && shift\nexec "$@"\n',
}


def run(tmp_path: Path, locked: int, wait: int, **env: str) -> subprocess.CompletedProcess[str]:
    require_tools("bash")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, text in STAND_INS.items():
        (bin_dir / name).write_text(text, encoding="utf-8")
        (bin_dir / name).chmod(0o755)
    return subprocess.run(
        ["bash", str(SCRIPT)],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        env={
            **os.environ,
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "STATE": str(tmp_path),
            "LOCKED_UPDATES": str(locked),
            "QCSTATION_APT_LOCK_WAIT": str(wait),
            "QCSTATION_APT_LOCK_POLL": "0.2",
            "QCSTATION_SKIP_SYSTEM_PACKAGES": "",
            **env,
        },
    )


def calls(tmp_path: Path) -> list[str]:
    return (tmp_path / "calls.log").read_text(encoding="utf-8").splitlines()


def test_it_waits_while_another_apt_holds_the_lock(tmp_path: Path) -> None:
    proc = run(tmp_path, locked=3, wait=30)
    assert proc.returncode == 0, proc.stderr
    assert "another apt or dpkg is at work; waiting up to 30s for its lock" in proc.stderr
    made = calls(tmp_path)
    assert [c for c in made if " update" in c] == [made[0]] * 4  # three refusals, then done
    assert "-o DPkg::Lock::Timeout=30" in made[0]  # dpkg's own lock: apt-get waits itself
    (install,) = [c for c in made if " install " in c]
    assert "poppler-utils" in install and "xvfb" in install


def test_a_lock_never_freed_fails_at_the_deadline_and_says_why(tmp_path: Path) -> None:
    started = time.monotonic()
    proc = run(tmp_path, locked=10_000, wait=2)
    assert proc.returncode == 1
    assert 1 <= time.monotonic() - started < 30  # bash counts whole seconds
    assert "Could not get lock /var/lib/apt/lists/lock" in proc.stderr
    assert "system-packages: failed: " in proc.stderr
    assert not [c for c in calls(tmp_path) if " install " in c]


@pytest.mark.parametrize("locked", [0, 1])
def test_any_other_failure_is_not_waited_for(tmp_path: Path, locked: int) -> None:
    proc = run(tmp_path, locked=locked, wait=30, BROKEN="1")
    assert proc.returncode == 1
    assert "The repository is not signed" in proc.stderr
    assert len([c for c in calls(tmp_path) if " update" in c]) == locked + 1
