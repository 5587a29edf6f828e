"""The global shortcut that opens the quick-ask popup from anywhere.

One backend per kind of desktop, each registering exactly one key combination, and only
while the user has it switched on (a disabled shortcut is never registered):

- X11: a passive key grab on the root window (XGrabKey, through python-xlib) on a
  connection of its own, read on a helper thread. Only that combination reaches us; other
  keys are never seen. NumLock and CapsLock states are grabbed too, so they don't get in
  the way. A combination another program holds is reported, not silently lost.
- Wayland: the xdg-desktop-portal GlobalShortcuts interface (through jeepney, on the
  session bus): the desktop asks the user to confirm and may change the combination.
  Desktops without it (GNOME before 48, most others) are reported as such.
- Windows and macOS: pynput's GlobalHotKeys (macOS asks for Input Monitoring permission).

Where none works, :attr:`GlobalShortcut.status` says why, and the settings offer the
fallback: bind ``assistant popup`` in the desktop's own keyboard settings.

Signals: ``activated()`` on the GUI thread.
"""

from __future__ import annotations

import os
import select
import sys
import threading
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication

from assistant.ui.bridge import EventPump

DEFAULT = "Ctrl+Alt+Space"
FALLBACK = "assistant popup"


class ShortcutError(Exception):
    """Why a shortcut could not be registered, in words for the settings."""


def split(sequence: str) -> tuple[set[str], str]:
    """``"Ctrl+Alt+Space"`` → ({"ctrl", "alt"}, "Space"). Qt's portable text: the last part is
    the key, the others modifiers (Ctrl, Alt, Shift, Meta = the Super/Windows/Cmd key)."""
    parts = [p.strip() for p in sequence.replace(" ", "").split("+")]
    if sequence.strip().endswith("++"):  # "Ctrl++": the plus key
        parts = parts[:-2] + ["+"]
    if not parts or not parts[-1]:
        raise ShortcutError(f"{sequence!r} is not a key combination")
    mods = {p.lower() for p in parts[:-1]}
    unknown = mods - {"ctrl", "alt", "shift", "meta"}
    if unknown:
        raise ShortcutError(f"unknown modifier {sorted(unknown)[0]!r} in {sequence!r}")
    if not mods:
        raise ShortcutError(f"{sequence!r} needs at least one of Ctrl, Alt, Meta: a plain key "
                            "would be taken from every other program")
    return mods, parts[-1]


# Qt key names whose X keysym is spelt differently.
_X_NAMES = {"esc": "Escape", "return": "Return", "enter": "Return", "space": "space",
            "tab": "Tab", "backspace": "BackSpace", "del": "Delete", "ins": "Insert",
            "pgup": "Prior", "pgdown": "Next", "home": "Home", "end": "End", "+": "plus",
            "-": "minus", ",": "comma", ".": "period", "/": "slash", ";": "semicolon",
            "'": "apostrophe", "[": "bracketleft", "]": "bracketright", "`": "grave",
            "=": "equal", "\\": "backslash"}


class _X11:
    """A passive grab of one key combination on the X root window."""

    def __init__(self, sequence: str, fire: Any):
        from Xlib import XK, X, display, error

        mods, key = split(sequence)
        try:
            self.display = display.Display()
        except Exception as exc:  # noqa: BLE001 - Xlib raises several kinds
            raise ShortcutError(f"cannot reach the X server: {exc}") from exc
        keysym = (XK.string_to_keysym(_X_NAMES.get(key.lower(), key))
                   or XK.string_to_keysym(key.lower()))
        keycode = self.display.keysym_to_keycode(keysym) if keysym else 0
        if not keycode:
            self.display.close()
            raise ShortcutError(f"this keyboard has no key {key!r}")
        mask = 0
        for name, bit in (("ctrl", X.ControlMask), ("alt", X.Mod1Mask),
                          ("shift", X.ShiftMask), ("meta", X.Mod4Mask)):
            if name in mods:
                mask |= bit
        self.keycode, self.mask = keycode, mask
        self.root = self.display.screen().root
        self._variants = [mask | extra for extra in
                          (0, X.LockMask, X.Mod2Mask, X.LockMask | X.Mod2Mask)]
        catch = error.CatchError(error.BadAccess)
        for m in self._variants:
            self.root.grab_key(keycode, m, True, X.GrabModeAsync, X.GrabModeAsync,
                               onerror=catch)
        self.display.sync()
        if catch.get_error():
            self._ungrab()
            self.display.close()
            raise ShortcutError(f"{sequence} is already taken by another program; "
                                "choose another combination")
        self._fire = fire
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="assistant-hotkey",
                                        daemon=True)
        self._thread.start()

    def _ungrab(self) -> None:
        for m in self._variants:
            self.root.ungrab_key(self.keycode, m)
        self.display.sync()

    def _loop(self) -> None:
        from Xlib import X

        fd = self.display.fileno()
        while not self._stop.is_set():
            ready, _, _ = select.select([fd], [], [], 0.2)
            if not ready:
                continue
            while self.display.pending_events() and not self._stop.is_set():
                event = self.display.next_event()
                if event.type == X.KeyPress and event.detail == self.keycode:
                    self._fire()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        try:
            self._ungrab()
            self.display.close()
        except Exception:  # noqa: BLE001 - the X server may be gone at logout
            pass


class _Portal:
    """xdg-desktop-portal GlobalShortcuts on the session bus (Wayland desktops)."""

    NAME, PATH = "org.freedesktop.portal.Desktop", "/org/freedesktop/portal/desktop"
    IFACE = "org.freedesktop.portal.GlobalShortcuts"
    ID = "quick-ask"

    def __init__(self, sequence: str, fire: Any):
        try:
            from jeepney import DBusAddress, MatchRule, Properties, new_method_call
            from jeepney.io.blocking import open_dbus_connection
        except ImportError as exc:
            raise ShortcutError("jeepney is not installed (pip install jeepney)") from exc
        split(sequence)
        try:
            self.conn = open_dbus_connection(bus="SESSION")
        except Exception as exc:  # noqa: BLE001 - no session bus
            raise ShortcutError(f"no D-Bus session bus: {exc}") from exc
        portal = DBusAddress(self.PATH, bus_name=self.NAME, interface=self.IFACE)
        try:
            reply = self.conn.send_and_get_reply(Properties(portal).get("version"), timeout=3)
            if reply.header.message_type.name == "error":
                raise ShortcutError("")
        except Exception as exc:  # noqa: BLE001
            self.conn.close()
            raise ShortcutError("this desktop's portal has no GlobalShortcuts interface "
                                "(GNOME 48+, KDE Plasma 5.27+ and Hyprland offer it)") from exc
        self._new_method_call, self._portal, self._MatchRule = new_method_call, portal, MatchRule
        token = f"assistant{os.getpid()}"
        results = self._request("CreateSession", "a{sv}", ({
            "handle_token": ("s", token), "session_handle_token": ("s", token)},))
        self.session = str(results.get("session_handle", ("s", ""))[1])
        if not self.session:
            self.conn.close()
            raise ShortcutError("the portal did not open a shortcuts session")
        trigger = _portal_trigger(sequence)
        shortcuts = [(self.ID, {"description": ("s", "Ask the assistant"),
                                "preferred_trigger": ("s", trigger)})]
        results = self._request("BindShortcuts", "oa(sa{sv})sa{sv}", (
            self.session, shortcuts, "", {"handle_token": ("s", token + "b")}))
        bound = results.get("shortcuts", ("a(sa{sv})", []))[1]
        if not any(s[0] == self.ID for s in bound):
            self.conn.close()
            raise ShortcutError("the desktop did not grant the shortcut (declined, or "
                                "it is taken)")
        self.trigger = next((s[1].get("trigger_description", ("s", ""))[1]
                             for s in bound if s[0] == self.ID), "")
        self._fire = fire
        self._stop = threading.Event()
        # Listening starts here, before the caller can press anything (not on the thread).
        from jeepney.bus_messages import message_bus

        rule = MatchRule(type="signal", interface=self.IFACE, member="Activated",
                         path=self.PATH)
        self.conn.send_and_get_reply(message_bus.AddMatch(rule), timeout=3)
        self._activations = self.conn.filter(rule, bufsize=16)
        self._thread = threading.Thread(target=self._loop, name="assistant-hotkey",
                                        daemon=True)
        self._thread.start()

    def _request(self, method: str, signature: str, body: tuple) -> dict:
        """Call a portal method and wait for its Request's Response (the portal's pattern)."""
        from jeepney import HeaderFields
        from jeepney.bus_messages import message_bus

        rule = self._MatchRule(type="signal", interface="org.freedesktop.portal.Request",
                               member="Response")
        self.conn.send_and_get_reply(message_bus.AddMatch(rule), timeout=3)
        with self.conn.filter(rule, bufsize=8) as queue:
            reply = self.conn.send_and_get_reply(
                self._new_method_call(self._portal, method, signature, body), timeout=5)
            if reply.header.message_type.name == "error":
                raise ShortcutError(f"the portal refused {method}: {reply.body}")
            handle = reply.body[0]
            while True:  # the user may be asked to confirm: wait as long as they take
                message = self.conn.recv_until_filtered(queue, timeout=300)
                if message.header.fields.get(HeaderFields.path) == handle:
                    code, results = message.body
                    if code != 0:
                        raise ShortcutError("the desktop declined the shortcut"
                                            if code == 1 else f"the portal failed ({code})")
                    return dict(results)

    def _loop(self) -> None:
        queue = self._activations.queue
        try:
            while not self._stop.is_set():
                try:
                    message = self.conn.recv_until_filtered(queue, timeout=0.5)
                except TimeoutError:
                    continue
                except Exception:  # noqa: BLE001 - the bus went away
                    return
                if message.body[:2] == (self.session, self.ID):
                    self._fire()
        finally:
            self._activations.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        try:
            from jeepney import DBusAddress, new_method_call

            session = DBusAddress(self.session, bus_name=self.NAME,
                                  interface="org.freedesktop.portal.Session")
            self.conn.send(new_method_call(session, "Close"))
            self.conn.close()
        except Exception:  # noqa: BLE001
            pass


def _portal_trigger(sequence: str) -> str:
    """Qt's "Ctrl+Alt+Space" in the shortcuts spec's form, "CTRL+ALT+space"."""
    mods, key = split(sequence)
    names = {"ctrl": "CTRL", "alt": "ALT", "shift": "SHIFT", "meta": "LOGO"}
    ordered = [names[m] for m in ("ctrl", "alt", "shift", "meta") if m in mods]
    return "+".join(ordered + [_X_NAMES.get(key.lower(), key.lower() if len(key) == 1 else key)])


class _Pynput:
    """pynput's GlobalHotKeys (Windows: RegisterHotKey-like hook; macOS: an event tap)."""

    def __init__(self, sequence: str, fire: Any):
        try:
            from pynput import keyboard
        except ImportError as exc:
            raise ShortcutError("pynput is not installed (pip install pynput)") from exc
        mods, key = split(sequence)
        names = {"ctrl": "<ctrl>", "alt": "<alt>", "shift": "<shift>", "meta": "<cmd>"}
        spelt = key.lower() if len(key) == 1 else f"<{key.lower()}>"
        combo = "+".join([names[m] for m in ("ctrl", "alt", "shift", "meta") if m in mods]
                         + [spelt])
        try:
            self.listener = keyboard.GlobalHotKeys({combo: fire})
            self.listener.start()
        except Exception as exc:  # noqa: BLE001 - bad key names, no permission
            raise ShortcutError(f"{sequence} could not be registered: {exc}") from exc
        if sys.platform == "darwin" and not getattr(self.listener, "IS_TRUSTED", True):
            self.listener.stop()
            raise ShortcutError("macOS has not allowed it yet: allow Assistant in System "
                                "Settings → Privacy & Security → Input Monitoring")

    def close(self) -> None:
        self.listener.stop()


def backend_for(platform_name: str) -> tuple[type | None, str]:
    """The backend class for this desktop, or None and why there is none."""
    if sys.platform.startswith("win") or sys.platform == "darwin":
        return _Pynput, ""
    if platform_name == "xcb":
        return _X11, ""
    if platform_name.startswith("wayland"):
        return _Portal, ""
    return None, (f"Qt runs on the {platform_name!r} platform here, which has no global "
                  "shortcuts")


class GlobalShortcut(QObject):
    """The quick-ask shortcut: :meth:`apply` registers, replaces or removes it."""

    activated = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._pump = EventPump(self)
        self._pump.event.connect(lambda _: self.activated.emit())
        self._backend: Any = None
        self.sequence = ""
        self.registered = False
        self.status = "Off"

    def apply(self, enabled: bool, sequence: str) -> bool:
        """Register ``sequence`` when enabled (replacing the previous one); True when it is."""
        self.remove()
        self.sequence = sequence
        if not enabled:
            self.status = "Off: no global shortcut is registered."
            return False
        kind, why = backend_for(QGuiApplication.platformName())
        if kind is None:
            self.status = f"Not registered: {why}."
            return False
        try:
            self._backend = kind(sequence, lambda: self._pump(None))
        except ShortcutError as exc:
            self.status = f"Not registered: {exc}."
            return False
        self.registered = True
        # the portal says which keys the desktop really bound (the user may have changed them)
        keys = getattr(self._backend, "trigger", "") or sequence
        self.status = f"Registered: {keys} opens the quick-ask popup."
        return True

    def remove(self) -> None:
        if self._backend is not None:
            self._backend.close()
            self._backend = None
        self.registered = False
