"""Safe output folders for the commands that write files (``run``, ``vectors``, ``report``).

Contract of :class:`OutputDir`:

* :meth:`OutputDir.prepare` runs before any long work. It checks the target:
  a path that is a file, a parent that is a file or cannot be created, a
  folder that cannot be written (read-only mount, immutable folder,
  permissions) each raise :class:`OutDirError`, a one-line message naming the
  option and what was expected. An existing non-empty folder that does not
  look like this command's own output is refused unless ``force``. It then
  creates the staging folder, a hidden temporary folder beside the target
  (inside the target when only the target itself is writable).
* The command writes everything into :attr:`OutputDir.staging`.
* :meth:`OutputDir.commit` moves the staged files into place only when the
  command has succeeded: a new target is one rename; into an existing folder
  each file is renamed over its old version (never a file this command did
  not write, unless ``force``), then the command's own stale files of the
  previous run are removed. Ctrl-C is deferred while the files move, so the
  target holds either the old or the complete new output.
* :meth:`OutputDir.abort` (also on any exception inside ``with``) removes the
  staging folder and every parent folder :meth:`prepare` created: a failing or
  interrupted run leaves the target as it was.

"This command's own output" means the folder holds a stamp file
``.edgemoe-output.json`` (``{"command": NAME, "files": [relative paths]}``)
written by a previous commit for the same command, or the command's
``legacy`` recogniser returns the set of files it wrote (outputs made
before stamps existed). Only files listed there are ever replaced or removed.
"""
from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path
from typing import Callable

STAMP = ".edgemoe-output.json"
_TMP_TAG = ".edgemoe-tmp-"


class OutDirError(ValueError):
    """An output folder cannot be used; the message is one line naming the option and what was expected."""


def _reason(e: OSError) -> str:
    return e.strerror or type(e).__name__


def _listing(names: list[str], n: int = 4) -> str:
    shown = ", ".join(sorted(names)[:n])
    return shown + (f" and {len(names) - n} more" if len(names) > n else "")


class OutputDir:
    """One command's output folder, staged and moved into place at the end (see the module doc)."""

    def __init__(self, target: str | os.PathLike, *, command: str, option: str | None = "--out",
                 force: bool = False, legacy: Callable[[Path], set[str] | None] | None = None) -> None:
        self.given = str(target) if str(target) else "."
        self.target = Path(os.path.abspath(self.given))
        self.command = command
        self.option = option
        self.force = force
        self.legacy = legacy
        self.staging: Path | None = None
        self._created: list[Path] = []     # parent folders prepare() made, outermost first
        self._committed = False
        self._staged_names: list[str] = []

    # ------------------------------------------------------------------ messages
    def _what(self) -> str:
        return f"{self.option} {self.given}" if self.option else f"output folder {self.given}"

    def _error(self, text: str) -> OutDirError:
        return OutDirError(f"{self._what()}: {text}")

    # ------------------------------------------------------------------ ownership
    def own_files(self) -> set[str] | None:
        """Relative paths of the files this command wrote into the target, or None if it is not its output."""
        stamp = self.target / STAMP
        if stamp.is_file():
            try:
                meta = json.loads(stamp.read_text())
                if meta.get("command") == self.command and isinstance(meta.get("files"), list):
                    return {str(f) for f in meta["files"]} | {STAMP}
            except (OSError, ValueError, AttributeError):
                pass
        if self.legacy is not None:
            try:
                found = self.legacy(self.target)
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                found = None
            if found is not None:
                return set(found)
        return None

    def _entries(self) -> list[str]:
        try:
            return [n for n in os.listdir(self.target) if not n.startswith(_TMP_TAG)]
        except OSError as e:
            raise self._error(f"cannot list the folder ({_reason(e)}); expected a readable folder") from None

    # ------------------------------------------------------------------ prepare
    def prepare(self) -> Path:
        """Check the target and create the staging folder; return the staging folder."""
        if self.staging is not None:
            return self.staging
        t = self.target
        # The nearest existing ancestor must be a folder; everything below it will be created.
        missing: list[Path] = []
        p = t
        while not os.path.lexists(p):
            missing.append(p)
            if p.parent == p:
                break
            p = p.parent
        if os.path.lexists(p) and not p.is_dir():
            if p == t:
                raise self._error("is a file (or a broken link), expected a folder: a new one or one holding this command's outputs")
            raise self._error(f"{p} is a file, so the folder cannot be created there")
        if not missing:
            self._check_existing()
        missing.reverse()
        # Every missing parent is created now (so the staging folder can sit beside the target);
        # abort() removes them again.
        for m in missing[:-1]:
            try:
                os.mkdir(m)
            except FileExistsError:
                continue
            except OSError as e:
                self.abort()
                raise self._error(f"cannot create folder {m} ({_reason(e)}); expected a writable location") from None
            self._created.append(m)
        self.staging = self._make_staging()
        return self.staging

    def _check_existing(self) -> None:
        names = self._entries()
        if names:
            own = self.own_files()
            if own is None and not self.force:
                raise self._error(
                    f"already holds files that `edgemoe {self.command}` did not write ({_listing(names)}); "
                    "expected a new or empty folder, or pass --force to add the outputs beside them "
                    "(other files are kept)")
        try:   # a probe file: the only reliable test on read-only mounts and immutable folders (root ignores modes)
            fd, probe = tempfile.mkstemp(prefix=_TMP_TAG + "probe-", dir=self.target)
            os.close(fd)
            os.unlink(probe)
        except OSError as e:
            raise self._error(f"is not writable ({_reason(e)}); expected a writable folder") from None

    def _make_staging(self) -> Path:
        t = self.target
        name = t.name or "out"
        try:
            return Path(tempfile.mkdtemp(prefix=f".{name}{_TMP_TAG}", dir=t.parent))
        except OSError as e:
            first = e
        if t.is_dir():      # only the target itself is writable (e.g. a mount point): stage inside it
            try:
                return Path(tempfile.mkdtemp(prefix=_TMP_TAG, dir=t))
            except OSError:
                pass
        self.abort()
        raise self._error(f"cannot write in {t.parent} ({_reason(first)}); expected a writable location") from None

    # ------------------------------------------------------------------ commit / abort
    def __enter__(self) -> Path:
        return self.prepare()

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()

    def _staged_files(self) -> list[str]:
        assert self.staging is not None
        out = []
        for root, _dirs, files in os.walk(self.staging):
            for f in files:
                out.append(os.path.relpath(os.path.join(root, f), self.staging))
        return sorted(out)

    def commit(self) -> list[Path]:
        """Move the staged files into the target; return their final paths."""
        if self._committed:
            return [self.target / f for f in self._staged_names]
        if self.staging is None:
            raise RuntimeError("OutputDir.commit() before prepare()")
        files = [f for f in self._staged_files() if f != STAMP]
        with _deferred_sigint():
            try:
                inside = self.staging.parent == self.target
                if not inside and not os.path.lexists(self.target):
                    self._write_stamp(self.staging, files)
                    try:
                        os.rename(self.staging, self.target)
                        self.staging = None
                    except OSError as e:
                        if not (e.errno in (errno.EEXIST, errno.ENOTEMPTY) or os.path.isdir(self.target)):
                            raise
                        os.unlink(self.staging / STAMP)     # created meanwhile (another process): merge below
                if self.staging is not None:
                    self._merge(files)
            except OSError as e:
                self.abort()
                where = f" ({e.filename})" if e.filename else ""
                raise self._error(f"writing the outputs failed: {_reason(e)}{where}") from None
            except BaseException:
                self.abort()
                raise
            self._committed = True      # the parents prepare() created now hold the output: keep them
            self._staged_names = files
            self.abort()                # removes the emptied staging folder after a merge
        return [self.target / f for f in files]

    def _merge(self, files: list[str]) -> None:
        assert self.staging is not None
        names = self._entries()
        own = self.own_files() or set()
        if names and not own and not self.force:
            raise self._error(f"already holds files that `edgemoe {self.command}` did not write "
                              f"({_listing(names)}); pass --force to add the outputs beside them")
        clash = [f for f in files if os.path.lexists(self.target / f) and f not in own and not self.force]
        if clash:
            raise self._error(f"would overwrite {_listing(clash)}, which `edgemoe {self.command}` did not write; "
                              "move them or pass --force")
        dirs = [f for f in files if os.path.isdir(self.target / f)]
        if dirs:
            raise self._error(f"{_listing(dirs)} is a folder where an output file goes")
        for f in files:
            dst = self.target / f
            dst.parent.mkdir(parents=True, exist_ok=True)
            _move_file(self.staging / f, dst)
        for f in sorted(own - set(files) - {STAMP}):   # this command's stale outputs of the previous run
            stale = self.target / f
            if stale.is_file() or stale.is_symlink():
                stale.unlink()
        self._write_stamp(self.target, files)

    def _write_stamp(self, folder: Path, files: list[str]) -> None:
        text = json.dumps({"command": self.command, "files": files}, indent=1) + "\n"
        part = folder / (STAMP + ".part")
        part.write_text(text)
        os.replace(part, folder / STAMP)

    def abort(self) -> None:
        """Remove the staging folder and the parents prepare() created (when still empty)."""
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging = None
        if not self._committed:
            for d in reversed(self._created):
                try:
                    os.rmdir(d)
                except OSError:
                    break
        self._created = []


def _move_file(src: Path, dst: Path) -> None:
    """Rename ``src`` over ``dst``; across file systems copy to a hidden part file first, then rename."""
    try:
        os.replace(src, dst)
    except OSError as e:
        if e.errno != errno.EXDEV:
            raise
        part = dst.with_name(f".{dst.name}.part")
        shutil.copy2(src, part)
        os.replace(part, dst)
        os.unlink(src)


class _deferred_sigint:
    """Hold back Ctrl-C while files move (main thread only); raise it afterwards."""

    def __enter__(self) -> None:
        self.hit = False
        self.old = None
        if threading.current_thread() is threading.main_thread():
            try:
                self.old = signal.signal(signal.SIGINT, self._handler)
            except (ValueError, TypeError):
                self.old = None

    def _handler(self, signum, frame) -> None:
        self.hit = True

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.old is not None:
            signal.signal(signal.SIGINT, self.old)
            if self.hit and exc_type is None:
                raise KeyboardInterrupt


def write_file(path: str | os.PathLike, text: str, *, command: str, option: str,
               owned: Callable[[Path], bool] | None = None, force: bool = False) -> Path:
    """Write one output file atomically (a temporary file beside it, renamed over it).

    An existing file is replaced only when ``owned(path)`` says this command
    wrote it, or with ``force``; a folder, a parent that is a file or cannot be
    created, or a location that cannot be written raise :class:`OutDirError`.
    """
    given = str(path)
    p = Path(os.path.abspath(given))

    def err(text_: str) -> OutDirError:
        return OutDirError(f"{option} {given}: {text_}")

    if p.is_dir():
        raise err("is a folder, expected a file name")
    if os.path.lexists(p) and not force:
        try:
            mine = owned is not None and owned(p)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            mine = False
        if not mine:
            raise err(f"already exists and was not written by `edgemoe {command}`; "
                      "expected a new file name, or pass --force to replace it")
    anc = p.parent
    while not os.path.lexists(anc) and anc.parent != anc:
        anc = anc.parent
    if not anc.is_dir():
        raise err(f"{anc} is a file, so the file cannot be created there")
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}{_TMP_TAG}", dir=p.parent)
    except OSError as e:
        raise err(f"cannot write in {p.parent} ({_reason(e)}); expected a writable location") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, p)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise err(f"writing failed ({_reason(e)})") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(given)
