#!/usr/bin/env bash
# Builds the Debian package: dist/vigil_<version>_<arch>.deb, from a release build of `vigil` with the
# Swift runtime linked statically (runs on a Debian 12 machine without a Swift toolchain).
#   tools/package.sh                          # release build + package
#   tools/package.sh --binary PATH            # package an already built (static-stdlib) binary
#   tools/package.sh --version 0.1.0~test1    # override the package version (the upgrade test)
#   tools/package.sh --output DIR             # where the .deb goes (default dist/)
#   VIGIL_DEB_MAINTAINER="Name <mail>" tools/package.sh   # Maintainer field and changelog signature
#
# Version: the upstream part is VigilVersion.string (what `vigil version` prints), the one place it
# is written. A commit tagged v<that version> builds exactly that version; any other commit is a
# snapshot: <version>~git<commits>.g<hash> before the release is tagged, <version>+git... after it,
# so apt orders snapshots and releases correctly. A dirty tree adds ".dirty".
# Layout, maintainer scripts and lintian: Deploy/debian/ and docs/OPERATIONS.md "Debian package".
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$VIGIL_ROOT"

binary="" version="" output="$VIGIL_ROOT/dist"
while (($#)); do
    case "$1" in
        --binary) binary="$(realpath "$2")"; shift 2 ;;
        --version) version="$2"; shift 2 ;;
        --output) output="$(realpath -m "$2")"; shift 2 ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "package.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
die() { echo "package.sh: $*" >&2; exit 1; }
for tool in dpkg-deb dpkg-shlibdeps strip python3 gzip; do
    command -v "$tool" >/dev/null || die "$tool missing (tools/setup.sh installs dpkg-dev)"
done

# --- version -------------------------------------------------------------------------------------
version_file=Sources/VigilService/Commands/VigilCommand.swift
upstream="$(sed -n 's/^ *static let string = "\([0-9][0-9A-Za-z.+~]*\)"$/\1/p' "$version_file")"
[[ -n "$upstream" && $(wc -l <<<"$upstream") -eq 1 ]] || die "cannot read VigilVersion.string from $version_file"
if [[ -z "$version" ]]; then
    if git describe --tags --exact-match --match "v$upstream" >/dev/null 2>&1; then
        version="$upstream"
    else
        sep="~"
        git rev-parse -q --verify "refs/tags/v$upstream" >/dev/null && sep="+"
        version="$upstream${sep}git$(git rev-list --count HEAD).g$(git rev-parse --short=7 HEAD)"
    fi
    git diff --quiet HEAD -- 2>/dev/null || version="$version.dirty"
fi
[[ "$version" =~ ^[0-9][A-Za-z0-9.+~]*$ ]] || die "'$version' is not a Debian version"
[[ "$version" == "$upstream"* ]] || die "version '$version' does not start with vigil's own version $upstream"
arch="$(dpkg --print-architecture)"
# The project's commit identity unless the builder names a real maintainer.
maintainer="${VIGIL_DEB_MAINTAINER:-Vigil Engineering <eng@vigil.invalid>}"
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}"

# --- binary --------------------------------------------------------------------------------------
if [[ -z "$binary" ]]; then
    echo "package.sh: swift build -c release --static-swift-stdlib (slow on two cores)" >&2
    # -z now: full RELRO (lintian's hardening-no-bindnow); only the link step sees it.
    swift build -c release --product vigil --static-swift-stdlib -Xlinker -z -Xlinker now
    binary="$(swift build -c release --static-swift-stdlib --show-bin-path)/vigil"
fi
[[ -x "$binary" ]] || die "no executable at $binary"
# The Swift runtime must be inside the binary: nothing from a toolchain may be loaded at run time.
if LD_LIBRARY_PATH="" ldd "$binary" | grep -E "libswift|libFoundation|libdispatch|libBlocksRuntime|lib_Foundation|libicu"; then
    die "$binary loads Swift runtime libraries (above): build it with --static-swift-stdlib"
fi
printed="$("$binary" version | head -n1)"
[[ "$printed" == "vigil $upstream" ]] || die "'$binary version' prints '$printed', expected 'vigil $upstream'"

# Every Swift package linked into vigil needs its licence in the copyright file.
linkfiles="$(dirname "$binary")/vigil.product/Objects.LinkFileList"
if [[ -f "$linkfiles" ]]; then
    missing=0
    for module in $(sed -n 's|.*/release/\([^/]*\)\.build/.*|\1|p' "$linkfiles" | sort -u); do
        [[ -d "Sources/$module" || -d "Benchmarks/$module" ]] && continue
        checkout="$(cd .build/checkouts && ls -d */Sources/"$module" 2>/dev/null | head -n1 | cut -d/ -f1)"
        [[ -n "$checkout" ]] || { echo "package.sh: linked module $module: no package found" >&2; missing=1; continue; }
        grep -q "^Files: .build/checkouts/$checkout/\*" Deploy/debian/copyright \
            || { echo "package.sh: $checkout (module $module) is linked but has no stanza in Deploy/debian/copyright" >&2; missing=1; }
    done
    ((missing == 0)) || die "complete Deploy/debian/copyright first"
else
    echo "package.sh: warning: $linkfiles missing; bundled licences not cross-checked" >&2
fi

# --- stage the tree ------------------------------------------------------------------------------
mkdir -p "$VIGIL_RUN"
work="$(mktemp -d "$VIGIL_RUN/package.XXXXXX")"
trap 'rm -rf "$work"' EXIT
root="$work/root"
doc="$root/usr/share/doc/vigil"
install -d -m 0755 "$root/DEBIAN" "$root/usr/bin" "$root/lib/systemd/system" "$root/usr/lib/sysusers.d" \
    "$root/usr/share/vigil/models" "$root/usr/share/vigil/schemas" "$root/usr/share/man/man1" "$doc/examples" \
    "$root/usr/share/lintian/overrides"
install -d -m 0755 "$root/etc/vigil"
install -d -m 0700 "$root/etc/vigil/credentials"

install -m 0755 "$binary" "$root/usr/bin/vigil"
strip --remove-section=.comment --remove-section=.note --strip-unneeded "$root/usr/bin/vigil"
"$root/usr/bin/vigil" version >/dev/null || die "the stripped binary does not run"

# The unit: Deploy/vigil.service with Debian's paths. The newer-librdkafka path is opt-in (a
# drop-in, examples/librdkafka.conf), not in the packaged unit.
sed -e 's|/usr/local/bin/vigil|/usr/bin/vigil|g' \
    -e 's|^Documentation=.*|Documentation=man:vigil(1) file:///usr/share/doc/vigil/OPERATIONS.md.gz|' \
    -e 's|^# Vigil under systemd (Debian 12: systemd 252). Installed by Deploy/install.sh as$|# Vigil under systemd (Debian 12: systemd 252), from the vigil Debian package.|' \
    -e 's|^# /etc/systemd/system/vigil.service. See docs/OPERATIONS.md.$|# Override settings with `systemctl edit vigil`; see /usr/share/doc/vigil/OPERATIONS.md.gz.|' \
    -e 's|^# Identity: a static system user from Deploy/sysusers.d/vigil.conf.|# Identity: a static system user from /usr/lib/sysusers.d/vigil.conf.|' \
    -e 's|see Deploy/vigil.service|see this unit|' \
    -e '/^Environment=LD_LIBRARY_PATH=/d' \
    Deploy/vigil.service >"$root/lib/systemd/system/vigil.service"
grep -q "^ExecStart=/usr/bin/vigil run --config /etc/vigil/vigil.toml$" "$root/lib/systemd/system/vigil.service" \
    || die "Deploy/vigil.service: ExecStart not rewritten to /usr/bin/vigil"
chmod 0644 "$root/lib/systemd/system/vigil.service"
install -m 0644 Deploy/sysusers.d/vigil.conf "$root/usr/lib/sysusers.d/vigil.conf"

# Configuration: Config/vigil.toml as it is now, only [model] path pointed at /usr/share/vigil.
sed -E '/^\[model\]/,/^\[/ s|^(path[[:space:]]*=[[:space:]]*")([^/"][^"]*)"|\1/usr/share/vigil/\2"|' \
    Config/vigil.toml >"$root/etc/vigil/vigil.toml"
chmod 0644 "$root/etc/vigil/vigil.toml"
model="$(sed -n '/^\[model\]/,/^\[/ s|^path[[:space:]]*=[[:space:]]*"\(.*\)"|\1|p' "$root/etc/vigil/vigil.toml")"
install -m 0644 Config/models/*.json "$root/usr/share/vigil/models/"
install -m 0644 Config/schemas/* "$root/usr/share/vigil/schemas/"
if [[ -n "$model" ]]; then
    [[ "$model" == /usr/share/vigil/models/* && -f "$root$model" ]] \
        || die "[model] path '$model' in the packaged vigil.toml is not a shipped model under /usr/share/vigil/models"
fi
# The shipped configuration must pass check-config (model included), checked against the staged tree.
sed "s|\"/usr/share/vigil/|\"$root/usr/share/vigil/|" "$root/etc/vigil/vigil.toml" >"$work/check.toml"
"$root/usr/bin/vigil" check-config --config "$work/check.toml" >/dev/null \
    || die "the packaged vigil.toml does not pass check-config (above)"

# Man page from the argument parser's own help; docs.
python3 "$VIGIL_ROOT/tools/vigil_tools/manpage.py" --binary "$root/usr/bin/vigil" --version "$version" \
    | gzip -9n >"$root/usr/share/man/man1/vigil.1.gz"
for f in README.md docs/OPERATIONS.md; do gzip -9n <"$f" >"$doc/$(basename "$f").gz"; done
install -m 0644 Deploy/debian/copyright "$doc/copyright"
install -m 0644 Deploy/debian/librdkafka.conf "$doc/examples/librdkafka.conf"
install -m 0644 Deploy/debian/lintian-overrides "$root/usr/share/lintian/overrides/vigil"
{
    echo "vigil ($version) unstable; urgency=medium"
    echo
    echo "  * Snapshot of git commit $(git rev-parse --short=12 HEAD), built by"
    echo "    tools/package.sh. Changes: git log in the Vigil repository."
    echo
    echo " -- $maintainer  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$doc/changelog.gz"
chmod 0644 "$doc"/*.gz "$root/usr/share/man/man1/vigil.1.gz"

# --- control -------------------------------------------------------------------------------------
for script in postinst prerm postrm; do install -m 0755 "Deploy/debian/$script" "$root/DEBIAN/$script"; done
echo /etc/vigil/vigil.toml >"$root/DEBIAN/conffiles"
mkdir -p "$work/debian"
printf 'Source: vigil\n\nPackage: vigil\nArchitecture: any\n' >"$work/debian/control"
# Debian's librdkafka1 supplies the shlibs, not the venv's copy on LD_LIBRARY_PATH.
shlibs="$(cd "$work" && LD_LIBRARY_PATH="" dpkg-shlibdeps -O -e root/usr/bin/vigil 2>"$work/shlibdeps.err" | sed -n 's/^shlibs:Depends=//p')" \
    || { cat "$work/shlibdeps.err" >&2; die "dpkg-shlibdeps failed"; }
grep -q "librdkafka1" <<<"$shlibs" || die "dpkg-shlibdeps found no librdkafka1 dependency ($shlibs)"
# The floor is librdkafka 2.0 (Debian 12), whatever the build host has.
depends="$(sed -E 's/librdkafka1( \([^)]*\))?/librdkafka1 (>= 2.0)/' <<<"$shlibs"), init-system-helpers (>= 1.54~), passwd, procps"
installed_size="$(du -sk --exclude=DEBIAN "$root" | cut -f1)"
cat >"$root/DEBIAN/control" <<CONTROL
Package: vigil
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $installed_size
Depends: $depends
Section: net
Priority: optional
Description: real-time public-safety incident analytics daemon
 Vigil consumes incident reports (crime reports, calls for service) as JSON
 from Kafka, keeps event-time windows per category and grid cell, finds
 Getis-Ord Gi* hotspots and scores each incident with a near-repeat risk
 model, and publishes alerts to Kafka (JSON with CloudEvents headers, and
 optionally OASIS CAP 1.2 XML) and to the journal.
 .
 The package ships a hardened systemd unit (enabled, started once
 /etc/vigil/vigil.toml names the site's brokers), the system user, the
 configuration, the shipped models and the message schemas. The Swift
 runtime is linked statically; librdkafka comes from Debian.
CONTROL
(cd "$root" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -printf '%P\0' \
    | LC_ALL=C sort -z | xargs -0 md5sum >DEBIAN/md5sums)
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"

mkdir -p "$output"
deb="$output/vigil_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
