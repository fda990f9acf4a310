"""Lay the collection out under <dest>/ansible_collections/gameops/pterodactyl.

ansible-test needs the collection at a path that ends in
ansible_collections/<namespace>/<name>. This copies the files git knows about (tracked, and
untracked ones that are not ignored), so the copy holds what a fresh clone would hold plus
work in progress, and nothing from .venv, .build or other ignored folders.
"""

from __future__ import annotations

import argparse
import filecmp
import pathlib
import shutil
import subprocess
import sys

NAMESPACE, NAME = "gameops", "pterodactyl"


def listed_files(repo: pathlib.Path) -> list[str]:
    """Paths git tracks plus untracked, non-ignored ones, relative to the repo."""
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=repo, check=True, capture_output=True,
    ).stdout
    return sorted({p for p in out.decode().split("\0") if p and (repo / p).is_file()})


def sync(repo: pathlib.Path, target: pathlib.Path) -> int:
    """Mirror the listed files into target; remove files that are no longer listed."""
    wanted = listed_files(repo)
    target.mkdir(parents=True, exist_ok=True)
    for rel in wanted:
        src, dst = repo / rel, target / rel
        if dst.is_file() and filecmp.cmp(src, dst, shallow=False):
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
    keep = set(wanted)
    for path in sorted(target.rglob("*"), reverse=True):
        rel = path.relative_to(target).as_posix()
        if rel.startswith("tests/output"):
            continue
        if path.is_file() and rel not in keep:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return len(wanted)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dest", help="folder that will hold ansible_collections/")
    args = parser.parse_args()
    repo = pathlib.Path(__file__).resolve().parent.parent
    target = pathlib.Path(args.dest).resolve() / "ansible_collections" / NAMESPACE / NAME
    count = sync(repo, target)
    print(f"{target} ({count} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
