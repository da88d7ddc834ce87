"""The reproducibility section: package versions, seeds, the exact command."""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path

from .model import Code, Paragraph, Section, Table, Tr

__all__ = ["repro_section", "versions"]

_PACKAGES = ("gatebound", "sympy", "numpy", "matplotlib", "typst", "pypdf", "hypothesis", "torch")


def versions() -> dict:
    """Installed versions of the packages the report depends on (missing ones left out)."""
    out = {"python": platform.python_version()}
    for p in _PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            continue
    return out


def _git_commit() -> str | None:
    root = Path(__file__).resolve().parent.parent
    try:
        proc = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root,
                              capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() or None if proc.returncode == 0 else None


def repro_section(command: str, seeds: dict, engine: str, extra=()) -> Section:
    rows = tuple((k, v) for k, v in versions().items())
    commit = _git_commit()
    if commit:
        rows += (("gatebound git commit", commit),)
    table = Table((Tr("Package", "Gói"), Tr("Version", "Phiên bản")), rows,
                  Tr("Versions used to build this report.", "Các phiên bản dùng để tạo báo cáo này."),
                  align="ll")
    seed_rows = tuple((k, str(v)) for k, v in seeds.items())
    blocks = [Paragraph((Tr("Command: ", "Lệnh: "), Code(command),
                         Tr(f". PDF engine: {engine}.", f". Bộ dịch PDF: {engine}."))), table]
    if seed_rows:
        blocks.append(Table((Tr("Random stream", "Luồng ngẫu nhiên"), Tr("Seed", "Hạt giống")),
                            seed_rows, Tr("Seeds.", "Các hạt giống ngẫu nhiên."), align="lr"))
    blocks.extend(extra)
    return Section(Tr("Reproducibility", "Khả năng tái lập"), tuple(blocks), label="sec:repro")
