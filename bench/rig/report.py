#!/usr/bin/env python3
"""The rig's report: medians of the samples in results.tsv, a side-by-side table with ratios, and a
self-contained HTML page (inline SVG, no network) of the latency distributions from the HdrHistogram files.
Exit status 1 when a requested path has an error or lacks a number (so the smoke suite fails loudly)."""
import argparse
import glob
import html
import math
import os
import statistics
import sys

# (metric, label, better) -- better: "hi" or "lo" (ratios are torgate / other either way).
ROWS = [
    ("up_gbps", "throughput up, Gbit/s", "hi"),
    ("down_gbps", "throughput down, Gbit/s", "hi"),
    ("crr1_rate", "connect-req-close seq, /s", "hi"),
    ("crr16_rate", "connect-req-close 16-way, /s", "hi"),
    ("crr1_p50_us", "crr seq p50, us", "lo"),
    ("crr1_p99_us", "crr seq p99, us", "lo"),
    ("rr_p50_us", "req/resp p50, us", "lo"),
    ("rr_p90_us", "req/resp p90, us", "lo"),
    ("rr_p99_us", "req/resp p99, us", "lo"),
    ("rr_p999_us", "req/resp p99.9, us", "lo"),
    ("crr16_errors", "crr 16-way errors", "lo"),
    ("cpu_up", "gateway CPU% (up)", "lo"),
    ("cpu_down", "gateway CPU% (down)", "lo"),
    ("cpu_crr16", "gateway CPU% (crr 16)", "lo"),
    ("sinkcpu_down", "sink CPU% (down)", "lo"),
    ("sinkcpu_crr16", "sink CPU% (crr 16)", "lo"),
    ("cpu_us_per_conn", "gateway CPU us per connection", "lo"),
    ("sinkcpu_us_per_conn", "sink CPU us per connection", "lo"),
    ("hwm_transfer_kb", "gateway VmHWM after transfers, MiB", "lo"),
    ("rss_kb", "gateway VmRSS after all, MiB", "lo"),
    ("idle_open", "idle streams open", "hi"),
    ("idle_rss_kb", "gateway VmRSS with idle streams, MiB", "lo"),
    ("cpu_idle", "gateway CPU% with idle streams", "lo"),
    ("hwm_kb", "gateway VmHWM overall, MiB", "lo"),
]
REQUIRED = ["up_gbps", "down_gbps", "crr1_rate", "crr16_rate", "rr_p50_us", "rr_p99_us"]
COLORS = {"kernel": "#1b9e77", "redsocks": "#d95f02", "torgate": "#7570b3", "torgate-plain": "#e7298a",
          "torgate-base": "#66a61e", "torgate-w2": "#a6761d", "torgate-mq": "#e6ab02", "sink": "#999999"}


def load(path):
    samples, errors, notes = {}, {}, {}
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 4:
                continue
            p, metric, rep, value = parts
            if metric == "note":
                notes.setdefault(p, []).append(value)
                continue
            if metric == "error":
                errors.setdefault(p, []).append(value)
                continue
            try:
                samples.setdefault((p, metric), []).append((int(rep), float(value)))
            except ValueError:
                errors.setdefault(p, []).append("%s: not a number: %r" % (metric, value))
    return samples, errors, notes


# Derived rows: CPU time per connection (CPU% x 10,000 / rate = microseconds of CPU per connection), which shows
# the headroom of a process that is not the bottleneck better than its CPU% alone.
DERIVED = {
    "cpu_us_per_conn": ("cpu_crr16", "crr16_rate"),
    "sinkcpu_us_per_conn": ("sinkcpu_crr16", "crr16_rate"),
}


def median(samples, p, metric):
    if metric in DERIVED:
        cpu, rate = (median(samples, p, m) for m in DERIVED[metric])
        return cpu * 10000.0 / rate if cpu is not None and rate else None
    vals = [v for _, v in samples.get((p, metric), [])]
    if not vals:
        return None
    m = statistics.median(vals)
    return m / 1024.0 if metric.endswith("_kb") else m


def fmt(v):
    if v is None:
        return "-"
    if abs(v) >= 100:
        return "%.0f" % v
    return "%.2f" % v if abs(v) < 10 else "%.1f" % v


def table(samples, errors, notes, paths):
    head = ["metric (median)"] + paths
    pairs = (("torgate", "redsocks"), ("torgate", "kernel"), ("torgate-plain", "redsocks"),
             ("torgate", "torgate-plain"), ("torgate", "torgate-base"), ("torgate-mq", "torgate-w2"),
             ("torgate-mq", "redsocks"))
    ratio_cols = [(a, b) for a, b in pairs if a in paths and b in paths]
    head += ["%s/%s" % (a, b) for a, b in ratio_cols]
    rows = [head]
    for metric, label, _ in ROWS:
        vals = [median(samples, p, metric) for p in paths]
        if all(v is None for v in vals):
            continue
        row = [label] + [fmt(v) for v in vals]
        for a, b in ratio_cols:
            va, vb = median(samples, a, metric), median(samples, b, metric)
            row.append("%.2fx" % (va / vb) if va is not None and vb else "-")
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    ok = True
    for p in paths:
        missing = [m for m in REQUIRED if median(samples, p, m) is None]
        if p in errors or missing:
            ok = False
            reasons = errors.get(p, []) + (["missing: " + ", ".join(missing)] if missing else [])
            lines.append("%s: FAILED: %s" % (p, " | ".join(reasons)))
        else:
            lines.append("%s: ok" % p)
        for n in notes.get(p, []):
            lines.append("%s: note: %s" % (p, n))
    return "\n".join(lines), ok


def read_hgrm(path):
    """(latency_us, percentile) points from HdrHistogram's percentile distribution output."""
    pts = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 4 and not line.lstrip().startswith("#"):
                try:
                    value, pct = float(parts[0]), float(parts[1])
                except ValueError:
                    continue
                if pct < 1.0:
                    pts.append((value, pct))
    return pts


def median_rep_file(hist_dir, samples, p, kind):
    """The histogram of the repetition whose p50 is the median one."""
    key = "rr_p50_us" if kind == "rr" else kind + "_p50_us"
    reps = sorted(samples.get((p, key), []), key=lambda rv: rv[1])
    if reps:
        f = os.path.join(hist_dir, "%s-%s-%d.hgrm" % (p, kind, reps[len(reps) // 2][0]))
        if os.path.exists(f):
            return f
    found = sorted(glob.glob(os.path.join(hist_dir, "%s-%s-*.hgrm" % (p, kind))))
    return found[0] if found else None


def svg_plot(title, series):
    w, h, left, bottom, top, right = 720, 360, 70, 40, 30, 120
    pts = [pt for _, s in series for pt in s]
    if not pts:
        return "<p>%s: no data</p>" % html.escape(title)
    ymin = max(min(v for v, _ in pts), 1.0)
    ymax = max(v for v, _ in pts)
    ylo, yhi = math.floor(math.log10(ymin)), math.ceil(math.log10(ymax * 1.01))
    yhi = max(yhi, ylo + 1)
    xmax = 5.0  # 1 / (1 - percentile) up to 99.999 %

    def xy(value, pct):
        x = min(-math.log10(max(1.0 - pct, 1e-5)), xmax) / xmax
        y = (math.log10(max(value, ymin)) - ylo) / (yhi - ylo)
        return left + x * (w - left - right), h - bottom - y * (h - top - bottom)

    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" '
           'font-size="11">' % (w, h), '<text x="%d" y="18" font-size="14">%s</text>' % (left, html.escape(title))]
    for d in range(ylo, yhi + 1):
        _, y = xy(10 ** d, 0)
        out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>' % (left, w - right, y, y))
        out.append('<text x="%d" y="%.1f" text-anchor="end">%g us</text>' % (left - 4, y + 4, 10 ** d))
    for i, lab in enumerate(["0%", "90%", "99%", "99.9%", "99.99%", "99.999%"]):
        x = left + i / xmax * (w - left - right)
        out.append('<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#ddd"/>' % (x, x, top, h - bottom))
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%s</text>' % (x, h - bottom + 14, lab))
    for i, (name, s) in enumerate(series):
        color = COLORS.get(name, "#000")
        path = " ".join("%.1f,%.1f" % xy(v, p) for v, p in s)
        out.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>' % (color, path))
        out.append('<text x="%d" y="%d" fill="%s">%s</text>' % (w - right + 8, top + 16 * (i + 1), color, name))
    out.append("</svg>")
    return "\n".join(out)


def write_html(path, hist_dir, samples, paths, table_text, meta):
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>torgate rig</title></head><body>",
             "<h1>torgate end-to-end rig: latency distributions</h1>",
             "<pre>%s</pre>" % html.escape(meta), "<pre>%s</pre>" % html.escape(table_text)]
    for kind, title in (("rr", "request/response on one connection (64 B each way)"),
                        ("crr1", "sequential connect-request-close (64 B each way)"),
                        ("crr16", "16-way connect-request-close")):
        series = []
        for p in paths:
            f = median_rep_file(hist_dir, samples, p, kind)
            if f:
                series.append((p, read_hgrm(f)))
        parts.append(svg_plot(title + ": latency vs percentile", series))
    parts.append("</body></html>")
    with open(path, "w") as f:
        f.write("\n".join(parts))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--meta", required=True)
    ap.add_argument("--paths", required=True)
    ap.add_argument("--hist", required=True)
    ap.add_argument("--html", required=True)
    a = ap.parse_args()
    paths = [p for p in a.paths.split(",") if p]
    samples, errors, notes = load(a.results)
    text, ok = table(samples, errors, notes, paths)
    meta = open(a.meta).read() if os.path.exists(a.meta) else ""
    print(meta.rstrip())
    print(text)
    write_html(a.html, a.hist, samples, paths, text, meta)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
