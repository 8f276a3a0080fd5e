"""The mutant list of `make mutate` (sim/mutants.toml) is well formed and every mutant is live:
its snippet occurs exactly once in the current hw/rtl sources, and the covering tests exist."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from edgemoe.sim import mutate

REPO = Path(__file__).resolve().parent.parent
KERNEL_TBS = ("gelu_unit", "exp_unit", "recip_unit", "softmax_stats", "attention", "layernorm", "linear_unit",
              "moe_gate")


def test_mutant_list_well_formed() -> None:
    ms = mutate.load()
    assert len(ms) >= 25, f"{len(ms)} mutants, the issue asks for at least 25"
    kinds = Counter(m.kind for m in ms)
    assert set(kinds) == set(mutate.KINDS), f"kinds without a mutant: {set(mutate.KINDS) - set(kinds)}"
    tbs = {t.split("::")[0] for m in ms for t in m.tests}
    missing = {f"sim/tb/test_{k}.py" for k in KERNEL_TBS} - tbs
    assert not missing, f"kernel testbenches without a mutant: {sorted(missing)}"
    for m in ms:
        for t in m.tests:
            assert (REPO / t.split("::")[0]).is_file(), f"{m.id}: no test file {t}"


@pytest.mark.parametrize("m", mutate.load(), ids=lambda m: m.id)
def test_mutant_snippet_occurs_once(m) -> None:
    n = mutate.occurrences(m)
    assert n == 1, f"mutant {m.id}: snippet occurs {n} times in hw/rtl/{m.file} (stale: update sim/mutants.toml)"


def test_apply_changes_only_the_copy(tmp_path) -> None:
    import shutil

    m = mutate.load()[0]
    shutil.copytree(mutate.RTL, tmp_path / "rtl")
    mutate.apply(m, tmp_path / "rtl")
    mutated = (tmp_path / "rtl" / m.file).read_text()
    assert m.replacement in mutated and m.original not in mutated
    assert mutate.occurrences(m) == 1


def test_bad_only_is_exit_2(capsys) -> None:
    assert mutate.main(["--only", "no_such_mutant"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no_such_mutant" in err[0]
