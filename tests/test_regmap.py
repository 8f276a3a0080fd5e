"""The register map from its one SystemRDL source: driver constants, params.toml constants, lint, staleness."""
import shutil

import pytest

from edgemoe.driver import regmap
from edgemoe.golden import gen, regs_gen
from edgemoe.golden.params import load_raw

# The documented map (docs/architecture.md before it was generated; notes/driver_api.md names).
DOCUMENTED = {"ID": 0x000, "VERSION": 0x004, "HWCFG0": 0x008, "HWCFG1": 0x00C, "CTRL": 0x010, "STATUS": 0x014,
              "IRQ_ENABLE": 0x018, "IRQ_STATUS": 0x01C, "ERROR": 0x020, "TIMEOUT": 0x024, "CMD_BASE_LO": 0x028,
              "CMD_BASE_HI": 0x02C, "CMD_COUNT": 0x030, "CMD_INDEX": 0x034, "WBASE_LO": 0x038, "WBASE_HI": 0x03C,
              "IOBASE_LO": 0x040, "IOBASE_HI": 0x044, "CYCLES_LO": 0x048, "CYCLES_HI": 0x04C, "LIN_BUSY": 0x050,
              "WSTALL": 0x054, "ATTN_BUSY": 0x058, "DDR_RD": 0x05C, "DDR_WR": 0x060, "MARK": 0x064,
              "QCOUNT0": 0x070, "QCOUNT1": 0x074, "QCOUNT2": 0x078, "QCOUNT3": 0x07C}


def test_offsets_and_contract_names():
    for name, off in DOCUMENTED.items():
        assert getattr(regmap, name) == off and regmap.REGISTERS[name].offset == off, name
    assert set(regmap.REGISTERS) == set(DOCUMENTED)
    assert regmap.ID_VALUE == 0x45444D45 and (regmap.VERSION_MAJOR, regmap.VERSION_MINOR) == (1, 0)
    assert regmap.TIMEOUT_RESET == 1 << 26 == regmap.REGISTERS["TIMEOUT"].reset
    assert (regmap.CTRL_START, regmap.CTRL_ABORT, regmap.CTRL_SOFT_RESET) == (1, 2, 4)
    assert (regmap.STATUS_BUSY, regmap.STATUS_DONE, regmap.STATUS_ERROR) == (1, 2, 4)
    assert (regmap.IRQ_DONE, regmap.IRQ_ERROR, regmap.IRQ_MARK) == (1, 2, 4)
    assert regmap.STATUS_OPCODE == 0xFF00 and regmap.ERROR_CODE == 0xFF and regmap.ERROR_INDEX == 0xFFFFFF00
    assert regmap.REGISTERS["IRQ_STATUS"].access == "RW1C" and regmap.REGISTERS["STATUS"].access == "RO"
    assert regmap.REGISTERS["VERSION"].reset == 1 << 16 and regmap.VERSION_MAJOR_MASK == 0xFFFF0000


def test_hwcfg_comes_from_params_toml():
    hw = load_raw()["hw"]
    assert regmap.HWCFG == {k: int(hw[k]) for k in regs_gen.HWCFG_KEYS}
    v0 = hw["attn_p"] | hw["lin_tile_in"] << 8 | hw["lin_tile_out"] << 16 | hw["lin_units"] << 24
    v1 = hw["ln_lanes"] | hw["gate_lanes"] << 8 | hw["ln_steps"] << 16 | hw["clock_mhz"] << 20
    assert regmap.HWCFG0_VALUE == v0 == regmap.REGISTERS["HWCFG0"].reset
    assert regmap.HWCFG1_VALUE == v1 == regmap.REGISTERS["HWCFG1"].reset
    # the register block returns them as constants
    sv = (gen.repo_root() / "hw/rtl/gen/edgemoe_regs.sv").read_text()
    assert f"[7:0] = 8'h{hw['attn_p']:x};" in sv and f"[31:24] = 8'h{hw['lin_units']:x};" in sv
    # and the RDL holds no second copy: it does not compile without the params.toml macros
    from systemrdl import RDLCompileError, RDLCompiler

    with pytest.raises(RDLCompileError):
        RDLCompiler().compile_file(str(regs_gen.RDL))


def test_document_table_and_header_are_generated():
    doc = (gen.repo_root() / regs_gen.DOC).read_text()
    for name, off in DOCUMENTED.items():
        assert f"| 0x{off:03X} | `{name}` |" in doc
    hdr = (gen.repo_root() / "hw/include/edgemoe_regs.h").read_text()
    assert "EDGEMOE_REGS__CTRL__START_bm 0x1" in hdr and "EDGEMOE_REGS__IRQ_STATUS__MARK_bm 0x4" in hdr


@pytest.mark.parametrize("rel,old,new", [
    ("sw/driver/regmap.py", "TIMEOUT = 0x024", "TIMEOUT = 0x028"),
    ("hw/rtl/gen/edgemoe_regs.sv", "32'h45444d45", "32'h45444d46"),
    ("docs/architecture.md", "| 0x014 | `STATUS` |", "| 0x018 | `STATUS` |"),
])
def test_stale_register_outputs_fail_the_check(tmp_path, capsys, rel, old, new):
    root = tmp_path / "repo"
    for r in gen.outputs():
        (root / r).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(gen.repo_root() / r, root / r)
    args = type("A", (), {"check": True, "root": root})()
    assert gen.main(args) == 0
    f = root / rel
    assert old in f.read_text(), f"{rel} lacks {old!r}"
    f.write_text(f.read_text().replace(old, new))
    assert gen.main(args) == 1
    assert rel in capsys.readouterr().out


def test_register_block_is_lint_clean():
    from edgemoe.sim.runner import lint

    g = gen.repo_root() / "hw/rtl/gen"
    lint("edgemoe_regs", [g / "edgemoe_regs_pkg.sv", g / "edgemoe_regs.sv"])


def test_gen_names_a_missing_table_section(tmp_path, capsys):
    root = tmp_path / "repo"
    for r in gen.outputs():
        (root / r).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(gen.repo_root() / r, root / r)
    doc = root / regs_gen.DOC
    doc.write_text(doc.read_text().replace(regs_gen.DOC_BEGIN, "<!-- gone -->"))
    args = type("A", (), {"check": True, "root": root})()
    assert gen.main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "regs:table" in err


def test_c_header_offsets_match(tmp_path):
    """The C header compiles (C11, -Wall -Werror) and its struct puts every register at the table's offset."""
    import subprocess

    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler on PATH")
    src = tmp_path / "t.c"
    lines = ['#include <stddef.h>', '#include <stdio.h>', '#include "edgemoe_regs.h"', "int main(void) {"]
    lines += [f'  printf("{n} %zu\\n", offsetof(edgemoe_regs_t, {n}));' for n in regmap.REGISTERS]
    lines += ['  printf("size %zu\\n", sizeof(edgemoe_regs_t));', "  return 0;", "}"]
    src.write_text("\n".join(lines) + "\n")
    exe = tmp_path / "t"
    subprocess.run([cc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-I", str(gen.repo_root() / "hw/include"),
                    str(src), "-o", str(exe)], check=True, capture_output=True, text=True)
    out = dict(line.split() for line in subprocess.run([str(exe)], check=True, capture_output=True,
                                                       text=True).stdout.splitlines())
    assert {n: int(v) for n, v in out.items() if n != "size"} == {n: r.offset for n, r in regmap.REGISTERS.items()}
    assert int(out["size"]) == 0x80
