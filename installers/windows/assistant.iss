; Inno Setup script: Assistant-Setup.exe from PyInstaller's dist\assistant\ (run on Windows;
; it cannot be run on Linux). Build the folder first, in the checkout:
;   py -3.11 -m venv .venv && .venv\Scripts\pip install torch==2.13.0 -e .[dev] pyinstaller
;   .venv\Scripts\python -m PyInstaller --noconfirm --distpath dist installers\assistant.spec
; then: iscc installers\windows\assistant.iss   (Inno Setup 6)
; The models stay outside: the first run offers to fetch one or to choose a GGUF file.

#define AppName "Assistant"
#define AppVersion "0.1.0"

[Setup]
AppId={{6C1E8D52-3A7B-4F0E-9B7D-2D4B1A9E5C31}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=Assistant
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
PrivilegesRequiredOverridesAllowed=dialog
OutputDir=..\..\dist
OutputBaseFilename=Assistant-Setup-{#AppVersion}
Compression=lzma2/ultra64
SolidCompression=yes
ArchitecturesInstallIn64BitMode=x64compatible
WizardStyle=modern
UninstallDisplayIcon={app}\assistant.exe

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; Flags: unchecked

[Files]
Source: "..\..\dist\assistant\*"; DestDir: "{app}"; Flags: recursesubdirs createallsubdirs ignoreversion

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\assistant.exe"; Parameters: "gui"
Name: "{group}\Quick question"; Filename: "{app}\assistant.exe"; Parameters: "popup"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\assistant.exe"; Parameters: "gui"; Tasks: desktopicon

[Run]
Filename: "{app}\assistant.exe"; Parameters: "gui"; Description: "Start {#AppName}"; Flags: nowait postinstall skipifsilent
