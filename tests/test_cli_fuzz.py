"""Fuzz every command's options with extreme and malformed values (issue 13).

Each example builds a command line from the command's own options, each given
a value drawn from extremes (0, negatives, 2^31, 40 digits, nan, inf, empty,
NUL, unicode), option-specific valid values and paths to prepared bad inputs
(a random .pth, a folder of junk, a text file named .png, a file where a folder
is expected), and calls ``edgemoe.cli.main`` in-process. It must return 0 or 2;
on 2, stderr is exactly one line; never a traceback (an unexpected exception
fails the test with its own).

The work of the heavy commands is stubbed once their arguments are validated
(the stubs are reached only through each command's checks), so the whole file
runs in seconds; ``vectors`` generates for real when the vectors are small.
Every ``--out`` lies in a fresh temporary folder, which is also the current
directory.
"""
from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edgemoe.cli import main as cli

EXTREMES = ["0", "-1", "-3", "1", "7", "2147483648", "9" * 40, "-" + "9" * 40, "1e309", "nan", "inf", "-inf",
            "1.5", "0x10", "", " ", "x", "--", "-", "\x00", "é", "seg", "depth", "all", "random", "3,4"]
# Prepared inputs, relative to the example's folder (see _workspace).
PATHS = ["file.txt", "junk", "junk/a.txt", "rand.pth", "empty.pth", "bad.png", "small.png", "gray.png",
         "frame.bin", "missing", "missing/deeper", "file.txt/below", ".", "", "new/out", "out"]

values = st.one_of(st.sampled_from(EXTREMES),
                   st.integers(-(2 ** 70), 2 ** 70).map(str),
                   st.text(st.characters(blacklist_categories=("Cs",)), max_size=6))
paths = st.sampled_from(PATHS)

# EDGEMOE_FUZZ_EXAMPLES=N runs N random (not derandomized) examples per test, for a longer hunt.
_N = int(os.environ.get("EDGEMOE_FUZZ_EXAMPLES", "0"))
SETTINGS = settings(max_examples=_N or 40, deadline=None, derandomize=not _N, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _workspace(root: Path) -> None:
    from PIL import Image

    (root / "file.txt").write_text("a user's file")
    (root / "junk").mkdir()
    (root / "junk" / "a.txt").write_text("junk")
    (root / "rand.pth").write_bytes(np.random.default_rng(1).bytes(512))
    (root / "empty.pth").write_bytes(b"")
    (root / "bad.png").write_text("not a picture")
    Image.new("RGBA", (40, 30), (1, 2, 3, 4)).save(root / "small.png")
    Image.new("L", (256, 128), 9).save(root / "gray.png")
    (root / "frame.bin").write_bytes(b"\0" * 64)


@contextlib.contextmanager
def workspace():
    old = os.getcwd()
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        _workspace(root)
        os.chdir(root)
        try:
            yield root
        finally:
            os.chdir(old)


def opt_args(draw, spec: dict[str, st.SearchStrategy | None]) -> list[str]:
    """A subset of the options in ``spec`` (None: a flag), in random order, plus maybe one stray token."""
    names = draw(st.lists(st.sampled_from(sorted(spec)), unique=True, max_size=min(4, len(spec))))
    argv: list[str] = []
    for n in names:
        argv.append(n)
        if spec[n] is not None:
            argv.append(draw(spec[n]))
    if draw(st.booleans()) and draw(st.booleans()):
        argv.insert(draw(st.integers(0, len(argv))), draw(st.sampled_from(EXTREMES + ["--nope", "-z"])))
    return argv


def check(argv: list[str]) -> int:
    err = io.StringIO()
    out = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = cli(argv)
    text = err.getvalue()
    assert "Traceback" not in text, f"{argv}: {text}"
    assert code in (0, 2), f"{argv}: exit {code}\n{text}"
    if code == 2:
        lines = [ln for ln in text.splitlines() if ln.strip()]
        assert len(lines) == 1, f"{argv}: expected one line on stderr:\n{text}"
    if os.environ.get("EDGEMOE_FUZZ_LOG"):
        with open(os.environ["EDGEMOE_FUZZ_LOG"], "a") as f:
            f.write(f"{code} {argv!r} {text.strip()[:200]!r}\n")
    return code


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def untouched(root: Path, before: dict[str, bytes], argv: list[str]) -> None:
    """No prepared file was deleted; without --force none was changed either (outputs may be added)."""
    after = snapshot(root)
    assert set(before) <= set(after), f"{argv}: deleted {sorted(set(before) - set(after))}"
    if "--force" not in argv:
        changed = [f for f in before if after[f] != before[f]]
        assert not changed, f"{argv}: changed {changed}"
    assert not [f for f in after if ".edgemoe-tmp-" in f], f"{argv}: staging left behind"


def out_value() -> st.SearchStrategy[str]:
    return st.one_of(paths, st.text(st.characters(whitelist_categories=("L", "N")), min_size=1, max_size=8))


# ----------------------------------------------------------------------------- stubs of the heavy work

@pytest.fixture(scope="module")
def cached_weights():
    from edgemoe.golden.weights import load_weights

    return load_weights(None, heads=True)


@pytest.fixture
def stubs(monkeypatch, cached_weights):
    import edgemoe.accuracy as accuracy
    import edgemoe.bench as bench
    import edgemoe.golden.vectors as vec
    import edgemoe.golden.weights as wmod
    import edgemoe.report.build as build
    import edgemoe.report.render as render
    import edgemoe.run_cmd as run_cmd
    import edgemoe.synth as synth

    real_load, real_generate = wmod.load_weights, vec.generate

    def load_weights(folder=None, **kw):
        return cached_weights if folder is None else real_load(folder, **kw)

    def fake_run(args, d, tasks, img, img_desc, img_notes, w, outdir, out):
        assert img.shape == (3, 128, 256) and tasks
        (out / "summary.json").write_text("{}")
        outdir.commit()
        return 0

    def generate(kernel, count, seed, **params):
        if vec.estimate_values(kernel, count, params) < 50_000 and kernel not in ("block", "moe_experts", "patch_embed"):
            return real_generate(kernel, count, seed, **params)
        return vec.Vectors(kernel, count, seed, params)

    class FakeReport:
        entries: list = []
        fpga_status = "stub"

    def write_report(report, out):
        paths = [Path(out) / render.JSON_NAME, Path(out) / render.HTML_NAME]
        for p in paths:
            p.write_text("{}")
        return paths

    class Done(Exception):
        pass

    def done(*a, **k):   # the work of bench, accuracy, synth: reached only after their own checks
        raise Done()

    monkeypatch.setattr(wmod, "load_weights", load_weights)
    monkeypatch.setattr(run_cmd, "_run", fake_run)
    monkeypatch.setattr(vec, "generate", generate)
    monkeypatch.setattr(build, "build_report", lambda settings, records: FakeReport())
    monkeypatch.setattr(render, "write_report", write_report)
    monkeypatch.setattr(bench, "bench", done)
    monkeypatch.setattr(accuracy, "accuracy_report", lambda: (_ for _ in ()).throw(Done()))
    monkeypatch.setattr(synth, "run_many", done)
    return Done


# ----------------------------------------------------------------------------- one test per command

@SETTINGS
@given(st.data())
def test_fuzz_run(stubs, data):
    spec = {"--image": st.one_of(paths, values), "--task": values, "--weights": st.one_of(paths, values),
            "--backend": st.one_of(st.sampled_from(["golden", "float"]), values), "--out": out_value(),
            "--seed": values, "--quiet": None, "--force": None}
    with workspace() as root:
        before = snapshot(root)
        argv = ["run", *opt_args(data.draw, spec)]
        check(argv)
        untouched(root, before, argv)


@SETTINGS
@given(st.data())
def test_fuzz_vectors(stubs, data):
    from edgemoe.golden.vectors import KERNELS, LINEAR_MODES

    small = st.one_of(st.integers(-2, 40).map(str), values)
    spec = {"--count": small, "--seed": small, "--mode": st.one_of(st.sampled_from(LINEAR_MODES), values),
            "--k": small, "--n": small, "--cols": small, "--tokens": small, "--heads": small,
            "--case": st.one_of(st.sampled_from(["random", "one_expert", "ties"]), values),
            "--layer": small, "--task": values, "--force": None, "--allow-large": None}
    with workspace() as root:
        before = snapshot(root)
        kernel = data.draw(st.sampled_from(sorted(KERNELS)) if data.draw(st.integers(0, 4)) else values)
        argv = ["vectors", "--kernel", kernel,
                "--out", data.draw(out_value()), *opt_args(data.draw, spec)]
        check(argv)
        untouched(root, before, argv)


@SETTINGS
@given(st.data())
def test_fuzz_report(stubs, data):
    num = st.one_of(values, st.floats(allow_nan=True, allow_infinity=True).map(repr))
    spec = {"--out": out_value(), "--record": st.one_of(paths, values), "--config": st.one_of(paths, values),
            "--task": values, "--runs": values, "--warmup": values, "--batch": values, "--threads": values,
            "--no-gpu": None, "--cpu-power-w": num, "--gpu-power-w": num, "--fpga-power-w": num,
            "--power-basis": values, "--fpga-domains": values, "--idle-s": num, "--interval": num,
            "--weights": st.one_of(paths, values), "--write-example-record": out_value(), "--force": None}
    with workspace() as root:
        before = snapshot(root)
        argv = ["report", *opt_args(data.draw, spec)]
        check(argv)
        untouched(root, before, argv)


@SETTINGS
@given(st.data())
def test_fuzz_small_commands(stubs, data):
    command = data.draw(st.sampled_from(["bench", "accuracy", "gen", "synth", "program", "nosuch", ""]))
    spec = {
        "bench": {"--runs": values, "--warmup": values, "--threads": values, "--json": None},
        "accuracy": {"--json": None},
        "gen": {"--check": None},
        "synth": {"--kernels": values, "--json": None, "--set": values, "--timeout": values, "--list": None,
                  "--parse-only": None},
        "program": {"--task": values, "--weights": st.one_of(paths, values), "--stop-after-block": values,
                    "--json": None},
        "nosuch": {"--x": values}, "": {"-h": None},
    }[command]
    argv = [command, *opt_args(data.draw, spec)] if command else []
    if command == "gen":   # only roots inside the workspace, and --check: never regenerate the repository's files
        argv = [a for a in argv if a != "--check"] + ["--check", "--root", data.draw(paths)]
    with workspace():
        try:
            check(argv)
        except stubs:
            pass
