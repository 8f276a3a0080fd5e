"""Host side of the accelerator contract (`docs/architecture.md`).

* :mod:`.regmap` -- register offsets and fields (generated from the one register source);
* the weight image, command lists, instruction-set model and the driver live beside it.
"""
