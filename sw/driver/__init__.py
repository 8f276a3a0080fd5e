"""Host side of the accelerator contract (`docs/architecture.md`).

* :mod:`.regmap` -- register offsets and fields (generated from the one register source);
* the weight image, command lists, instruction-set model and the driver live beside it;
* :mod:`.accelerator` -- the host driver (:class:`Accelerator` and its exceptions), over
  :mod:`.backends` (iss, rtl, pynq); :mod:`.hwh` -- overlay checks.
"""

from .accelerator import (Accelerator, DeviceError, DeviceMismatch, DeviceTimeout, DriverError, InputError,
                          RunResult)
from .backends import BackendUnavailable

__all__ = ["Accelerator", "BackendUnavailable", "DeviceError", "DeviceMismatch", "DeviceTimeout", "DriverError",
           "InputError", "RunResult"]
