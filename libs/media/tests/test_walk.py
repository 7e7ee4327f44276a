"""The library walk: which files it finds, what it skips and what it reports as a problem."""

from __future__ import annotations

import os

from riverhost_media import WalkedFile, WalkOptions, WalkProblem, walk


def _touch(path, data=b"x"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _found(roots, options=None):
    items = list(walk([str(r) for r in roots], options))
    files = [item for item in items if isinstance(item, WalkedFile)]
    problems = [item for item in items if isinstance(item, WalkProblem)]
    return files, problems


def test_walk_finds_video_files_and_skips_hidden_excluded_and_other_files(tmp_path):
    _touch(tmp_path / "The.Matrix.1999.1080p.BluRay.x264-GROUP.mkv", b"12345")
    _touch(tmp_path / "Amélie (2001)" / "Amélie (2001).MP4")
    _touch(tmp_path / "Amélie (2001)" / "Amélie (2001).srt")
    _touch(tmp_path / ".hidden" / "Secret.2000.mkv")
    _touch(tmp_path / ".Hidden.File.2000.mkv")
    _touch(tmp_path / "@eaDir" / "Thumb.2000.mkv")
    _touch(tmp_path / ".Trash-1000" / "Gone.2000.mkv")

    files, problems = _found([tmp_path])

    names = sorted(os.path.relpath(f.path, tmp_path) for f in files)
    assert names == [
        "Amélie (2001)/Amélie (2001).MP4",
        "The.Matrix.1999.1080p.BluRay.x264-GROUP.mkv",
    ]
    matrix = next(f for f in files if f.path.endswith(".mkv"))
    assert matrix.size == 5
    assert matrix.mtime_ns == os.stat(matrix.path).st_mtime_ns
    assert problems == []


def test_a_missing_root_is_a_problem_of_that_root_only(tmp_path):
    good = tmp_path / "good"
    _touch(good / "Inception.2010.mkv")
    missing = tmp_path / "not-there"

    files, problems = _found([missing, good])

    assert [os.path.basename(f.path) for f in files] == ["Inception.2010.mkv"]
    assert [(p.root, p.message, p.root_failed) for p in problems] == [
        (str(missing), "library path does not exist", True)
    ]


def test_symlinks_are_skipped_unless_followed_and_a_loop_ends(tmp_path):
    library = tmp_path / "library"
    _touch(library / "Real.2001.mkv")
    elsewhere = _touch(tmp_path / "elsewhere" / "Linked.2002.mkv")
    (library / "linked.mkv").symlink_to(elsewhere)
    (library / "loop").symlink_to(library, target_is_directory=True)
    (library / "dangling.mkv").symlink_to(tmp_path / "nothing.mkv")

    plain, plain_problems = _found([library])
    followed, problems = _found([library], WalkOptions(follow_symlinks=True))

    assert [os.path.basename(f.path) for f in plain] == ["Real.2001.mkv"]
    assert plain_problems == []
    assert sorted(os.path.basename(f.path) for f in followed) == ["Real.2001.mkv", "linked.mkv"]
    assert [os.path.basename(p.path) for p in problems] == ["dangling.mkv"]
    assert "cannot read file" in problems[0].message


def test_an_unreadable_folder_is_counted_and_the_walk_goes_on(tmp_path, monkeypatch):
    _touch(tmp_path / "a" / "Fine.2001.mkv")
    _touch(tmp_path / "b" / "Locked.2001.mkv")
    real_scandir = os.scandir

    def scandir(path):
        if os.fspath(path).endswith("/b"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)

    files, problems = _found([tmp_path])

    assert [os.path.basename(f.path) for f in files] == ["Fine.2001.mkv"]
    assert len(problems) == 1
    assert problems[0].path.endswith("/b")
    assert "Permission denied" in problems[0].message
    assert not problems[0].root_failed
