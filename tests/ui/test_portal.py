"""The Wayland route of the global shortcut, the xdg-desktop-portal GlobalShortcuts
interface, spoken over a real (private) D-Bus session bus to a small portal that follows the
interface's documented protocol: CreateSession and BindShortcuts answered through Request
objects' Response signals, then Activated when the desktop sees the keys. Without any portal,
the status says so instead of failing silently."""

from __future__ import annotations

import shutil
import subprocess
import threading

import pytest

pytestmark = pytest.mark.ui

IFACE = "org.freedesktop.portal.GlobalShortcuts"
PATH = "/org/freedesktop/portal/desktop"


@pytest.fixture
def session_bus(monkeypatch: pytest.MonkeyPatch):
    if shutil.which("dbus-daemon") is None:
        pytest.skip("needs dbus-daemon (Debian: apt install dbus)")
    daemon = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address"],
                              stdout=subprocess.PIPE, text=True)
    address = daemon.stdout.readline().strip()
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
    yield address
    daemon.terminate()
    daemon.wait(10)


class FakePortal:
    """Grants the shortcut it is asked for; ``press()`` is the user pressing it."""

    def __init__(self, address: str, grant: bool = True):
        from jeepney.bus_messages import message_bus
        from jeepney.io.blocking import open_dbus_connection

        self.conn = open_dbus_connection(address)
        self.conn.send_and_get_reply(message_bus.RequestName("org.freedesktop.portal.Desktop"))
        self.grant = grant
        self.session = ""
        self.asked: list = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _respond(self, call, token: str, results: dict) -> None:  # noqa: ANN001
        from jeepney import DBusAddress, HeaderFields, new_method_return, new_signal

        sender = call.header.fields[HeaderFields.sender].lstrip(":").replace(".", "_")
        request = f"{PATH}/request/{sender}/{token}"
        self.conn.send(new_method_return(call, "o", (request,)))
        self.conn.send(new_signal(DBusAddress(request, interface="org.freedesktop.portal."
                                              "Request"), "Response", "ua{sv}",
                                  (0 if self.grant else 1, results)))

    def _serve(self) -> None:
        from jeepney import HeaderFields, MessageType, new_method_return

        while not self._stop.is_set():
            try:
                call = self.conn.receive(timeout=0.2)
            except TimeoutError:
                continue
            except Exception:  # noqa: BLE001 - the bus went away
                return
            if call.header.message_type != MessageType.method_call:
                continue
            member = call.header.fields.get(HeaderFields.member)
            if member == "Get":
                self.conn.send(new_method_return(call, "v", (("u", 1),)))
            elif member == "CreateSession":
                options = call.body[0]
                self.session = f"{PATH}/session/x/{options['session_handle_token'][1]}"
                self._respond(call, options["handle_token"][1],
                              {"session_handle": ("s", self.session)})
            elif member == "BindShortcuts":
                session, shortcuts, _parent, options = call.body
                self.asked = shortcuts
                bound = [(sid, {"description": props["description"],
                                "trigger_description": ("s", "Ctrl+Alt+Space")})
                         for sid, props in shortcuts]
                self._respond(call, options["handle_token"][1],
                              {"shortcuts": ("a(sa{sv})", bound)})
            elif member == "Close":
                self.session = ""

    def press(self, shortcut_id: str = "quick-ask") -> None:
        from jeepney import DBusAddress, new_signal

        self.conn.send(new_signal(DBusAddress(PATH, interface=IFACE), "Activated", "osta{sv}",
                                  (self.session, shortcut_id, 0, {})))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.conn.close()


def on_wayland(monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtGui import QGuiApplication

    monkeypatch.setattr(QGuiApplication, "platformName", staticmethod(lambda: "wayland"))


def test_the_portal_binds_the_shortcut_and_its_activation_opens_the_popup(
        session_bus, monkeypatch, qapp, qtbot) -> None:
    from assistant.ui.shortcut import GlobalShortcut

    on_wayland(monkeypatch)
    portal = FakePortal(session_bus)
    try:
        shortcut = GlobalShortcut()
        assert shortcut.apply(True, "Ctrl+Alt+Space"), shortcut.status
        (sid, props), = portal.asked
        assert sid == "quick-ask" and props["preferred_trigger"] == ("s", "CTRL+ALT+space")
        with qtbot.waitSignal(shortcut.activated, timeout=5_000):
            portal.press()
        shortcut.remove()  # closes the portal session
        qtbot.waitUntil(lambda: portal.session == "", timeout=5_000)
    finally:
        portal.close()


def test_a_declined_portal_request_and_a_missing_portal_are_reported(
        session_bus, monkeypatch, qapp) -> None:
    from assistant.ui.shortcut import GlobalShortcut

    on_wayland(monkeypatch)
    shortcut = GlobalShortcut()
    assert not shortcut.apply(True, "Ctrl+Alt+Space")  # nobody offers the portal
    assert "no GlobalShortcuts interface" in shortcut.status
    portal = FakePortal(session_bus, grant=False)
    try:
        assert not shortcut.apply(True, "Ctrl+Alt+Space")
        assert "declined" in shortcut.status
    finally:
        portal.close()
