#!/usr/bin/env python3
"""Turns the raw results of bench/run.sh into the Markdown report.

usage: report.py RAW_TSV META_TSV

RAW_TSV has one measurement per line: scenario, proxy, round, metric, value (tab separated).
Throughput scenarios record requests, duration_s, p50_ms, p99_ms, errors, cpu_s and body_bytes
per round; "idle" records kib_per_conn, kib_marginal, still_open; "instr" records ir_per_req;
"alloc" records allocs_per_req and alloc_bytes_per_req. Those are over HTTP/1.1; the same
metrics with the suffix _tls (HTTP/1.1 over TLS 1.3), _h2 (h2c) and _h2tls (h2 over TLS 1.3) are
the other variants.
META_TSV holds key, value lines describing the run.
Every figure in the tables is the median over rounds.
"""
import collections
import statistics
import sys

PROXY_ORDER = ["gantry", "nginx", "haproxy", "envoy", "direct", "gantry_rr", "gantry_lr"]
RATIOS = [("gantry", "nginx"), ("gantry", "haproxy"), ("haproxy", "nginx"),
          ("gantry_lr", "gantry_rr")]
MIB = 1024 * 1024
OTHER_CPU_WARN = 5.0
# Variants of the valgrind measurements: label and metric suffix (h1 has none, as before).
VARIANTS = [("h1", ""), ("TLS", "_tls"), ("h2", "_h2"), ("h2 TLS", "_h2tls")]  # % of the machine used by processes outside the benchmark


def load_raw(path):
    """{(scenario, proxy): {metric: {round: value}}}"""
    data = collections.defaultdict(lambda: collections.defaultdict(dict))
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            scenario, proxy, rnd, metric, value = line.rstrip("\n").split("\t")
            data[(scenario, proxy)][metric][int(rnd)] = float(value)
    return data


def load_meta(path):
    meta = collections.defaultdict(list)
    with open(path) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("\t")
            meta[key].append(value)
    return meta


def derived_rounds(metrics):
    """Per-round derived figures of one (scenario, proxy)."""
    rows = []
    for rnd, requests in metrics["requests"].items():
        duration = metrics["duration_s"][rnd]
        rps = requests / duration if duration else 0.0
        rows.append({
            "rps": rps,
            "mibps": rps * metrics["body_bytes"][rnd] / MIB,
            "p50": metrics["p50_ms"][rnd],
            "p99": metrics["p99_ms"][rnd],
            "cpu100k": metrics["cpu_s"][rnd] / requests * 1e5 if requests else float("nan"),
            "err_pct": 100.0 * metrics["errors"][rnd] / max(requests, 1),
            "other": metrics.get("other_cpu_pct", {}).get(rnd, float("nan")),
        })
    return rows


def medians(data):
    """{scenario: {proxy: {figure: median}}} for the throughput scenarios."""
    out = collections.defaultdict(dict)
    for (scenario, proxy), metrics in data.items():
        if "requests" not in metrics:
            continue
        rows = derived_rounds(metrics)
        out[scenario][proxy] = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
        out[scenario][proxy]["rounds"] = len(rows)
    return out


def ordered(proxies):
    return sorted(proxies, key=lambda p: PROXY_ORDER.index(p) if p in PROXY_ORDER else 99)


def fmt(value, digits=2):
    if value is None or value != value:  # None or NaN
        return "n/a"
    if round(value, digits) == 0:
        value = 0.0  # no "-0.00" from a count that went down by a rounding error
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def ratio(a, b):
    if a is None or b is None or not b:
        return None
    return a / b


def failed_in(data, scenario):
    """Proxies that failed (crashed or stopped serving) in a throughput scenario."""
    return {p for (s, p), metrics in data.items() if s == scenario and "failed" in metrics}


def scenario_table(name, desc, per_proxy, with_mibps, failed):
    lines = [f"### ({name}) {desc}", ""]
    head = ["proxy", "req/s"] + (["MiB/s"] if with_mibps else []) + [
        "p50 ms", "p99 ms", "CPU-s / 100k req", "errors %", "other CPU %"]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    for proxy in ordered(per_proxy):
        m = per_proxy[proxy]
        label = "direct (no proxy; CPU = upstream's)" if proxy == "direct" else proxy
        cells = [label, fmt(m["rps"], 0)] + ([fmt(m["mibps"], 1)] if with_mibps else []) + [
            fmt(m["p50"], 3), fmt(m["p99"], 3), fmt(m["cpu100k"], 3), fmt(m["err_pct"], 2),
            fmt(m["other"], 1)]
        lines.append("| " + " | ".join(cells) + " |")
    for proxy in ordered(failed):
        note = "FAILED in some rounds; figures from the others" if proxy in per_proxy else "FAILED"
        lines.append(f"| {proxy} | {note} |" + " |" * (len(head) - 2))
    lines.append("")
    return lines


def ratio_table(med, scenarios):
    lines = ["### Ratios (median / median)", "",
             "| scenario | figure | " + " | ".join(f"{a}/{b}" for a, b in RATIOS) + " |",
             "|" + "---|" * (2 + len(RATIOS))]
    figures = [("rps", "req/s"), ("p50", "p50"), ("p99", "p99"), ("cpu100k", "CPU/100k")]
    for scenario in scenarios:
        per = med.get(scenario, {})
        for key, label in figures + ([("mibps", "MiB/s")] if scenario == "b" else []):
            cells = [fmt(ratio(per.get(a, {}).get(key), per.get(b, {}).get(key)), 3)
                     for a, b in RATIOS]
            lines.append(f"| ({scenario}) | {label} | " + " | ".join(cells) + " |")
    lines.append("")
    return lines


def single(data, scenario, proxy, metric):
    values = data.get((scenario, proxy), {}).get(metric)
    return statistics.median(values.values()) if values else None


def per_proxy_table(data, proxies):
    valgrind = [("instr", "ir_per_req", "instructions/req", 0),
                ("alloc", "allocs_per_req", "allocations/req", 2),
                ("alloc", "alloc_bytes_per_req", "bytes allocated/req", 0)]
    head = ["proxy", "idle KiB/conn", "marginal KiB/conn", "idle conns still open"] + [
        f"{title} {variant}" for _, _, title, _ in valgrind for variant, _ in VARIANTS]
    lines = ["### Memory and instructions", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for proxy in ordered(proxies):
        if proxy == "direct":
            continue
        still_open = single(data, "idle", proxy, "still_open")
        cells = [proxy,
                 fmt(single(data, "idle", proxy, "kib_per_conn"), 2),
                 fmt(single(data, "idle", proxy, "kib_marginal"), 2),
                 "n/a" if still_open is None else f"{still_open:.0f}"]
        cells += [fmt(single(data, scenario, proxy, metric + suffix), digits)
                  for scenario, metric, _, digits in valgrind for _, suffix in VARIANTS]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    return lines


def scaled(value, factor):
    return None if value is None else value * factor


def verdict(value, reference, higher_is_better):
    if value is None or reference is None:
        return "n/a"
    ok = value >= reference if higher_is_better else value <= reference
    return "PASS" if ok else "FAIL"


def scaled(value, factor):
    return None if value is None else value * factor


def target_table(med, data):
    a, b, t, d = med.get("a", {}), med.get("b", {}), med.get("t", {}), med.get("d", {})
    crashed = {s for s in ("a", "b", "t", "d") if "gantry" in failed_in(data, s)}

    def get(per, proxy, key):
        return per.get(proxy, {}).get(key)

    targets = [
        ("(a) req/s >= nginx", get(a, "gantry", "rps"), get(a, "nginx", "rps"), True, 0, "a"),
        ("(a) CPU-s/100k <= nginx", get(a, "gantry", "cpu100k"), get(a, "nginx", "cpu100k"),
         False, 3, "a"),
        ("(a) p99 <= HAProxy", get(a, "gantry", "p99"), get(a, "haproxy", "p99"), False, 3, "a"),
        ("(b) MiB/s >= nginx", get(b, "gantry", "mibps"), get(b, "nginx", "mibps"), True, 1, "b"),
        ("(t) req/s >= 95% of gantry's (a)", get(t, "gantry", "rps"),
         scaled(get(a, "gantry", "rps"), 0.95), True, 0, "t"),
        ("(d) TLS req/s >= the better peer", get(d, "gantry", "rps"),
         max((v for v in (get(d, "nginx", "rps"), get(d, "haproxy", "rps")) if v is not None),
             default=None), True, 0, "d"),
        ("idle KiB/conn <= HAProxy", single(data, "idle", "gantry", "kib_per_conn"),
         single(data, "idle", "haproxy", "kib_per_conn"), False, 2, None),
        *[(f"instructions/request {variant} <= nginx",
           single(data, "instr", "gantry", "ir_per_req" + suffix),
           single(data, "instr", "nginx", "ir_per_req" + suffix), False, 0, None)
          for variant, suffix in VARIANTS],
        # Three endpoints: least_request + outlier detection vs plain round robin, within 3%.
        ("(a) req/s least_request+outlier >= 0.97 x round robin", get(a, "gantry_lr", "rps"),
         scaled(get(a, "gantry_rr", "rps"), 0.97), True, 0, "a"),
    ]
    lines = ["### Targets", "", "| target | gantry | reference | result |", "|---|---|---|---|"]
    for label, value, reference, higher, digits, scenario in targets:
        result = verdict(value, reference, higher)
        if scenario in crashed:
            result = "FAIL (gantry failed in this scenario)"
        lines.append(f"| {label} | {fmt(value, digits)} | {fmt(reference, digits)} | {result} |")
    lines.append("")
    return lines


def header(meta):
    first = lambda key, default="?": meta.get(key, [default])[0]

    def counts(tool):
        """'2000 and 12000 (h1), ...' for the valgrind variants the run knows of."""
        parts = [f"{first(f'{tool}_n').replace(' ', ' and ')} (h1, keep-alive)"]
        if f"{tool}_tls_n" in meta:
            parts.append(f"{first(f'{tool}_tls_n').replace(' ', ' and ')} (TLS 1.3, keep-alive)")
        for key, what in (("h2", "h2c"), ("h2tls", "h2 over TLS 1.3")):
            if f"{tool}_{key}_n" in meta:
                parts.append(f"{first(f'{tool}_{key}_n').replace(' ', ' and ')} ({what}, "
                             f"{first('valgrind_h2_streams')} concurrent streams)")
        return "; ".join(parts)
    lines = [f"## gantry benchmark, {first('date')}", ""]
    if first("quick", "0") == "1":
        lines += ["**Quick run** (short, one round): for checking the harness, not for quoting.",
                  ""]
    lines += [
        f"- Host: {first('host')}",
        f"- Software: {first('versions')}; {first('gantry_version', 'gantry')} "
        f"(tree: {first('gantry_rev', 'n/a')})",
        f"- {first('rounds')} interleaved round(s) of {first('duration_s')} s per scenario and "
        "proxy; figures are medians over rounds",
        "- Client: wrk -t1 pinned to one CPU; proxies with 2 workers, unpinned; upstream: "
        "nginx, 1 worker, on the same host",
        f"- Idle memory: {first('idle_conns')} idle keep-alive connections; instructions: "
        f"callgrind, 1 worker, {counts('instr')} requests over one connection; allocations: "
        f"memcheck's heap totals, {counts('alloc')} requests",
    ]
    load = first("load_before", "")
    if load:
        lines.append(f"- CPU already busy before the start: {load}% of the machine"
                     + (" (**noisy: another job was running**)" if int(load) >= 10 else ""))
    for failed in meta.get("failed", []):
        lines.append(f"- **FAILED**: {failed}")
    for skipped in meta.get("skipped", []):
        lines.append(f"- Skipped: {skipped}")
    lines.append("")
    return lines


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    data = load_raw(sys.argv[1])
    meta = load_meta(sys.argv[2])
    med = medians(data)
    scenarios = sorted(set(med) | {s for (s, _) in data if s not in ("idle", "instr", "alloc")})
    lines = header(meta)
    for scenario in scenarios:
        desc = meta.get(f"scenario_{scenario}", [""])[0]
        lines += scenario_table(scenario, desc, med.get(scenario, {}), scenario == "b",
                                failed_in(data, scenario))
    errors = [(s, p, m["err_pct"]) for s in med for p, m in med[s].items() if m["err_pct"] > 0.1]
    for s, p, pct in errors:
        lines.append(f"**Warning:** ({s}) {p}: {pct:.2f}% of requests failed; its figures are "
                     "suspect.")
    disturbed = [(s, p, r["other"]) for (s, p), metrics in data.items() if "requests" in metrics
                 for r in derived_rounds(metrics) if r["other"] > OTHER_CPU_WARN]
    if disturbed:
        worst = max(v for _, _, v in disturbed)
        lines.append(f"**Warning:** {len(disturbed)} run(s) had other processes using more than "
                     f"{OTHER_CPU_WARN:.0f}% of the machine's CPU (worst {worst:.0f}%): "
                     "treat req/s and latency with care; instructions and allocations are "
                     "not affected.")
    if errors or disturbed:
        lines.append("")
    lines += ratio_table(med, scenarios)
    proxies = {p for (_, p) in data}
    lines += per_proxy_table(data, proxies)
    lines += target_table(med, data)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
