#!/bin/sh
# package_install: install the build tree into a temporary prefix and use it
# the way a downstream project would, without the source or build tree.
#
#   check_install.sh <build dir> <source dir>
#
# Environment (set by tests/hygiene.cmake; defaults for manual runs):
#   DBX_CMAKE, DBX_CC, DBX_GENERATOR, DBX_CONFIG, DBX_LIBDIR (lib),
#   DBX_BINDIR (bin), DBX_INCLUDEDIR (include), DBX_SHARED (1/0, default:
#   guessed from the build tree), DBX_CONSUMER_CFLAGS, PKG_CONFIG.
# Exit 77 (CTest: skipped) when the layout cannot be relocated (absolute
# install dirs).
set -eu

build=${1:?usage: check_install.sh <build dir> <source dir>}
src=${2:?usage: check_install.sh <build dir> <source dir>}
build=$(cd "$build" && pwd -P)
src=$(cd "$src" && pwd -P)
CMAKE=${DBX_CMAKE:-cmake}
CC=${DBX_CC:-cc}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
libdir=${DBX_LIBDIR:-lib}
bindir=${DBX_BINDIR:-bin}
incdir=${DBX_INCLUDEDIR:-include}
cflags=${DBX_CONSUMER_CFLAGS:-}
config=${DBX_CONFIG:-}
if [ -z "${DBX_SHARED:-}" ]; then
    if ls "$build"/libdbx.so* >/dev/null 2>&1; then DBX_SHARED=1; else DBX_SHARED=0; fi
fi

for d in "$libdir" "$bindir" "$incdir"; do
    case $d in /*) echo "SKIP: absolute install directory $d cannot go to a temp prefix"; exit 77 ;; esac
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dbx-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
prefix=$tmp/prefix
fail=0
step() { printf '\n== %s\n' "$*"; }
bad() { echo "FAIL: $*"; fail=1; }

step "cmake --install $build --prefix $prefix"
set -- --install "$build" --prefix "$prefix"
[ -n "$config" ] && set -- "$@" --config "$config"
"$CMAKE" "$@" > "$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; echo "FAIL: cmake --install"; exit 1; }
sed -n 's/^-- [A-Za-z]*: //p' "$tmp/install.log" | sed "s|^$prefix/||" | sort | sed 's/^/  /'

# Installed text files must not point back into the build or source tree.
step "no reference to the build or source tree"
for f in $(find "$prefix/$libdir/cmake" "$prefix/$libdir/pkgconfig" "$prefix/$incdir" "$prefix/$bindir" \
                "$prefix/share" -type f 2>/dev/null); do
    case $(file -b --mime-encoding "$f" 2>/dev/null || echo text) in binary) continue ;; esac
    if grep -n -F -e "$build" -e "$src" "$f" >/dev/null 2>&1; then
        bad "$f refers to the build/source tree:"
        grep -n -F -e "$build" -e "$src" "$f" | sed 's/^/    /'
    fi
done
[ "$fail" -eq 0 ] && echo "ok"

# ---- (a) CMake package ------------------------------------------------
step "consumer through find_package(dbx CONFIG REQUIRED)"
set -- -S "$src/tests/install/consumer" -B "$tmp/consumer-build" \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
    -DCMAKE_C_COMPILER="$CC"
[ -n "${DBX_GENERATOR:-}" ] && set -- "$@" -G "$DBX_GENERATOR"
[ -n "$config" ] && set -- "$@" -DCMAKE_BUILD_TYPE="$config"
[ -n "$cflags" ] && set -- "$@" -DCMAKE_C_FLAGS="$cflags" -DCMAKE_EXE_LINKER_FLAGS="$cflags"
if "$CMAKE" "$@" > "$tmp/consumer-config.log" 2>&1; then
    set -- --build "$tmp/consumer-build"
    [ -n "$config" ] && set -- "$@" --config "$config"
    if "$CMAKE" "$@" > "$tmp/consumer-build.log" 2>&1; then
        exe=$(find "$tmp/consumer-build" -type f -name consumer | head -n 1)
        if [ -z "$exe" ]; then
            bad "consumer executable not found"
        elif ! LD_LIBRARY_PATH="$prefix/$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$exe"; then
            bad "consumer (CMake) failed"
        fi
        if [ "$DBX_SHARED" = 1 ] && command -v ldd >/dev/null 2>&1; then
            # The CMake-built consumer must run against the installed libdbx.so.
            LD_LIBRARY_PATH="$prefix/$libdir" ldd "$exe" | grep 'libdbx' | sed 's/^[[:space:]]*/  ldd: /'
        fi
    else
        cat "$tmp/consumer-build.log"; bad "building the CMake consumer"
    fi
else
    cat "$tmp/consumer-config.log"; bad "configuring the CMake consumer against $prefix"
fi

# ---- (b) pkg-config ---------------------------------------------------
step "consumer through pkg-config libdbx"
pcdir=$prefix/$libdir/pkgconfig
# Plain --libs must be enough to link, also when only libdbx.a is installed.
if ! pcflags=$(PKG_CONFIG_PATH="$pcdir" "$PKG_CONFIG" --cflags --libs libdbx); then
    bad "pkg-config --cflags --libs libdbx (PKG_CONFIG_PATH=$pcdir)"
else
    echo "  pkg-config --cflags --libs libdbx: $pcflags"
    pcver=$(PKG_CONFIG_PATH="$pcdir" "$PKG_CONFIG" --modversion libdbx)
    # Flags are word-split on purpose.
    # shellcheck disable=SC2086
    if ! "$CC" -std=c11 -Wall -Wextra -pedantic -Werror $cflags -o "$tmp/consumer-pc" \
            "$src/tests/install/consumer/main.c" -DDBX_PACKAGE_VERSION="\"$pcver\"" $pcflags; then
        bad "compiling main.c with pkg-config flags"
    elif ! LD_LIBRARY_PATH="$prefix/$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$tmp/consumer-pc"; then
        bad "consumer (pkg-config) failed"
    fi
fi

# ---- (c) installed files ----------------------------------------------
step "installed files"
verh=$prefix/$incdir/dbx/version.h
if [ ! -f "$verh" ]; then
    bad "$verh not installed"
    major=x minor=x patch=x
else
    major=$(sed -n 's/^#define DBX_VERSION_MAJOR \([0-9]*\).*/\1/p' "$verh")
    minor=$(sed -n 's/^#define DBX_VERSION_MINOR \([0-9]*\).*/\1/p' "$verh")
    patch=$(sed -n 's/^#define DBX_VERSION_PATCH \([0-9]*\).*/\1/p' "$verh")
fi
for h in $(cd "$src/include" && find dbx -name '*.h' | sort); do
    [ -f "$prefix/$incdir/$h" ] || bad "header $h not installed"
done
[ -f "$prefix/$libdir/libdbx.a" ] || bad "static library $libdir/libdbx.a not installed"
for f in dbxConfig.cmake dbxConfigVersion.cmake dbxTargets.cmake; do
    [ -f "$prefix/$libdir/cmake/dbx/$f" ] || bad "$libdir/cmake/dbx/$f not installed"
done
[ -f "$pcdir/libdbx.pc" ] || bad "$libdir/pkgconfig/libdbx.pc not installed"
[ -f "$pcdir/dbx.pc" ] || bad "$libdir/pkgconfig/dbx.pc not installed"
PKG_CONFIG_PATH="$pcdir" pkg-config --exists dbx || bad "pkg-config dbx does not resolve"

if [ "$DBX_SHARED" = 1 ]; then
    so=$prefix/$libdir/libdbx.so
    if [ ! -e "$so" ]; then
        bad "$libdir/libdbx.so (development symlink) not installed"
    else
        real=$(basename "$(readlink -f "$so")")
        [ "$real" = "libdbx.so.$major.$minor.$patch" ] ||
            bad "real file is $real, expected libdbx.so.$major.$minor.$patch"
        if command -v readelf >/dev/null 2>&1; then
            soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
        else
            soname=$(objdump -p "$so" | awk '$1 == "SONAME" { print $2 }')
        fi
        [ "$soname" = "libdbx.so.$major" ] || bad "SONAME is '$soname', expected libdbx.so.$major"
        [ -e "$prefix/$libdir/libdbx.so.$major" ] || bad "$libdir/libdbx.so.$major (SONAME link) not installed"
        echo "  $libdir/libdbx.so -> $real, SONAME $soname"
    fi
fi

emu=$prefix/$bindir/dbx-emulator
if [ ! -f "$emu" ] || [ ! -x "$emu" ]; then
    bad "$bindir/dbx-emulator not installed (or not executable)"
elif command -v python3 >/dev/null 2>&1; then
    # Run from elsewhere: the launcher must find its package in the prefix.
    if (cd "$tmp" && "$emu" --help > "$tmp/emu.log" 2>&1); then
        echo "  $bindir/dbx-emulator --help: ok"
    else
        sed 's/^/    /' "$tmp/emu.log"
        bad "installed $bindir/dbx-emulator does not start"
    fi
fi

echo
if [ "$fail" -eq 0 ]; then echo "OK: install tree usable"; else echo "FAILED"; fi
exit "$fail"
