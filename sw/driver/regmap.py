"""Register offsets of the accelerator's AXI-Lite slave (docs/architecture.md, "Register map").

Placeholder written by hand from the document; to be replaced by the file generated
from the one register source (SystemRDL). Names are the document's register names.
"""
ID = 0x000
VERSION = 0x004
HWCFG0 = 0x008
HWCFG1 = 0x00C
CTRL = 0x010
STATUS = 0x014
IRQ_ENABLE = 0x018
IRQ_STATUS = 0x01C
ERROR = 0x020
TIMEOUT = 0x024
CMD_BASE_LO = 0x028
CMD_BASE_HI = 0x02C
CMD_COUNT = 0x030
CMD_INDEX = 0x034
WBASE_LO = 0x038
WBASE_HI = 0x03C
IOBASE_LO = 0x040
IOBASE_HI = 0x044
CYCLES_LO = 0x048
CYCLES_HI = 0x04C
LIN_BUSY = 0x050
WSTALL = 0x054
ATTN_BUSY = 0x058
DDR_RD = 0x05C
DDR_WR = 0x060
MARK = 0x064
QCOUNT0 = 0x070
QCOUNT1 = 0x074
QCOUNT2 = 0x078
QCOUNT3 = 0x07C

ID_VALUE = 0x45444D45  # "EDME"
VERSION_MAJOR, VERSION_MINOR = 1, 0

CTRL_START = 1 << 0
CTRL_ABORT = 1 << 1
CTRL_SOFT_RESET = 1 << 2
STATUS_BUSY = 1 << 0
STATUS_DONE = 1 << 1
STATUS_ERROR = 1 << 2
IRQ_DONE = 1 << 0
IRQ_ERROR = 1 << 1
IRQ_MARK = 1 << 2
TIMEOUT_RESET = 1 << 26
