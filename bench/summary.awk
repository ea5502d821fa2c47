# bench/run.sh's closing table, from the "key value" lines that
# bench_clusters_get (--results) and run.sh itself collected in one run.
#   awk -f bench/summary.awk RESULTS
# A row is printed only when its figures were measured. The target column
# restates the issue's targets; "met" / "MISSED" is information, never an
# exit status.
{
    k = $1
    sub(/^[^ ]+ /, "")
    v[k] = $0
}

function has(key) { return key in v }

# one row: label, baseline, libdbx, ratio (any of them "" when not known),
# target ("<= 1.15" or ">= 0.9", applied to `checked`) and its verdict;
# the first row of a section prints the section's title first
function row(label, base, dbx, ratio, target, checked,    verdict, op, lim) {
    if (title != "")
        print title
    title = ""
    verdict = ""
    if (target != "" && checked != "") {
        split(target, t, " ")
        op = t[1]; lim = t[2] + 0
        verdict = ((op == "<=" && checked + 0 <= lim) || (op == ">=" && checked + 0 >= lim)) ? "met" : "MISSED"
    }
    printf "  %-44s %12s %12s %11s  %-8s %s\n", label, base, dbx, ratio, target, verdict
}

function num(key, fmt) { return has(key) ? sprintf(fmt, v[key]) : "" }
function quot(a, b) { return has(a) && has(b) && v[b] + 0 != 0 ? sprintf("%.3f", v[a] / v[b]) : "" }
function quotv(a, b) { return has(a) && has(b) && v[b] + 0 != 0 ? v[a] / v[b] : "" }

# a section's rows for one libdbx phase `d` against its baseline phase `b`
function section(heading, b, d, wall_target, insn_target, own_target) {
    title = heading # printed by the first row, if any
    if (has("wall." d ".us") && has("wall." b ".us"))
        wall_rows("wall time per call, us (best round)", b, d, ratio_key[d, b], wall_target)
    if (has("insn." d) && has("insn." b))
        row("instructions per call (callgrind)", v["insn." b], v["insn." d], quot("insn." d, "insn." b),
            insn_target, quotv("insn." d, "insn." b))
    if (has("alloc." d ".total"))
        row("heap allocations per call, whole process", num("alloc." b ".total", "%.1f"),
            num("alloc." d ".total", "%.1f"), quot("alloc." d ".total", "alloc." b ".total"), "", "")
    if (has("alloc." d ".bytes"))
        row("heap bytes allocated per call, whole process", num("alloc." b ".bytes", "%.0f"),
            num("alloc." d ".bytes", "%.0f"), quot("alloc." d ".bytes", "alloc." b ".bytes"), "", "")
    if (has("alloc." d ".own"))
        row("libdbx's own allocations per call", "", num("alloc." d ".own", "%.1f"), "", own_target,
            v["alloc." d ".own"])
}

# the wall-time row (the fastest round's median per phase; the ratio is the
# median of the per-round ratios) and, under it, the middle half of the
# per-round ratios
function wall_rows(label, b, d, key, target) {
    row(label, num("wall." b ".best", "%.1f"), num("wall." d ".best", "%.1f"), num("wall.ratio." key, "%.3f"),
        target, v["wall.ratio." key])
    if (has("wall.ratio." key ".q1"))
        row("  middle half of the rounds' ratios", "", "",
            sprintf("%.2f-%.2f", v["wall.ratio." key ".q1"], v["wall.ratio." key ".q3"]), "", "")
}

# indented rows: libdbx phase d against the raw libcurl + json_loadb phase j
function versus_jansson(j, d, wkey) {
    if (has("wall.ratio." wkey))
        wall_rows("  wall vs raw libcurl + json_loadb", j, d, wkey, "")
    if (has("insn." j) && has("insn." d))
        row("  instructions vs raw libcurl + json_loadb", v["insn." j], v["insn." d], quot("insn." d, "insn." j), "", "")
    if (has("alloc." j ".total") && has("alloc." d ".total"))
        row("  allocations vs raw libcurl + json_loadb", num("alloc." j ".total", "%.1f"),
            num("alloc." d ".total", "%.1f"), quot("alloc." d ".total", "alloc." j ".total"), "", "")
}

END {
    ratio_key["dbx", "raw"] = "get"
    ratio_key["list-dbx", "list-raw"] = "list"
    ratio_key["list-gzip", "list-dbx"] = "gzip_vs_plain"

    printf "Summary (%s; CPU %s; nproc %s; libcurl %s; libdbx %s, build %s)\n",
        v["info.date"], v["info.cpu"], v["info.nproc"], v["info.libcurl"], v["info.libdbx"], v["info.build"]
    printf "  %-44s %12s %12s %11s  %-8s\n", "", "baseline", "libdbx", "ratio", "target"

    section(sprintf("clusters/get, %s-byte ClusterDetails (baseline: raw libcurl)", v["size.get"]),
            "raw", "dbx", "<= 1.15", "<= 1.35", "<= 12")
    versus_jansson("parse", "dbx", "get_vs_jansson")

    section(sprintf("clusters/list, %s-byte page of %s clusters (baseline: raw libcurl)", v["size.list"],
            v["info.list_clusters"]), "list-raw", "list-dbx", "<= 2.5", "", "")
    versus_jansson("list-parse", "list-dbx", "list_vs_jansson")

    section(sprintf("clusters/list gzipped by nginx, %s bytes on the wire (baseline: libdbx, gzip off)",
            has("size.list_gzip") ? v["size.list_gzip"] : "?"), "list-dbx", "list-gzip", "", "", "")
    # the link speed below which the bytes saved take longer to send than gzip costs here
    # (the extra time: the median of the per-round differences)
    if (has("size.list_gzip") && has("wall.delta.gzip_vs_plain")) {
        cost = v["wall.delta.gzip_vs_plain"]
        if (cost > 0)
            row("  gzip pays below this link speed, Mbit/s", "", sprintf("%.0f", (v["size.list"] - v["size.list_gzip"]) * 8 / cost),
                "", "", "")
        else
            row("  faster than plain even on loopback", "", "", "", "", "")
    }

    if (has("tp.1.ratio") || has("tp.8.ratio")) {
        title = "clusters/get throughput, calls/s, threads sharing one client (baseline: raw libcurl, a handle per thread)"
        for (n = 1; n <= 64; n++)
            if (has("tp." n ".ratio"))
                row(sprintf("%d thread%s", n, n > 1 ? "s" : ""), num("tp." n ".raw", "%.0f"),
                    num("tp." n ".dbx", "%.0f"), num("tp." n ".ratio", "%.3f"),
                    n == 8 ? ">= 0.9" : "", n == 8 ? v["tp." n ".ratio"] : "")
    }

    if (has("peak.dbx.bytes")) {
        title = sprintf("clusters/list, %s-cluster page: peak RSS above the baseline (baseline: raw libcurl + json_loadb)",
            v["info.big_clusters"])
        row("peak memory, MB", has("peak.jansson.bytes") ? sprintf("%.1f", v["peak.jansson.bytes"] / 1e6) : "",
            sprintf("%.1f", v["peak.dbx.bytes"] / 1e6), quot("peak.dbx.bytes", "peak.jansson.bytes"), "", "")
        row("peak memory / page size", num("peak.jansson.ratio", "%.2f"), num("peak.dbx.ratio", "%.2f"), "",
            "<= 2", v["peak.dbx.ratio"])
    }
}
