"""A fake PYNQ in PYNQ's own API shape, wired to the instruction-set model, for the ``pynq`` backend tests.

* :func:`synthetic_hwh` writes a small ``.hwh`` for the accelerator's IP from
  :mod:`edgemoe.driver.regmap` (the positive case; options make it wrong on purpose);
* :func:`make_pynq(iss)` returns a module-like object with

  - ``Overlay(bitfile, download=True)``: ``ip_dict`` parsed from the ``.hwh`` beside
    ``bitfile`` by pynqmetadata's runtime parser (what ``pynq.Overlay`` does);
    ``download()`` "programs" the fake board: its register window appears at the
    IP's ``phys_addr``;
  - ``MMIO(base, length)``: ``read(offset)``/``write(offset, value)`` on the model's
    registers, only at the downloaded IP's address; each read of ``STATUS`` or
    ``IRQ_STATUS`` lets the model run a few commands (the device runs while the
    host polls);
  - ``allocate(shape, dtype)``: an ndarray subclass with ``device_address``,
    ``flush()``, ``invalidate()``, ``freebuffer()``. The host array and the model's
    DDR are separate memories: the device sees only flushed bytes (DDR starts as
    0xA5 garbage), the host sees device writes only after ``invalidate()``;

* ``.device`` keeps the bookkeeping: ``flushes``/``invalidates`` per buffer, and
  ``dirty_at_start``: buffers whose host bytes differed from DDR when ``CTRL.START``
  was written (a forgotten flush).
"""
from __future__ import annotations

import types
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np

from edgemoe.driver import regmap
from edgemoe.driver.hwh import EXPECTED_VLNV, expected_registers

PAGE = 4096
GARBAGE = 0xA5


def synthetic_hwh(path: Path, *, vlnv: str = EXPECTED_VLNV, base: int = 0x8000_0000, span: int = 0x1000,
                  registers: dict[str, int] | None = None, instance: str = "edgemoe_0") -> Path:
    """Write a minimal Vivado-style ``.hwh``: the PS (zynq_ultra_ps_e, M_AXI_HPM0_LPD) and our IP.

    ``registers`` (name -> offset) defaults to the driver's register map; ``{}``
    writes no register list (as for a module reference).
    """
    regs = expected_registers() if registers is None else registers
    access = {n: getattr(r, "access", "RW") for n, r in getattr(regmap, "REGISTERS", {}).items()}
    acc_names = {"RO": "read-only", "RW": "read-write", "RW1C": "read-write"}
    reg_xml = "\n".join(
        f'''            <REGISTER NAME={quoteattr(n)}>
              <PROPERTY NAME="DESCRIPTION" VALUE={quoteattr(n)}/>
              <PROPERTY NAME="ADDRESS_OFFSET" VALUE="{off:#x}"/>
              <PROPERTY NAME="SIZE" VALUE="32"/>
              <PROPERTY NAME="ACCESS" VALUE="{acc_names.get(access.get(n, 'RW'), 'read-write')}"/>
              <PROPERTY NAME="IS_ENABLED" VALUE="true"/>
            </REGISTER>''' for n, off in regs.items())
    modtype = vlnv.split(":")[2]
    clk = []  # the PS clock parameters pynqmetadata's clock view reads: PL0 at 300 MHz, PL1..3 off
    for i in range(4):
        on = i == 0
        clk += [(f"PSU__FPGA_PL{i}_ENABLE", int(on)), (f"PSU__CRL_APB__PL{i}_REF_CTRL__DIVISOR0", 5),
                (f"PSU__CRL_APB__PL{i}_REF_CTRL__DIVISOR1", 1), (f"PSU__CRL_APB__PL{i}_REF_CTRL__SRCSEL", "IOPLL"),
                (f"PSU__CRL_APB__PL{i}_REF_CTRL__FREQMHZ", 300 if on else 100),
                (f"PSU__CRL_APB__PL{i}_REF_CTRL__ACT_FREQMHZ", 299.970032 if on else 99.999)]
    ps_params = "\n".join(f'        <PARAMETER NAME="{k}" VALUE="{v}"/>' for k, v in clk)
    xml = f'''<?xml version="1.0" encoding="UTF-8" standalone="no" ?>
<EDKSYSTEM EDWVERSION="1.2" TIMESTAMP="synthetic" VIVADOVERSION="2022.1">
  <SYSTEMINFO ARCH="zynquplus" BOARD="xilinx.com:zcu102:part0:3.4" DEVICE="xczu9eg" NAME="edgemoe_bd" PACKAGE="ffvb1156" SPEEDGRADE="-2"/>
  <EXTERNALPORTS/>
  <EXTERNALINTERFACES/>
  <MODULES>
    <MODULE FULLNAME="/{instance}" INSTANCE="{instance}" IPTYPE="PERIPHERAL" MODCLASS="PERIPHERAL" MODTYPE="{modtype}" VLNV="{vlnv}">
      <ADDRESSBLOCKS>
        <ADDRESSBLOCK ACCESS="read-write" INTERFACE="s_axi_ctrl" NAME="reg0" RANGE="{span}" USAGE="register">
          <REGISTERS>
{reg_xml}
          </REGISTERS>
        </ADDRESSBLOCK>
      </ADDRESSBLOCKS>
      <PORTS>
        <PORT DIR="O" NAME="interrupt" SENSITIVITY="LEVEL_HIGH" SIGIS="INTERRUPT"/>
      </PORTS>
      <BUSINTERFACES>
        <BUSINTERFACE BUSNAME="ps_M_AXI_HPM0_LPD" DATAWIDTH="32" NAME="s_axi_ctrl" TYPE="SLAVE" VLNV="xilinx.com:interface:aximm:1.0">
          <PARAMETER NAME="PROTOCOL" VALUE="AXI4LITE"/>
        </BUSINTERFACE>
      </BUSINTERFACES>
    </MODULE>
    <MODULE FULLNAME="/zynq_ultra_ps_e_0" INSTANCE="zynq_ultra_ps_e_0" IPTYPE="PERIPHERAL" MODCLASS="PROCESSOR" MODTYPE="zynq_ultra_ps_e" VLNV="xilinx.com:ip:zynq_ultra_ps_e:3.4">
      <PARAMETERS>
{ps_params}
      </PARAMETERS>
      <PORTS>
        <PORT DIR="I" LEFT="0" NAME="pl_ps_irq0" RIGHT="0" SENSITIVITY="LEVEL_HIGH" SIGIS="INTERRUPT"/>
      </PORTS>
      <BUSINTERFACES>
        <BUSINTERFACE BUSNAME="ps_M_AXI_HPM0_LPD" DATAWIDTH="32" NAME="M_AXI_HPM0_LPD" TYPE="MASTER" VLNV="xilinx.com:interface:aximm:1.0">
          <PARAMETER NAME="PROTOCOL" VALUE="AXI4"/>
        </BUSINTERFACE>
      </BUSINTERFACES>
      <MEMORYMAP>
        <MEMRANGE ADDRESSBLOCK="reg0" BASENAME="C_BASEADDR" BASEVALUE="{base:#010x}" HIGHNAME="C_HIGHADDR" HIGHVALUE="{base + span - 1:#010x}" INSTANCE="{instance}" IS_DATA="TRUE" IS_INSTRUCTION="TRUE" MASTERBUSINTERFACE="M_AXI_HPM0_LPD" MEMTYPE="REGISTER" SLAVEBUSINTERFACE="s_axi_ctrl"/>
      </MEMORYMAP>
    </MODULE>
  </MODULES>
</EDKSYSTEM>
'''
    path = Path(path)
    path.write_text(xml)
    return path


def write_overlay(folder: Path, name: str = "edgemoe", **hwh_kw) -> Path:
    """A fake ``<name>.bit`` (arbitrary bytes) with a synthetic ``<name>.hwh`` beside it; returns the .bit."""
    folder = Path(folder)
    bit = folder / f"{name}.bit"
    bit.write_bytes(b"fake bitstream for the driver tests\n")
    synthetic_hwh(folder / f"{name}.hwh", **hwh_kw)
    return bit


class FakeDevice:
    """The fake board: the model, its register window, the buffers and their bookkeeping."""

    def __init__(self, iss, chunk: int = 4):
        self.iss, self.chunk = iss, chunk
        self.base: int | None = None     # register window (set by Overlay.download)
        self.next = 0
        self.buffers: list["FakeBuffer"] = []
        self.flushes: dict[int, int] = {}
        self.invalidates: dict[int, int] = {}
        self.dirty_at_start: list[int] = []
        self.starts = 0


class FakeBuffer(np.ndarray):
    """``pynq.allocate``'s PynqBuffer: an ndarray with a device address and cache maintenance."""

    def __array_finalize__(self, obj):
        self.device_address = getattr(obj, "device_address", None)
        self._dev = getattr(obj, "_dev", None)
        self._off = getattr(obj, "_off", 0)
        self._id = getattr(obj, "_id", -1)

    @property
    def physical_address(self) -> int:
        return self.device_address

    def _host(self) -> np.ndarray:
        return np.asarray(self).view(np.uint8).reshape(-1)

    def flush(self) -> None:
        h = self._host()
        self._dev.iss.mem[self._off:self._off + h.size] = h
        self._dev.flushes[self._id] = self._dev.flushes.get(self._id, 0) + 1

    def invalidate(self) -> None:
        h = self._host()
        h[:] = self._dev.iss.mem[self._off:self._off + h.size]
        self._dev.invalidates[self._id] = self._dev.invalidates.get(self._id, 0) + 1

    def dirty(self) -> bool:
        h = self._host()
        return not np.array_equal(h, self._dev.iss.mem[self._off:self._off + h.size])

    def freebuffer(self) -> None:
        pass


def make_pynq(iss, chunk: int = 4) -> types.SimpleNamespace:
    """A module-like fake of ``pynq`` (Overlay, MMIO, allocate) over ``iss``; ``.device`` is the bookkeeping."""
    from pynqmetadata.frontends import Metadata
    from pynqmetadata.views.runtime import RuntimeMetadataParser

    dev = FakeDevice(iss, chunk)

    class Overlay:
        def __init__(self, bitfile: str, download: bool = True):
            self.bitfile_name = str(bitfile)
            hwh = Path(bitfile).with_suffix(".hwh")
            self.ip_dict = RuntimeMetadataParser(Metadata(str(hwh))).ip_dict
            if download:
                self.download()

        def download(self) -> None:
            ips = [e for e in self.ip_dict.values() if e.get("registers") is not None and e.get("phys_addr")]
            dev.base = int(ips[0]["phys_addr"]) if ips else None

    class MMIO:
        def __init__(self, base_addr: int, length: int = 4):
            self.base_addr, self.length = int(base_addr), int(length)

        def _check(self, offset: int) -> None:
            if dev.base is None:
                raise RuntimeError("fake pynq: MMIO access before the overlay was downloaded")
            if self.base_addr != dev.base:
                raise RuntimeError(f"fake pynq: no device at 0x{self.base_addr:08x} (the IP is at 0x{dev.base:08x})")
            if not 0 <= offset < self.length or offset % 4:
                raise RuntimeError(f"fake pynq: MMIO offset 0x{offset:x} outside the window of {self.length} bytes")

        def read(self, offset: int = 0, length: int = 4) -> int:
            self._check(offset)
            if offset in (regmap.STATUS, regmap.IRQ_STATUS) and iss.read32(regmap.STATUS) & regmap.STATUS_BUSY:
                iss.advance(max_commands=dev.chunk)
            return int(iss.read32(offset))

        def write(self, offset: int, value: int) -> None:
            self._check(offset)
            if offset == regmap.CTRL and value & regmap.CTRL_START:
                dev.starts += 1
                dev.dirty_at_start += [b._id for b in dev.buffers if b.dirty()]
            iss.write32(offset, int(value))

    def allocate(shape, dtype=np.uint8, **_kw) -> FakeBuffer:
        a = np.zeros(shape, dtype=dtype)
        size = -(-a.nbytes // PAGE) * PAGE
        if dev.next + size > iss.mem.size:
            raise MemoryError("fake pynq: out of CMA memory")
        buf = a.view(FakeBuffer)
        buf._dev, buf._off, buf._id = dev, dev.next, len(dev.buffers)
        buf.device_address = int(iss.mem_base) + dev.next
        iss.mem[dev.next:dev.next + size] = GARBAGE
        dev.next += size
        dev.buffers.append(buf)
        return buf

    return types.SimpleNamespace(Overlay=Overlay, MMIO=MMIO, allocate=allocate, device=dev, __name__="fake_pynq")
