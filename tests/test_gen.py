"""The generated parameter files in the tree are fresh, and `edgemoe gen --check` notices staleness."""
import shutil

from edgemoe.golden import gen


def test_generated_files_are_fresh():
    stale = gen.stale()
    assert stale == [], f"stale generated files (run `make gen`): {stale}"


def test_check_detects_a_stale_file(tmp_path, capsys):
    root = tmp_path / "repo"
    for rel in gen.outputs():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(gen.repo_root() / rel, root / rel)
    args = type("A", (), {"check": True, "root": root})()
    assert gen.main(args) == 0
    pkg = root / "hw/rtl/gen/edgemoe_pkg.sv"
    pkg.write_text(pkg.read_text().replace("ActBits = 26", "ActBits = 32"))
    assert gen.main(args) == 1
    assert "edgemoe_pkg.sv" in capsys.readouterr().out
    args.check = False
    assert gen.main(args) == 0 and gen.stale(root) == []


def test_package_and_header_carry_the_tables():
    from edgemoe.golden.tables import exp_table, gelu_table

    rom = gen.gen_gelu_rom()
    g = gelu_table()
    # every entry in order, then zeros up to the address space (the out-of-table reads)
    for i, v in enumerate(g.entries):
        assert f"rom[{i}] = 22'h{int(v):x};" in rom
    assert rom.count(" = 22'h") == 256 and rom.count(" = 22'h0;") >= 256 - len(g.entries)
    assert 'rom_style = "block"' in rom and "data0_o <= rom[addr0_i]" in rom
    hdr = gen.gen_cpp_header()
    assert f"kGeluTable[{len(gelu_table().entries)}]" in hdr and f"kExp2Table[{len(exp_table().entries)}]" in hdr
    assert "localparam int unsigned ActFrac = 16;" in gen.gen_sv_pkg()
