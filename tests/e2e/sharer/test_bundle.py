"""The one-file sharer app as a person gets it: built with PyInstaller (scripts/build-sharer),
downloaded from the service's /download/..., started with no arguments on a real X server; the
code typed in its window joins the session, with the address and pin the service appended.

The same build also runs its own `self-check` (each part a session needs: Qt's xcb platform and
the SVG icon, H.264 through PyAV's libx264, JPEG, mss, XTEST, cryptography), and its archive is
listed to show that what packaging/sharer.spec leaves out (GTK, PyYAML, Qt's translations and
unused plugins, the service) stays out.

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
from PyInstaller.archive.readers import CArchiveReader  # type: ignore[import-untyped]

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
# Measured on this project's CI machine: 133.4 MB before packaging/sharer.spec slimmed it, 94.7 MB
# after (docs/sharer-app.md). The bound leaves room for new code, not for GTK or another codec.
MAX_APP_BYTES = 100_000_000


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


def test_the_app_runs_each_part_a_session_needs(built_app: Path, xvfb: XvfbServer) -> None:
    """The parts a slimmer spec could lose without the join test seeing it: the video path
    (an H.264 keyframe from libx264), the SVG window icon, capture and XTEST."""
    env = quickassist_env({"DISPLAY": xvfb.display, "QT_QPA_PLATFORM": "xcb"})
    done = subprocess.run(
        [str(built_app), "self-check"], env=env, capture_output=True, text=True, timeout=WAIT * 6
    )
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    passed = [line.split(":")[0] for line in done.stdout.splitlines() if line.startswith("ok ")]
    assert passed == ["ok qt", "ok h264", "ok jpeg", "ok capture", "ok xtest", "ok crypto"], report
    assert "libx264 keyframe" in done.stdout and "Traceback" not in report, report


def _archive_names(app: Path) -> set[str]:
    """Every file in the one-file app: the archive's own entries and the modules in its PYZ."""
    archive = CArchiveReader(str(app))
    names = set(archive.toc)
    names.update(f"pyz:{module}" for module in archive.open_embedded_archive("PYZ.pyz").toc)
    return names


def test_the_app_leaves_out_what_the_sharer_never_loads(built_app: Path) -> None:
    names = _archive_names(built_app)
    left_out = {
        "GTK 3 (Qt's gtk3 theme)": "libgtk-3.so",
        "GDK, cairo, pango": "libgdk-3.so",
        "GIO": "libgio-2.0.so",
        "Qt's gtk3 theme": "platformthemes/libqgtk3.so",
        "Qt's Wayland platform": "libQt6WaylandClient.so",
        "Qt's network module": "libQt6Network.so",
        "Kerberos (for QtNetwork)": "libkrb5.so",
        "Qt's translations": "Qt/translations/",
        "Qt's image formats": "imageformats/libqtiff.so",
        "Qt's framebuffer platforms": "platforms/libqlinuxfb.so",
        "PyYAML": "yaml/",
        "readline": "readline.cpython",
    }
    found = {what: [n for n in names if part in n] for what, part in left_out.items()}
    assert {what: hits for what, hits in found.items() if hits} == {}
    modules_left_out = (
        *("yaml", "rich", "pygments", "click", "werkzeug", "numpy.f2py", "unittest"),
        *("PySide6.QtNetwork", "quickassist.service", "fastapi", "sqlalchemy"),
    )
    present = sorted(
        n for n in names for m in modules_left_out if n == f"pyz:{m}" or n.startswith(f"pyz:{m}.")
    )
    assert present == []
    # And what a session needs is there (the spec keeps these by name or through their users).
    needed = (
        "av.libs/libx264-",
        "platforms/libqxcb.so",
        "iconengines/libqsvgicon.so",
        "libQt6Svg.so",
        "numpy.libs/libscipy_openblas",
        "cryptography/hazmat/bindings/_rust",
    )
    assert [part for part in needed if not any(part in n for n in names)] == []
    assert {"pyz:quickassist.sharer.codecs.h264", "pyz:Xlib.ext.xtest", "pyz:mss"} <= names
    assert built_app.stat().st_size < MAX_APP_BYTES
