"""The one-file sharer app as a person gets it: built with PyInstaller (scripts/build-sharer),
downloaded from the service's /download/..., started with no arguments on a real X server; the
code typed in its window joins the session, with the address and pin the service appended.

The build takes about two minutes on two cores: it is made once per run of this module. Set
QUICKASSIST_SHARER_APP to an existing build to reuse it while working on these tests.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.sharer.share_app_steps import share_until_consent_then_stop
from tests.fixtures.service import LiveService, quickassist_env
from tests.fixtures.session_clients import ScriptedHelper
from tests.fixtures.xvfb import XvfbServer
from tests.timeouts import WAIT

BUILD_TIMEOUT = 900  # measured: 2-3.5 minutes on two busy cores
# The first test also waits for the build (pytest-timeout counts fixture set-up).
pytestmark = [pytest.mark.x11, pytest.mark.timeout(BUILD_TIMEOUT + 120)]

ROOT = Path(__file__).resolve().parents[3]
APP_NAME = "quickassist-sharer-linux-x86_64"


@pytest.fixture(scope="module")
def built_app() -> Path:
    """The app scripts/build-sharer makes (dist/...), built fresh for this run."""
    given = os.environ.get("QUICKASSIST_SHARER_APP")
    if given:
        return Path(given)
    subprocess.run(
        [str(ROOT / "scripts" / "build-sharer")], cwd=ROOT, check=True, timeout=BUILD_TIMEOUT
    )
    return ROOT / "dist" / APP_NAME


@pytest.fixture
def downloaded_app(built_app: Path, live_service: LiveService, tmp_path: Path) -> Iterator[Path]:
    """The app as a browser saves it from the service (then marked executable, as the person
    does in their file manager)."""
    offered = live_service.data_dir / "downloads" / APP_NAME
    offered.parent.mkdir(exist_ok=True)
    offered.symlink_to(built_app)
    saved = tmp_path / "Downloads" / APP_NAME
    saved.parent.mkdir()
    with httpx.Client(verify=live_service.ssl_context, timeout=WAIT * 3) as client:
        listed = client.get(f"{live_service.base_url}/api/downloads").json()["sharer_apps"]
        assert [app["platform"] for app in listed] == ["linux-x86_64"]
        with (
            saved.open("wb") as file,
            client.stream("GET", live_service.base_url + listed[0]["url"]) as response,
        ):
            assert response.status_code == 200
            for chunk in response.iter_bytes():
                file.write(chunk)
    assert saved.stat().st_size == listed[0]["bytes"]
    saved.chmod(0o755)
    yield saved
    offered.unlink()


async def test_the_downloaded_app_joins_with_only_the_code_typed(
    downloaded_app: Path,
    live_service: LiveService,
    scripted_helper: ScriptedHelper,
    xvfb: XvfbServer,
    tmp_path: Path,
) -> None:
    created = await scripted_helper.create_session()
    home = tmp_path / "home"
    home.mkdir()
    env = quickassist_env({"DISPLAY": xvfb.display, "HOME": str(home), "QT_QPA_PLATFORM": "xcb"})
    for key in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR"):
        env.pop(key, None)
    # No address and no settings file: what it knows of the service, it carries itself.
    # (--verbose: its log goes to the test's file, to say why if this test fails.)
    log = tmp_path / "app.log"
    with log.open("w") as output:
        # Its own process group: the one-file app runs the program in a child process.
        process = await asyncio.create_subprocess_exec(
            str(downloaded_app),
            "--verbose",
            env=env,
            stdout=output,
            stderr=output,
            start_new_session=True,
        )
    try:
        await share_until_consent_then_stop(process, xvfb, scripted_helper, created, type_code=True)
    except BaseException:
        print(f"The app's log:\n{log.read_text()}")  # pytest shows it with the failure
        raise
    finally:
        if process.returncode is None:
            os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
    assert "Traceback" not in log.read_text(), log.read_text()
    # The one-file app unpacks itself under /tmp and removes that at exit; nothing in home.
    assert [p.relative_to(home) for p in home.rglob("*")] == [], log.read_text()
