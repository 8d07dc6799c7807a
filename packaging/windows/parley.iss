; Inno Setup script: the Windows installer for Parley (Inno Setup 6).
;
;   pyinstaller --noconfirm packaging\parley.spec
;   iscc /DAppVersion=0.1.0 packaging\windows\parley.iss
;
; makes dist\parley-<version>-setup.exe from the one-folder build in dist\parley\. It installs
; per user by default (no administrator needed; %LOCALAPPDATA%\Programs\Parley), or for all users
; when run elevated, adds a Start menu entry, and registers Parley as the handler of parley://
; and parleys:// meeting links:
;   HKCU (or HKLM)\Software\Classes\parley\(Default)        = "URL:Parley meeting link"
;   HKCU (or HKLM)\Software\Classes\parley\URL Protocol     = ""
;   HKCU (or HKLM)\Software\Classes\parley\DefaultIcon      = "…\parley.exe",0
;   HKCU (or HKLM)\Software\Classes\parley\shell\open\command = "…\parley.exe" "%1"
; Uninstalling removes those keys again.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "Parley"
#define AppExe "parley.exe"
#define AppId "org.parley.Parley"

[Setup]
; A fixed GUID-like id: upgrades replace the same installation.
AppId={{6C1E5B1B-8A43-4E0B-9C77-5B7F8F3C2A10}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=The Parley authors
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
SetupIconFile=parley.ico
UninstallDisplayIcon={app}\{#AppExe}
SourceDir=.
OutputDir=..\..\dist
OutputBaseFilename=parley-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes
ChangesAssociations=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "..\..\dist\parley\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; AppUserModelID: "{#AppId}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon; AppUserModelID: "{#AppId}"

[Registry]
; HKA is HKCU for a per-user install and HKLM for an all-users one.
Root: HKA; Subkey: "Software\Classes\parley"; ValueType: string; ValueName: ""; ValueData: "URL:Parley meeting link"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\parley"; ValueType: string; ValueName: "URL Protocol"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\parley\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"",0"
Root: HKA; Subkey: "Software\Classes\parley\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""
Root: HKA; Subkey: "Software\Classes\parleys"; ValueType: string; ValueName: ""; ValueData: "URL:Parley meeting link (TLS)"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\parleys"; ValueType: string; ValueName: "URL Protocol"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\parleys\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"",0"
Root: HKA; Subkey: "Software\Classes\parleys\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
