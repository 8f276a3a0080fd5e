"""Backends of the host driver: one small interface (:mod:`.base`), three shims.

* ``iss`` (:mod:`.iss`): the instruction-set model :class:`edgemoe.driver.iss.Iss`;
* ``rtl`` (:mod:`.rtl`): the Verilator model of ``edgemoe_top`` (refuses until issue 10 builds it);
* ``pynq`` (:mod:`.pynq`): the board through PYNQ (imported only when opened).

:func:`open_backend` opens one by name; :class:`BackendUnavailable` says why one
cannot run here (no board, RTL top not built).
"""
from __future__ import annotations

from typing import Any

from .base import PAGE, Backend, BackendUnavailable, Buffer

NAMES = ("iss", "rtl", "pynq")


def rtl_frame_support() -> tuple[bool, str]:
    """(True, "") when the RTL top can run a whole backbone command list, else (False, one line why).

    The top may exist and open (its control plane answers the driver) without its
    datapath: :func:`.rtl.frame_support` probes which compute opcodes it executes."""
    from .rtl import frame_support

    return frame_support()


def check_available(name: str) -> None:
    """Raise :class:`BackendUnavailable` (one line) if backend ``name`` cannot run frames on this machine.

    ``rtl``: :func:`rtl_frame_support`; ``pynq``: the ``pynq`` package imports (a board).
    ``iss`` is always available; unknown names are left to :func:`open_backend`.
    """
    if name == "rtl":
        ok, why = rtl_frame_support()
        if not ok:
            raise BackendUnavailable(why)
    elif name == "pynq":
        from .pynq import import_pynq

        import_pynq()


def open_backend(name: str, **kw: Any) -> Backend:
    """The backend ``name`` (one of :data:`NAMES`) with its keyword options.

    ``iss``: ``iss=`` an existing model, ``mem_size=``; ``rtl``: passed to the model;
    ``pynq``: ``overlay=`` the ``.bit`` (default: the installed ``edgemoe_overlay``
    package's), ``vlnv=``, ``base=``, ``download=``.
    """
    if name == "iss":
        from .iss import IssBackend

        return IssBackend(**kw)
    if name == "rtl":
        from .rtl import open_rtl

        return open_rtl(**kw)
    if name == "pynq":
        from .pynq import PynqBackend, import_pynq

        if "pynq_module" not in kw:
            kw["pynq_module"] = import_pynq()  # no board: BackendUnavailable before anything else
        if kw.get("overlay") is None:  # the installed overlay package's bitstream (docs/board.md)
            try:
                import edgemoe_overlay
            except ImportError:
                raise ValueError("--backend pynq needs the overlay: pass overlay=path/to/edgemoe.bit (--overlay) "
                                 "or install the edgemoe_overlay package") from None
            kw["overlay"] = edgemoe_overlay.bitfile()  # FileNotFoundError names what is missing
        return PynqBackend(**kw)
    raise ValueError(f"unknown backend {name!r}: expected one of {', '.join(NAMES)}")


__all__ = ["NAMES", "PAGE", "Backend", "BackendUnavailable", "Buffer", "check_available", "open_backend",
           "rtl_frame_support"]
