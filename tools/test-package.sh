#!/usr/bin/env bash
# Tests the Debian package for real: builds it (tools/package.sh), runs lintian, and installs,
# upgrades, removes and purges it with apt in a clean Debian 12 root made by debootstrap (no Swift
# in it). Run as root (debootstrap, chroot, mount). Part of tools/test.sh.
#   tools/test-package.sh                 # build the package, then test it
#   tools/test-package.sh --deb FILE      # test an already built package
#   tools/test-package.sh --keep          # leave the test root in .run/pkgtest/root for a look
#
# The clean root: debootstrap --variant=minbase --include=systemd bookworm, from deb.debian.org
# (VIGIL_DEBIAN_MIRROR overrides). The pristine copy is kept under .run/pkgtest/base so a second
# run in the same checkout skips the download; each run tests in a fresh copy of it. A fresh
# clone has no .run, so CI always bootstraps from the mirror.
#
# systemd is installed in the root but not running (a chroot): the maintainer scripts' calls are
# observed by diverting /usr/bin/systemctl to a logging shim and creating /run/systemd/system,
# which is how the scripts (as debhelper's) decide that systemd is the running init.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$VIGIL_ROOT"

deb="" keep=0
while (($#)); do
    case "$1" in
        --deb) deb="$(realpath "$2")"; shift 2 ;;
        --keep) keep=1; shift ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "test-package.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
[[ $(id -u) -eq 0 ]] || { echo "test-package.sh: run as root (debootstrap, chroot)" >&2; exit 1; }
for tool in debootstrap lintian chroot systemd-analyze; do
    command -v "$tool" >/dev/null || { echo "test-package.sh: $tool missing (tools/setup.sh installs it)" >&2; exit 1; }
done

failures=0
step() { echo "== package: $* [at $((SECONDS - start)) s]" >&2; }
ok() { echo "   ok: $*" >&2; }
fail() { echo "   FAIL: $*" >&2; failures=$((failures + 1)); }
check() { local what="$1"; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }

start=$SECONDS
if [[ -z "$deb" ]]; then
    step "build (tools/package.sh)"
    deb="$("$VIGIL_ROOT/tools/package.sh" | tail -n1)"
fi
[[ -f "$deb" ]] || { echo "test-package.sh: no package at $deb" >&2; exit 1; }
version="$(dpkg-deb -f "$deb" Version)"
upstream="${version%%[~+]*}"
echo "   $deb ($((SECONDS - start)) s)" >&2

pkgtest="$VIGIL_RUN/pkgtest"
root="$pkgtest/root"
mkdir -p "$pkgtest"

step "lintian"
# Overrides ship inside the package (Deploy/debian/lintian-overrides), each with its reason.
# (--show-overrides makes lintian's exit status count overridden tags too, so judge by the lines:
# E:/W: are unjustified errors/warnings; I: is information; O: an override with its N: reason.)
lintian --allow-root --display-info --show-overrides "$deb" >"$pkgtest/lintian.txt" 2>&1 || true
if grep -q '^[EW]: ' "$pkgtest/lintian.txt" || ! grep -q '^O: ' "$pkgtest/lintian.txt"; then
    fail "lintian: errors or warnings (below), or lintian did not run"
else
    ok "lintian: no errors or warnings beyond the justified overrides"
fi
awk '!seen[$0]++ { print "   " $0 }' "$pkgtest/lintian.txt" >&2  # an override's reason once, not per hit

step "man page renders without groff warnings"
check "vigil(1)" bash -c "dpkg-deb --fsys-tarfile '$deb' | tar -xO ./usr/share/man/man1/vigil.1.gz | gzip -d \
    | groff -man -Tutf8 -ww -z 2>&1 | (! grep .)"

# --- the clean root --------------------------------------------------------------------------------
mirror="${VIGIL_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
if [[ ! -x "$pkgtest/base/usr/bin/apt-get" ]]; then
    step "debootstrap bookworm (minbase + systemd) from $mirror"
    t=$SECONDS
    rm -rf "$pkgtest/base.tmp"
    debootstrap --variant=minbase --include=systemd bookworm "$pkgtest/base.tmp" "$mirror" >"$pkgtest/debootstrap.log" 2>&1 \
        || { tail -n 20 "$pkgtest/debootstrap.log" >&2; echo "test-package.sh: debootstrap failed" >&2; exit 1; }
    mv "$pkgtest/base.tmp" "$pkgtest/base"
    echo "   debootstrap: $((SECONDS - t)) s" >&2
fi
cleanup() {
    mountpoint -q "$root/proc" && umount "$root/proc"
    if ((keep == 0)); then rm -rf "$root"; fi
}
trap cleanup EXIT
mountpoint -q "$root/proc" 2>/dev/null && umount "$root/proc"
rm -rf "$root"
cp -a "$pkgtest/base" "$root"
mount -t proc proc "$root/proc"
cp /etc/resolv.conf "$root/etc/resolv.conf"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 "$@"; }

# systemctl shim: log every call the maintainer scripts make, succeed.
in_root dpkg-divert --quiet --local --rename --add /usr/bin/systemctl
cat >"$root/usr/bin/systemctl" <<'SHIM'
#!/bin/sh
# Logs the call. Offline operations on unit files (deb-systemd-helper's `systemctl --root=/ preset`,
# enable, mask, is-enabled) go to the real systemctl, which works without a running systemd;
# everything that would talk to the manager (start, stop, try-restart, daemon-reload) succeeds silently.
echo "systemctl $*" >>/var/log/systemctl-calls
case " $* " in
    *" --root="*) exec /usr/bin/systemctl.distrib "$@" ;;
esac
exit 0
SHIM
chmod 0755 "$root/usr/bin/systemctl"
mkdir -p "$root/run/systemd/system"
calls() { cat "$root/var/log/systemctl-calls" 2>/dev/null || true; }
reset_calls() { : >"$root/var/log/systemctl-calls"; }

check "no Swift toolchain in the root" bash -c "! chroot '$root' sh -c 'command -v swift swiftc' >/dev/null && ! ls '$root'/usr/lib/swift* >/dev/null 2>&1"
in_root apt-get update -qq >/dev/null

# Three builds of the same binary: the package under test, an upgrade with the same conffile and
# an upgrade whose shipped vigil.toml changed (as when a new section is appended).
mkdir -p "$root/tmp/debs"
cp "$deb" "$root/tmp/debs/v1.deb"
repack() {  # repack NAME VERSION [append-to-conffile]
    local dir="$pkgtest/repack-$1"
    rm -rf "$dir"; dpkg-deb -R "$deb" "$dir"
    sed -i "s/^Version: .*/Version: $2/" "$dir/DEBIAN/control"
    [[ -z "${3:-}" ]] || printf '%s\n' "$3" >>"$dir/etc/vigil/vigil.toml"
    dpkg-deb --root-owner-group -Znone --build "$dir" "$root/tmp/debs/$1.deb" >/dev/null
    rm -rf "$dir"
}
repack v2 "$version+upgrade1"
repack v3 "$version+upgrade2" "# A line the next release added to the shipped vigil.toml."

# --- install ---------------------------------------------------------------------------------------
step "install: apt-get install ./vigil_${version}_*.deb"
reset_calls
t=$SECONDS
if in_root apt-get install -y -qq /tmp/debs/v1.deb >"$pkgtest/install.log" 2>&1; then ok "installed with apt ($((SECONDS - t)) s, dependencies from the mirror)"; else fail "apt-get install"; tail -n 30 "$pkgtest/install.log" >&2; exit 1; fi
check "binary at /usr/bin/vigil" test -x "$root/usr/bin/vigil"
check "ldd: every library resolves, none from a Swift toolchain" \
    bash -c "in=\$(chroot '$root' ldd /usr/bin/vigil); echo \"\$in\" | sed 's/^/      /' >&2; ! grep -Eq 'not found|libswift|libFoundation|libdispatch|libicu' <<<\"\$in\""
out="$(in_root vigil version 2>&1 || true)"
echo "$out" | sed 's/^/      /' >&2
check "vigil version prints vigil $upstream" grep -qx "vigil $upstream" <<<"$out"
check "vigil version reports Debian's librdkafka 2.x" grep -Eq "^librdkafka 2\." <<<"$out"
check "vigil check-config on the installed /etc/vigil/vigil.toml, as the vigil user" \
    in_root setpriv --reuid=vigil --regid=vigil --init-groups vigil check-config --config /etc/vigil/vigil.toml >/dev/null
check "the installed config uses the shipped model" \
    bash -c "chroot '$root' vigil check-config --config /etc/vigil/vigil.toml | grep -q '^path = \"/usr/share/vigil/models/'"
check "system user vigil with nologin shell" bash -c "chroot '$root' getent passwd vigil | grep -q ':/usr/sbin/nologin$'"
check "/etc/vigil is 750 root:vigil" test "$(in_root stat -c '%a %U:%G' /etc/vigil)" = "750 root:vigil"
check "/etc/vigil/vigil.toml is 640 root:vigil" test "$(in_root stat -c '%a %U:%G' /etc/vigil/vigil.toml)" = "640 root:vigil"
check "/etc/vigil/credentials is 700 root:root" test "$(in_root stat -c '%a %U:%G' /etc/vigil/credentials)" = "700 root:root"
check "vigil.toml is a conffile" bash -c "chroot '$root' dpkg-query -W -f='\${Conffiles}' vigil | grep -q ' /etc/vigil/vigil.toml '"
check "models, schemas, man page, docs, copyright installed" bash -c "cd '$root' && ls usr/share/vigil/models/*.json usr/share/vigil/schemas/incident.schema.json \
    usr/share/man/man1/vigil.1.gz usr/share/doc/vigil/copyright usr/share/doc/vigil/OPERATIONS.md.gz usr/share/doc/vigil/examples/librdkafka.conf >/dev/null"
check "unit enabled (multi-user.target.wants)" test -L "$root/etc/systemd/system/multi-user.target.wants/vigil.service"
echo "   systemctl calls: $(calls | tr '\n' ';')" >&2
check "fresh install does not start the service" bash -c "! grep -Eq '(start|restart).*vigil' '$root/var/log/systemctl-calls'"

step "systemd-analyze on the installed unit (the host's systemd 252 = Debian 12's; man pages checked above)"
unit=/lib/systemd/system/vigil.service
result="$(systemd-analyze verify --man=no --root="$root" "$unit" 2>&1)" && [[ -z "$result" ]] && ok "verify: silent, exit 0" || { fail "verify"; echo "$result" >&2; }
exposure="$(systemd-analyze security --offline=yes --threshold=100 --root="$root" "$unit" 2>&1 \
    | sed -n 's/.*Overall exposure level for vigil.service: \([0-9.]*\).*/\1/p')"
check "exposure ${exposure:-?} <= 1.5" python3 -c "import sys; sys.exit(not (sys.argv[1] and float(sys.argv[1]) <= 1.5))" "${exposure:-}"

step "opt-in newer librdkafka: the documented drop-in"
if [[ -e "$VIGIL_RDKAFKA_LIB/librdkafka.so.1" ]]; then
    wheel_libs="$(dirname "$(readlink -f "$VIGIL_RDKAFKA_LIB/librdkafka.so.1")")"
    install -d "$root/opt/vigil/lib"
    cp -a "$wheel_libs"/. "$root/opt/vigil/lib/"
    ln -sf "$(basename "$(readlink -f "$VIGIL_RDKAFKA_LIB/librdkafka.so.1")")" "$root/opt/vigil/lib/librdkafka.so.1"
    in_root install -D -m 0644 /usr/share/doc/vigil/examples/librdkafka.conf /etc/systemd/system/vigil.service.d/librdkafka.conf
    result="$(systemd-analyze verify --man=no --root="$root" "$unit" 2>&1)" && [[ -z "$result" ]] && ok "verify with the drop-in" || { fail "verify with the drop-in"; echo "$result" >&2; }
    env_line="$(sed -n 's/^Environment=//p' "$root/etc/systemd/system/vigil.service.d/librdkafka.conf")"
    out="$(in_root env "$env_line" vigil version 2>&1 || true)"
    check "the drop-in's environment loads the newer librdkafka ($(tail -n1 <<<"$out"))" \
        grep -Eq '^librdkafka 2\.([1-9]|[1-9][0-9])' <<<"$out"
    rm -rf "$root/etc/systemd/system/vigil.service.d" "$root/opt/vigil"
else
    echo "   skipped: no librdkafka in $VIGIL_RDKAFKA_LIB (tools/setup.sh)" >&2
fi

# --- upgrade ---------------------------------------------------------------------------------------
step "upgrade keeps a local edit of the conffile and try-restarts"
sed -i 's/^bootstrap_servers = .*/bootstrap_servers = "kafka-1.example:9092"/' "$root/etc/vigil/vigil.toml"
echo "# local edit by the operator" >>"$root/etc/vigil/vigil.toml"
edited="$(sha256sum <"$root/etc/vigil/vigil.toml")"
reset_calls
in_root apt-get install -y -qq /tmp/debs/v2.deb >"$pkgtest/upgrade1.log" 2>&1 && ok "upgraded to $version+upgrade1" || { fail "upgrade"; tail -n 30 "$pkgtest/upgrade1.log" >&2; }
check "local edit survives (shipped conffile unchanged)" test "$(sha256sum <"$root/etc/vigil/vigil.toml")" = "$edited"
check "no .dpkg-dist when the shipped conffile did not change" test ! -e "$root/etc/vigil/vigil.toml.dpkg-dist"
check "permissions kept: 640 root:vigil" test "$(in_root stat -c '%a %U:%G' /etc/vigil/vigil.toml)" = "640 root:vigil"
echo "   systemctl calls: $(calls | tr '\n' ';')" >&2
check "upgrade does try-restart vigil.service" grep -q "try-restart vigil.service" "$root/var/log/systemctl-calls"

step "upgrade with a changed shipped conffile: dpkg asks; the operator's file is kept"
in_root dpkg -i /tmp/debs/v3.deb </dev/null >"$pkgtest/upgrade2-ask.log" 2>&1 || true
check "dpkg stops at the conffile prompt (no silent overwrite)" grep -q "Configuration file '/etc/vigil/vigil.toml'" "$pkgtest/upgrade2-ask.log"
check "edit still in place after the refused prompt" test "$(sha256sum <"$root/etc/vigil/vigil.toml")" = "$edited"
in_root dpkg --configure -a --force-confold >"$pkgtest/upgrade2.log" 2>&1 && ok "dpkg --configure --force-confold" || { fail "configure with confold"; tail -n 20 "$pkgtest/upgrade2.log" >&2; }
check "local edit survives (confold)" test "$(sha256sum <"$root/etc/vigil/vigil.toml")" = "$edited"
check "the new shipped version is left as vigil.toml.dpkg-dist" grep -q "A line the next release added" "$root/etc/vigil/vigil.toml.dpkg-dist"
check "vigil $version+upgrade2 installed and configured" \
    bash -c "chroot '$root' dpkg-query -W -f='\${Version} \${Status}' vigil | grep -qx '$version+upgrade2 install ok installed'"

# --- remove and purge ------------------------------------------------------------------------------
step "remove stops the service, keeps the configuration"
reset_calls
in_root apt-get remove -y -qq vigil >"$pkgtest/remove.log" 2>&1 && ok "apt-get remove" || { fail "remove"; tail -n 20 "$pkgtest/remove.log" >&2; }
echo "   systemctl calls: $(calls | tr '\n' ';')" >&2
check "remove stops vigil.service" grep -q "stop vigil.service" "$root/var/log/systemctl-calls"
check "binary and unit gone" test ! -e "$root/usr/bin/vigil" -a ! -e "$root/lib/systemd/system/vigil.service"
check "configuration kept after remove" test -f "$root/etc/vigil/vigil.toml"

step "purge removes /etc/vigil and the unit's state"
in_root apt-get purge -y -qq vigil >"$pkgtest/purge.log" 2>&1 && ok "apt-get purge" || { fail "purge"; tail -n 20 "$pkgtest/purge.log" >&2; }
check "/etc/vigil gone (config, .dpkg-dist, credentials)" test ! -e "$root/etc/vigil"
check "enable symlink and mask gone" test ! -e "$root/etc/systemd/system/multi-user.target.wants/vigil.service" -a ! -L "$root/etc/systemd/system/vigil.service"
check "dpkg no longer knows vigil" bash -c "! chroot '$root' dpkg-query -W -f='\${Status}' vigil 2>/dev/null | grep -q installed"

echo "== package: $((SECONDS - start)) s in all, $failures failure(s)" >&2
((failures == 0))
