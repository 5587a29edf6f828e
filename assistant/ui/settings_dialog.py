"""Settings: the model, how it runs, how answers are made, which folders are kept indexed,
and the window's language.

Saved into config.toml (the user's comments in it are kept); the window then applies what it
can at once (passages per answer, a new model loads in the background, folders start or
stop being watched). Passage size needs a new index: the dialog says so, and the existing
background rebuild builds it while the current index keeps answering.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QLocale, Qt
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from assistant.config import E5_MODEL, MINILM_MODEL, PASSAGE_TOKENS, Settings
from assistant.ui import i18n
from assistant.ui.untrusted import escape, plain, tooltip

CONTEXT_SIZES = [2048, 4096, 8192, 16384, 32768]


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, tray_note: str = "", parent: QWidget | None = None,
                 shortcut_status: str = ""):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Settings"))
        self.settings = settings
        self.changes: dict[tuple[str, str], Any] = {}
        self.autostart_wanted: bool | None = None  # None: unchanged
        self.key_saved = False  # a new API key went to the keychain
        self.language_changed = False  # the window's language, applied at the next start
        layout = QVBoxLayout(self)
        tabs = QTabWidget()
        layout.addWidget(tabs)

        # Model -----------------------------------------------------------------------
        model = QWidget()
        form = QFormLayout(model)
        self.backend = QComboBox()
        self.backend.addItem(self.tr("This computer (a GGUF file, llama.cpp)"), "local")
        self.backend.addItem(self.tr("A model server (OpenAI-compatible API)"), "openai")
        self.backend.setCurrentIndex(self.backend.findData(settings.llm.backend))
        form.addRow(self.tr("Runs on"), self.backend)
        self.model = QComboBox()
        self.model.setEditable(False)
        models_dir = settings.models_path
        files = sorted(p.name for p in models_dir.glob("*.gguf")) if models_dir.is_dir() else []
        current = settings.llm.model
        if current not in files:
            files.insert(0, current)
        self.model.addItems(files)
        self.model.setCurrentText(current)
        browse = QPushButton(self.tr("Choose a file…"))
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.model, 1)
        row.addWidget(browse)
        form.addRow(self.tr("Model file"), row)
        hint = plain(QLabel(self.tr("GGUF files in {folder}").format(folder=models_dir)))
        hint.setWordWrap(True)
        form.addRow("", hint)
        self.gpu = QComboBox()
        self.gpu.addItems([self.tr("Auto (all layers when the build supports it)"),
                           self.tr("Off (CPU only)"), self.tr("Some layers")])
        self.gpu_layers = QSpinBox()
        self.gpu_layers.setRange(1, 200)
        n = settings.llm.n_gpu_layers
        self.gpu.setCurrentIndex(0 if n < 0 else 1 if n == 0 else 2)
        self.gpu_layers.setValue(n if n > 0 else 16)
        self.gpu_layers.setEnabled(n > 0)
        self.gpu.currentIndexChanged.connect(lambda i: self.gpu_layers.setEnabled(i == 2))
        row = QHBoxLayout()
        row.addWidget(self.gpu, 1)
        row.addWidget(self.gpu_layers)
        form.addRow(self.tr("GPU offload"), row)
        self.threads = QSpinBox()
        self.threads.setRange(0, 256)
        self.threads.setSpecialValueText(self.tr("Automatic (physical cores)"))
        self.threads.setValue(settings.llm.threads)
        form.addRow(self.tr("CPU threads"), self.threads)
        self.n_ctx = QComboBox()
        for size in CONTEXT_SIZES:
            self.n_ctx.addItem(self.tr("{n} tokens").format(n=f"{size:,}"), size)
        if settings.llm.n_ctx not in CONTEXT_SIZES:
            self.n_ctx.addItem(self.tr("{n} tokens").format(n=f"{settings.llm.n_ctx:,}"),
                               settings.llm.n_ctx)
        self.n_ctx.setCurrentIndex(self.n_ctx.findData(settings.llm.n_ctx))
        form.addRow(self.tr("Context size"), self.n_ctx)
        self.server = QGroupBox(self.tr("Model server"))
        server = QFormLayout(self.server)
        self.base_url = QLineEdit(settings.llm.base_url)
        self.base_url.setPlaceholderText("http://127.0.0.1:8080/v1")
        server.addRow(self.tr("API address"), self.base_url)
        self.server_model = QLineEdit(settings.llm.server_model)
        self.server_model.setPlaceholderText(self.tr("the first model the server lists"))
        server.addRow(self.tr("Model name"), self.server_model)
        from assistant import secrets

        self.api_key = QLineEdit()
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        has_key = bool(secrets.get("openai"))
        self.api_key.setPlaceholderText(self.tr("kept in the keychain (type to replace)")
                                        if has_key else
                                        self.tr("none (type one to keep it in the keychain)"))
        server.addRow(self.tr("API key"), self.api_key)
        key_note = QLabel(self.tr("The key is kept in your system's keychain, never in "
                                  "config.toml."))
        key_note.setWordWrap(True)
        server.addRow("", key_note)
        form.addRow(self.server)
        self._local_rows = [self.model, browse, hint, self.gpu, self.gpu_layers, self.threads]
        self.backend.currentIndexChanged.connect(self._show_backend)
        self._show_backend()
        tabs.addTab(model, self.tr("Model"))

        # Answers ---------------------------------------------------------------------
        answers = QWidget()
        form = QFormLayout(answers)
        self.top_k = QSpinBox()
        self.top_k.setRange(1, 20)
        self.top_k.setValue(settings.retrieval.top_k)
        form.addRow(self.tr("Passages per answer"), self.top_k)
        self.max_tokens = QSpinBox()
        self.max_tokens.setRange(16, 4096)
        self.max_tokens.setValue(settings.llm.max_answer_tokens)
        form.addRow(self.tr("Longest answer (tokens)"), self.max_tokens)
        tabs.addTab(answers, self.tr("Answers"))

        # Folders ---------------------------------------------------------------------
        folders = QWidget()
        box = QVBoxLayout(folders)
        box.addWidget(QLabel(self.tr("Folders kept indexed")))
        self.folders = QListWidget()
        self.folders.addItems(list(settings.watch.folders))
        box.addWidget(self.folders)
        row = QHBoxLayout()
        add = QPushButton(self.tr("Add folder…"))
        add.clicked.connect(self._add_folder)
        remove = QPushButton(self.tr("Remove"))
        remove.clicked.connect(lambda: [self.folders.takeItem(self.folders.row(i))
                                        for i in self.folders.selectedItems()])
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        box.addLayout(row)
        box.addWidget(QLabel(self.tr("Ignore patterns (gitignore syntax, one per line)")))
        self.patterns = QPlainTextEdit("\n".join(settings.indexing.ignore_patterns))
        self.patterns.setPlaceholderText("*.log\ndrafts/")
        self.patterns.setMaximumHeight(90)
        box.addWidget(self.patterns)
        self.follow_links = QCheckBox(self.tr("Follow links that lead out of indexed folders"))
        self.follow_links.setChecked(settings.indexing.follow_links)
        self.follow_links.setToolTip(tooltip(self.tr(
            "Off: a symbolic link to a file or folder outside the folder is skipped. Either "
            "way, links to hidden, sensitive or ignored places, other people's home folders, "
            "the assistant's own data, your home folder or a folder around the indexed one "
            "are never followed.")))
        box.addWidget(self.follow_links)
        tabs.addTab(folders, self.tr("Folders"))

        # Advanced --------------------------------------------------------------------
        advanced = QWidget()
        form = QFormLayout(advanced)
        self.embedder = QComboBox()
        self.embedder.addItem(self.tr("Every language (multilingual-e5-small)"), E5_MODEL)
        self.embedder.addItem(self.tr("English only, indexes faster (all-MiniLM-L6-v2)"),
                              MINILM_MODEL)
        self.embedder.setCurrentIndex(self.embedder.findData(settings.embedding.model))
        own_model = settings.embedding.backend == "local" and not settings.embedding.model_dir
        self.embedder.setEnabled(own_model)
        self.embedder.setToolTip(tooltip(self.tr(
            "The model that gives passages their meaning. Every language: one index for "
            "documents in many languages, and a question in one language finds a passage in "
            "another. English only: about five times faster to index on a CPU, but it does not "
            "understand other languages.") if own_model else self.tr(
            "Set in the settings file (an embedding server or a model folder).")))
        form.addRow(self.tr("Search model"), self.embedder)
        self.chunk = QSpinBox()
        self.chunk.setValue(settings.chunking.max_tokens)
        form.addRow(self.tr("Passage size (tokens)"), self.chunk)
        self.embedder.currentIndexChanged.connect(self._show_chunk_limit)
        self._show_chunk_limit()
        self.rebuild_note = QLabel(self.tr("Changing it builds a new index in the background; "
                                           "the current one answers until it is ready."))
        self.rebuild_note.setWordWrap(True)
        form.addRow("", self.rebuild_note)
        tabs.addTab(advanced, self.tr("Advanced"))
        tabs.addTab(self._desktop_tab(settings, tray_note, shortcut_status), self.tr("Desktop"))

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save |
                                   QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(600, 500)  # the Desktop tab (shortcut, login, language) needs it

    def _desktop_tab(self, settings: Settings, tray_note: str, shortcut_status: str) -> QWidget:
        from assistant import autostart

        desktop = QWidget()
        box = QVBoxLayout(desktop)
        group = QGroupBox(self.tr("Quick-ask shortcut"))
        inner = QVBoxLayout(group)
        self.shortcut_on = QCheckBox(self.tr("Open the quick-ask popup from anywhere with"))
        self.shortcut_on.setChecked(settings.desktop.shortcut_enabled)
        self.shortcut_keys = QKeySequenceEdit(QKeySequence(settings.desktop.shortcut))
        self.shortcut_keys.setMaximumSequenceLength(1)
        self.shortcut_keys.setClearButtonEnabled(True)
        self.shortcut_keys.setEnabled(self.shortcut_on.isChecked())
        self.shortcut_on.toggled.connect(self.shortcut_keys.setEnabled)
        row = QHBoxLayout()
        row.addWidget(self.shortcut_on)
        row.addWidget(self.shortcut_keys, 1)
        inner.addLayout(row)
        self.shortcut_status = plain(QLabel(shortcut_status))
        self.shortcut_status.setWordWrap(True)
        registered = shortcut_status.startswith("Registered")
        self.shortcut_status.setStyleSheet("" if registered or shortcut_status.startswith("Off")
                                           else "color: #b3261e;")
        inner.addWidget(self.shortcut_status)
        command = autostart.shell_line(autostart.launcher("popup"))
        fallback = QLabel(self.tr("Where the shortcut can't be registered (some Wayland "
                                  "desktops), add a custom shortcut in your desktop's keyboard "
                                  "settings that runs this command; it opens the popup of the "
                                  "running app:"))
        fallback.setWordWrap(True)
        inner.addWidget(fallback)
        self.popup_command = QLabel(f"<code>{escape(command)}</code>")
        self.popup_command.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse)
        self.popup_command.setWordWrap(True)
        copy = QPushButton(self.tr("Copy command"))
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(command))
        row = QHBoxLayout()
        row.addWidget(self.popup_command, 1)
        row.addWidget(copy)
        inner.addLayout(row)
        box.addWidget(group)

        group = QGroupBox(self.tr("Login"))
        inner = QVBoxLayout(group)
        self.autostart = QCheckBox(self.tr("Start Assistant when I log in (hidden in the tray)"))
        self._autostart_was = autostart.enabled()
        self.autostart.setChecked(self._autostart_was)
        inner.addWidget(self.autostart)
        box.addWidget(group)

        group = QGroupBox(self.tr("Language"))
        inner = QFormLayout(group)
        self.language = QComboBox()
        self.language.addItem(self.tr("As the system (now: {name})").format(
            name=QLocale.system().nativeLanguageName() or "English"), "")
        for code, name in i18n.LANGUAGES:
            self.language.addItem(name, code)
        self._language_was = i18n.saved_choice()
        self.language.setCurrentIndex(max(0, self.language.findData(self._language_was)))
        inner.addRow(self.tr("Window language"), self.language)
        note = QLabel(self.tr("Applies the next time the assistant starts. Answers are written "
                              "in the language of the question."))
        note.setWordWrap(True)
        inner.addRow(note)
        box.addWidget(group)
        if tray_note:
            group = QGroupBox(self.tr("System tray"))
            inner = QVBoxLayout(group)
            note = QLabel(tray_note)
            note.setWordWrap(True)
            note.setTextFormat(Qt.TextFormat.RichText)
            inner.addWidget(note)
            box.addWidget(group)
        box.addStretch(1)
        return desktop

    def _passage_size(self) -> int:
        """The size to save: the setting as it was when the box shows it cut to the model's
        limit (a setting of 500 reads as 254 with MiniLM, and is the same index)."""
        asked = self.settings.chunking.max_tokens
        return asked if self.chunk.value() == min(asked, self.chunk.maximum()) else \
            self.chunk.value()

    def _show_chunk_limit(self) -> None:
        """A passage is at most what the chosen model reads whole (a larger setting would be
        cut to it anyway)."""
        limit = PASSAGE_TOKENS.get(self.embedder.currentData(), PASSAGE_TOKENS[MINILM_MODEL])
        # Switching to MiniLM and back must not leave the passage size cut to MiniLM's.
        asked = max(self.chunk.value(), self.settings.chunking.max_tokens)
        self.chunk.setRange(32, limit)
        self.chunk.setValue(min(asked, limit))
        self.chunk.setToolTip(tooltip(self.tr(
            "Largest passage, in the search model's tokens; this model reads at most "
            "%n tokens.", "", limit)))

    def _show_backend(self) -> None:
        local = self.backend.currentData() == "local"
        for widget in self._local_rows:
            widget.setEnabled(local and (widget is not self.gpu_layers
                                         or self.gpu.currentIndex() == 2))
        self.server.setVisible(not local)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Choose a GGUF model"),
                                              str(Path.home()),
                                              self.tr("GGUF models (*.gguf)"))
        if path:
            self.model.addItem(path)
            self.model.setCurrentText(path)

    def _add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Keep a folder indexed"))
        if folder and not self.folders.findItems(folder, Qt.MatchFlag.MatchExactly):
            self.folders.addItem(folder)

    def collect(self) -> dict[tuple[str, str], Any]:
        """What differs from the current settings, as {(section, key): value}."""
        s = self.settings
        gpu = [-1, 0, self.gpu_layers.value()][self.gpu.currentIndex()]
        wanted = {
            ("llm", "backend"): self.backend.currentData(),
            ("llm", "base_url"): self.base_url.text().strip() or s.llm.base_url,
            ("llm", "server_model"): self.server_model.text().strip(),
            ("llm", "model"): self.model.currentText(),
            ("llm", "n_gpu_layers"): gpu,
            ("llm", "threads"): self.threads.value(),
            ("llm", "n_ctx"): int(self.n_ctx.currentData()),
            ("llm", "max_answer_tokens"): self.max_tokens.value(),
            ("retrieval", "top_k"): self.top_k.value(),
            ("watch", "folders"): [self.folders.item(i).text()
                                   for i in range(self.folders.count())],
            ("indexing", "follow_links"): self.follow_links.isChecked(),
            ("indexing", "ignore_patterns"): [line.strip() for line in
                                              self.patterns.toPlainText().splitlines()
                                              if line.strip()],
            ("embedding", "model"): self.embedder.currentData(),
            ("chunking", "max_tokens"): self._passage_size(),
            ("desktop", "shortcut_enabled"): self.shortcut_on.isChecked(),
            ("desktop", "shortcut"): (self.shortcut_keys.keySequence().toString(
                QKeySequence.SequenceFormat.PortableText) or s.desktop.shortcut),
        }
        current = {key: getattr(getattr(s, key[0]), key[1]) for key in wanted}
        return {k: v for k, v in wanted.items() if v != current[k]}

    def _save(self) -> None:
        key = self.api_key.text().strip()
        if key:
            from assistant import secrets
            from assistant.core.errors import AssistantError

            try:
                secrets.save("openai", key)
            except AssistantError as exc:
                QMessageBox.warning(self, self.tr("API key not kept"), f"{exc}.")
                return
            self.api_key.clear()
            self.key_saved = True
        self.changes = self.collect()
        wanted = self.autostart.isChecked()
        self.autostart_wanted = wanted if wanted != self._autostart_was else None
        language = self.language.currentData() or ""
        self.language_changed = language != self._language_was
        if self.language_changed:
            i18n.save_choice(language)
        self.accept()
