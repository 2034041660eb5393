"""The one way lab_support changes moto: declared patches, applied on first use, undone in reverse order.

Each embedded service declares, in its own module and at import, what it changes in moto::

    PATCHES = patching.group("lambda", [
        patching.Patch("moto.awslambda.models:LambdaBackend.invoke", wrap=_wrap_invoke,
                       signature=["self", "function_name", "qualifier", "body", "headers", "response_headers"],
                       why="alias routing, FunctionError / LogResult headers"),
        patching.Patch("moto.apigateway.responses:APIGatewayResponse.update_method", replacement=update_method,
                       signature=None, why="added: moto 5.2.5 lacks it"),
    ])

and its extension calls :func:`apply` at every ``lab.start()``; ``lab.stop()`` calls :func:`undo_all`.

* **Targets are strings** (``"module:Qualified.attribute"``) resolved lazily: importing lab_support imports
  no moto service. A group's patch is applied the moment its module has been imported: at once if it already
  is, otherwise right after the module's code has run (an import hook on exactly the pending modules), so a
  boto3 call (in the kernel's mock or over the embedded HTTP server) never sees an unpatched class, and a
  notebook that never touches API Gateway never pays for importing moto's API Gateway models.
* **Three kinds of change**: an attribute (``replacement=`` a new value, or ``wrap=`` a factory that gets
  the value in place when the patch is applied, so wrappers of one attribute stack), an entry of a dict
  (``key=``: e.g. a URL pattern in ``moto.*.urls.url_paths``), and a :class:`Registration` (something moto
  keeps in a registry, such as callbacks on ``responses_mock``: ``add()`` / ``remove(handle)``).
* **Stacking is explicit**: a patch may only wrap an attribute that another group already patched when it
  names that group in ``stacks_on``; otherwise :func:`apply` raises :class:`PatchConflict`.
* **Undo restores the exact objects**: :func:`undo_all` walks the applied changes newest first and puts back
  the object that was in the owner's own ``__dict__`` (deleting the attribute when it was inherited or
  absent), the dict entry that was there (or deletes it), or removes the registration.
* **Signatures are pinned**: ``signature`` lists the parameter names of moto's original (``None`` for
  what moto lacks and we add); :func:`check` returns every mismatch, so a moto upgrade that moves a seam fails
  a test instead of silently falling back to moto's own code.

``python -m lab_support patches --markdown`` prints the table of ``docs/SEAMS.md`` (``--write docs/SEAMS.md``
updates the file in place, ``--check`` prints signature mismatches). This module imports nothing above ``core``.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import importlib.abc
import importlib.machinery
import inspect
import sys
import threading
import types
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "Group",
    "Patch",
    "PatchConflict",
    "Registration",
    "active",
    "applied",
    "apply",
    "check",
    "group",
    "groups",
    "markdown_table",
    "renew",
    "undo_all",
]


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()
"""Marks an attribute or dict entry that was not there (so undo deletes it)."""


class PatchConflict(RuntimeError):
    """Two groups change the same moto attribute without saying so (``stacks_on``)."""


@dataclass(frozen=True, eq=False)
class Patch:
    """One change to a moto attribute (or dict entry).

    Attributes:
        target: ``"module:Qualified.name"``, e.g. ``"moto.awslambda.models:LambdaBackend.invoke"`` or
            ``"moto.s3.notifications:send_event"``; with ``key``, the dict that holds the entry
            (``"moto.apigatewayv2.urls:url_paths"``). An ``(owner, attribute)`` tuple is accepted for objects
            already at hand.
        replacement: the new value (a function, a ``staticmethod``…), when it does not depend on the original.
        wrap: instead of ``replacement``, ``wrap(current) -> new value``: ``current`` is what the attribute
            holds when the patch is applied (moto's original, or a lower group's wrapper: see ``stacks_on``).
            It runs inside an import, so it must not import a moto module that is not loaded yet.
        signature: the parameter names of moto's original (``["self", "spec"]``), pinned by :func:`check`;
            ``None`` when moto lacks the attribute (or dict entry) and the patch adds it.
        key: the dict entry to set, when ``target`` names a dict.
        stacks_on: groups whose patch of the same attribute this one may wrap.
        why: one line for the table in docs/SEAMS.md.
        group: the owning extension's name (set by :func:`group`).
    """

    target: str | tuple[Any, str]
    replacement: Any = MISSING
    wrap: Callable[[Any], Any] | None = None
    signature: Sequence[str] | None = None
    key: str | None = None
    stacks_on: tuple[str, ...] = ()
    why: str = ""
    group: str = ""

    def __post_init__(self) -> None:
        if (self.replacement is MISSING) == (self.wrap is None):
            raise ValueError(f"{self.label}: give exactly one of replacement= and wrap=")

    @property
    def module(self) -> str:
        """The module whose import makes this patch applicable."""
        if isinstance(self.target, tuple):
            owner = self.target[0]
            return owner.__name__ if isinstance(owner, types.ModuleType) else str(owner.__module__)
        return self.target.split(":", 1)[0]

    @property
    def label(self) -> str:
        """How docs and error messages name the patched thing."""
        if isinstance(self.target, tuple):
            owner = self.target[0]
            text = f"{self.module}:{getattr(owner, '__qualname__', owner.__class__.__name__)}.{self.target[1]}"
        else:
            text = self.target
        return f"{text}[{self.key!r}]" if self.key is not None else text


@dataclass(frozen=True, eq=False)
class Registration:
    """Something registered with moto rather than assigned (e.g. callbacks on moto's ``responses_mock``).

    Attributes:
        target: what it registers with (``"moto.core.models:responses_mock"``); the module part decides
            when it can be applied, as for :class:`Patch`.
        add: registers and returns a handle (it must not register twice: see :func:`renew`).
        remove: ``remove(handle)`` undoes it (no error if moto dropped it already, e.g. at its reset).
        why: one line for the table in docs/SEAMS.md.
        group: the owning extension's name (set by :func:`group`).
    """

    target: str
    add: Callable[[], Any]
    remove: Callable[[Any], None]
    why: str = ""
    group: str = ""
    signature: None = None

    @property
    def module(self) -> str:
        return self.target.split(":", 1)[0]

    @property
    def label(self) -> str:
        return self.target


Entry = Patch | Registration


@dataclass(frozen=True)
class Group:
    """The patches one extension declares, in the order they are applied."""

    name: str
    entries: tuple[Entry, ...]

    def __iter__(self) -> Any:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)


@dataclass
class _Applied:
    entry: Entry
    owner: Any = None  # the class, module or dict changed
    name: Any = None  # the attribute or key
    previous: Any = MISSING  # what owner.__dict__ / the dict held before (MISSING: absent or inherited)
    installed: Any = MISSING  # what we put there, or the registration's handle


_GROUPS: dict[str, Group] = {}
_WANTED: list[Entry] = []  # requested by apply(), in request order; applied or waiting for their module
_APPLIED: list[_Applied] = []  # in application order
_LOCK = threading.RLock()


def group(name: str, entries: Iterable[Entry]) -> Group:
    """Declare (or re-declare) the patches of extension ``name``; returns the :class:`Group` to :func:`apply`."""
    declared = Group(name, tuple(dataclasses.replace(e, group=name) for e in entries))
    _GROUPS[name] = declared
    return declared


def groups() -> dict[str, Group]:
    """Every declared group by name (what the modules imported so far declared)."""
    return dict(_GROUPS)


def _group(which: Group | str) -> Group:
    return _GROUPS[which] if isinstance(which, str) else which


# -- resolving targets -----------------------------------------------------------------------------------------
def _resolve(entry: Patch) -> tuple[Any, Any]:
    """(owner, attribute name) or (dict, key) of a patch; the module must be imported already."""
    if isinstance(entry.target, tuple):
        owner, name = entry.target
    else:
        module_name, _, path = entry.target.partition(":")
        owner = sys.modules.get(module_name) or importlib.import_module(module_name)
        *parents, name = path.split(".")
        for part in parents:
            owner = getattr(owner, part)
    if entry.key is not None:
        return getattr(owner, name), entry.key
    return owner, name


def _own(owner: Any, name: str) -> Any:
    """What ``owner`` itself holds under ``name`` (not inherited), or MISSING."""
    return vars(owner).get(name, MISSING)


def _inherited(owner: Any, name: str) -> Any:
    for base in getattr(owner, "__mro__", ())[1:]:
        if name in vars(base):
            return vars(base)[name]
    return MISSING


# -- applying --------------------------------------------------------------------------------------------------
def apply(which: Group | str) -> None:
    """Request a group's patches (idempotent): each is applied now if its module is imported, else right
    after that module is first imported. They stay until :func:`undo_all`."""
    entries = _group(which).entries
    with _LOCK:
        for entry in entries:
            if not any(e is entry for e in _WANTED):
                _WANTED.append(entry)
        if _pending():
            _install_hook()
    for module in dict.fromkeys(e.module for e in entries):
        if module in sys.modules:
            importlib.import_module(module)  # waits while another thread is still importing it
            _apply_ready(module)


def _pending() -> list[Entry]:
    done = {id(a.entry) for a in _APPLIED}
    return [e for e in _WANTED if id(e) not in done]


def _apply_ready(module: str) -> None:
    """Apply every requested, not yet applied entry whose module is ``module`` (now fully imported)."""
    with _LOCK:
        for entry in _pending():
            if entry.module == module:
                _apply_one(entry)
        if not _pending():
            _remove_hook()


def _apply_one(entry: Entry) -> None:
    if isinstance(entry, Registration):
        _APPLIED.append(_Applied(entry, installed=entry.add()))
        return
    owner, name = _resolve(entry)
    if entry.key is not None:
        previous = owner.get(name, MISSING)
        if entry.signature is None and previous is not MISSING:
            return  # moto has it now: keep moto's (check() reports it)
        current = previous
    else:
        previous = _own(owner, name)
        current = getattr(owner, name, MISSING)
        if entry.signature is None and current is not MISSING:
            return  # moto implements it now: keep moto's (check() reports it)
    for below in _APPLIED:
        if below.owner is owner and below.name == name and below.entry.group != entry.group \
                and below.entry.group not in entry.stacks_on:
            raise PatchConflict(
                f"{entry.label}: {entry.group!r} would wrap {below.entry.group!r}'s patch; "
                f"declare stacks_on=({below.entry.group!r},) if that is meant"
            )
    value = entry.wrap(current) if entry.wrap is not None else entry.replacement
    if entry.key is not None:
        owner[name] = value
    else:
        setattr(owner, name, value)
    _APPLIED.append(_Applied(entry, owner, name, previous, value))


def undo_all() -> None:
    """Undo every applied change, newest first, restoring the exact original objects; forget pending ones."""
    errors = []
    with _LOCK:
        while _APPLIED:
            record = _APPLIED.pop()
            try:
                _undo(record)
            except Exception as err:  # keep going: the rest must be restored all the same
                errors.append(f"{record.entry.label}: {err!r}")
        _WANTED.clear()
        _remove_hook()
    if errors:
        raise RuntimeError("could not undo: " + "; ".join(errors))


def _undo(record: _Applied) -> None:
    entry = record.entry
    if isinstance(entry, Registration):
        entry.remove(record.installed)
        return
    owner, name = record.owner, record.name
    if isinstance(entry, Patch) and entry.key is not None:
        if record.previous is MISSING:
            owner.pop(name, None)
        else:
            owner[name] = record.previous
    elif record.previous is MISSING:
        if name in vars(owner):
            delattr(owner, name)
    else:
        setattr(owner, name, record.previous)


def renew(which: Group | str) -> None:
    """Register a group's applied :class:`Registration` entries again (moto's reset empties its registries)."""
    name = _group(which).name
    with _LOCK:
        for record in _APPLIED:
            if isinstance(record.entry, Registration) and record.entry.group == name:
                record.installed = record.entry.add()


def active(which: Group | str) -> bool:
    """True when the group was requested by :func:`apply` (applied, or waiting for its module's import)."""
    name = _group(which).name
    with _LOCK:
        return any(e.group == name for e in _WANTED)


def applied() -> list[tuple[str, str]]:
    """(group, label) of every change in force, in the order applied."""
    with _LOCK:
        return [(a.entry.group, a.entry.label) for a in _APPLIED]


# -- the import hook --------------------------------------------------------------------------------------------
class _Loader(importlib.abc.Loader):
    """Runs the real loader, then applies what waited for this module."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return self._loader.create_module(spec)  # type: ignore[no-any-return]

    def exec_module(self, module: types.ModuleType) -> None:
        module.__loader__ = self._loader  # the module keeps its real loader (tracebacks, inspect)
        if module.__spec__ is not None:
            module.__spec__.loader = self._loader
        self._loader.exec_module(module)
        _apply_ready(module.__name__)


class _Finder(importlib.abc.MetaPathFinder):
    """On sys.meta_path only while some requested patch waits for its module."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        # No lock here: this runs inside other imports, and a wrapped loader that finds nothing to apply is harmless.
        if not any(e.module == fullname for e in _pending()):
            return None
        for finder in list(sys.meta_path):
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        if spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _Loader(spec.loader)
        return spec  # type: ignore[no-any-return]


_FINDER = _Finder()


def _install_hook() -> None:
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def _remove_hook() -> None:
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)


# -- checking and documenting -----------------------------------------------------------------------------------
def _callable_of(value: Any) -> Any:
    return value.__func__ if isinstance(value, staticmethod | classmethod) else value


def original(entry: Patch) -> Any:
    """moto's own value of what ``entry`` patches (imports its module), MISSING when moto lacks it."""
    owner, name = _resolve(entry)
    with _LOCK:
        first = next((a for a in _APPLIED if a.owner is owner and a.name == name), None)
    if entry.key is not None:
        return first.previous if first is not None else owner.get(name, MISSING)
    if first is None:
        return getattr(owner, name, MISSING)
    if first.previous is not MISSING:
        return _callable_of(first.previous)
    return _callable_of(_inherited(owner, name))


def check(which: Iterable[Group | str] | None = None) -> list[str]:
    """Every declared patch whose moto original does not have the pinned signature (empty: all match).

    Imports the patched moto modules. A patch with ``signature=None`` adds something: it is a mismatch if moto
    has it.
    """
    chosen = [_group(g) for g in which] if which is not None else list(_GROUPS.values())
    problems = []
    for grp in chosen:
        for entry in grp.entries:
            if not isinstance(entry, Patch):
                continue
            try:
                found = original(entry)
            except (ImportError, AttributeError) as err:
                problems.append(f"{entry.label} ({grp.name}): cannot resolve: {err}")
                continue
            if entry.signature is None:
                if found is not MISSING:
                    problems.append(f"{entry.label} ({grp.name}): moto has it now; the patch would add it")
                continue
            if found is MISSING:
                problems.append(f"{entry.label} ({grp.name}): moto no longer has it")
                continue
            try:
                params = list(inspect.signature(_callable_of(found)).parameters)
            except (TypeError, ValueError) as err:
                problems.append(f"{entry.label} ({grp.name}): no signature: {err}")
                continue
            if params != list(entry.signature):
                problems.append(f"{entry.label} ({grp.name}): moto's signature is {params}, pinned {list(entry.signature)}")
    return problems


TABLE_BEGIN = "<!-- patch-table:begin (generated: python -m lab_support patches --write docs/SEAMS.md) -->"
TABLE_END = "<!-- patch-table:end -->"


def markdown_table() -> str:
    """The table "which moto attribute is patched by whom" of docs/SEAMS.md, from the registry.

    Rows by group name, then in each group's declaration order (which is also its application order).
    """
    lines = [
        "| moto attribute | patched by | moto's signature | what changes |",
        "|---|---|---|---|",
    ]
    for name in sorted(_GROUPS):
        for entry in _GROUPS[name].entries:
            if isinstance(entry, Registration):
                signature = "registration"
            elif entry.signature is None:
                signature = "(added)"
            else:
                signature = f"`({', '.join(entry.signature)})`"
            stack = f" (wraps {', '.join(entry.stacks_on)})" if isinstance(entry, Patch) and entry.stacks_on else ""
            why = entry.why.replace("|", "\\|")
            lines.append(f"| `{entry.label}` | {name}{stack} | {signature} | {why} |")
    return "\n".join(lines) + "\n"


def table_in(text: str) -> str:
    """The generated table between the markers in a document's text ("" when the markers are missing)."""
    if TABLE_BEGIN not in text or TABLE_END not in text:
        return ""
    return text.split(TABLE_BEGIN, 1)[1].split(TABLE_END, 1)[0].strip("\n") + "\n"


def with_table(text: str) -> str:
    """``text`` with the generated table between the markers (appended with them when absent)."""
    block = f"{TABLE_BEGIN}\n{markdown_table()}{TABLE_END}"
    if TABLE_BEGIN in text and TABLE_END in text:
        head, rest = text.split(TABLE_BEGIN, 1)
        return head + block + rest.split(TABLE_END, 1)[1]
    return text.rstrip("\n") + "\n\n" + block + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m lab_support patches [--markdown | --write FILE | --check]``."""
    parser = argparse.ArgumentParser(prog="python -m lab_support patches", description=main.__doc__)
    parser.add_argument("--markdown", action="store_true", help="print the patch table (markdown)")
    parser.add_argument("--write", metavar="FILE", help="replace the table between the markers in FILE")
    parser.add_argument("--check", action="store_true", help="print signature mismatches (exit 1 if any)")
    parser.add_argument("--load", default="lab_support", help="module whose import declares the groups")
    args = parser.parse_args(argv)
    importlib.import_module(args.load)  # run time only: core imports nothing above it
    if args.write:
        path = Path(args.write)
        path.write_text(with_table(path.read_text()))
    if args.check:
        problems = check()
        print("\n".join(problems) or "every pinned signature matches")
        return 1 if problems else 0
    if args.markdown or not args.write:
        print(markdown_table(), end="")
    return 0

