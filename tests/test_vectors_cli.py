"""`edgemoe vectors` format, and the run / accuracy / bench commands end to end."""
import json
import subprocess
import sys

import numpy as np
import pytest

from edgemoe.cli import main as cli
from edgemoe.golden.vectors import VectorError, generate, read, read_vec, write


@pytest.mark.parametrize("kernel,params", [("gelu", {}), ("softmax", {"cols": 16}), ("linear", {"mode": "scaled", "n": 8}),
                                           ("moe_gate", {"case": "one_expert"}), ("layernorm", {})])
def test_roundtrip(tmp_path, kernel, params):
    v = generate(kernel, 20, 3, **params)
    write(v, tmp_path / kernel)
    r = read(tmp_path / kernel)
    assert r.kernel == kernel and set(r.arrays) == set(v.arrays)
    for name, a in v.arrays.items():
        assert np.array_equal(r[name], a.data) and r.arrays[name].role == a.role


def test_one_expert_case_fills_two_queues():
    v = generate("moe_gate", 0, 1, case="one_expert")
    assert sorted(np.nonzero(v["counts"])[0].tolist()) == [3, 11]
    assert v["counts"][3] == 129 and v["queue_tokens"][3].tolist() == list(range(129))
    assert v["meta_len"].tolist() == [2]


def test_truncated_missing_and_misshaped_files_are_named(tmp_path):
    write(generate("gelu", 10, 1), tmp_path / "g")
    f = tmp_path / "g" / "y.vec"
    lines = f.read_text().splitlines()
    f.write_text("\n".join(lines[:-3]) + "\n")
    with pytest.raises(VectorError, match=r"y\.vec is truncated: shape \(\d+,\) needs \d+ values, found \d+"):
        read(tmp_path / "g")
    with pytest.raises(VectorError, match="expected shape"):
        read_vec(tmp_path / "g" / "x.vec", (3, 3))
    (tmp_path / "g" / "x.vec").unlink()
    with pytest.raises(VectorError, match="missing vector file"):
        read(tmp_path / "g")
    with pytest.raises(VectorError, match="no manifest.json"):
        read(tmp_path)


def test_vectors_cli_writes_and_rejects(tmp_path, capsys):
    assert cli(["vectors", "--kernel", "exp", "--out", str(tmp_path / "e"), "--count", "5"]) == 0
    assert "edge +" in capsys.readouterr().out
    assert read(tmp_path / "e")["e"].size == read(tmp_path / "e")["d"].size
    assert cli(["vectors", "--kernel", "block", "--layer", "12", "--out", str(tmp_path / "b")]) == 2
    assert "layer 12 out of range" in capsys.readouterr().err


def test_run_writes_every_output(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli(["run", "--out", str(out), "--quiet"]) == 0
    s = json.loads((out / "summary.json").read_text())
    assert set(s["tasks"]) == {"seg", "depth"} and s["backend"] == "golden"
    for f in ("features_seg.npy", "features_depth_codes.npy", "seg.png", "depth.png"):
        assert (out / f).is_file()
    feats = np.load(out / "features_seg.npy")
    codes = np.load(out / "features_seg_codes.npy")
    assert feats.shape == (129, 192) and np.array_equal(feats, codes / 65536.0)
    assert "synthetic" in s["synthetic"]
    from PIL import Image

    assert Image.open(out / "seg.png").size == (256, 128)


def test_run_bad_inputs_write_nothing(tmp_path, capsys):
    out = tmp_path / "bad"
    assert cli(["run", "--image", str(tmp_path / "nope.png"), "--out", str(out)]) == 2
    assert "does not exist" in capsys.readouterr().err and not out.exists()
    assert cli(["run", "--weights", str(tmp_path / "nowhere"), "--out", str(out)]) == 2
    assert not out.exists()
    r = subprocess.run([sys.executable, "-m", "edgemoe.cli", "run", "--task", "normals"], capture_output=True, text=True)
    assert r.returncode == 2 and "invalid choice" in r.stderr


def test_accuracy_json_keys(capsys):
    assert cli(["accuracy", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    for k in ("gelu.max_abs_err", "gelu.mean_abs_err", "softmax.max_abs_err", "layernorm.max_abs_err",
              "backbone.rel_l2", "backbone.cosine"):
        a, b = k.split(".")
        assert isinstance(r[a][b], float), k
    assert r["gelu"]["max_abs_err"] <= 3e-5 and r["softmax"]["max_abs_err"] <= 2e-4
    assert r["layernorm"]["max_abs_err"] <= 5e-5


def test_bench_json(capsys):
    """The benchmark's JSON; the whole frames through the driver (--driver-runs, an RTL frame is tens of
    seconds) are left out here: tests/test_driver.py times one ISS frame through bench_backend."""
    assert cli(["bench", "--json", "--runs", "1", "--warmup", "0", "--driver-runs", "0"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["golden_fixed_s_per_frame"] > 0 and r["golden_float_s_per_frame"] > 0
    assert r["iss_s_per_frame"] > 0 and "driver" not in r and "available" in r["rtl_sim"]


def test_load_goes_through_the_files(tmp_path, monkeypatch):
    from edgemoe.golden.vectors import load

    monkeypatch.delenv("EDGEMOE_VECTORS", raising=False)
    direct = load("softmax", 5, 2, cols=9)
    monkeypatch.setenv("EDGEMOE_VECTORS", str(tmp_path))
    first = load("softmax", 5, 2, cols=9)
    folders = list(tmp_path.iterdir())
    assert len(folders) == 1 and (folders[0] / "s.vec").is_file()
    # the second load reads the files: corrupt one and the reader must notice
    (folders[0] / "p.vec").write_text("# edgemoe-vectors 1\n# shape: 3\n1\n")
    with pytest.raises(VectorError, match="expected shape"):
        load("softmax", 5, 2, cols=9)
    for name in direct.arrays:
        assert np.array_equal(first[name], direct[name])
