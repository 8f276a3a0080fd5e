"""Everything the README names exists in the tree (issue 13: nothing it describes as existing is missing).

Checked: every repository path in backticks or a Markdown link (outputs under
``out/`` and ``build/`` and the shared reference folder excepted), every
``make TARGET`` against the Makefile's targets, every ``edgemoe COMMAND``
against the command table, every ``python -m MODULE`` and dotted
``edgemoe.X.y`` name against the importable package, and every ``--option``
shown for a command against that command's parser.
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import re
from pathlib import Path

import pytest

from edgemoe.cli import COMMANDS

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text()
# Text of code spans and fenced blocks: where commands and paths are shown.
CODE = re.findall(r"`([^`\n]+)`", README) + re.findall(r"```\w*\n(.*?)```", README, re.S)
GENERATED_OR_EXTERNAL = ("out/", "build/", "../shared/", ".venv")


def _paths() -> set[str]:
    found = set(re.findall(r"\]\(([^)#\s]+)\)", README))
    for span in CODE:
        for tok in re.split(r"[\s\[\]|,{}]+", span):
            if "/" in tok and re.search(r"\w", tok) and not tok.startswith(("-", "http")) and re.fullmatch(r"[\w./*-]+", tok):
                found.add(tok)
    return {p for p in found if not p.startswith(GENERATED_OR_EXTERNAL) and "*" not in p}


@pytest.mark.parametrize("path", sorted(_paths()))
def test_path_exists(path):
    assert (REPO / path).exists(), f"README names {path}, which is not in the tree"


def _make_targets() -> set[str]:
    text = (REPO / "Makefile").read_text()
    return set(re.findall(r"^([\w-]+):", text, re.M))


@pytest.mark.parametrize("target", sorted({t for s in CODE for t in re.findall(r"\bmake ([\w-]+)", s)}))
def test_make_target_exists(target):
    assert target in _make_targets(), f"README shows `make {target}`, which the Makefile lacks"


def _commands() -> list[tuple[str, str]]:
    """(command, rest of the line) for every `edgemoe COMMAND ...` shown."""
    out = []
    for s in CODE:
        for line in s.splitlines():
            for m in re.finditer(r"(?:^|\s|/)edgemoe ([a-z][\w-]*)(.*)", line):
                out.append((m.group(1), m.group(2).split("#")[0]))
    return out


@pytest.mark.parametrize("command,rest", _commands())
def test_edgemoe_command_and_options_exist(command, rest):
    assert command in COMMANDS, f"README shows `edgemoe {command}`, not a command ({', '.join(COMMANDS)})"
    p = argparse.ArgumentParser()
    importlib.import_module(COMMANDS[command][0]).add_arguments(p)
    known = {o for a in p._actions for o in a.option_strings}
    for opt in re.findall(r"(?<![\w-])(--[a-z][\w-]*)", rest):
        assert opt in known, f"README shows `edgemoe {command} ... {opt}`, which it does not accept"


@pytest.mark.parametrize("name", sorted({m for s in CODE for m in re.findall(r"\b(edgemoe(?:\.\w+)+)", s)}))
def test_python_names_exist(name):
    parts = name.split(".")
    for i in range(len(parts), 0, -1):       # the longest importable module, then attributes below it
        mod = ".".join(parts[:i])
        if importlib.util.find_spec(mod) is not None:
            obj = importlib.import_module(mod)
            for attr in parts[i:]:
                assert hasattr(obj, attr), f"README names {name}: {mod} has no {attr}"
                obj = getattr(obj, attr)
            return
    pytest.fail(f"README names {name}, which cannot be imported")


def test_python_dash_m_modules_exist():
    mods = {m for s in CODE for m in re.findall(r"python -m ([\w.]+)", s)}
    assert mods, "README shows no `python -m` commands"
    for m in mods:
        assert importlib.util.find_spec(m) is not None, f"README shows `python -m {m}`, which is not importable"


def test_mutant_count_matches_the_list():
    """The README's mutant count is that of sim/mutants.toml."""
    from edgemoe.sim import mutate

    m = re.search(r"\((\d+) mutants, all killed", README)
    assert m, "README: the make mutate line states how many mutants there are"
    assert int(m.group(1)) == len(mutate.load())
