#!/bin/sh
# abi_exports: the dynamic symbol table of libdbx.so is exactly the DBX_API
# functions declared in the public headers.
#
#   check_exports.sh <libdbx.so> <include/dbx dir>
#
# (a) every defined dynamic symbol is a dbx_* name, except the DBX_0 version
#     node itself; symbols carrying a version must carry DBX_0;
# (b) the exported names equal the names declared `DBX_API <type> <name>(`
#     in include/dbx/**/*.h (declarations may span lines); the differences
#     are printed both ways.
# Environment: NM (default nm).
set -eu

lib=${1:?usage: check_exports.sh <libdbx.so> <include/dbx dir>}
incdir=${2:?usage: check_exports.sh <libdbx.so> <include/dbx dir>}
NM=${NM:-nm}

[ -f "$lib" ] || { echo "FAIL: no such library: $lib" >&2; exit 1; }
[ -d "$incdir" ] || { echo "FAIL: no such directory: $incdir" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dbx-abi.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0

# ---- exported symbols -------------------------------------------------
"$NM" -D --defined-only "$lib" > "$tmp/nm.txt"
# Lines are "<value> <type> <name>[@[@]<version>]"; the value is missing for
# some symbol kinds with some nm versions, so take the last two fields.
awk -v bad="$tmp/bad.txt" -v out="$tmp/exported.txt" '
    NF >= 2 {
        type = $(NF - 1); full = $NF; name = full; ver = ""
        at = index(full, "@")
        if (at > 0) {
            name = substr(full, 1, at - 1)
            ver = substr(full, at); sub(/^@+/, "", ver)
        }
        if (name == "DBX_0" && type == "A") next          # the version node
        if (name !~ /^dbx_/) { print "not dbx_-prefixed: " type " " full > bad; next }
        if (ver != "" && ver != "DBX_0") { print "wrong version node: " type " " full > bad }
        if (type !~ /^[TtWi]$/) { print "exported non-function: " type " " full > bad }
        print name > out
    }' "$tmp/nm.txt"
touch "$tmp/bad.txt" "$tmp/exported.txt"
sort -u "$tmp/exported.txt" -o "$tmp/exported.txt"
if [ -s "$tmp/bad.txt" ]; then
    echo "FAIL: symbols that must not leave libdbx.so:"
    sed 's/^/  /' "$tmp/bad.txt"
    fail=1
fi

# ---- DBX_API declarations in the public headers ----------------------
find "$incdir" -name '*.h' -type f | LC_ALL=C sort > "$tmp/headers.txt"
[ -s "$tmp/headers.txt" ] || { echo "FAIL: no headers under $incdir" >&2; exit 1; }
while IFS= read -r h; do cat "$h"; echo; done < "$tmp/headers.txt" |
    # strip /* */ and // comments (string- and char-literal aware)
    awk '
    BEGIN { inc = 0 }
    {
        line = $0; n = length(line); out = ""; instr = 0; i = 1
        while (i <= n) {
            c = substr(line, i, 1); d = substr(line, i, 2)
            if (inc) { if (d == "*/") { inc = 0; out = out " "; i += 2 } else i++; continue }
            if (instr) {
                out = out c
                if (c == "\\") { out = out substr(line, i + 1, 1); i += 2; continue }
                if (c == q) instr = 0
                i++; continue
            }
            if (d == "/*") { inc = 1; i += 2; continue }
            if (d == "//") break
            if (c == "\"" || c == "\047") { instr = 1; q = c }
            out = out c; i++
        }
        print out
    }' |
    # join backslash-continued lines, then drop preprocessor directives
    awk '{ if (sub(/\\$/, "")) { buf = buf $0 " "; next } print buf $0; buf = "" }
         END { if (buf != "") print buf }' |
    grep -v '^[[:space:]]*#' |
    # one declaration per line: split the text at ; { }
    tr '\n' ' ' | tr ';{}' '\n\n\n' |
    # "... DBX_API <type> <name> (" -> "<type> <name>" -> "<name>"
    sed -n -E 's/^(.*[^A-Za-z0-9_])?DBX_API[[:space:]]+([^(]*)\(.*/\2/p' |
    sed -n -E 's/^(.*[^A-Za-z0-9_])?([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*$/\2/p' |
    LC_ALL=C sort -u > "$tmp/declared.txt"
LC_ALL=C sort -u "$tmp/exported.txt" -o "$tmp/exported.txt"

n_decl=$(wc -l < "$tmp/declared.txt" | tr -d ' ')
n_exp=$(wc -l < "$tmp/exported.txt" | tr -d ' ')
echo "declared DBX_API functions: $n_decl; exported dbx_ symbols: $n_exp"
if [ "$n_decl" -eq 0 ]; then
    echo "FAIL: found no DBX_API declaration under $incdir (extraction broken?)"
    fail=1
fi

LC_ALL=C comm -13 "$tmp/declared.txt" "$tmp/exported.txt" > "$tmp/extra.txt"
LC_ALL=C comm -23 "$tmp/declared.txt" "$tmp/exported.txt" > "$tmp/missing.txt"
if [ -s "$tmp/extra.txt" ]; then
    echo "FAIL: exported by $(basename "$lib") but not declared DBX_API in a public header:"
    sed 's/^/  /' "$tmp/extra.txt"
    fail=1
fi
if [ -s "$tmp/missing.txt" ]; then
    echo "FAIL: declared DBX_API in a public header but not exported (undefined or hidden):"
    sed 's/^/  /' "$tmp/missing.txt"
    fail=1
fi

[ "$fail" -eq 0 ] && echo "OK: exports match the public headers"
exit "$fail"
