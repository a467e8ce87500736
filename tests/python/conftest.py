"""Shared paths and helpers; puts scripts/ on sys.path so the bbreport package imports."""
import contextlib
import importlib.util
import io
import json
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPTS = os.path.join(ROOT, "scripts")
DATA = os.path.join(ROOT, "tests", "data")
sys.path.insert(0, SCRIPTS)

SAMPLE_A = os.path.join(DATA, "sample_results_a.json")
SAMPLE_B = os.path.join(DATA, "sample_results_b.json")
SAMPLE_HOST = os.path.join(DATA, "sample_results_host.json")


def run_script(name, *args, env=None, subprocess_=False):
    """Run a script: shell scripts and subprocess_=True in their own process as a user would;
    Python scripts otherwise in-process through their main(argv), which keeps the suite fast
    (matplotlib and numpy import once). Returns an object with returncode, stdout, stderr."""
    argv = [str(a) for a in args]
    if subprocess_ or not name.endswith(".py"):
        runner = [sys.executable] if name.endswith(".py") else ["bash"]
        cmd = runner + [os.path.join(SCRIPTS, name)]
        return subprocess.run(cmd + argv, capture_output=True, text=True, env=env, cwd=ROOT,
                              timeout=120)
    spec = importlib.util.spec_from_file_location(name[:-3] + "_cli", os.path.join(SCRIPTS, name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = module.main(argv)
        except SystemExit as e:  # argparse usage errors
            code = e.code
    return SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())


def load(path):
    with open(path) as f:
        return json.load(f)


@pytest.fixture
def write_json(tmp_path):
    def _write(name, doc):
        path = tmp_path / name
        path.write_text(json.dumps(doc))
        return path
    return _write


@pytest.fixture(scope="session")
def report_a(tmp_path_factory):
    """The sample-a report (md, html, out dir), rendered once for the tests that only read it."""
    out = tmp_path_factory.mktemp("a") / "rep"
    res = run_script("report.py", SAMPLE_A, "--out-dir", out, "--title", "Nightly emulate")
    assert res.returncode == 0, res.stderr
    return (out / "report.md").read_text(), (out / "report.html").read_text(), out
