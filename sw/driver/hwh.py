"""Checks of an overlay's hardware handoff (``.hwh``) against the driver's register map.

PYNQ describes a bitstream by the ``.hwh`` file Vivado writes next to it;
``pynq.Overlay`` parses it with :mod:`pynqmetadata` into ``ip_dict``. Before the
driver touches a register it checks, for the accelerator's IP in that dict:

* the **VLNV** is :data:`EXPECTED_VLNV` (the Vivado module reference of the
  plain-Verilog wrapper of ``edgemoe_top``);
* the **base address** lies in the PS master port the architecture document
  names (``M_AXI_HPM0_LPD``: :data:`LPD_WINDOW`), is 4 KB aligned, and the range
  covers the register map (:data:`MAP_BYTES`); an explicit ``base`` must match;
* the **register offsets**: every register the ``.hwh`` lists must be one of
  :func:`expected_registers` (names and offsets of :mod:`edgemoe.driver.regmap`)
  at the same offset and 32 bits wide, and every expected register must be there.
  A module reference carries no register list in the ``.hwh``; then only the ID,
  VERSION and HWCFG registers (checked on open) vouch for the map, and
  :class:`IpCheck` says ``registers_checked == 0``.

Every mismatch is collected; :class:`HwhError` names each one with what was
expected and what was found (``.mismatches``: ``(what, expected, found)``).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from . import regmap

EXPECTED_VLNV = "xilinx.com:module_ref:edgemoe_top_wrapper:1.0"
LPD_WINDOW = (0x8000_0000, 0xA000_0000)
"""[low, high) of the M_AXI_HPM0_LPD address window on Zynq UltraScale+."""
MAP_BYTES = 0x80
"""Bytes the register map spans (0x000..0x07C)."""

_DOC_REGISTERS = (
    "ID", "VERSION", "HWCFG0", "HWCFG1", "CTRL", "STATUS", "IRQ_ENABLE", "IRQ_STATUS", "ERROR", "TIMEOUT",
    "CMD_BASE_LO", "CMD_BASE_HI", "CMD_COUNT", "CMD_INDEX", "WBASE_LO", "WBASE_HI", "IOBASE_LO", "IOBASE_HI",
    "CYCLES_LO", "CYCLES_HI", "LIN_BUSY", "WSTALL", "ATTN_BUSY", "DDR_RD", "DDR_WR", "MARK",
    "QCOUNT0", "QCOUNT1", "QCOUNT2", "QCOUNT3",
)


class HwhError(RuntimeError):
    """The overlay does not describe the accelerator the driver was written for."""

    def __init__(self, where: str, mismatches: list[tuple[str, str, str]]):
        self.where = where
        self.mismatches = mismatches
        parts = [f"{what}: expected {exp}, found {got}" for what, exp, got in mismatches]
        super().__init__(f"{where}: not the Edge-MoE accelerator overlay: " + "; ".join(parts))


@dataclass(frozen=True)
class IpCheck:
    """The accelerator's IP in an overlay, checked: instance name, VLNV, address window, interrupt."""

    name: str
    vlnv: str
    phys_addr: int
    addr_range: int
    registers_checked: int
    interrupt: str | None


def expected_registers() -> dict[str, int]:
    """Register name -> byte offset, from :mod:`edgemoe.driver.regmap` (its ``REGISTERS`` table of ``Reg``)."""
    table = getattr(regmap, "REGISTERS", None)
    if isinstance(table, Mapping):
        return {str(k): int(getattr(v, "offset", v)) for k, v in table.items()}
    return {n: int(getattr(regmap, n)) for n in _DOC_REGISTERS}


def read_ip_dict(hwh: str | Path) -> dict[str, Any]:
    """``ip_dict`` of a ``.hwh`` exactly as ``pynq.Overlay`` builds it (pynqmetadata's runtime parser)."""
    from pynqmetadata.frontends import Metadata
    from pynqmetadata.views.runtime import RuntimeMetadataParser

    p = Path(hwh)
    if not p.is_file():
        raise HwhError(str(p), [("hardware handoff", "a .hwh file next to the bitstream", "no such file")])
    try:
        return RuntimeMetadataParser(Metadata(str(p))).ip_dict
    except Exception as e:  # pynqmetadata raises many types (XML, pydantic, its own): one clear line
        raise HwhError(str(p), [("hardware handoff", "a .hwh file pynqmetadata can parse",
                                 f"{type(e).__name__}: {e}")]) from None


def _hx(v: int) -> str:
    return f"0x{v:03x}" if v < 0x1000 else f"0x{v:08x}"


def _list(items: list[str], n: int = 6) -> str:
    return ", ".join(items[:n]) + (f" and {len(items) - n} more" if len(items) > n else "")


def _register_mismatches(regs: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    exp = expected_registers()
    out: list[tuple[str, str, str]] = []
    missing = [f"{n} at {_hx(o)}" for n, o in exp.items() if n not in regs]
    unknown = [f"{n} at {_hx(int(r['address_offset']))}" for n, r in regs.items() if n not in exp]
    for n, r in regs.items():
        if n in exp:
            off, size = int(r["address_offset"]), int(r.get("size", 32))
            if off != exp[n]:
                out.append((f"register {n}", f"offset {_hx(exp[n])}", f"offset {_hx(off)}"))
            if size != 32:
                out.append((f"register {n}", "32 bits", f"{size} bits"))
    if missing:
        out.append(("register map", f"{len(exp)} registers of edgemoe.driver.regmap",
                    f"{len(missing)} of them missing ({_list(missing)})"))
    if unknown:
        out.append(("register map", "no registers outside edgemoe.driver.regmap",
                    f"{len(unknown)} unknown ({_list(unknown)})"))
    return out


def check_ip_dict(ip_dict: Mapping[str, Any], where: str = "overlay", *, vlnv: str = EXPECTED_VLNV,
                  base: int | None = None) -> IpCheck:
    """Find and check the accelerator in ``ip_dict``; raise :class:`HwhError` listing every mismatch.

    The IP is the entry whose ``type`` is ``vlnv``; without one, the only
    addressable PL IP (if there is exactly one) is checked so that the error
    names all of its differences (VLNV, base address, register map).
    """
    pl = {n: e for n, e in ip_dict.items() if e.get("phys_addr") is not None and "registers" in e
          and str(e.get("type", "")).split(":")[2:3] not in (["zynq_ultra_ps_e"], ["processing_system7"])}
    hits = [n for n, e in pl.items() if e.get("type") == vlnv]
    mism: list[tuple[str, str, str]] = []
    if len(hits) > 1:
        raise HwhError(where, [("IP", f"one instance of {vlnv}", f"{len(hits)}: {', '.join(hits)}")])
    if hits:
        name = hits[0]
    elif len(pl) == 1:
        name = next(iter(pl))
        mism.append((f"IP {name}: VLNV", vlnv, str(pl[name].get("type"))))
    else:
        found = ", ".join(f"{n} ({e.get('type')})" for n, e in pl.items()) or "no addressable PL IP"
        raise HwhError(where, [("IP", f"an instance of {vlnv}", found)])
    e = pl[name]
    addr, rng = int(e["phys_addr"]), int(e.get("addr_range") or 0)
    lo, hi = LPD_WINDOW
    if base is not None and addr != base:
        mism.append((f"IP {name}: base address", _hx(base), _hx(addr)))
    elif not lo <= addr < hi or addr % 4096:
        mism.append((f"IP {name}: base address", f"4 KB aligned in the M_AXI_HPM0_LPD window "
                     f"{_hx(lo)}..{_hx(hi - 1)}", _hx(addr)))
    if rng < MAP_BYTES:
        mism.append((f"IP {name}: address range", f">= {_hx(MAP_BYTES)} bytes (the register map)", f"{rng} bytes"))
    regs = e.get("registers") or {}
    mism += [(f"IP {name}: {w}", x, f) for w, x, f in _register_mismatches(regs)] if regs else []
    if mism:
        raise HwhError(where, mism)
    irq = next(iter(e.get("interrupts") or {}), None)
    return IpCheck(name=name, vlnv=str(e.get("type")), phys_addr=addr, addr_range=rng,
                   registers_checked=len(regs), interrupt=f"{name}/{irq}" if irq else None)


def check_hwh(path: str | Path, *, vlnv: str = EXPECTED_VLNV, base: int | None = None) -> IpCheck:
    """Parse ``path`` (a ``.hwh``) with pynqmetadata and check it (:func:`check_ip_dict`)."""
    return check_ip_dict(read_ip_dict(path), str(path), vlnv=vlnv, base=base)
