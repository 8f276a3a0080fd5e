"""``edgemoe run --backend iss`` and ``--check``: the backend's block-11 output against the golden model."""
from __future__ import annotations

import json

import numpy as np

from edgemoe import cli


def test_iss_backend_checks_bit_exact(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["run", "--backend", "iss", "--check", "--task", "depth", "--quiet", "--out", str(out)]) == 0
    s = json.loads((out / "summary.json").read_text())
    assert s["backend"] == "iss" and s["check"] == {"bit_exact": True, "mismatches": 0, "compared": 129 * 192}
    assert s["tasks"]["depth"]["cycles"] > 900_000
    codes = np.load(out / "features_depth_codes.npy")
    assert codes.shape == (129, 192) and codes.dtype == np.int32
    assert "bit-exact, 0 of 24768" in capsys.readouterr().out


def test_check_fails_for_a_backend_that_is_not_bit_exact(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["run", "--backend", "float", "--check", "--task", "seg", "--quiet", "--out", str(out)]) == 1
    c = json.loads((out / "summary.json").read_text())["check"]
    assert c["bit_exact"] is False and 0 < c["mismatches"] <= c["compared"] == 129 * 192
    assert "MISMATCH" in capsys.readouterr().out
