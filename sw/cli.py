"""``edgemoe`` command line: one subcommand per workflow.

Each subcommand lives in its own module exposing ``add_arguments(parser)`` and
``main(args) -> int``; modules are imported only when their command runs, so
``edgemoe --help`` stays fast and a missing optional dependency only affects
its own command.
"""
from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading

COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("edgemoe.run_cmd", "run the backbone and task heads on an image (default: the built-in sample)"),
    "accuracy": ("edgemoe.accuracy", "fidelity of the fixed-point approximations against float"),
    "vectors": ("edgemoe.golden.vectors", "write golden input/expected-output vectors of one operator"),
    "bench": ("edgemoe.bench", "seconds per frame of the float and fixed-point golden backbones"),
    "gen": ("edgemoe.golden.gen", "generate the SV package, C++ header and table files from params.toml"),
    "synth": ("edgemoe.synth", "Yosys resource estimates of the RTL kernels"),
    "report": ("edgemoe.report.cli", "energy-efficiency report (HTML + JSON) against CPU and GPU"),
    "program": ("edgemoe.program_cmd", "the accelerator's command list for a task, disassembled, and the weight image map"),
}


def one_line(text: object) -> str:
    """``text`` as one printable line: control characters (a newline in a file name, say) escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


class UsageError(Exception):
    """A bad command line: the message is the one line printed on stderr (exit status 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error (no usage block) raised instead of exiting, so main() returns 2."""

    def error(self, message: str):  # type: ignore[override]
        raise UsageError(f"{self.prog}: error: {message} (see `{self.prog} --help`)")


def _user_errors() -> tuple[type[BaseException], ...]:
    """Exception types that mean bad input (one line, exit 2); imported only when an error happened."""
    from edgemoe.golden.vectors import VectorError
    from edgemoe.golden.weights import WeightError
    from edgemoe.outdir import OutDirError

    errs: list[type[BaseException]] = [OutDirError, WeightError, VectorError]
    try:
        from edgemoe.report.errors import ReportError

        errs.append(ReportError)
    except ImportError:
        pass
    return tuple(errs)


class _sigterm_as_interrupt:
    """SIGTERM (kill, a CI timeout) unwinds like Ctrl-C, so staged outputs are removed (main thread only)."""

    def __enter__(self) -> None:
        self.old = None
        if threading.current_thread() is threading.main_thread():
            self.old = signal.signal(signal.SIGTERM, self._raise)

    @staticmethod
    def _raise(signum, frame):
        raise KeyboardInterrupt

    def __exit__(self, *exc) -> None:
        if self.old is not None:
            signal.signal(signal.SIGTERM, self.old)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="edgemoe", description="Edge-MoE co-design kit")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_mod, help_) in COMMANDS.items():
        sub.add_parser(name, help=help_, add_help=False)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    top = build_parser()
    if not argv or argv[0] in ("-h", "--help"):
        top.print_help()
        return 0
    name = argv[0]
    # Before numpy loads: the golden model's matrices are small, so one BLAS thread
    # is as fast and does not spin against other work on a shared machine.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        bad = [a for a in argv if "\x00" in a]
        if bad:   # only an in-process caller can pass one (a process's argv cannot hold NUL)
            raise UsageError(f"edgemoe: error: argument {bad[0]!r} contains a NUL character (expected none)")
        if name not in COMMANDS:
            top.error(f"unknown command '{name}': choose from {', '.join(COMMANDS)}")
        mod = importlib.import_module(COMMANDS[name][0])
        p = _Parser(prog=f"edgemoe {name}", description=COMMANDS[name][1])
        mod.add_arguments(p)
        args = p.parse_args(argv[1:])
        with _sigterm_as_interrupt():
            return int(mod.main(args) or 0)
    except UsageError as e:
        print(one_line(e), file=sys.stderr)
        return 2
    except SystemExit as e:       # --help, or a command that exits itself
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as e:
        # Bad input that a command did not turn into its own message: still one line, exit 2.
        # Anything else is a bug and keeps its traceback.
        if isinstance(e, _user_errors()):
            print(one_line(f"edgemoe {name}: error: {e}"), file=sys.stderr)
            return 2
        if isinstance(e, OSError) and e.filename is not None:
            print(one_line(f"edgemoe {name}: error: {e.filename}: {e.strerror or e}"), file=sys.stderr)
            return 2
        raise

if __name__ == "__main__":
    sys.exit(main())
