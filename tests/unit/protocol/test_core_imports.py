"""The protocol core imports on a service-only install: no numpy (only the sharer extra has it)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import quickassist.protocol

PROTOCOL_MODULES = sorted(
    f"quickassist.protocol.{module.name}"
    for module in pkgutil.iter_modules(quickassist.protocol.__path__)
)

# Setting a module to None in sys.modules makes importing it fail, as if it were not installed.
_WITHOUT_SHARER_EXTRAS = """
import importlib, sys
for name in ("numpy", "simplejpeg", "mss", "PySide6", "Xlib", "pynput"):
    sys.modules[name] = None
for name in sys.argv[1:]:
    importlib.import_module(name)
"""


def test_every_protocol_module_imports_without_the_sharer_extras() -> None:
    assert "quickassist.protocol.palette" in PROTOCOL_MODULES
    result = subprocess.run(
        [sys.executable, "-c", _WITHOUT_SHARER_EXTRAS, *PROTOCOL_MODULES],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_the_check_would_see_a_numpy_import() -> None:
    # The same harness fails for a module that needs numpy: the test above can fail.
    result = subprocess.run(
        [sys.executable, "-c", _WITHOUT_SHARER_EXTRAS, "quickassist.sharer.codecs.palette"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0 and "numpy" in result.stderr
