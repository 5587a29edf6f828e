"""Folders stay indexed: moves, deletions, unavailable folders, ignore rules, odd files,
parser limits, the writer lock. Real embedding model, Chroma on disk, real PDFs."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from assistant.core.catalog import UNAVAILABLE
from assistant.core.parsing import ParserProcess
from tests.helpers import FACT_PAGES, consistent, make_pdf, run

pytestmark = pytest.mark.integration



@pytest.fixture
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "library"
    (d / "sub").mkdir(parents=True)
    make_pdf(d / "survey.pdf", FACT_PAGES)
    (d / "sub" / "notes.md").write_text("# Notes\n\nOtters live in rivers and eat fish.\n")
    (d / "todo.txt").write_text("Buy walnuts and repaint the shed.\n")
    return d


def test_rename_and_folder_move_update_paths_without_embedding(services, folder: Path) -> None:
    first, _ = run(services.indexer, folder)
    vectors = services.store.ids()
    (folder / "todo.txt").rename(folder / "chores.txt")
    (folder / "sub").rename(folder / "moved")
    summary, _ = run(services.indexer, folder)
    assert (summary.moved, summary.embedded_chunks, summary.removed) == (2, 0, 0)
    assert services.store.ids() == vectors
    hit = services.retriever.search("otters rivers", 1)[0]
    assert hit.path == str(folder / "moved" / "notes.md")
    assert consistent(services)


def test_a_moved_file_and_its_copy_one_moves_the_other_is_indexed(services,
                                                                  folder: Path) -> None:
    """Both new files have the content of the vanished one: the first takes its passages
    (moved), the second is parsed and embedded (the reader kept its bytes for this case)."""
    run(services.indexer, folder)
    content = (folder / "todo.txt").read_bytes()
    (folder / "todo.txt").rename(folder / "chores.txt")
    (folder / "copy.txt").write_bytes(content)
    summary, failures = run(services.indexer, folder)
    assert failures == {} and (summary.moved, summary.added, summary.removed) == (1, 1, 0)
    paths = {hit.path for hit in services.retriever.search("walnuts repaint shed", 5)}
    assert {str(folder / "chores.txt"), str(folder / "copy.txt")} <= paths
    assert consistent(services)


def test_unplugged_folder_is_kept_then_comes_back(services, tmp_path: Path) -> None:
    drive = tmp_path / "media" / "usb"
    folder = drive / "library"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "notes.md").write_text("# Notes\n\nOtters live in rivers and eat fish.\n")
    (folder / "todo.txt").write_text("Buy walnuts and repaint the shed.\n")
    run(services.indexer, folder)
    away = tmp_path / "elsewhere"
    drive.rename(away)  # unplugged: the drive's mount folder goes with it
    summary, failures = run(services.indexer, folder)
    assert failures == {"library": "unavailable"} and summary.removed == 0
    assert {r.state for r in services.catalog.files()} == {UNAVAILABLE}
    assert services.retriever.search("otters", 1)[0].path.endswith("notes.md")
    away.rename(drive)  # plugged back in
    summary, failures = run(services.indexer, folder)
    assert failures == {} and summary.embedded_chunks == 0 and summary.unchanged == 2
    assert services.status()["unavailable"] == []


def test_deleted_root_leaves_the_index(services, folder: Path, tmp_path: Path) -> None:
    """Its parent folder is still there, on the same file system: deleted, not unplugged."""
    import shutil

    run(services.indexer, folder)
    note = tmp_path / "note.md"
    note.write_text("# Note\n\nThe heron nests by the lake.\n")
    run(services.indexer, note)
    shutil.rmtree(folder)
    note.unlink()
    summary, failures = run(services.indexer, folder, note)
    assert failures == {} and summary.removed == 4
    assert services.catalog.files() == [] and consistent(services)
    summary, failures = run(services.indexer, folder)  # now it is just a wrong path
    assert failures == {"library": "not-found"}


def test_folder_that_cannot_be_listed_keeps_its_files(services, folder: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A permission change or a network hiccup on a subfolder must not purge and later
    re-embed its files (root ignores permissions, so the listing failure is simulated)."""
    run(services.indexer, folder)
    vectors = services.store.ids()
    real_scandir = os.scandir
    blocked = str(folder / "sub")

    def scandir(path):  # noqa: ANN001, ANN202
        if os.fspath(path) == blocked:
            raise PermissionError(13, "Permission denied", blocked)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    summary, _ = run(services.indexer, folder)
    assert summary.removed == 0
    assert services.catalog.file(str(folder / "sub" / "notes.md")).state == UNAVAILABLE
    monkeypatch.setattr(os, "scandir", real_scandir)
    summary, _ = run(services.indexer, folder)
    assert summary.embedded_chunks == 0 and summary.removed == 0
    assert services.store.ids() == vectors
    assert services.status()["unavailable"] == []


def test_ignore_rules(services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    d = tmp_path / "proj"
    for sub in (".git", "node_modules/pkg", ".hidden", "venv", "drafts", "keep"):
        (d / sub).mkdir(parents=True)
    (d / "venv" / "pyvenv.cfg").write_text("home = /usr\n")
    for rel in (".git/notes.txt", "node_modules/pkg/readme.md", ".hidden/a.txt", "venv/x.txt",
                ".env", "secrets.txt.env", "id_rsa", "drafts/wip.md", "keep/scratch.log",
                "keep/real.md", "top.txt", ".dotfile.txt"):
        (d / rel).write_text(f"content of {rel} with the word kumquat\n")
    (d / ".assistantignore").write_text("drafts/\n")
    (d / "keep" / ".assistantignore").write_text("*.log\n")
    summary, _ = run(services.indexer, d)
    indexed = sorted(Path(r.path).relative_to(d).as_posix() for r in services.catalog.files())
    assert indexed == ["keep/real.md", "top.txt"]


def test_user_patterns_and_sensitive_home(tmp_path: Path) -> None:
    from assistant.core.ignore import IgnoreRules
    from assistant.core.scanner import FoundFile, scan

    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "config.txt").write_text("Host x")
    (home / "docs").mkdir()
    (home / "docs" / "a.md").write_text("a")
    (home / "docs" / "b.csv").write_text("b")
    rules = IgnoreRules(skip_hidden=False, patterns=["*.csv"], home=home)
    found = [Path(f.path).name for f in scan([home], rules) if isinstance(f, FoundFile)]
    assert found == ["a.md"]


def test_symlink_loop_and_odd_names(services, tmp_path: Path) -> None:
    d = tmp_path / "odd"
    deep = d / "/".join(["a-rather-long-folder-name"] * 12)
    deep.mkdir(parents=True)
    (deep / "deep.txt").write_text("A file at the bottom of a very long path about quinces.\n")
    assert len(str(deep / "deep.txt")) > 300
    (d / "loop").symlink_to(d, target_is_directory=True)
    (d / "empty.txt").write_bytes(b"")
    if sys.platform.startswith("linux"):
        raw = os.fsencode(str(d)) + b"/caf\xe9-latin1-name.txt"
        with open(raw, "wb") as f:
            f.write("Notes about the caf\u00e9 menu: lentil soup.\n".encode("latin-1"))
    summary, failures = run(services.indexer, d)
    assert failures == {}
    expected = 3 if sys.platform.startswith("linux") else 2
    assert summary.added == expected  # each file once despite the loop
    names = {r.key.rsplit("/", 1)[-1] for r in services.catalog.files()}
    if sys.platform.startswith("linux"):
        assert "caf\\xe9-latin1-name.txt" in names
        hit = services.retriever.search("lentil soup menu", 1)[0]
        assert hit.path.endswith("caf\\xe9-latin1-name.txt")
        # the file can be found again on disk from the catalog: unchanged on a re-run
        again, _ = run(services.indexer, d)
        assert again.unchanged == expected and again.embedded_chunks == 0
    assert consistent(services)


def test_file_changing_while_read(services, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    import assistant.core.indexer as indexer_module

    f = tmp_path / "growing.txt"
    f.write_text("Log line one about pelicans.\n")
    looks = {"n": 0}

    def stat(path, *args, **kwargs):  # noqa: ANN001, ANN202
        st = os.stat(path, *args, **kwargs)
        if str(path) != str(f):
            return st
        looks["n"] += 1  # a writer appends between every read and every look at the file
        return types.SimpleNamespace(st_size=st.st_size + looks["n"], st_mtime_ns=st.st_mtime_ns)

    busy_os = types.SimpleNamespace(**{k: getattr(os, k) for k in dir(os)
                                       if not k.startswith("__")})
    busy_os.stat = stat
    monkeypatch.setattr(indexer_module, "os", busy_os)
    summary, failures = run(services.indexer, f)
    assert failures == {"growing.txt": "changing"} and looks["n"] == 3
    monkeypatch.setattr(indexer_module, "os", os)  # the writer stopped
    summary, failures = run(services.indexer, f)
    assert failures == {} and summary.added == 1


def test_parser_limits(tmp_path: Path) -> None:
    from assistant.core.errors import LoaderError

    big = tmp_path / "huge.txt"
    big.write_bytes("é".encode() * 20_000_000)  # 40 MB: decoding needs far more than 64 MB
    small = tmp_path / "small.txt"
    small.write_text("still fine")
    parser = ParserProcess(timeout_s=60, memory_mb=64)
    try:
        if sys.platform.startswith("linux"):
            with pytest.raises(LoaderError) as err:
                parser.parse(str(big), big.read_bytes())
            assert err.value.reason == "too-much-memory"
        assert "still fine" in parser.parse(str(small), small.read_bytes()).sections[0].text
        slow = ParserProcess(timeout_s=0.05, memory_mb=2048)
        with pytest.raises(LoaderError) as err:
            slow.parse(str(big), "é".encode("latin-1") * 20_000_000)  # charset detection: slow
        assert err.value.reason == "timeout"
        slow.close()
    finally:
        parser.close()


def test_frozen_app_serves_as_its_own_parser_child(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """In a bundle, sys.executable is the app: it is started with the child flag and its
    entry point (assistant.cli.main) serves the parser."""
    from assistant.core import parsing

    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert parsing.child_command(1024)[1:] == [parsing.CHILD_FLAG, "1024"]
    monkeypatch.delattr(sys, "frozen")
    repo = str(Path(__file__).resolve().parent.parent)
    app = [sys.executable, "-I", "-c",  # stands in for the frozen executable
           f"import sys; sys.path.append({repo!r}); from assistant.cli import main; "
           "sys.exit(main(sys.argv[1:]))"]
    monkeypatch.setattr(parsing, "child_command",
                        lambda memory: [*app, parsing.CHILD_FLAG, str(memory)])
    note = tmp_path / "note.md"
    note.write_text("# Title\n\nParsed by the app itself.\n")
    parser = ParserProcess(timeout_s=60, memory_mb=512)
    try:
        document = parser.parse(str(note), note.read_bytes())
    finally:
        parser.close()
    assert "Parsed by the app itself." in document.sections[0].text


def test_bad_files_in_a_folder_do_not_stop_the_rest(services, tmp_path: Path) -> None:
    d = tmp_path / "mixed"
    d.mkdir()
    (d / "bomb.pdf").write_bytes(b"%PDF-1.4\n" + b"1 0 obj << /Kids [1 0 R] >> endobj\n" * 50)
    (d / "big.log").write_bytes(b"x" * (2 * 1024 * 1024))
    (d / "fine.md").write_text("# Fine\n\nThis one mentions aardvarks.\n")
    services.indexer.max_file_bytes = 1024 * 1024
    summary, failures = run(services.indexer, d)
    assert failures["big.log"] == "too-large"
    assert "bomb.pdf" in failures
    assert summary.added == 1
    assert consistent(services)


def test_second_writer_gets_a_clear_message(services, tmp_path: Path) -> None:
    import subprocess

    services.indexer  # takes the writer lock  # noqa: B018
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt").write_text("hello")
    proc = subprocess.run([sys.executable, "-m", "assistant", "index", str(tmp_path / "d")],
                          capture_output=True, text=True, env={**os.environ}, timeout=120)
    assert proc.returncode == 1
    assert "already indexing" in proc.stderr and "Traceback" not in proc.stderr


def test_failed_file_is_retried_only_when_it_changes(services, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    d = tmp_path / "retry"
    d.mkdir()
    bad = d / "report.pdf"
    bad.write_bytes(b"%PDF-1.4 broken")
    calls = {"n": 0}
    real_parse = services.indexer.parser.parse

    def counting_parse(path, data, cancel=None):  # noqa: ANN001, ANN202
        calls["n"] += 1
        return real_parse(path, data, cancel)

    monkeypatch.setattr(services.indexer.parser, "parse", counting_parse)
    assert run(services.indexer, d)[1] == {"report.pdf": "corrupt"}
    assert run(services.indexer, d)[1] == {"report.pdf": "corrupt"}  # reported again ...
    assert calls["n"] == 1  # ... without parsing it again
    make_pdf(bad, ["Fixed now: a report about beavers."])
    summary, failures = run(services.indexer, d)
    assert failures == {} and summary.added == 1 and calls["n"] == 2


def test_rename_over_an_indexed_file_leaves_no_orphan_vectors(services, folder: Path) -> None:
    run(services.indexer, folder)
    (folder / "todo.txt").replace(folder / "sub" / "notes.md")  # same content, new place
    summary, _ = run(services.indexer, folder)
    assert summary.moved == 1
    assert consistent(services)  # the replaced record's vectors left with it
    (folder / "sub").rename(folder / "old")
    (folder / "sub2").mkdir()
    (folder / "sub2" / "notes.md").write_text("A different note about badgers.\n")
    run(services.indexer, folder)
    count, stale = services.catalog.move_folder(str(folder / "old"), str(folder / "sub2"))
    services.store.delete(stale)
    assert count == 1 and stale and consistent(services)


def test_planted_parser_modules_in_the_indexed_folder_never_run(tmp_path: Path) -> None:
    """`assistant index .` inside a Python project with a docx.py (or pypdf.py, ...)."""
    import subprocess

    project = tmp_path / "project"
    project.mkdir()
    marker = tmp_path / "planted-code-ran"
    for name in ("docx", "pypdf", "charset_normalizer"):
        (project / f"{name}.py").write_text(
            f"open({str(marker)!r}, 'a').write('{name} ')\nraise SystemExit(1)\n")
    make_pdf(project / "report.pdf", FACT_PAGES[:2])
    (project / "notes.txt").write_bytes("Café notes in Latin-1, ça va.\n".encode("latin-1"))
    env = {**os.environ, "ASSISTANT_HOME": str(tmp_path / "home")}
    script = Path(sys.executable).parent / "assistant"  # the command a user types
    command = [str(script)] if script.is_file() else [sys.executable, "-P", "-m", "assistant"]
    proc = subprocess.run([*command, "index", "--json", "."],
                          cwd=project, env=env, capture_output=True, text=True, timeout=300)
    assert not marker.exists(), marker.read_text()
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["failed"] == 0 and summary["added"] == 5, proc.stderr


def test_data_dir_and_its_files_are_private(services, folder: Path, tmp_path: Path) -> None:
    import stat

    run(services.indexer, folder)
    data = services.data_dir
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    catalog = services.active.dir / "catalog.sqlite3"
    assert stat.S_IMODE(catalog.stat().st_mode) & 0o077 == 0
    # A data dir left readable by an older version is tightened on the next start.
    old = tmp_path / "old-data"
    (old / "indexes").mkdir(parents=True)
    (old / "indexes" / "catalog.sqlite3").write_text("x")
    os.chmod(old, 0o755)
    os.chmod(old / "indexes" / "catalog.sqlite3", 0o644)
    from assistant.services import private_dir

    private_dir(old)
    assert stat.S_IMODE(old.stat().st_mode) == 0o700
    assert stat.S_IMODE((old / "indexes" / "catalog.sqlite3").stat().st_mode) == 0o600


def test_symlinks_do_not_smuggle_in_sensitive_files(tmp_path: Path) -> None:
    from assistant.core.ignore import IgnoreRules
    from assistant.core.scanner import FoundFile, scan

    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "config").write_text("Host secret-server\n")
    (home / ".ssh" / "id_ed25519").write_text("PRIVATE KEY\n")
    notes = home / "notes"
    notes.mkdir()
    (notes / "ok.txt").write_text("fine\n")
    (notes / "keys").symlink_to(home / ".ssh")  # a folder link into ~/.ssh
    (notes / "server.txt").symlink_to(home / ".ssh" / "config")  # a file link
    (notes / "backup.txt").symlink_to(home / ".ssh" / "id_ed25519")
    rules = IgnoreRules(home=home)
    found = {Path(i.path).name for i in scan([notes], rules) if isinstance(i, FoundFile)}
    assert found == {"ok.txt"}
    named = list(scan([notes / "server.txt", notes / "keys"], rules))
    assert not [i for i in named if isinstance(i, FoundFile)]


def test_a_huge_file_without_line_breaks_takes_seconds_and_says_why(services, tmp_path: Path
                                                                      ) -> None:
    import json as _json

    d = tmp_path / "logs"
    d.mkdir()
    (d / "bundle.min.js").write_bytes(b"var a=1;" * (60 * 1024 * 1024 // 8))  # 60 MB, 1 line
    long_line = "word " * 30_000  # 150,000 characters on one line: kept, in bounded chunks
    (d / "export.txt").write_text("Title line\n" + long_line + "\nThe end.\n")
    summary, failures = run(services.indexer, d)
    assert failures == {"bundle.min.js": "machine-generated"}
    assert summary.added == 1
    record = services.catalog.file(str(d / "bundle.min.js"))
    assert record.state == "failed" and "no line" in record.error
    longest = max(len(c.text) for c in services.catalog.chunks_of(
        services.catalog.file(str(d / "export.txt")).id))
    assert longest <= 8 * 200
    hits = services.search("word word", 1)
    assert len(_json.dumps([h.to_json(1) for h in hits])) < 10_000


# Links, odd names (security review, issue 22) -----------------------------------------------

TOKEN = "ghp_TokenFromHostsYml0123456789"


@pytest.fixture
def user_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home folder holding the GitHub CLI's token in a hidden folder, and a diary."""
    home = tmp_path / "user"
    (home / ".config" / "gh").mkdir(parents=True)
    (home / ".config" / "gh" / "hosts.yml").write_text(
        f"github.com:\n    user: me\n    oauth_token: {TOKEN}\n")
    (home / "Documents").mkdir()
    (home / "Documents" / "diary.txt").write_text("Dear diary, a marmot ate my sandwich.\n")
    monkeypatch.setenv("HOME", str(home))
    return home


def linked_library(tmp_path: Path, home: Path) -> Path:
    library = tmp_path / "library"
    library.mkdir()
    (library / "readme.md").write_text("# Readme\n\nThis project builds birdhouses.\n")
    (library / "ci.yml").symlink_to(home / ".config" / "gh" / "hosts.yml")
    (library / "vendor").symlink_to(home, target_is_directory=True)
    return library


def indexed_names(services, base: Path) -> list[str]:  # noqa: ANN001
    return sorted(Path(r.path).relative_to(base).as_posix() for r in services.catalog.files())


def leaked(services, word: str) -> list[str]:  # noqa: ANN001
    return [p.path for p in services.search(word, 10) if word.lower() in p.text.lower()]


def test_links_in_a_folder_bring_in_no_hidden_or_outside_files(services, user_home: Path,
                                                               tmp_path: Path) -> None:
    """ci.yml -> ~/.config/gh/hosts.yml and vendor -> ~ inside an indexed folder: neither is
    followed (the default: links leaving the folder are not), named or walked."""
    library = linked_library(tmp_path, user_home)
    summary, failures = run(services.indexer, library)
    assert failures == {} and summary.added == 1
    assert indexed_names(services, library) == ["readme.md"]
    assert leaked(services, TOKEN) == [] and leaked(services, "marmot") == []
    # Named explicitly (a drop of the folder's files): each is refused, with its reason.
    summary, failures = run(services.indexer, library / "ci.yml", library / "vendor")
    assert failures == {"ci.yml": "link-to-a-hidden-location",
                        "vendor": "link-to-the-home-folder"}
    assert indexed_names(services, library) == ["readme.md"]
    assert leaked(services, TOKEN) == [] and leaked(services, "marmot") == []


def test_allowed_links_reach_an_outside_folder_but_never_a_hidden_one(services, user_home: Path,
                                                                      tmp_path: Path) -> None:
    outside = tmp_path / "shared"
    outside.mkdir()
    (outside / "recipes.txt").write_text("Rhubarb crumble needs oats and brown sugar.\n")
    library = linked_library(tmp_path, user_home)
    (library / "shared").symlink_to(outside, target_is_directory=True)
    (library / "gh").symlink_to(user_home / ".config" / "gh", target_is_directory=True)
    (library / "config").symlink_to(user_home / ".config", target_is_directory=True)
    (library / "up").symlink_to(tmp_path, target_is_directory=True)  # holds the library
    services.rules.follow_links = True  # indexing.follow_links in the settings
    summary, failures = run(services.indexer, library)
    assert failures == {}
    assert indexed_names(services, library) == ["readme.md", "shared/recipes.txt"]
    assert leaked(services, "rhubarb") == [str(library / "shared" / "recipes.txt")]
    assert leaked(services, TOKEN) == [] and leaked(services, "marmot") == []


def test_links_into_the_data_folder_or_another_users_home_are_refused(
        services, user_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.core import ignore

    bob = tmp_path / "bob"
    bob.mkdir()
    (bob / "letter.txt").write_text("Bob writes to the tax office about walnuts.\n")
    monkeypatch.setattr(ignore, "account_homes", lambda: [str(bob), str(user_home)],
                        raising=False)
    services.indexer  # the data folder now holds an index  # noqa: B018
    (services.data_dir / "exported.txt").write_text("Exported chat about a walnut tart.\n")
    library = tmp_path / "library"
    library.mkdir()
    (library / "readme.md").write_text("# Readme\n\nThis project builds birdhouses.\n")
    (library / "bob").symlink_to(bob, target_is_directory=True)
    (library / "letter.txt").symlink_to(bob / "letter.txt")
    (library / "index").symlink_to(services.data_dir, target_is_directory=True)
    services.rules.follow_links = True
    summary, failures = run(services.indexer, library)
    assert failures == {} and indexed_names(services, library) == ["readme.md"]
    summary, failures = run(services.indexer, library / "letter.txt", library / "index")
    assert failures == {"letter.txt": "link-into-another-home", "index": "link-to-assistant-data"}
    # Walking a folder that holds the data folder (no link) skips it as well.
    run(services.indexer, services.data_dir.parent)
    assert leaked(services, "walnut") == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="byte names: Linux")
def test_a_raw_byte_and_its_written_escape_are_two_files(services, tmp_path: Path) -> None:
    """caf<0xff>.txt and caf\\xff.txt (a backslash, an x, two letters) are two files: both
    searchable, and neither re-embedded by the next run."""
    d = tmp_path / "pair"
    d.mkdir()
    with open(os.fsencode(str(d)) + b"/caf\xff.txt", "wb") as f:
        f.write(b"The raw byte file talks about pistachio ice cream.\n")
    (d / "caf\\xff.txt").write_text("The escaped name file talks about hazelnut biscuits.\n")
    summary, failures = run(services.indexer, d)
    assert failures == {} and summary.added == 2
    assert len(services.catalog.files()) == 2
    assert leaked(services, "pistachio") and leaked(services, "hazelnut")
    again, _ = run(services.indexer, d)
    assert (again.unchanged, again.embedded_chunks) == (2, 0)
    assert consistent(services)


def test_forgetting_a_name_ending_in_a_backslash_forgets_only_it(services,
                                                                  tmp_path: Path) -> None:
    d = tmp_path / "names"
    (d / "data").mkdir(parents=True)
    (d / "data" / "keep.txt").write_text("Keep this note about badgers.\n")
    (d / "data\\").mkdir()
    (d / "data\\" / "voles.txt").write_text("A folder whose name ends in a backslash.\n")
    run(services.indexer, d)
    assert services.indexer.forget(d / "data\\") == 1
    assert indexed_names(services, d) == ["data/keep.txt"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="byte names: Linux")
def test_a_folder_and_a_file_named_in_latin1_can_be_indexed_by_name(services,
                                                                    tmp_path: Path) -> None:
    base = os.fsencode(str(tmp_path))
    folder = os.fsdecode(base + b"/caf\xe9")
    os.mkdir(folder)
    Path(folder, "menu.txt").write_text("Today's menu: lentil soup and rye bread.\n")
    note = os.fsdecode(base + b"/r\xe9sum\xe9.txt")
    Path(note).write_text("Worked as a lighthouse keeper in Lindesnes.\n")
    (Path(folder) / "bad.pdf").write_bytes(b"%PDF-1.4 broken")
    odd = os.fsdecode(base + b"/caf\xe9.csv.bin")  # named explicitly: of no type we read
    Path(odd).write_text("x")
    summary, failures = run(services.indexer, folder, note, odd)
    assert failures == {"bad.pdf": "corrupt", Path(odd).name: "unsupported-type"}
    assert summary.added == 2
    assert leaked(services, "lentil") and leaked(services, "lighthouse")
    again, failures = run(services.indexer, folder, note)
    assert failures == {"bad.pdf": "corrupt"}
    assert (again.unchanged, again.embedded_chunks) == (2, 0)
    assert services.indexer.forget(folder) == 2 and len(services.catalog.files()) == 2


def test_the_scanner_says_which_links_it_did_not_follow(user_home: Path, tmp_path: Path) -> None:
    """In a walk a refused link is passed over (a Skipped that is not explicit); named, it
    is reported. Links inside the folder follow the folder's own rules."""
    from assistant.core.ignore import IgnoreRules
    from assistant.core.scanner import FoundFile, Skipped, scan

    library = linked_library(tmp_path, user_home)
    (library / ".drafts").mkdir()
    (library / ".drafts" / "plan.md").write_text("secret plan\n")
    (library / "plan.md").symlink_to(library / ".drafts" / "plan.md")
    (library / "same.md").symlink_to(library / "readme.md")
    items = list(scan([library], IgnoreRules()))
    found = sorted(Path(i.path).name for i in items if isinstance(i, FoundFile))
    skipped = {Path(i.path).name: (i.reason, i.explicit) for i in items if isinstance(i, Skipped)}
    assert found == ["readme.md", "same.md"]
    assert skipped == {"ci.yml": ("link to a hidden location", False),
                       "plan.md": ("link to a hidden location", False),
                       "vendor": ("link leaves the folder", False)}
    named = {Path(i.path).name: (i.reason, i.explicit)
             for i in scan([library / "plan.md", library / "vendor"], IgnoreRules())}
    assert named == {"plan.md": ("link to a hidden location", True),
                     "vendor": ("link to the home folder", True)}


def test_a_home_folder_that_is_itself_a_link_can_be_named(tmp_path: Path) -> None:
    """/home/me -> /data/me (NFS, company machines): naming ~ is naming the home, not a link
    to it; a link inside a folder that leads to the home is still refused."""
    from assistant.core.ignore import IgnoreRules
    from assistant.core.scanner import named_reason

    real = tmp_path / "real" / "me"
    (real / "Docs").mkdir(parents=True)
    home = tmp_path / "homes" / "me"
    home.parent.mkdir()
    home.symlink_to(real, target_is_directory=True)
    rules = IgnoreRules(home=home)
    assert named_reason(home, rules) is None
    assert named_reason(home / "Docs", rules) is None
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "up").symlink_to(home, target_is_directory=True)
    assert rules.link_reason(folder / "up", folder) is not None
