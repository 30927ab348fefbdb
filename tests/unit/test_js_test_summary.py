"""The JS step of scripts/test ends on a pass/fail line (Node's dot reporter printed only dots)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REPORTER = ROOT / "tests" / "js" / "summary-reporter.mjs"


@pytest.fixture
def node() -> str:
    path = shutil.which("node")
    assert path, "Node.js runs the console's tests; scripts/setup.sh expects it on PATH"
    return path


def test_the_js_step_uses_the_summary_reporter() -> None:
    script = (ROOT / "scripts" / "test").read_text()
    assert f"--test-reporter=./{REPORTER.relative_to(ROOT)}" in script


def test_the_reporter_counts_and_names_failures(node: str, tmp_path: Path) -> None:
    (tmp_path / "a.test.mjs").write_text(
        'import test from "node:test"; import assert from "node:assert";\n'
        'test("adds up", () => assert.equal(1 + 1, 2));\n'
        'test("also fine", () => {});\n'
        'test("breaks", () => assert.equal(1, 2));\n'
        'test.describe("a suite", () => { test("inside", () => {}); });\n'
    )
    run = subprocess.run(
        [node, "--test", f"--test-reporter={REPORTER}", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1
    lines = run.stdout.strip().splitlines()
    assert lines[-1] == "js: 3 passed, 1 failed"
    assert any(line.startswith("FAILED breaks") for line in lines)
