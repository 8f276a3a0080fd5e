"""PeakRDL-regblock CPU interface of the register block: AXI4-Lite (flattened ports) with a
registered request stage.

PeakRDL-regblock 1.3's own ``axi4-lite-flat`` cpuif selects between a pending read and a
pending write (``axil_arvalid``/``axil_awvalid`` priority) combinationally into the
regblock's request (``cpuif_req``, ``cpuif_addr``), so the select, the address decode and the
first read-back stage are one path (Yosys estimate 4.8 ns against 3.0 ns at 300 MHz;
docs/timing.md). This class (PeakRDL's documented way of customising a cpuif: a subclass with
its own ``template_path``) renders ``regs_cpuif_tmpl.sv``, the stock template with the select
feeding a register stage and the request driven from it. Each access takes one cycle more;
the order of accesses, the responses and the register behaviour are unchanged.
"""
from __future__ import annotations

from peakrdl_regblock.cpuif.axi4lite import AXI4Lite_Cpuif_flattened


class AXI4LiteRegReq_Cpuif_flattened(AXI4Lite_Cpuif_flattened):
    """``axi4-lite-flat`` with the request registered once between the AR/AW select and the regblock."""

    template_path = "regs_cpuif_tmpl.sv"

    @property
    def max_outstanding(self) -> int:
        """One more than the stock cpuif's (the request stage holds one transaction)."""
        return self.regblock_latency + 3
