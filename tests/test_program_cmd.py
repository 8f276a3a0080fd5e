"""``edgemoe program``: the disassembled command list and the image map."""
from __future__ import annotations

import json

from edgemoe import cli


def test_table_lists_commands_records_and_image_map(capsys):
    assert cli.main(["program", "--task", "depth"]) == 0
    out = capsys.readouterr().out
    assert "221 commands, 7,072 bytes" in out
    assert "l11_gate_task1 @31,356,352 (6,208 B)" in out       # the depth task's gate record
    assert "l0_q+24,832 @378,688 (24,832 B)" in out            # head 1's q pass
    assert "36,118,016 bytes = 36.12 MB" in out and "  end" in out
    assert "embed_add @295,680 (57,344 B)" in out


def test_json_and_stop_after_block(capsys):
    assert cli.main(["program", "--task", "seg", "--json", "--stop-after-block", "1"]) == 0
    d = json.loads(capsys.readouterr().out)
    ops = [c["opcode"] for c in d["commands"]]
    assert ops[-2:] == ["STORE", "END"] and ops.count("MARK") == 2 and ops.count("EXPERTS") == 1
    gate = next(c for c in d["commands"] if c["opcode"] == "MOE_GATE")
    assert gate["weights"][0]["record"] == "l1_gate_task0"
    assert d["image"]["total_bytes"] == 36_118_016 and d["io"]["output"] == [99_072, 99_072]
    last = d["image"]["entries"][-1]
    assert last["offset"] + last["size"] == d["image"]["total_bytes"]


def test_bad_arguments_one_line(capsys, tmp_path):
    assert cli.main(["program", "--stop-after-block", "12"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--stop-after-block" in err
    assert cli.main(["program", "--weights", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--weights" in err


def test_with_weights_builds_the_image(capsys, shared_folder):
    assert cli.main(["program", "--weights", str(shared_folder), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert str(shared_folder) in d["weights"] and d["saturated_weights"] == {}
