"""What the operating system must provide: the shared libraries that the app's compiled parts
load (Qt's platform plugins above all), the fonts, and the tools the tests drive.

Qt's wheels carry Qt itself but not the system libraries its plugins link against (the xcb
utility libraries, Wayland's client libraries, EGL, fontconfig...). A machine without one gets
Qt's own abort (SIGABRT, a core dump) with advice that is often wrong: "xcb-cursor0 is
needed" was printed on a machine that had it and lacked libxcb-icccm4. So nothing here keeps a
fixed list of packages: it asks the dynamic loader (``ldd``) what each file really needs and
finds missing, then maps each missing library to the package that provides it on
Debian/Ubuntu, Fedora and Arch.

Used three ways, none of which imports Qt (which may be the thing that cannot load):
- the app, before it builds its QApplication: :func:`gui_problem` gives one line to print
  instead of Qt's abort;
- the set-up (``make run``/``make test``): ``python -m assistant.syslibs --for app --install``
  installs what is missing with apt where it runs as root, or stops with the command to run;
- ``scripts/fresh_machine_check.sh`` (CI): ``--for tests --strict`` lists everything and fails
  on the first thing a fresh machine would miss.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path

# Library (soname) -> its package on (Debian/Ubuntu, Fedora, Arch). The ones Qt's platform
# plugins, QtPdf and the modules the app imports need (read with ldd off PySide6 6.12), and
# the usual suspects of the other native parts. A library not listed gets the name Debian's
# policy gives its package (libfoo.so.1 -> libfoo1), marked as a guess.
SONAME_PACKAGES: dict[str, tuple[str, str, str]] = {
    "libxcb.so.1": ("libxcb1", "libxcb", "libxcb"),
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm", "xcb-util-wm"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image", "xcb-util-image"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms", "xcb-util-keysyms"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil",
                                "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util", "xcb-util"),
    "libxcb-glx.so.0": ("libxcb-glx0", "libxcb", "libxcb"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb", "libxcb"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon", "libxkbcommon"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11", "libxkbcommon-x11"),
    "libX11.so.6": ("libx11-6", "libX11", "libx11"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb", "libx11"),
    "libXau.so.6": ("libxau6", "libXau", "libxau"),
    "libXdmcp.so.6": ("libxdmcp6", "libXdmcp", "libxdmcp"),
    "libwayland-client.so.0": ("libwayland-client0", "libwayland-client", "wayland"),
    "libwayland-cursor.so.0": ("libwayland-cursor0", "libwayland-cursor", "wayland"),
    "libwayland-egl.so.1": ("libwayland-egl1", "libwayland-egl", "wayland"),
    "libwayland-server.so.0": ("libwayland-server0", "libwayland-server", "wayland"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl", "libglvnd"),
    "libGL.so.1": ("libgl1", "libglvnd-glx", "libglvnd"),
    "libGLX.so.0": ("libglx0", "libglvnd-glx", "libglvnd"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl", "libglvnd"),
    "libGLdispatch.so.0": ("libglvnd0", "libglvnd", "libglvnd"),
    "libdrm.so.2": ("libdrm2", "libdrm", "libdrm"),
    "libgbm.so.1": ("libgbm1", "mesa-libgbm", "mesa"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype", "freetype2"),
    "libpng16.so.16": ("libpng16-16", "libpng", "libpng"),
    "libharfbuzz.so.0": ("libharfbuzz0b", "harfbuzz", "harfbuzz"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs", "dbus"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2", "glib2"),
    "libgobject-2.0.so.0": ("libglib2.0-0", "glib2", "glib2"),
    "libgio-2.0.so.0": ("libglib2.0-0", "glib2", "glib2"),
    "libgssapi_krb5.so.2": ("libgssapi-krb5-2", "krb5-libs", "krb5"),
    "libkrb5.so.3": ("libkrb5-3", "krb5-libs", "krb5"),
    "libk5crypto.so.3": ("libk5crypto3", "krb5-libs", "krb5"),
    "libcom_err.so.2": ("libcom-err2", "libcom_err", "e2fsprogs"),
    "libexpat.so.1": ("libexpat1", "expat", "expat"),
    "libz.so.1": ("zlib1g", "zlib", "zlib"),
    "libzstd.so.1": ("libzstd1", "libzstd", "zstd"),
    "libbrotlidec.so.1": ("libbrotli1", "libbrotli", "brotli"),
    "libbrotlicommon.so.1": ("libbrotli1", "libbrotli", "brotli"),
    "libgomp.so.1": ("libgomp1", "libgomp", "gcc-libs"),
    "libstdc++.so.6": ("libstdc++6", "libstdc++", "gcc-libs"),
    "libgcc_s.so.1": ("libgcc-s1", "libgcc", "gcc-libs"),
    "libtesseract.so.5": ("libtesseract5", "tesseract-libs", "tesseract"),
}

FAMILIES = ("debian", "fedora", "arch")
FAMILY_NAMES = {"debian": "Debian/Ubuntu", "fedora": "Fedora", "arch": "Arch"}
INSTALL_COMMANDS = {"debian": "sudo apt-get install", "fedora": "sudo dnf install",
                    "arch": "sudo pacman -S"}

# Qt's platform plugins by the name QT_QPA_PLATFORM gives them, and what each is for.
PLATFORM_PURPOSE = {"xcb": "the window on X11 and XWayland",
                    "wayland": "the window on Wayland",
                    "offscreen": "the window without a screen, as the tests run it"}

REQUIRED, RECOMMENDED = "required", "recommended"


@dataclass(frozen=True)
class Packages:
    """The package names one need has on each family; ``guessed`` when taken from Debian's
    naming policy rather than known."""

    debian: tuple[str, ...]
    fedora: tuple[str, ...]
    arch: tuple[str, ...]
    guessed: tuple[str, ...] = ()

    def names(self, family: str) -> tuple[str, ...]:
        return tuple(getattr(self, family))


def debian_guess(soname: str) -> str:
    """Debian's policy name for a library's package: libfoo.so.1 -> libfoo1, libfoo2.so.3 ->
    libfoo2-3, with underscores as dashes."""
    match = re.match(r"^(lib[^/]+?)\.so\.(\d+)", soname)
    if not match:
        return soname
    base, major = match.group(1).lower().replace("_", "-"), match.group(2)
    return f"{base}-{major}" if base[-1].isdigit() else f"{base}{major}"


def packages_for(sonames: Iterable[str]) -> Packages:
    debian: list[str] = []
    fedora: list[str] = []
    arch: list[str] = []
    guessed: list[str] = []
    for soname in sonames:
        known = SONAME_PACKAGES.get(soname)
        if known is None:
            guess = debian_guess(soname)
            guessed.append(soname)
            known = (guess, f"(the package holding {soname})", f"(the package holding {soname})")
        for names, name in zip((debian, fedora, arch), known, strict=True):
            if name not in names:
                names.append(name)
    return Packages(tuple(debian), tuple(fedora), tuple(arch), tuple(guessed))


def distro_family(os_release: str | None = None) -> str:
    """debian, fedora or arch for this machine (by /etc/os-release), "" when it is none of
    them or not Linux."""
    if os_release is None:
        if not sys.platform.startswith("linux"):
            return ""
        try:
            os_release = Path("/etc/os-release").read_text()
        except OSError:
            return ""
    ids: list[str] = []
    for line in os_release.splitlines():
        key, _, value = line.partition("=")
        if key in ("ID", "ID_LIKE"):
            ids += value.strip().strip('"').lower().split()
    for family, members in (("debian", {"debian", "ubuntu"}),
                            ("fedora", {"fedora", "rhel", "centos"}),
                            ("arch", {"arch", "archlinux", "manjaro"})):
        if members & set(ids):
            return family
    return ""


def install_hint(packages: Packages, family: str | None = None) -> str:
    """The command that installs them here first, then the other families' names."""
    family = distro_family() if family is None else family
    order = [family] + [f for f in FAMILIES if f != family] if family else list(FAMILIES)
    parts = []
    for f in order:
        names = [n for n in packages.names(f) if not n.startswith("(")]
        if names:
            parts.append((f, f"{INSTALL_COMMANDS[f]} {' '.join(names)}"))
    if not parts:
        return ""
    first_family, first = parts[0]
    rest = "; ".join(f"{FAMILY_NAMES[f]}: {cmd}" for f, cmd in parts[1:])
    label = "" if first_family == family else f"{FAMILY_NAMES[first_family]}: "
    return f"{label}{first}" + (f" ({rest})" if rest else "")


# Reading what the loader finds ---------------------------------------------------------


def missing_libraries(path: Path, env: Mapping[str, str] | None = None) -> list[str]:
    """The libraries ``path`` needs that the dynamic loader cannot find (directly or through
    the libraries it needs), as the loader would see them with this environment (its
    LD_LIBRARY_PATH, the file's RUNPATH). Without ldd, dlopen names the first one."""
    ldd = shutil.which("ldd")
    if ldd:
        try:
            out = subprocess.run([ldd, str(path)], capture_output=True, text=True, timeout=30,
                                 env=dict(os.environ if env is None else env))
        except (OSError, subprocess.TimeoutExpired):
            out = None
        if out is not None:
            found = re.findall(r"^\s*(\S+)\s*=>\s*not found", out.stdout, re.MULTILINE)
            return list(dict.fromkeys(found))
    return _dlopen_missing(path)


def _dlopen_missing(path: Path) -> list[str]:
    code = ("import ctypes, sys\n"
            "try: ctypes.CDLL(sys.argv[1])\n"
            "except OSError as e: print(e)\n")
    try:
        out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                             text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return []
    match = re.match(r"^(\S+?): cannot open shared object file", out.stdout.strip())
    return [match.group(1)] if match else []


def package_dir(name: str) -> Path | None:
    """Where an installed package lives, found without importing it."""
    try:
        spec = find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def qt_plugin_dirs(env: Mapping[str, str] | None = None) -> list[Path]:
    """Where Qt looks for plugins: QT_PLUGIN_PATH, then PySide6's own."""
    env = os.environ if env is None else env
    dirs = [Path(p) for p in env.get("QT_PLUGIN_PATH", "").split(os.pathsep) if p]
    pyside = package_dir("PySide6")
    if pyside is not None:
        dirs.append(pyside / "Qt" / "plugins")
    return dirs


def platform_plugin(name: str, env: Mapping[str, str] | None = None) -> Path | None:
    """The file of Qt's platform plugin ``name`` (xcb, wayland, offscreen...) that Qt would
    take: the first one met in its plugin directories (QT_PLUGIN_PATH, then PySide6's own),
    then QT_QPA_PLATFORM_PLUGIN_PATH. Seen with QT_DEBUG_PLUGINS: when two directories hold
    a plugin for the same key, Qt loads the first, and aborts if that one cannot load."""
    env = os.environ if env is None else env
    dirs = [d / "platforms" for d in qt_plugin_dirs(env)]
    dirs += [Path(p) for p in env.get("QT_QPA_PLATFORM_PLUGIN_PATH", "").split(os.pathsep) if p]
    for d in dirs:
        for candidate in (d / f"libq{name}.so", d / f"libq{name}-generic.so"):
            if candidate.is_file():
                return candidate
    return None


def platform_candidates(env: Mapping[str, str] | None = None) -> list[str]:
    """The platform plugins Qt 6 tries, in order, for a QApplication started with this
    environment (QT_QPA_PLATFORM wins; otherwise Wayland first in a Wayland session, then
    xcb), as qguiapplication.cpp decides on Linux."""
    env = os.environ if env is None else env
    chosen = env.get("QT_QPA_PLATFORM", "")
    if chosen:
        names = [n.split(":")[0].strip() for n in chosen.split(";")]
        return [n for n in names if n]
    order = []
    if env.get("WAYLAND_DISPLAY") or env.get("XDG_SESSION_TYPE") == "wayland":
        order.append("wayland")
    order.append("xcb")
    return order


def gui_problem(env: Mapping[str, str] | None = None) -> str:
    """Why Qt cannot open a window here because the system lacks a library ("" when it can, or
    where this check does not apply). One line: what is missing and the command to install
    it. Qt would abort instead (SIGABRT) with its own advice."""
    if not sys.platform.startswith("linux"):
        return ""
    env = os.environ if env is None else env
    names = platform_candidates(env)
    missing: dict[str, list[str]] = {}
    for name in names:
        plugin = platform_plugin(name, env)
        if plugin is None:
            if name in ("xcb", "wayland", "offscreen"):
                missing[name] = []
                continue
            return ""  # a plugin we don't know how to look for: leave it to Qt
        libs = missing_libraries(plugin, env)
        if not libs:
            return ""  # Qt takes the first plugin that loads
        missing[name] = libs
    if not missing:
        return ""
    plugins = " and ".join(missing)
    sonames = list(dict.fromkeys(s for libs in missing.values() for s in libs))
    if not sonames:
        return (f"Qt's {plugins} platform plugin is missing from PySide6; reinstall it "
                "(pip install --force-reinstall PySide6)")
    hint = install_hint(packages_for(sonames))
    plural = "plugins need" if len(missing) > 1 else "plugin needs"
    return (f"Qt's {plugins} platform {plural} {', '.join(sonames)}, which this system does "
            f"not have; install {'it' if len(sonames) == 1 else 'them'}: {hint}")


# What the app and the tests need ---------------------------------------------------------


@dataclass
class Need:
    """One thing the system must provide. ``kind`` is "library" (``file`` must load),
    "tool" (``command`` must be on the PATH) or "font"."""

    label: str
    kind: str
    level: str = REQUIRED
    file: Path | None = None
    command: str = ""
    packages: Packages | None = None  # for tools and fonts; libraries name theirs
    lang: str = ""  # a font: the language (fontconfig's :lang=) it must cover
    missing: list[str] = field(default_factory=list)
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem

    def to_json(self) -> dict[str, object]:
        return {"label": self.label, "kind": self.kind, "level": self.level,
                "file": str(self.file) if self.file else None, "command": self.command or None,
                "ok": self.ok, "missing": self.missing, "problem": self.problem,
                "packages": self.packages.debian if self.packages else []}


def _tool(label: str, command: str, debian: str, fedora: str, arch: str,
          level: str = REQUIRED) -> Need:
    return Need(label, "tool", level, command=command,
                packages=Packages((debian,), (fedora,), (arch,)))


def _python_native(package: str, patterns: Iterable[str]) -> list[Path]:
    """A package's compiled libraries, once each: wheels hold no symlinks, so libfoo.so,
    libfoo.so.0 and libfoo.so.0.1 are three copies of one library."""
    root = package_dir(package)
    if root is None:
        return []
    by_name: dict[str, Path] = {}
    for pattern in patterns:
        for path in root.glob(pattern):
            key = path.name.split(".so")[0]
            if path.is_file() and (key not in by_name or
                                   len(path.name) < len(by_name[key].name)):
                by_name[key] = path
    return sorted(by_name.values())


def needs(scope: str = "app") -> list[Need]:
    """What ``scope`` ("app": the window and the engine; "tests": also what the suite drives)
    needs from the system, checked (each Need's ``problem`` says what is wrong)."""
    items: list[Need] = []
    pyside = package_dir("PySide6")
    platforms = ["xcb", "wayland"] + (["offscreen"] if scope == "tests" else [])
    for name in platforms:
        level = RECOMMENDED if name == "wayland" else REQUIRED
        label = f"Qt {name} platform plugin ({PLATFORM_PURPOSE[name]})"
        items.append(Need(label, "library", level, file=platform_plugin(name)))
    modules = ["QtCore", "QtGui", "QtWidgets", "QtNetwork", "QtDBus", "QtPdf"]
    if scope == "tests":
        modules.append("QtTest")
    for module in modules:
        found = sorted(pyside.glob(f"{module}.*.so")) if pyside else []
        items.append(Need(f"Qt module {module}", "library", file=found[0] if found else None))
    for package, patterns, label in (
        ("llama_cpp", ("lib/*.so", "lib/*.so.*"), "llama.cpp (the language model)"),
        ("chromadb_rust_bindings", ("*.so",), "Chroma (the vector store)"),
        ("tokenizers", ("*.so",), "tokenizers"),
        ("torch", ("_C*.so", "lib/libtorch_cpu.so"), "torch (the embedder)"),
    ):
        for path in _python_native(package, patterns):
            items.append(Need(f"{label}: {path.name}", "library", file=path))
    items.append(Need("a font for the window's text", "font",
                      packages=Packages(("fonts-dejavu-core",), ("dejavu-sans-fonts",),
                                        ("ttf-dejavu",))))
    # Documents in every script: without these, Chinese, Japanese, Korean, Arabic and Hebrew
    # passages show as boxes (the window names them as fallbacks: assistant/ui/fonts.py)
    for lang, label, packages in (
        ("zh-cn", "Chinese, Japanese and Korean", Packages(
            ("fonts-noto-cjk",), ("google-noto-sans-cjk-fonts",), ("noto-fonts-cjk",))),
        ("ar", "Arabic", Packages(("fonts-noto-core",), ("google-noto-sans-arabic-fonts",),
                                  ("noto-fonts",))),
        ("he", "Hebrew", Packages(("fonts-noto-core",), ("google-noto-sans-hebrew-fonts",),
                                  ("noto-fonts",))),
    ):
        items.append(Need(f"a font for {label} text", "font", RECOMMENDED, packages=packages,
                          lang=lang))
    if scope == "tests":
        items += [
            _tool("Xvfb (the X11 shortcut and tray tests)", "Xvfb", "xvfb",
                  "xorg-x11-server-Xvfb", "xorg-server-xvfb", RECOMMENDED),
            _tool("xdotool (the X11 shortcut and tray tests)", "xdotool", "xdotool",
                  "xdotool", "xdotool", RECOMMENDED),
            _tool("trayer (a tray host for the tray test)", "trayer", "trayer", "trayer",
                  "trayer-srg", RECOMMENDED),
            # llama.cpp is compiled where no wheel for this machine is cached yet
            _tool("a C++ compiler (to build llama.cpp)", "c++", "g++", "gcc-c++", "gcc",
                  RECOMMENDED),
            _tool("CMake (to build llama.cpp)", "cmake", "cmake", "cmake", "cmake", RECOMMENDED),
        ]
    for need in items:
        _check(need, pyside)
    return items


def _check(need: Need, pyside: Path | None) -> None:
    if need.kind == "library":
        if need.file is None:
            need.problem = "not found in the installed Python packages" + (
                "" if pyside else " (PySide6 is not installed)")
            return
        need.missing = missing_libraries(need.file)
        if need.missing:
            need.packages = packages_for(need.missing)
            need.problem = f"needs {', '.join(need.missing)}"
    elif need.kind == "tool":
        if shutil.which(need.command) is None:
            need.problem = f"{need.command} is not on the PATH"
    elif need.kind == "font":
        fc_list = shutil.which("fc-list")
        if fc_list is None:
            return  # fontconfig's tools are optional; Qt reads its library directly
        pattern = f":lang={need.lang}" if need.lang else ":"
        try:
            out = subprocess.run([fc_list, pattern, "family"], capture_output=True, text=True,
                                 timeout=30).stdout
        except (OSError, subprocess.TimeoutExpired):
            return
        if not out.strip():
            need.problem = (f"no installed font covers {need.lang}: such text shows as boxes"
                            if need.lang else
                            "fontconfig knows no font: the window's text would not show")


def to_install(items: Iterable[Need], levels: Iterable[str], family: str) -> list[str]:
    names: list[str] = []
    for need in items:
        if need.ok or need.level not in levels or need.packages is None:
            continue
        for name in need.packages.names(family):
            if not name.startswith("(") and name not in names:
                names.append(name)
    return names


def apt_install(packages: list[str]) -> bool:
    """apt-get install, with one `apt-get update` when the package lists are stale."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages]
    for attempt in range(2):
        if attempt:
            subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True)
        if subprocess.run(cmd, env=env, capture_output=True).returncode == 0:
            return True
    return False


def can_apt() -> bool:
    return (sys.platform.startswith("linux") and shutil.which("apt-get") is not None
            and os.geteuid() == 0)


def report_lines(items: list[Need]) -> list[str]:
    lines = []
    for need in items:
        mark = "ok     " if need.ok else ("MISSING" if need.level == REQUIRED else "missing")
        where = f" [{need.file}]" if need.file and not need.ok else ""
        detail = f": {need.problem}" if need.problem else ""
        suffix = f" ({need.level})" if need.level != REQUIRED else ""
        lines.append(f"{mark} {need.label}{suffix}{detail}{where}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m assistant.syslibs",
        description="Check (and, with --install, install) the system libraries, fonts and "
                    "tools the app and its tests need.")
    parser.add_argument("--for", dest="scope", choices=("app", "tests"), default="app")
    parser.add_argument("--install", action="store_true",
                        help="install what is missing with apt-get (as root), else say how")
    parser.add_argument("--strict", action="store_true",
                        help="fail when a recommended part is missing too (CI)")
    parser.add_argument("--list", action="store_true", help="print every check, not just gaps")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not sys.platform.startswith("linux"):
        print("syslibs: nothing to check on this system (its Qt wheels carry what they need)")
        return 0
    levels = (REQUIRED, RECOMMENDED) if args.strict else (REQUIRED,)
    items = needs(args.scope)
    family = distro_family()
    if args.install and any(not n.ok for n in items) and can_apt():
        # Everything missing is installed where we can, recommended parts included (the
        # Wayland plugin's libraries, the X11 test tools); only required ones stop the set-up.
        wanted = to_install(items, (REQUIRED, RECOMMENDED), "debian")
        if wanted:
            print(f"Installing what this system lacks: {' '.join(wanted)}", flush=True)
            if not apt_install(wanted):
                print("syslibs: apt-get could not install them", file=sys.stderr)
            items = needs(args.scope)
    if args.json:
        print(json.dumps([n.to_json() for n in items], indent=2))
    elif args.list:
        print("\n".join(report_lines(items)))
    failing = [n for n in items if not n.ok and n.level in levels]
    notes = [n for n in items if not n.ok and n.level not in levels]
    if not args.json:
        for need in notes:
            print(f"note: {need.label}: {need.problem}", file=sys.stderr)
    if not failing:
        return 0
    if not args.json:
        print("This system lacks what the assistant needs:", file=sys.stderr)
        for need in failing:
            print(f"  {need.label}: {need.problem}", file=sys.stderr)
        names = {f: to_install(failing, levels, f) for f in FAMILIES}
        packages = Packages(*(tuple(names[f]) for f in FAMILIES))
        hint = install_hint(packages, family)
        unnamed = [n.label for n in failing if n.packages is None]
        if hint:
            print(f"Install: {hint}", file=sys.stderr)
        if unnamed:
            print("Reinstall the Python packages for: " + ", ".join(unnamed), file=sys.stderr)
        print("then run make again.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
