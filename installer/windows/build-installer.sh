#!/usr/bin/env bash
# Builds qcstation's Windows installer: the bundle from installer/qcstation.spec, its
# self-test, code signing when a certificate is given, then Inno Setup.
#
#   bash installer/windows/build-installer.sh        (Git Bash on Windows; GitHub's
#                                                     windows-latest runs it as is)
#
# Needs: the Python that has qcstation installed with the `installer` extra
# (pip install ".[installer]"; QCSTATION_PYTHON names it, default: python), and Inno
# Setup 6 (ISCC.exe; `choco install innosetup` when missing).
#
# Code signing, only when both are set (otherwise it says "skipped: ..." and goes on):
#   WINDOWS_CERT_PFX_BASE64   the code-signing certificate and key, a .pfx in base64
#   WINDOWS_CERT_PASSWORD     its password
#   WINDOWS_TIMESTAMP_URL     RFC 3161 server (default http://timestamp.digicert.com)
#
# Output in build/windows/: dist/qcstation/ (the bundle), selftest/ and
# qcstation-VERSION-windows-x64-setup.exe.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
say() { printf 'build-installer: %s\n' "$*" >&2; }
# Git Bash rewrites arguments that start with / into paths; signtool and ISCC need theirs.
export MSYS2_ARG_CONV_EXCL="*"

py="${QCSTATION_PYTHON:-python}"
out="build/windows"
# (tr: Python on Windows ends its lines with \r\n, and $(...) keeps the \r)
version="$("$py" -c 'from importlib.metadata import version; print(version("qcstation"))' | tr -d '\r')"
rm -rf "$out/dist" "$out/selftest" "$out"/*.exe
mkdir -p "$out"

say "building the bundle of qcstation $version"
"$py" -m PyInstaller --noconfirm --log-level WARN \
    --distpath "$out/dist" --workpath "$out/work" installer/qcstation.spec
bundle="$out/dist/qcstation"

# The console twin of qcstation.exe: a windowed .exe has no output to show.
say "running the bundle's self-test"
"$bundle/qcstation-cli.exe" --self-test --data-dir "$out/selftest"

signing=
if [[ -n "${WINDOWS_CERT_PFX_BASE64:-}" && -n "${WINDOWS_CERT_PASSWORD:-}" ]]; then
    signtool="$(command -v signtool.exe || true)"
    if [[ -z "$signtool" ]]; then
        # The Windows SDK is installed but not on PATH on GitHub's runners.
        # shellcheck disable=SC2012  # version-sorted paths without spaces in the version part
        signtool="$(ls -1 "/c/Program Files (x86)/Windows Kits/10/bin/"*/x64/signtool.exe 2>/dev/null |
            sort -V | tail -n1)"
    fi
    [[ -n "$signtool" ]] || { say "signing: signtool.exe not found (install the Windows SDK)"; exit 1; }
    pfx="$(mktemp -d)/qcstation.pfx"
    trap 'rm -f "$pfx"' EXIT
    printf '%s' "$WINDOWS_CERT_PFX_BASE64" | base64 -d >"$pfx"
    ts="${WINDOWS_TIMESTAMP_URL:-http://timestamp.digicert.com}"
    sign=("$signtool" sign /fd SHA256 /tr "$ts" /td SHA256 /f "$(cygpath -w "$pfx")"
        /p "$WINDOWS_CERT_PASSWORD")
    say "signing qcstation.exe and qcstation-cli.exe"
    "${sign[@]}" "$(cygpath -w "$bundle/qcstation.exe")" "$(cygpath -w "$bundle/qcstation-cli.exe")"
    signing=1
else
    say "skipped: no WINDOWS_CERT_PFX_BASE64 / WINDOWS_CERT_PASSWORD, so the program and" \
        "installer are NOT code-signed (Windows SmartScreen will warn on install)"
fi

iscc="$(command -v ISCC.exe || true)"
for candidate in "/c/Program Files (x86)/Inno Setup 6/ISCC.exe" "/c/Program Files/Inno Setup 6/ISCC.exe"; do
    [[ -n "$iscc" ]] && break
    [[ -x "$candidate" ]] && iscc="$candidate"
done
[[ -n "$iscc" ]] || { say "Inno Setup 6 not found: choco install innosetup"; exit 1; }

args=("/DAppVersion=$version" "/DSourceDir=$(cygpath -w "$PWD/$bundle")"
    "/DOutputDir=$(cygpath -w "$PWD/$out")")
if [[ -n "$signing" ]]; then
    # Inno signs the setup and the uninstaller with this command ($f: the file).
    args+=("/DSignInstaller" "/Sqcsign=$(cygpath -w "${sign[0]}") ${sign[*]:1} \$f")
fi
say "making the installer with $iscc"
"$iscc" /Q "${args[@]}" "$(cygpath -w "$PWD/installer/windows/qcstation.iss")"
ls -l "$out"/qcstation-"$version"-windows-x64-setup.exe
