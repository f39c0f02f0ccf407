"""An assignment's data as data: the folder its notebook reads, described by the ``[data]`` table of its
``assignment.toml`` and handled only through the loader the assignment ships to students.

The grader names no dataset. It finds the folder (``source_dir``), verifies it and copies it for a class
(``verify``, ``decompress_to``), hands it to kernels through the loader's environment variable (``env``),
and preloads it once per class in the kernel zygote (``preload``). The loader module provides:

* ``FILES``: the files' base names (each may also be stored ``.gz``);
* ``verify(folder, *, digests=True)`` and ``decompress_to(destination, data_dir=folder)``, both returning
  the folder and raising the loader's ``error`` class with a finding that says which file and why;
* the ``preload`` function, called as ``preload(folder_or_None, download=..., verbose=...)``.
"""
import dataclasses
import importlib.util
import os
import pathlib

from autograder.errors import GraderFault, UserError


def load_module(path):
    """The Python file ``path``, freshly imported as a module named after the file."""
    path = pathlib.Path(path)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class DataUnavailable(GraderFault):
    """The data is missing or does not match its digests (the machine's fault, never a score);
    ``finding`` is the loader's own message."""

    def __init__(self, dataset, finding):
        self.dataset, self.finding = dataset, finding
        super().__init__(f"{dataset.name}: {finding}")


@dataclasses.dataclass(frozen=True)
class Dataset:
    name: str                # what messages call it
    loader: pathlib.Path     # the assignment's loader module (released to students too)
    error: str               # the loader's exception for missing or corrupt files
    env: str                 # the environment variable naming the folder, for the loader and for kernels
    folder: str              # its folder under the course's data/ (and the build machines' ../shared/data/)
    preload: str             # the loader's function that reads the folder into its cache

    def load_loader(self):
        """The loader, freshly imported under its file's name (how the notebook imports it)."""
        return load_module(self.loader)

    def source_dir(self, data_root, shared_root):
        """The folder the tools read: ``env`` if set; else data_root/folder once filled; else the build
        machines' shared_root/folder; else data_root/folder, where it should go."""
        if os.environ.get(self.env):
            return pathlib.Path(os.environ[self.env])
        first = self.load_loader().FILES[0]
        for folder in (pathlib.Path(data_root) / self.folder, pathlib.Path(shared_root) / self.folder):
            if any((folder / f"{first}{ext}").is_file() for ext in ("", ".gz")):
                return folder
        return pathlib.Path(data_root) / self.folder

    def _checked(self, action):
        loader = self.load_loader()
        try:
            return action(loader)
        except getattr(loader, self.error) as exc:
            raise DataUnavailable(self, str(exc)) from None

    def verify(self, folder, digests=True):
        """``folder`` if it holds every file (matching its digest); else DataUnavailable."""
        return self._checked(lambda loader: loader.verify(folder, digests=digests))

    def decompress_to(self, destination, folder):
        """Verify ``folder`` and write its files, decompressed, into ``destination``; DataUnavailable."""
        return self._checked(lambda loader: loader.decompress_to(destination, data_dir=folder))


KEYS = {field.name for field in dataclasses.fields(Dataset)}


def from_table(table, assignment_folder, path):
    """The Dataset of an assignment.toml's ``[data]`` table (None if it has none); UserError naming a gap."""
    if not table:
        return None
    missing, unknown = sorted(KEYS - set(table)), sorted(set(table) - KEYS)
    if missing or unknown:
        raise UserError(f"{path}: [data] " + "; ".join(
            part for part in (f"lacks {', '.join(missing)}" if missing else "",
                              f"has unknown keys {', '.join(unknown)}" if unknown else "") if part)
            + f" (its keys: {', '.join(sorted(KEYS))}; see docs/instructor.md)")
    loader = pathlib.Path(assignment_folder) / table["loader"]
    if not loader.is_file():
        raise UserError(f"{path}: [data] names the loader {table['loader']!r}, which is not in {assignment_folder}")
    return Dataset(**{**table, "loader": loader})
