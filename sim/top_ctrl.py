"""The integrated top's control port under cocotb: clock, reset and bounded AXI-Lite accesses.

Both cocotb testbenches of ``edgemoe_top`` (the control-plane one, ``sim/tb/test_edgemoe_top.py``,
and the per-opcode one, ``sim/tb/test_edgemoe_top_ops.py``) drive the top through this class:
``s_axi_ctrl`` by cocotbext-axi's AxiLiteMaster, ``ap_clk`` at 100 MHz simulated time,
``ap_rst_n`` active low. Every register access is bounded: one not answered within
``timeout_us`` microseconds of simulated time fails naming the register and the channels.
"""
from __future__ import annotations

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, SimTimeoutError, with_timeout


class TopCtrl:
    """Clock, reset and the AXI-Lite register port of ``edgemoe_top`` (or its wrapper)."""

    def __init__(self, dut, timeout_us: float) -> None:
        from cocotbext.axi import AxiLiteBus, AxiLiteMaster

        self.dut = dut
        self.timeout_us = timeout_us
        cocotb.start_soon(Clock(dut.ap_clk, 10, unit="ns").start())
        self.axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axi_ctrl"), dut.ap_clk, dut.ap_rst_n,
                                  reset_active_level=False)

    async def reset(self) -> None:
        """ap_rst_n low for 5 cycles, then 2 cycles out of reset."""
        self.dut.ap_rst_n.value = 0
        await ClockCycles(self.dut.ap_clk, 5)
        self.dut.ap_rst_n.value = 1
        await ClockCycles(self.dut.ap_clk, 2)

    async def rd(self, off: int) -> int:
        """The 32-bit register at byte offset ``off``."""
        try:
            return await with_timeout(self.axil.read_dword(off), self.timeout_us, "us")
        except SimTimeoutError:
            raise AssertionError(f"AXI-Lite read of 0x{off:03X} not answered in {self.timeout_us:g} us "
                                 "(AR/R of s_axi_ctrl)") from None

    async def wr(self, off: int, val: int) -> None:
        """Write the low 32 bits of ``val`` to the register at byte offset ``off``."""
        try:
            await with_timeout(self.axil.write_dword(off, val & 0xFFFFFFFF), self.timeout_us, "us")
        except SimTimeoutError:
            raise AssertionError(f"AXI-Lite write of 0x{off:03X} not answered in {self.timeout_us:g} us "
                                 "(AW/W/B of s_axi_ctrl)") from None
