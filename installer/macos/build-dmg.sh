#!/usr/bin/env bash
# Builds qcstation.app from installer/qcstation.spec, runs its self-test, signs it when a
# Developer ID is given, packs it into a .dmg, and notarises the .dmg when Apple
# credentials are given.
#
#   bash installer/macos/build-dmg.sh
#
# Needs: the Python that has qcstation installed with the `installer` extra
# (pip install ".[installer]"; QCSTATION_PYTHON names it, default: python3), Xcode's
# command-line tools (codesign, hdiutil, xcrun).
#
# Code signing, only when set (otherwise it says "skipped: ..." and the .app is signed
# ad hoc, which runs on this Mac but makes Gatekeeper refuse it elsewhere):
#   MACOS_SIGN_IDENTITY        "Developer ID Application: Plant Name (TEAMID)"
#   MACOS_CERT_P12_BASE64      the identity as a .p12 in base64, imported into a
#   MACOS_CERT_PASSWORD        throw-away keychain (CI); leave out when it is in yours
# Notarisation, only when signed and these are set (otherwise "skipped: ..."):
#   APPLE_ID, APPLE_TEAM_ID, APPLE_APP_PASSWORD   (an app-specific password)
#
# Output in build/macos/: dist/qcstation.app, selftest/, qcstation-VERSION-macos-ARCH.dmg
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
say() { printf 'build-dmg: %s\n' "$*" >&2; }

py="${QCSTATION_PYTHON:-python3}"
out="build/macos"
version="$("$py" -c 'from importlib.metadata import version; print(version("qcstation"))')"
arch="$(uname -m)"
rm -rf "$out/dist" "$out/selftest" "$out/dmg" "$out"/*.dmg
mkdir -p "$out"

# The .icns is committed (installer/make_icons.py); make it again with macOS's own tool
# when the SVG-rendered PNG is newer, so a changed icon needs no Linux step.
icons="resources/icons"
if [[ "$icons/qcstation-1024.png" -nt "$icons/qcstation.icns" ]] && command -v iconutil >/dev/null; then
    say "rebuilding $icons/qcstation.icns with iconutil"
    set_dir="$(mktemp -d)/qcstation.iconset"
    mkdir -p "$set_dir"
    for size in 16 32 128 256 512; do
        sips -z "$size" "$size" "$icons/qcstation-1024.png" --out "$set_dir/icon_${size}x${size}.png" >/dev/null
        double=$((size * 2))
        sips -z "$double" "$double" "$icons/qcstation-1024.png" \
            --out "$set_dir/icon_${size}x${size}@2x.png" >/dev/null
    done
    iconutil -c icns "$set_dir" -o "$icons/qcstation.icns"
fi

say "building qcstation.app $version"
"$py" -m PyInstaller --noconfirm --log-level WARN \
    --distpath "$out/dist" --workpath "$out/work" installer/qcstation.spec
app="$out/dist/qcstation.app"

say "running the app's self-test"
"$app/Contents/MacOS/qcstation" --self-test --data-dir "$out/selftest"

keychain=
cleanup() {
    if [[ -n "$keychain" ]]; then security delete-keychain "$keychain" || true; fi
}
trap cleanup EXIT

identity="${MACOS_SIGN_IDENTITY:-}"
if [[ -n "$identity" && -n "${MACOS_CERT_P12_BASE64:-}" ]]; then
    keychain="$(mktemp -d)/qcstation-build.keychain-db"
    kc_password="$(uuidgen)"
    p12="$(dirname "$keychain")/identity.p12"
    printf '%s' "$MACOS_CERT_P12_BASE64" | base64 --decode >"$p12"
    security create-keychain -p "$kc_password" "$keychain"
    security set-keychain-settings -lut 3600 "$keychain"
    security unlock-keychain -p "$kc_password" "$keychain"
    security import "$p12" -k "$keychain" -P "${MACOS_CERT_PASSWORD:-}" -T /usr/bin/codesign
    security set-key-partition-list -S apple-tool:,apple: -s -k "$kc_password" "$keychain" >/dev/null
    # shellcheck disable=SC2046  # the existing list, word by word
    security list-keychains -d user -s "$keychain" $(security list-keychains -d user | tr -d '"')
    rm -f "$p12"
fi

signed=
if [[ -n "$identity" ]]; then
    say "signing qcstation.app as $identity (hardened runtime)"
    codesign --force --deep --timestamp --options runtime \
        --entitlements installer/macos/entitlements.plist --sign "$identity" "$app"
    codesign --verify --deep --strict --verbose=2 "$app"
    signed=1
else
    say "skipped: no MACOS_SIGN_IDENTITY, so qcstation.app is only signed ad hoc" \
        "(Gatekeeper will refuse it on other Macs until it is right-clicked and opened)"
    codesign --force --deep --sign - "$app"
fi

dmg="$out/qcstation-$version-macos-$arch.dmg"
stage="$out/dmg"
mkdir -p "$stage"
cp -R "$app" "$stage/"
ln -s /Applications "$stage/Applications"  # drag the app onto it to install
say "making $dmg"
hdiutil create -volname "qcstation $version" -srcfolder "$stage" -fs HFS+ \
    -format UDZO -ov "$dmg" >/dev/null
rm -rf "$stage"
if [[ -n "$signed" ]]; then
    codesign --force --timestamp --sign "$identity" "$dmg"
fi

if [[ -z "$signed" ]]; then
    say "skipped: notarisation needs a signed app (no MACOS_SIGN_IDENTITY)"
elif [[ -z "${APPLE_ID:-}" || -z "${APPLE_TEAM_ID:-}" || -z "${APPLE_APP_PASSWORD:-}" ]]; then
    say "skipped: no APPLE_ID / APPLE_TEAM_ID / APPLE_APP_PASSWORD, so the .dmg is NOT" \
        "notarised (Gatekeeper will warn on other Macs)"
else
    say "notarising $dmg (this waits for Apple, usually a few minutes)"
    xcrun notarytool submit "$dmg" --apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" \
        --password "$APPLE_APP_PASSWORD" --wait
    xcrun stapler staple "$dmg"
fi
ls -l "$dmg"
