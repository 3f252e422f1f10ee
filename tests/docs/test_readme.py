"""Every code block in README.md runs: Python blocks against a FakeSynerise, shell blocks as make dry-runs."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w*)\n(.*?)```", README, flags=re.DOTALL)
PYTHON_BLOCKS = [code for lang, code in BLOCKS if lang == "python"]
SHELL_BLOCKS = [code for lang, code in BLOCKS if lang == "sh"]


@pytest.fixture(scope="module")
def fake_env(redis_for_readme: str) -> Iterator[dict[str, str]]:
    """A fake Synerise in a subprocess, and the environment pointing at it (and at Redis)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "synerise_async.testing", "--port", "0", "--seed", "3"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    found: dict[str, str] = {}
    try:
        for line in proc.stdout:
            if line.startswith("SYNERISE_"):
                key, _, value = line.strip().partition("=")
                found[key] = value
            if "SYNERISE_API_KEY" in found and "SYNERISE_BASE_URL" in found:
                break
        env = {k: v for k, v in os.environ.items() if not k.startswith("SYNERISE_")}
        env.update(
            {
                "SYNERISE_BASE_URL": found["SYNERISE_BASE_URL"],
                "SYNERISE_API_KEY": found["SYNERISE_API_KEY"],
                "REDIS_URL": redis_for_readme,
            }
        )
        yield env
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()


@pytest.fixture(scope="module")
def redis_for_readme(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server for the README's fleet example (REDIS_URL)."""
    from tests.scale.servers import redis_server

    with redis_server(tmp_path_factory.mktemp("readme-redis")) as url:
        yield url


def test_the_readme_has_the_expected_blocks() -> None:
    """The README keeps its runnable examples (a guard against the extraction silently finding none)."""
    assert len(PYTHON_BLOCKS) >= 8 and len(SHELL_BLOCKS) >= 2


@pytest.mark.parametrize("index", range(len(PYTHON_BLOCKS)))
def test_python_block_runs(index: int, fake_env: dict[str, str]) -> None:
    """README Python block number ``index`` exits 0 against the fake, with ResourceWarning as an error."""
    result = subprocess.run(
        [sys.executable, "-W", "error::ResourceWarning", "-c", PYTHON_BLOCKS[index]],
        capture_output=True,
        text=True,
        timeout=120,
        env=fake_env,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.parametrize("index", range(len(SHELL_BLOCKS)))
def test_shell_block_names_real_make_targets(index: int) -> None:
    """Each `make X` in README shell block ``index`` is a target make knows (checked with make -n)."""
    commands = [line.split("#")[0].strip() for line in SHELL_BLOCKS[index].splitlines()]
    targets = [shlex.split(c)[1] for c in commands if c.startswith("make ")]
    assert targets
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in targets:
        assert re.search(rf"^{re.escape(target)}:", makefile, flags=re.MULTILINE), (
            f"no rule for {target}"
        )
        result = subprocess.run(
            ["make", "-n", target], capture_output=True, text=True, cwd=ROOT, check=False
        )
        assert result.returncode == 0, f"make -n {target}: {result.stderr}"
