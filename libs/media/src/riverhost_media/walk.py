"""The library walk: every video file under a set of roots, found with one ``stat`` each.

:func:`walk` yields :class:`WalkedFile` for each video file and :class:`WalkProblem` for each
entry it could not read, as it goes (nothing is collected, so memory stays flat however large
the library). The rules are the seeds' (``content/shared/scanner``): video extensions only,
hidden files and folders skipped unless asked, folders matching an exclude pattern skipped,
symlinks skipped unless followed, and a followed symlink that leads back to a folder already
being walked skipped (a loop). Unlike the seeds, unreadable entries below a root are reported,
not dropped silently; a root that does not exist or cannot be read is a problem of that root
only (``WalkProblem.root_failed``), and the walk goes on with the next root. This module does
not parse names or touch a database.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

__all__ = [
    "DEFAULT_EXCLUDES",
    "VIDEO_EXTENSIONS",
    "WalkOptions",
    "WalkProblem",
    "WalkedFile",
    "is_video",
    "walk",
]

#: The seeds' video extensions, movie and TV alike.
VIDEO_EXTENSIONS = frozenset(
    {
        ".mp4",
        ".mkv",
        ".avi",
        ".mov",
        ".wmv",
        ".flv",
        ".webm",
        ".m4v",
        ".mpg",
        ".mpeg",
        ".3gp",
        ".ts",
        ".m2ts",
        ".vob",
        ".ogv",
    }
)

#: Folder names never walked (glob patterns): NAS recycle bins, thumbnails, OS clutter.
DEFAULT_EXCLUDES = (
    ".Trash*",
    ".recycle*",
    "@eaDir",
    ".DS_Store",
    "#recycle",
    "$RECYCLE.BIN",
    "System Volume Information",
    "lost+found",
)


def is_video(path: str) -> bool:
    """Whether ``path`` has a video extension (case-insensitive)."""
    return os.path.splitext(path)[1].lower() in VIDEO_EXTENSIONS


@dataclass(frozen=True, slots=True)
class WalkOptions:
    """How to walk: which entries to skip and whether to follow symlinks."""

    follow_symlinks: bool = False
    include_hidden: bool = False
    excludes: Sequence[str] = DEFAULT_EXCLUDES
    max_depth: int = 0  # 0 = unlimited


@dataclass(frozen=True, slots=True)
class WalkedFile:
    """One video file: its path (under ``root``), size and modification time."""

    root: str
    path: str
    size: int
    mtime_ns: int


@dataclass(frozen=True, slots=True)
class WalkProblem:
    """An entry the walk could not read; ``root_failed`` when it is the root itself."""

    root: str
    path: str
    message: str
    root_failed: bool = False


def walk(
    roots: Sequence[str], options: WalkOptions | None = None
) -> Iterator[WalkedFile | WalkProblem]:
    """Yield every video file under ``roots`` and every problem met, root after root."""
    options = options or WalkOptions()
    for root in roots:
        yield from _walk_root(os.path.abspath(root), options)


def _walk_root(root: str, options: WalkOptions) -> Iterator[WalkedFile | WalkProblem]:
    try:
        info = os.stat(root)
    except FileNotFoundError:
        yield WalkProblem(root, root, "library path does not exist", root_failed=True)
        return
    except OSError as exc:
        yield WalkProblem(root, root, f"cannot read library path: {exc}", root_failed=True)
        return
    if not stat.S_ISDIR(info.st_mode):
        yield WalkProblem(root, root, "library path is not a folder", root_failed=True)
        return
    # Folders on the current path (device, inode): a followed symlink into one is a loop.
    stack: list[tuple[str, int, tuple[tuple[int, int], ...]]] = [
        (root, 0, ((info.st_dev, info.st_ino),))
    ]
    while stack:
        folder, depth, ancestors = stack.pop()
        try:
            with os.scandir(folder) as entries:
                listed = list(entries)
        except OSError as exc:
            failed = folder == root
            yield WalkProblem(root, folder, f"cannot list folder: {exc}", root_failed=failed)
            continue
        listed.sort(key=lambda entry: entry.name, reverse=True)  # popped in name order
        for entry in listed:
            name = entry.name
            if name.startswith(".") and not options.include_hidden:
                continue
            try:
                is_link = entry.is_symlink()
                if is_link and not options.follow_symlinks:
                    continue
                is_dir = entry.is_dir(follow_symlinks=True)
            except OSError as exc:
                yield WalkProblem(root, entry.path, f"cannot read entry: {exc}")
                continue
            if is_dir:
                if any(fnmatch.fnmatchcase(name, pattern) for pattern in options.excludes):
                    continue
                if options.max_depth and depth + 1 > options.max_depth:
                    continue
                try:
                    target = entry.stat(follow_symlinks=True)
                except OSError as exc:
                    yield WalkProblem(root, entry.path, f"cannot read folder: {exc}")
                    continue
                key = (target.st_dev, target.st_ino)
                if key in ancestors:
                    continue  # a symlink loop: that folder is being walked already
                stack.append((entry.path, depth + 1, (*ancestors, key)))
                continue
            if os.path.splitext(name)[1].lower() not in VIDEO_EXTENSIONS:
                continue
            try:
                info = entry.stat(follow_symlinks=True)
            except OSError as exc:
                # A dangling symlink, or a file removed since the folder was listed.
                yield WalkProblem(root, entry.path, f"cannot read file: {exc}")
                continue
            if not stat.S_ISREG(info.st_mode):
                continue
            yield WalkedFile(root, entry.path, info.st_size, info.st_mtime_ns)
