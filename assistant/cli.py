"""Command line: index, ask, search, status, forget, and the first-run demo.

Errors are one line on stderr and a non-zero exit; ``--debug`` (or ASSISTANT_DEBUG=1)
shows the traceback instead.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn, TextIO

from assistant import __version__
from assistant.core.errors import AssistantError, EmptyQuestionError
from assistant.core.messages import locale_language, translate

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

SAMPLE_DOCS = Path(__file__).resolve().parent.parent / "resources" / "sample-docs"
SAMPLE_QUESTION = "How long does hot composting take to produce finished compost?"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assistant",
        description="A private assistant that answers from your documents, with sources.",
    )
    parser.add_argument("--version", action="version", version=f"assistant {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("gui", help="open the desktop window (also: no command at all)")
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                   help="files or folders to add")
    p.add_argument("--hidden", action="store_true",
                   help="start in the system tray without showing the window (at login)")

    sub.add_parser("popup", help="open the quick-ask popup of the running app (or start it "
                                 "with it); bind it to a key in your desktop's settings")

    p = sub.add_parser("index", help="index files and folders")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    p.add_argument("--json", action="store_true", help="print a JSON summary at the end")

    p = sub.add_parser("ask", help="answer a question from your documents, with sources")
    p.add_argument("question", nargs="?", help="the question (or use --batch)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--batch", metavar="FILE",
                   help="one question per line ('-' for stdin); one JSON object per line out")
    p.add_argument("-k", type=int, default=None, help="passages given to the model")
    p.add_argument("--follow-up", action="store_true",
                   help="continue the last conversation (\"And who founded it?\")")

    p = sub.add_parser("search", help="ranked passages for a query, without the model")
    p.add_argument("query", nargs="?", help="the query (or use --batch)")
    p.add_argument("-k", type=int, default=5, help="number of passages (default 5)")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.add_argument("--batch", metavar="FILE",
                   help="one query per line ('-' for stdin); one JSON list per line out")

    p = sub.add_parser("status", help="what is indexed, failures, models and locations")
    p.add_argument("--json", action="store_true")
    p.add_argument("--errors", action="store_true", help="list each failed file and why")

    p = sub.add_parser("forget", help="remove a file or folder from the index")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH")

    p = sub.add_parser("watch", help="keep folders indexed as they change (Ctrl+C stops)")
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                   help="folders to add to the watched folders (kept in config.toml)")
    p.add_argument("--polling", action="store_true",
                   help="poll instead of OS events (network drives, some containers)")
    p.add_argument("--json", action="store_true", help="one JSON object per batch")

    p = sub.add_parser("unwatch", help="stop watching folders (their files stay indexed)")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH")

    sub.add_parser("reindex",
                   help="rebuild the index for changed chunking/embedding settings, with an "
                        "estimate; the current index answers until the new one is ready")

    sub.add_parser("demo", help="index the sample documents and answer a sample question")

    p = sub.add_parser("doctor", help="what this install runs on (llama.cpp build, GPU, "
                       "models, stores, versions), to paste into a bug report")
    p.add_argument("--json", action="store_true")
    p.add_argument("--quick", action="store_true",
                   help="don't compute the model files' sha256 (their sizes are checked)")

    p = sub.add_parser("store", help="the vector store: move it to a Chroma server and back")
    store = p.add_subparsers(dest="store_command", metavar="ACTION", required=True)
    m = store.add_parser("migrate", help="copy the vectors (no embedding again), check the "
                         "copy, then switch store.mode in config.toml")
    m.add_argument("--to", choices=("server", "embedded"), required=True,
                   help="'server': the Chroma server of store.host/port; 'embedded': this "
                   "machine's data dir")

    p = sub.add_parser("serve", help="an HTTP API for other tools on this machine "
                       "(search, answers, status; a token is required)")
    p.add_argument("--host", default="127.0.0.1", help="address (default: loopback only)")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--allow-remote", action="store_true",
                   help="allow an address other machines can reach (the token still applies)")

    p = sub.add_parser("key", help="keep a secret in the OS keychain (never in config.toml)")
    p.add_argument("action", choices=("set", "clear"))
    p.add_argument("name", choices=("chroma", "openai"),
                   help="chroma: the Chroma server's token; openai: the model server's API key")
    return parser


# Commands the running app serves when it runs (one writer, one copy of the models).
SERVED = {"ask", "search", "index", "status", "forget", "serve"}


def main(argv: list[str] | None = None) -> int:
    from assistant.core.parsing import serve_if_child

    raw = sys.argv[1:] if argv is None else list(argv)
    if serve_if_child(raw):  # a frozen app's parser child
        return EXIT_OK
    parser = build_parser()
    args = parser.parse_args(raw)
    # Everything the assistant writes (index, catalog, config) holds the user's documents or
    # names their folders: readable by the user only.
    os.umask(0o077)
    debug = args.debug or os.environ.get("ASSISTANT_DEBUG") == "1"
    if args.command in (None, "gui", "popup"):
        from assistant.ipc import hand_over_launch

        paths = [p.expanduser().resolve() for p in getattr(args, "paths", [])]
        if hand_over_launch(paths, args.command == "popup", getattr(args, "hidden", False)):
            return EXIT_OK  # the running app took it (before Qt is even imported)
        from assistant.ui.app import main as gui_main

        return gui_main([sys.argv[0]], paths=paths, popup=args.command == "popup",
                        hidden=getattr(args, "hidden", False), hand_over=False)
    if args.command in SERVED:
        try:
            settings = _settings()
        except AssistantError as exc:
            print(f"assistant: error: {exc}", file=sys.stderr)
            return EXIT_ERROR
        from assistant.ipc import run_in_app

        # Its paths are resolved by the app in this terminal's folder; --batch - reads here.
        code = run_in_app(settings.data_path, raw, stdin=getattr(args, "batch", None) == "-")
        if code is not None:
            return code
    return _run(args, debug)


def _run(args: argparse.Namespace, debug: bool, services: Any = None) -> int:
    """Run a parsed command: on its own Services, or on the running app's (``services``)."""
    owned = services is None
    try:
        if owned:
            from assistant.services import Services

            services = Services(_settings())
        handler = globals()[f"cmd_{args.command}"]
        return int(handler(services, args) or EXIT_OK)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except AssistantError as exc:
        if debug:
            raise
        print(f"assistant: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # a bug, or the machine: still one line unless asked for more
        if _disk_full(exc):
            where = services.data_dir if services is not None else "the data directory"
            print(f"assistant: error: the disk holding {where} is full; free some space and "
                  "run the command again (what was indexed so far is kept)", file=sys.stderr)
            return EXIT_ERROR
        if debug:
            raise
        print(f"assistant: internal error: {type(exc).__name__}: {exc} "
              "(run with --debug for details)", file=sys.stderr)
        return EXIT_ERROR
    finally:
        if owned and services is not None:
            services.close()


# thread id -> write(stream, text) of the terminal that thread serves
_routes: dict[int, Any] = {}


class _ThreadOutput:
    """The app's sys.stdout/sys.stderr: what a thread serving a terminal command writes goes
    to that terminal; everything else to the real stream."""

    def __init__(self, real: TextIO, name: str):
        self.real = real
        self.name = name
        self.routes = _routes

    def write(self, text: str) -> int:
        route = self.routes.get(threading.get_ident())
        if route is None:
            return self.real.write(text)
        route(self.name, text)
        return len(text)

    def flush(self) -> None:
        if threading.get_ident() not in self.routes:
            self.real.flush()

    def isatty(self) -> bool:
        return threading.get_ident() not in self.routes and self.real.isatty()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def serve(services: Any, argv: list[str], write: Any, terminal: Any = None) -> int:
    """Run a terminal command inside the running app (on this thread), its output sent
    with ``write(stream, text)``: the same output as the command on its own. ``terminal``
    (an :class:`assistant.ipc.Terminal`): where it came from; its paths mean what they mean
    there, ``--batch -`` reads its stdin, and its going away stops the command."""
    # Installed again if something replaced them since (a test's capture does)
    if not isinstance(sys.stdout, _ThreadOutput):
        sys.stdout = _ThreadOutput(sys.stdout, "out")
    if not isinstance(sys.stderr, _ThreadOutput):
        sys.stderr = _ThreadOutput(sys.stderr, "err")
    ident = threading.get_ident()
    _routes[ident] = write
    _here.terminal = terminal
    try:
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as exc:  # usage errors, --help
            return int(exc.code or 0)
        if args.command not in SERVED:
            print(f"assistant: error: `{args.command}` can't run while the app runs; use the "
                  "window, or quit the app first", file=sys.stderr)
            return EXIT_ERROR
        try:
            _anchor(args, terminal)
        except AssistantError as exc:
            print(f"assistant: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        debug = args.debug or os.environ.get("ASSISTANT_DEBUG") == "1"
        return _run(args, debug, services)
    finally:
        _here.terminal = None
        _routes.pop(ident, None)


# The terminal a served command came from (None on this thread: the command runs on its own)
_here = threading.local()

# Arguments naming a file as text, where "-" means stdin (every other path is a Path).
_FILE_ARGS = ("batch",)


def _terminal() -> Any:
    return getattr(_here, "terminal", None)


def _hung_up() -> bool:
    """The terminal of the served command on this thread went (Ctrl+C, closed)."""
    terminal = _terminal()
    return terminal is not None and terminal.gone.is_set()


@contextmanager
def _stopped_by_hang_up(stop: Callable[[], None]) -> Iterator[None]:
    """While inside, the terminal going away calls ``stop`` (a cancel that works from any
    thread). On its own, Ctrl+C does the stopping instead."""
    terminal = _terminal()
    if terminal is None:
        yield
        return
    undo = terminal.on_hang_up(stop)
    try:
        yield
    finally:
        undo()


def _anchor(args: argparse.Namespace, terminal: Any) -> None:
    """Make every path of a served command mean what it means in the terminal it came from:
    ``~`` is that terminal's home, a relative path is in its folder (the app's own folder is
    another one). Every ``type=Path`` argument, and the files of ``_FILE_ARGS``."""
    cwd = terminal.cwd if terminal is not None else None
    home = terminal.home if terminal is not None else None

    def place(value: str) -> str:
        if home and (value == "~" or value.startswith(("~/", "~" + os.sep))):
            value = home + value[1:]
        else:
            value = os.path.expanduser(value)  # ~user: the same on this machine
        if os.path.isabs(value):
            return os.path.normpath(value)
        if not cwd:
            raise AssistantError(f"{value} is a relative path and the terminal's folder is not "
                                 "known (it was removed?); give the full path")
        return os.path.normpath(os.path.join(cwd, value))

    for name, value in vars(args).items():
        if isinstance(value, Path):
            setattr(args, name, Path(place(str(value))))
        elif isinstance(value, list) and value and all(isinstance(v, Path) for v in value):
            setattr(args, name, [Path(place(str(v))) for v in value])
        elif name in _FILE_ARGS and isinstance(value, str) and value not in ("", "-"):
            setattr(args, name, place(value))


def _disk_full(exc: BaseException) -> bool:
    import errno

    while exc is not None:
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            return True
        if "disk is full" in str(exc).lower() or "no space left" in str(exc).lower():
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False


def _settings() -> Any:
    from pydantic import ValidationError

    from assistant.config import load_settings

    try:
        return load_settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first.get("loc", ()))
        raise AssistantError(f"invalid setting {where}: {first.get('msg')}") from exc
    except (OSError, ValueError) as exc:
        raise AssistantError(f"cannot read the configuration: {exc}") from exc


# index ------------------------------------------------------------------------------


def _index_with_progress(events: Any, label: str = "Indexing") -> Any:
    """Show index events as a progress bar on stderr; return the summary."""
    from tqdm import tqdm

    from assistant.core.types import FileFailed, IndexProgress, IndexSummary, RequestDone

    summary = None
    bar = None
    for event in events:
        if isinstance(event, IndexProgress):
            if bar is None:
                bar = tqdm(total=event.files_total, unit="file", file=sys.stderr,
                           disable=None, dynamic_ncols=True, desc=label)
            bar.n = event.files_done
            bar.set_postfix_str(
                f"{event.chunks_embedded} chunks, {event.chunks_per_s:.0f}/s, "
                f"{event.errors} errors", refresh=False)
            bar.refresh()
        elif isinstance(event, FileFailed):
            msg = f"skipped {_display(event.path)}: {event.message} [{event.reason}]"
            (bar.write(msg, file=sys.stderr) if bar else print(msg, file=sys.stderr))
        elif isinstance(event, IndexSummary):
            summary = event
        elif isinstance(event, RequestDone) and event.error:
            if bar is not None:
                bar.close()
            raise AssistantError(event.error)
    if bar is not None:
        bar.close()
    return summary


class _CtrlC:
    """Ctrl+C asks the writer lane to stop after its current step (one file or one
    embedding batch), so what was indexed is kept; a second Ctrl+C stops at once.

    The lane works on its own thread and this (main) thread only waits, so the signal never
    lands inside a library (a model loading, the vector store writing, watchdog stopping)."""

    def __init__(self, writer: Any):
        self.writer = writer
        self.pressed = threading.Event()

    def __enter__(self) -> _CtrlC:
        self._previous = None
        if threading.current_thread() is threading.main_thread():  # not when served by the app
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.pressed.is_set():
            raise KeyboardInterrupt
        self.pressed.set()
        threading.Thread(target=self.writer.stop, daemon=True).start()

    def __exit__(self, *exc: Any) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def _stop_writer(writer: Any) -> bool:
    """Stop the lane; False when it was left running inside a step that writes nothing (the
    embedding model's imports: seconds that no flag can cut short, 5-6 s on a loaded 2-core
    machine). The caller then ends the process with :func:`_leave` instead of waiting."""
    return bool(writer.stop(leave_if_quiet=True)) or not writer.running


def _leave(code: int) -> NoReturn:
    """End the process now, without joining the lane's thread that is inside a quiet step
    (see :func:`assistant.exiting.leave`)."""
    from assistant.exiting import leave

    leave(code)


def _start_writer(services: Any, listener: Any = None, **kwargs: Any) -> Any:
    """Start the writer lane (a repair of an interrupted run is reported on stderr), or, in
    the running app, borrow its lane (stopping it is then the app's business)."""
    from assistant.core.indexer import RepairReport

    running = getattr(services, "running_writer", None)
    if running is not None:
        return _Borrowed(running)
    writer = services.writer(**kwargs)
    writer.subscribe(lambda e: _report_repair(e) if isinstance(e, RepairReport) else None)
    if listener is not None:
        writer.subscribe(listener)
    return writer.start()


class _Borrowed:
    """The app's writer lane, lent to a terminal command: it is not stopped afterwards."""

    def __init__(self, writer: Any):
        self._writer = writer

    def stop(self, timeout: float = 0.0, leave_if_quiet: bool = False) -> bool:
        return True

    def __getattr__(self, name: str) -> Any:
        return getattr(self._writer, name)


def _report_repair(report: Any) -> None:
    if report is not None and report.changed:
        print(f"Repaired the index after an interrupted run: {report.orphan_vectors_deleted} "
              f"stray vectors removed, {len(report.files_reindexed)} file(s) to index again"
              f"{', full-text index rebuilt' if report.fts_rebuilt else ''}.", file=sys.stderr)


def _rebuild_note(services: Any) -> None:
    if services.rebuild_pending:
        print("Note: chunking or embedding settings changed. The index built with the old "
              "settings still answers; run `assistant reindex` to rebuild (it shows an "
              "estimate first), or `assistant watch` rebuilds in the background.",
              file=sys.stderr)


def cmd_index(services: Any, args: argparse.Namespace) -> int:
    writer = _start_writer(services, folders=[], watch=False)
    stopped = True
    with _CtrlC(writer) as ctrl_c:
        try:
            request = writer.index(args.paths)
            with _stopped_by_hang_up(request.cancel):  # served: between files, as Ctrl+C
                summary = _index_with_progress(request.events(
                    give_up=lambda: ctrl_c.pressed.is_set() and writer.quiet))
        finally:
            stopped = _stop_writer(writer)
    if writer.failure:
        raise AssistantError(writer.failure)
    if ctrl_c.pressed.is_set() or summary is None or _hung_up():
        print("Stopped; what was indexed so far is kept (run the command again to finish).",
              file=sys.stderr)
        if not stopped:
            _leave(EXIT_INTERRUPTED)
        return EXIT_INTERRUPTED
    if args.json:
        print(json.dumps(summary.to_json()))
    else:
        print(
            f"Indexed in {summary.seconds:.1f}s: {summary.added} added, {summary.updated} "
            f"updated, {summary.unchanged} unchanged, {summary.moved} moved, {summary.removed} "
            f"removed, {summary.failed} failed; {summary.embedded_chunks} chunks embedded."
        )
    _rebuild_note(services)
    return EXIT_ERROR if summary.failed else EXIT_OK


def cmd_reindex(services: Any, args: argparse.Namespace) -> int:
    from assistant.core.types import RebuildDone, RebuildStarted

    if not services.rebuild_pending:
        print("The index already matches the current settings; nothing to rebuild.")
        return EXIT_OK
    services.writer_lock.acquire()
    print("Estimating…", file=sys.stderr)
    events = services.rebuild()
    for event in events:
        if isinstance(event, RebuildStarted):
            print(f"Rebuilding the index for the new settings: {event.files} files, about "
                  f"{event.chunks_estimate} chunks, roughly {_duration(event.seconds_estimate)}. "
                  "The current index answers questions until the new one is ready.",
                  file=sys.stderr)
            break
    rest = _until_done(events)
    _index_with_progress(rest.events(), "Rebuilding")
    done = rest.done
    if done is not None:
        print(f"Rebuilt in {done.seconds:.1f}s ({done.embedded_chunks} chunks embedded); "
              "the new index is now the one answering.")
    return EXIT_OK if isinstance(done, RebuildDone) else EXIT_ERROR


class _until_done:  # noqa: N801 - reads as a function at the call site
    """Pass index events through; keep the RebuildDone that ends the stream."""

    def __init__(self, events: Any):
        self._events = events
        self.done: Any = None

    def events(self) -> Iterator[Any]:
        from assistant.core.types import RebuildDone

        for event in self._events:
            if isinstance(event, RebuildDone):
                self.done = event
            else:
                yield event


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


# watch ------------------------------------------------------------------------------


def cmd_watch(services: Any, args: argparse.Namespace) -> int:
    from assistant.core.scanner import absolute
    from assistant.core.types import FileFailed, RebuildDone, RebuildStarted, WriterState
    from assistant.core.watcher import BatchDone, WatchStarted

    folders = list(services.settings.watch.folders)
    for path in args.paths:
        full = str(absolute(path))
        if not Path(full).is_dir():
            raise AssistantError(f"{path} is not a folder")
        if full not in folders:
            folders.append(full)
    if not folders:
        raise AssistantError("no folders to watch: assistant watch FOLDER (it is remembered)")
    services.remember_folders(folders, list(services.settings.watch.excluded))

    def show(event: Any) -> None:
        if isinstance(event, WatchStarted):
            mode = "polling" if event.polling else "file events"
            _say(args, f"Watching {len(event.folders)} folder(s) with {mode}; Ctrl+C stops.")
        elif isinstance(event, FileFailed):
            print(f"skipped {_display(event.path)}: {event.message} [{event.reason}]",
                  file=sys.stderr, flush=True)
        elif isinstance(event, BatchDone):
            _report_batch(args, event)
        elif isinstance(event, RebuildStarted):
            _say(args, f"Settings changed: building a new index in the background "
                       f"({event.files} files, ~{_duration(event.seconds_estimate)}); "
                       "the current one answers meanwhile.")
        elif isinstance(event, RebuildDone):
            _say(args, "The rebuilt index is now the one answering.")
        elif isinstance(event, WriterState) and event.state == "failed":
            print(f"assistant: error: {event.detail}", file=sys.stderr, flush=True)

    writer = _start_writer(services, folders=folders, polling=args.polling or None,
                           listener=show)
    config = ConfigWatch()
    with _CtrlC(writer) as ctrl_c:
        while writer.running and not ctrl_c.pressed.is_set():
            ctrl_c.pressed.wait(0.5)
            changed = config.changed()
            if changed is not None and services.reload_settings(changed):
                writer.rebuild()
        stopped = _stop_writer(writer)
    if writer.state == "failed":
        return EXIT_ERROR
    _say(args, "Stopped watching.")
    if not stopped:
        _leave(EXIT_OK)
    return EXIT_OK


class ConfigWatch:
    """Notices edits of config.toml while `watch` runs: new chunking or embedding settings
    start a background rebuild without a restart."""

    def __init__(self) -> None:
        from assistant import paths

        self.path = paths.config_file()
        self.stamp = self._stamp()

    def _stamp(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size

    def changed(self) -> Any:
        stamp = self._stamp()
        if stamp == self.stamp:
            return None
        self.stamp = stamp
        try:
            return _settings()
        except AssistantError as exc:
            print(f"assistant: config.toml not applied: {exc}", file=sys.stderr, flush=True)
            return None


def _say(args: argparse.Namespace, text: str) -> None:
    if args.json:
        print(json.dumps({"message": text}), flush=True)
    else:
        print(text, flush=True)


def _report_batch(args: argparse.Namespace, event: Any) -> None:
    s = event.summary
    if args.json:
        print(json.dumps({**s.to_json(), "reconcile": event.reconcile,
                          "folders_moved": event.folders_moved}), flush=True)
        return
    parts = [f"{n} {label}" for n, label in ((s.added, "added"), (s.updated, "updated"),
             (s.moved + event.folders_moved, "moved"), (s.removed, "removed"),
             (s.failed, "failed")) if n]
    if parts or event.reconcile:
        kind = "Scan" if event.reconcile else "Update"
        what = ", ".join(parts) if parts else "everything up to date"
        print(f"{kind}: {what} ({s.embedded_chunks} chunks embedded, {s.seconds:.1f}s)",
              flush=True)


def cmd_unwatch(services: Any, args: argparse.Namespace) -> int:
    from assistant.config import update_config_file
    from assistant.core.scanner import absolute

    folders = list(services.settings.watch.folders)
    drop = {str(absolute(p)) for p in args.paths}
    unknown = drop - set(folders)
    if unknown:
        raise AssistantError(f"not a watched folder: {', '.join(sorted(unknown))}")
    update_config_file("watch", "folders", [f for f in folders if f not in drop])
    print(f"Stopped watching {len(drop)} folder(s); their files stay indexed "
          "(assistant forget FOLDER removes them).")
    return EXIT_OK


# ask --------------------------------------------------------------------------------


def _lines(source: str) -> Iterator[str]:
    terminal = _terminal()
    if source == "-" and terminal is not None:  # served: the terminal's stdin, not the app's
        yield from terminal.lines()
        return
    stream: TextIO = sys.stdin if source == "-" else open(source, encoding="utf-8")  # noqa: SIM115
    try:
        for line in stream:
            yield line.rstrip("\r\n")
    finally:
        if stream is not sys.stdin:
            stream.close()


def _answer_json(services: Any, question: str,
                 history: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    stream = services.answerer.answer(question, history)
    with _stopped_by_hang_up(stream.cancel):  # served: the model stops between tokens
        return dict(stream.result().to_json())


def cmd_ask(services: Any, args: argparse.Namespace) -> int:
    if not args.k:
        return _ask(services, args)
    answerer = services.answerer
    before, answerer.top_k = answerer.top_k, args.k
    try:  # -k is for this command only (also when the running app serves it)
        return _ask(services, args)
    finally:
        answerer.top_k = before


def _ask(services: Any, args: argparse.Namespace) -> int:
    if args.batch:
        if args.question:
            raise AssistantError("give either a question or --batch, not both")
        for line in _lines(args.batch):
            try:
                out = _answer_json(services, line)
            except EmptyQuestionError as exc:
                out = {"question": line, "error": str(exc)}
            if _hung_up():
                return EXIT_INTERRUPTED
            print(json.dumps(out), flush=True)
        return EXIT_INTERRUPTED if _hung_up() else EXIT_OK
    if not args.question or not args.question.strip():
        raise EmptyQuestionError("the question is empty: assistant ask \"QUESTION\"")
    conversations = services.conversations
    conversation = None
    history: list[tuple[str, str]] = []
    if args.follow_up:
        recent = conversations.list()
        if not recent:
            raise AssistantError("there is no earlier conversation to follow up")
        conversation = recent[0].id
        history = conversations.history(conversation)
    if args.json:
        result = _answer_json(services, args.question, history)
        print(json.dumps(result))
    else:
        result = _ask_interactive(services, args.question, history).to_json()
    if _hung_up():  # stopped as Ctrl+C stops it on its own: not kept
        return EXIT_INTERRUPTED
    _remember(conversations, conversation, args.question, result)
    return EXIT_OK


def _remember(conversations: Any, conversation: int | None, question: str,
              done: dict[str, Any]) -> None:
    """Keep the exchange (the window lists it; `ask --follow-up` continues it)."""
    from assistant.core.conversations import title_from

    if conversation is None:
        conversation = conversations.create(title_from(question))
    conversations.add(conversation, "user", question)
    conversations.add(conversation, "assistant", done["answer"], {"done": done})


def _ask_interactive(services: Any, question: str,
                     history: list[tuple[str, str]] | None = None) -> Any:
    """Show the answer with the engine's citations. On a terminal the model's draft streams
    as it comes and is then replaced in place by the checked, cited answer; in a pipe only
    the final answer is written (never the same text twice)."""
    stream = services.answerer.answer(question, history)
    with _stopped_by_hang_up(stream.cancel):  # served: the model stops between tokens
        return _show_answer(stream, sys.stdout)


def _show_answer(events: Any, out: TextIO) -> Any:
    from assistant.core.text import detect_language
    from assistant.core.types import AnswerDone, SourcesFound, TokenStreamed

    tty = out.isatty()
    passages = []
    draft = ""
    done = None
    for event in events:
        if isinstance(event, SourcesFound):
            passages = event.passages
        elif isinstance(event, TokenStreamed) and tty:
            out.write(event.text)
            out.flush()
            draft += event.text
        elif isinstance(event, AnswerDone):
            done = event
            lang = detect_language(event.question)  # the answer speaks the question's language
            if draft:
                out.write("\n")
                if not _erase(draft, out):
                    out.write("\n" + translate("Checked against your documents:", lang) + "\n")
            out.write(event.answer + "\n")
            if event.abstained:
                if passages:
                    out.write("\n" + translate("Closest passages (they don't answer it):", lang)
                              + "\n")
                    for p in passages[:3]:
                        out.write(f"  - {_display(p.path)}{_page(p.page)}\n")
            else:
                if event.unsupported:
                    out.write("(" + translate("Not backed by your documents", lang) + ": "
                              + "; ".join(f"\"{c}\"" for c in event.unsupported) + ")\n")
                out.write("\n" + translate("Sources:", lang) + "\n")
                for c in event.citations:
                    snippet = " ".join(c.text.split())[:90]
                    out.write(f"[{c.n}] {_display(c.path)}{_page(c.page)}  \"{snippet}…\"\n")
            out.flush()
    return done


def _erase(text: str, out: TextIO) -> bool:
    """Erase ``text`` just written to the terminal, if it still fits on screen."""
    import shutil

    cols, rows = shutil.get_terminal_size()
    used = sum(max(1, -(-len(line) // max(cols, 1))) for line in text.split("\n"))
    if used >= rows:
        return False
    out.write(f"\x1b[{used}F\x1b[J")
    return True


def _page(page: int | None) -> str:
    return f":{page}" if page is not None else ""


def _display(path: str) -> str:
    """``path`` relative to the terminal's folder when it is inside it (served: the folder
    of the terminal the command came from, not the app's)."""
    terminal = _terminal()
    start = terminal.cwd if terminal is not None else None
    if terminal is not None and not start:
        return path
    try:
        rel = os.path.relpath(path, start)
    except ValueError:  # other drive on Windows
        return path
    return rel if not rel.startswith("..") else path


# search -----------------------------------------------------------------------------


def cmd_search(services: Any, args: argparse.Namespace) -> int:
    def run(query: str) -> list[dict[str, Any]]:
        if not query.strip():
            raise EmptyQuestionError("the query is empty")
        passages = services.retriever.search(query.strip(), args.k)
        return [p.to_json(rank) for rank, p in enumerate(passages, start=1)]

    if args.batch:
        if args.query:
            raise AssistantError("give either a query or --batch, not both")
        for line in _lines(args.batch):
            if _hung_up():
                return EXIT_INTERRUPTED
            try:
                print(json.dumps(run(line)), flush=True)
            except EmptyQuestionError as exc:
                print(json.dumps({"query": line, "error": str(exc)}), flush=True)
        return EXIT_INTERRUPTED if _hung_up() else EXIT_OK
    if not args.query or not args.query.strip():
        raise EmptyQuestionError("the query is empty: assistant search \"QUERY\"")
    results = run(args.query)
    if args.json:
        print(json.dumps(results))
        return EXIT_OK
    if not results:
        print(translate("No passages found. Index some documents first: assistant index PATH",
                        locale_language()))
    for r in results:
        text = " ".join(r["text"].split())
        print(f"{r['rank']}. {_display(r['path'])}{_page(r['page'])}  (score {r['score']:.4f})")
        print(f"   {text[:300]}{'…' if len(text) > 300 else ''}\n")
    return EXIT_OK


# status / forget --------------------------------------------------------------------


def cmd_status(services: Any, args: argparse.Namespace) -> int:
    status = services.status()
    if args.json:
        print(json.dumps(status))
        return EXIT_OK
    print(f"Files indexed: {status['files']}    chunks: {status['chunks']}    "
          f"failed: {len(status['errors'])}    unavailable: {len(status['unavailable'])}")
    present = "" if status["model_present"] else "  (missing: run `make model`)"
    print(f"Model:    {status['model']}{present}")
    print(f"Embedder: {status['embedder']}")
    print(f"Data:     {status['data_dir']}")
    if status["store"] == "server":
        print(f"Vectors:  on the Chroma server at {status['store_server']}")
    if status["watched_folders"]:
        print("Watched:  " + "\n          ".join(status["watched_folders"]))
    if status["rebuild_pending"]:
        print(f"The index needs rebuilding ({status['rebuild_reason']}): `assistant reindex` "
              "rebuilds it (the current index answers until then).")
    if status["unavailable"]:
        print(f"{len(status['unavailable'])} file(s) are in folders that are not reachable now "
              "(kept until they return or you forget them).")
    if status["errors"]:
        if args.errors:
            print("\nFailed files:")
            for e in status["errors"]:
                print(f"  {e['path']}: {e['message']} [{e['reason']}]")
        else:
            print("(assistant status --errors lists the failed files)")
    return EXIT_OK


def cmd_forget(services: Any, args: argparse.Namespace) -> int:
    watched_before = list(services.settings.watch.folders)
    writer = _start_writer(services, watch=False)
    try:
        done = writer.forget(args.paths).wait()
    finally:
        writer.stop()
    if writer.failure:
        raise AssistantError(writer.failure)
    if done is None or done.error:
        raise AssistantError(done.error if done else "stopped before it finished")
    assert done.summary is not None
    print(f"Removed {done.summary.removed} file(s) from the index.")
    unwatched = len(watched_before) - len(services.settings.watch.folders)
    if unwatched:
        print(f"Stopped watching {unwatched} folder(s) as well.")
    if services.settings.watch.excluded:
        inside = [p for p in services.settings.watch.excluded
                  if p in {str(Path(os.path.abspath(a))) for a in args.paths}]
        if inside:
            print("They are inside a watched folder and won't be indexed again "
                  "(`assistant index PATH` brings one back).")
    return EXIT_OK


# demo -------------------------------------------------------------------------------


def cmd_doctor(services: Any, args: argparse.Namespace) -> int:
    from assistant import doctor

    if not args.quick and sys.stderr.isatty():
        print("Checking the model files' sha256…", file=sys.stderr, flush=True)
    result = doctor.report(services, verify=not args.quick)
    print(json.dumps(result, indent=2) if args.json else doctor.as_text(result))
    return EXIT_OK


def cmd_store(services: Any, args: argparse.Namespace) -> int:
    last = ""
    for profile, copied, total in services.migrate_store(args.to):
        line = f"Copying the vectors of index {profile[:8]}: {copied} of {total}"
        if line != last and (copied in (0, total) or sys.stderr.isatty()):
            print(line, file=sys.stderr)
            last = line
    where = (f"the Chroma server at {services.settings.store.host}:"
             f"{services.settings.store.port}" if args.to == "server" else "this machine")
    print(f"The vectors are now on {where} (store.mode = {args.to!r} in config.toml); the "
          "copy they came from is kept as it was.")
    return EXIT_OK


def cmd_serve(services: Any, args: argparse.Namespace) -> int:
    """The API. In the running app, the app serves it (until it quits). On its own, this
    process becomes the one that uses the data dir: it also keeps the watched folders
    indexed, since an embedded index written by another process meanwhile can't be read."""
    from assistant.api import TOKEN_FILE, ApiServer

    if services.running_writer is not None:  # served by the running app
        server = services.api_server
        if server is None:
            server = ApiServer(services, args.host, args.port, args.allow_remote)
            server.serve_in_thread()
            services.api_server = server
        print(f"The running app serves the API at {server.url} until it quits (described at "
              f"{server.url}/openapi.json). Requests need 'Authorization: Bearer TOKEN', the "
              f"token in {services.data_dir / TOKEN_FILE}.", flush=True)
        return EXIT_OK
    server = ApiServer(services, args.host, args.port, args.allow_remote)
    serving, stopped = None, True
    try:
        writer = _start_writer(services)
        serving = server.serve_in_thread()
        folders = len(services.settings.watch.folders)
        print(f"The assistant's API is at {server.url} (described at {server.url}/openapi.json)"
              f"; {folders} watched folder(s) are kept indexed. Requests need 'Authorization: "
              f"Bearer TOKEN', the token in {services.data_dir / TOKEN_FILE}. Ctrl+C stops.",
              file=sys.stderr, flush=True)
        with _CtrlC(writer) as ctrl_c:
            while writer.running and not ctrl_c.pressed.is_set():
                ctrl_c.pressed.wait(0.5)
            stopped = _stop_writer(writer)
    finally:
        if serving is not None:
            server.shutdown()
        server.server_close()
    if not stopped:
        _leave(EXIT_OK)
    return EXIT_ERROR if writer.state == "failed" else EXIT_OK


def cmd_key(services: Any, args: argparse.Namespace) -> int:
    from assistant import secrets

    label = secrets.SECRETS[args.name][1]
    if args.action == "clear":
        removed = secrets.clear(args.name)
        print(f"Removed {label} from the keychain." if removed
              else f"The keychain held no {label}.")
        return EXIT_OK
    if sys.stdin.isatty():
        import getpass

        value = getpass.getpass(f"{label[0].upper()}{label[1:]} (not shown): ")
    else:  # piped: never on the command line, where other users' `ps` would see it
        value = sys.stdin.readline().strip()
    secrets.save(args.name, value.strip())
    print(f"Stored {label} in the keychain.")
    return EXIT_OK


def cmd_demo(services: Any, args: argparse.Namespace) -> int:
    print(f"Indexing the sample documents in {_display(str(SAMPLE_DOCS))} …")
    code = cmd_index(services, argparse.Namespace(paths=[SAMPLE_DOCS], json=False))
    print(f"\nQ: {SAMPLE_QUESTION}\n")
    _ask_interactive(services, SAMPLE_QUESTION)
    print("\nTry your own: .venv/bin/assistant index ~/Documents && "
          ".venv/bin/assistant ask \"…\"")
    return code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
