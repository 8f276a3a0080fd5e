"""Overlay checks (edgemoe.driver.hwh): the original Edge-MoE .hwh is refused, a .hwh of our IP passes,
and every single mismatch is named with what was expected and what was found."""
from __future__ import annotations

from pathlib import Path

import pytest

from edgemoe.driver import regmap
from edgemoe.driver.hwh import EXPECTED_VLNV, HwhError, check_hwh, check_ip_dict, expected_registers, read_ip_dict
from fake_pynq import synthetic_hwh

REF_HWH = Path(__file__).resolve().parents[1] / ".." / "shared" / "edge-moe-ref" / "bitstream.hwh"


@pytest.fixture(scope="module")
def ref_hwh() -> Path:
    if not REF_HWH.is_file():
        pytest.skip(f"shared reference data {REF_HWH} not found: test needs the original Edge-MoE bitstream.hwh")
    return REF_HWH


def test_expected_registers_are_the_register_map():
    regs = expected_registers()
    assert regs == {n: r.offset for n, r in regmap.REGISTERS.items()}
    assert regs["ID"] == 0 and regs["CTRL"] == regmap.CTRL and regs["QCOUNT3"] == 0x7C


def test_original_edge_moe_hwh_parses_and_is_refused(ref_hwh):
    ip = read_ip_dict(ref_hwh)
    assert ip["ViT_compute_0"]["type"] == "xilinx.com:hls:ViT_compute:1.0"  # it parses: the real HLS IP
    assert ip["ViT_compute_0"]["phys_addr"] == 0xA000_0000
    with pytest.raises(HwhError) as e:
        check_hwh(ref_hwh)
    msg = str(e.value)
    what = [m[0] for m in e.value.mismatches]
    assert "IP ViT_compute_0: VLNV" in what
    assert f"expected {EXPECTED_VLNV}, found xilinx.com:hls:ViT_compute:1.0" in msg
    assert "IP ViT_compute_0: register CTRL" in what and "expected offset 0x010, found offset 0x000" in msg
    assert "missing (ID at 0x000" in msg and "unknown (GIER at 0x004" in msg
    assert "found 0xa0000000" in msg  # HPM1_FPD, not the documented M_AXI_HPM0_LPD
    assert "\n" not in msg


def test_synthetic_hwh_of_our_ip_passes(tmp_path):
    c = check_hwh(synthetic_hwh(tmp_path / "ok.hwh"))
    assert (c.name, c.vlnv, c.phys_addr, c.addr_range) == ("edgemoe_0", EXPECTED_VLNV, 0x8000_0000, 0x1000)
    assert c.registers_checked == len(regmap.REGISTERS)


def test_module_reference_without_register_list_passes_with_nothing_checked(tmp_path):
    c = check_hwh(synthetic_hwh(tmp_path / "modref.hwh", registers={}))
    assert c.registers_checked == 0


@pytest.mark.parametrize("kw, what, expected, found", [
    ({"vlnv": "xilinx.com:hls:ViT_compute:1.0"}, "IP edgemoe_0: VLNV", EXPECTED_VLNV, "xilinx.com:hls:ViT_compute:1.0"),
    ({"base": 0xA000_0000}, "IP edgemoe_0: base address", "4 KB aligned in the M_AXI_HPM0_LPD window", "0xa0000000"),
    ({"base": 0x8000_0800, "span": 0x800}, "IP edgemoe_0: base address", "4 KB aligned", "0x80000800"),
    ({"span": 0x40}, "IP edgemoe_0: address range", ">= 0x080 bytes", "64 bytes"),
    ({"registers": {**expected_registers(), "STATUS": 0x18}}, "IP edgemoe_0: register STATUS", "offset 0x014",
     "offset 0x018"),
    ({"registers": {k: v for k, v in expected_registers().items() if k != "MARK"}}, "IP edgemoe_0: register map",
     "30 registers", "1 of them missing (MARK at 0x064)"),
    ({"registers": {**expected_registers(), "DEBUG": 0x80}}, "IP edgemoe_0: register map",
     "no registers outside", "1 unknown (DEBUG at 0x080)"),
])
def test_each_mismatch_is_named(tmp_path, kw, what, expected, found):
    with pytest.raises(HwhError) as e:
        check_hwh(synthetic_hwh(tmp_path / "bad.hwh", **kw))
    assert len(e.value.mismatches) == 1, e.value.mismatches
    w, exp, got = e.value.mismatches[0]
    assert w == what and expected in exp and found in got


def test_explicit_base_must_match(tmp_path):
    p = synthetic_hwh(tmp_path / "ok.hwh")
    assert check_hwh(p, base=0x8000_0000).phys_addr == 0x8000_0000
    with pytest.raises(HwhError, match="base address: expected 0x80010000, found 0x80000000"):
        check_hwh(p, base=0x8001_0000)


def test_no_ip_or_two_ips(tmp_path):
    ip = read_ip_dict(synthetic_hwh(tmp_path / "ok.hwh"))
    ps = {k: v for k, v in ip.items() if "zynq_ultra_ps_e" in v["type"]}
    with pytest.raises(HwhError, match="IP: expected an instance of .*, found no addressable PL IP"):
        check_ip_dict(ps)
    two = {**ip, "edgemoe_1": ip["edgemoe_0"]}
    with pytest.raises(HwhError, match="expected one instance of .*, found 2: edgemoe_0, edgemoe_1"):
        check_ip_dict(two)


def test_unparsable_and_missing_hwh(tmp_path):
    bad = tmp_path / "bad.hwh"
    bad.write_text("<EDKSYSTEM><MODULES>")
    with pytest.raises(HwhError, match="expected a .hwh file pynqmetadata can parse, found ParseError"):
        check_hwh(bad)
    with pytest.raises(HwhError, match="no such file"):
        check_hwh(tmp_path / "absent.hwh")
