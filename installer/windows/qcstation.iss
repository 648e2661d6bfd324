; Inno Setup script for qcstation on Windows (Inno Setup 6.2 or newer).
;
; installer/windows/build-installer.sh builds the bundle and runs this with
;   ISCC.exe /DAppVersion=0.2.0 /DSourceDir=build\windows\dist\qcstation
;            /DOutputDir=build\windows installer\windows\qcstation.iss
; (and /DSignInstaller "/Sqcsign=signtool.exe sign ... $f" when a certificate is there).
;
; Per-user (no administrator rights, into %LOCALAPPDATA%\Programs) by default; the first
; page offers per-machine (Program Files) to an administrator, and /ALLUSERS or
; /CURRENTUSER choose on the command line. Start menu entry always, desktop shortcut when
; ticked. Uninstalling keeps the station's data (database, evidence, backups) unless the
; person says yes to removing it.

#ifndef AppVersion
  #error Pass /DAppVersion=X.Y.Z (the version in pyproject.toml)
#endif
#ifndef SourceDir
  #define SourceDir "..\..\build\windows\dist\qcstation"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\build\windows"
#endif

[Setup]
; The AppId ties upgrades and the uninstaller together: never change it.
AppId={{6B1D6E0A-3C7B-4E4B-9C39-2F8E5D0A7C41}
AppName=qcstation
AppVersion={#AppVersion}
AppVerName=qcstation {#AppVersion}
AppPublisher=qcstation
DefaultDirName={autopf}\qcstation
DefaultGroupName=qcstation
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog commandline
; "x64": understood by every Inno Setup 6 (6.3 calls it x64os and still accepts it)
ArchitecturesAllowed=x64
ArchitecturesInstallIn64BitMode=x64
OutputDir={#OutputDir}
OutputBaseFilename=qcstation-{#AppVersion}-windows-x64-setup
SetupIconFile=..\..\resources\icons\qcstation.ico
UninstallDisplayIcon={app}\qcstation.exe
UninstallDisplayName=qcstation {#AppVersion}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; An upgrade closes a running qcstation first, so its files can be replaced.
CloseApplications=yes
RestartApplications=no
#ifdef SignInstaller
SignTool=qcsign
SignedUninstaller=yes
#endif

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; An upgrade replaces the whole program folder: files of the old version must not linger.
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\qcstation"; Filename: "{app}\qcstation.exe"; Comment: "Quality inspection station"
Name: "{autodesktop}\qcstation"; Filename: "{app}\qcstation.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\qcstation.exe"; Description: "{cm:LaunchProgram,qcstation}"; Flags: nowait postinstall skipifsilent

[Code]
{ Where qcstation keeps a person's data: platformdirs' user_data_dir("qcstation",
  appauthor=False), i.e. %LOCALAPPDATA%\qcstation (see docs/data.md). }
function DataDir(): String;
begin
  Result := ExpandConstant('{localappdata}\qcstation');
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  Answer: Integer;
begin
  if CurUninstallStep <> usPostUninstall then
    Exit;
  if not DirExists(DataDir()) then
    Exit;
  { Silent uninstalls (IT tools) always keep the data. }
  if UninstallSilent() then
    Exit;
  Answer := MsgBox('qcstation is removed. Its data is still in' + #13#10 + DataDir() + #13#10 + #13#10 +
    'It holds this station''s inspections, evidence images, signing keys and backups. ' +
    'Keep it to use it again after reinstalling.' + #13#10 + #13#10 +
    'Also delete this data now? This cannot be undone.',
    mbConfirmation, MB_YESNO or MB_DEFBUTTON2);
  if Answer = IDYES then
  begin
    if not DelTree(DataDir(), True, True, True) then
      MsgBox('Could not delete everything in ' + DataDir() + '; delete it by hand.', mbError, MB_OK);
  end;
end;
