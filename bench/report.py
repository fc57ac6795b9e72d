#!/usr/bin/env python
"""Tables and a plot from a bench/run.py results file.

    python bench/report.py bench/results/20260101-120000.json --plot docs/performance.png > tables.md

Prints Markdown tables (medians, ratios against the engine's own prune, no-op and check-mode
figures, module-process wall time and peak RSS, the parallel sweep). ``--plot`` draws time
against objects, one line per tool, with matplotlib when it is importable (a PNG), else as
a hand-written SVG (use a ``.svg`` name then). matplotlib is not a dependency of the
collection: ``python3 -m venv /tmp/plot && /tmp/plot/bin/pip install matplotlib`` and run
this script with that interpreter (it needs nothing else).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import typing as t
from pathlib import Path

TOOL_NAMES = {
    "engine": "docker container prune && docker image prune -a (reference)",
    "prune": "ansible -m tidy.docker.prune (one plan, one task)",
    "modules": "ansible -m container_prune, -m image_prune",
    "role": "ansible-playbook tidy.docker.clean_host",
    "sdk": "naive serial SDK loop",
    "baseline": "the two modules, collection at the --baseline revision",
}


def tool_name(tool: str, results: dict[str, t.Any]) -> str:
    revision = (results.get("args") or {}).get("baseline")
    if tool == "baseline" and revision:
        return f"the two modules, collection at {revision}"
    return TOOL_NAMES[tool]


def median(values: t.Iterable[float]) -> float:
    return statistics.median(list(values))


def fmt(seconds: float) -> str:
    return f"{seconds:.2f} s"


def by_size(results: dict[str, t.Any]) -> dict[str, dict[str, list[dict[str, t.Any]]]]:
    sizes: dict[str, dict[str, list[dict[str, t.Any]]]] = {}
    for run in results["runs"]:
        sizes.setdefault(run["size"], {}).setdefault(run["tool"], []).append(run)
    return sizes


def objects(run: dict[str, t.Any]) -> int:
    return int(run["containers"]) + int(run["images"])


def machine_table(results: dict[str, t.Any]) -> str:
    m = results["machine"]
    rows = [
        ("CPU", f"{m['cores']} cores ({m['cpu']})"),
        ("Memory", f"{m['memory_gib']} GiB"),
        ("OS, kernel", f"{m['os']}, {m['kernel']}"),
        ("Engine", f"Docker {m['engine']} (API {m['engine_api']}), containerd {m['containerd']}, runc {m['runc']}, "
                   f"{m['storage_driver']}; private engine with --bridge=none"),
        ("Docker CLI", m["docker_cli"]),
        ("Python, ansible-core, docker SDK", f"{m['python']}, {m['ansible_core']}, {m['docker_sdk']}"),
        ("Run", f"{results['started']} to {results['finished']}"),
    ]
    return "| | |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)


def fixtures_table(results: dict[str, t.Any]) -> str:
    lines = ["| Fixture | Build (once) | Load at build | Restore before each run (median) |", "|---|---:|---:|---:|"]
    for label, data in results["fixtures"].items():
        restore = fmt(median(data["restore_seconds"])) if data["restore_seconds"] else "-"
        lines.append(f"| {label} | {fmt(data['build_seconds'])} | {data['build_load']} | {restore} |")
    return "\n".join(lines)


def main_table(results: dict[str, t.Any]) -> str:
    lines = ["| Fixture | Tool | Median | Min-max | Runs | vs engine | Load (1 min) during runs |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for size, tools in by_size(results).items():
        reference = median(r["seconds"] for r in tools["engine"]) if "engine" in tools else None
        for tool, runs in tools.items():
            seconds = [r["seconds"] for r in runs]
            loads = [r["load"] for r in runs]
            ratio = f"{median(seconds) / reference:.2f}x" if reference else "-"
            lines.append(f"| {size} | {tool}: {tool_name(tool, results)} | {fmt(median(seconds))} | "
                         f"{min(seconds):.2f}-{max(seconds):.2f} s | {len(runs)} | {ratio} | "
                         f"{min(loads):.1f}-{max(loads):.1f} |")
    return "\n".join(lines)


def linearity_table(results: dict[str, t.Any]) -> str:
    """Each fixture against the next larger one: how much the median grows when the objects grow."""
    sizes = by_size(results)
    if len(sizes) < 2:
        return "(one fixture size only)"
    labels = list(sizes)
    pairs = list(zip(labels, labels[1:]))
    header = " | ".join(f"{small} -> {large} (objects x{_object_ratio(sizes, small, large):.1f})" for small, large in pairs)
    lines = [f"| Tool | {header} |", "|---|" + "---:|" * len(pairs)]
    for tool in sizes[labels[0]]:
        cells = []
        for small, large in pairs:
            if tool not in sizes[small] or tool not in sizes[large]:
                cells.append("-")
                continue
            a = median(r["seconds"] for r in sizes[small][tool])
            b = median(r["seconds"] for r in sizes[large][tool])
            cells.append(f"{fmt(a)} -> {fmt(b)}: x{b / a:.2f}")
        lines.append(f"| {tool} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _object_ratio(sizes: dict[str, t.Any], small: str, large: str) -> float:
    first = next(iter(sizes[small].values()))[0]
    last = next(iter(sizes[large].values()))[0]
    return objects(last) / objects(first)


def module_table(results: dict[str, t.Any]) -> str:
    """Per module process: wall time (interpreter start to exit) and peak RSS, from the runs of tool modules."""
    rows: dict[tuple[str, str], list[dict[str, t.Any]]] = {}
    for run in results["runs"]:
        if run["tool"] != "modules":
            continue
        for process in run.get("processes", []):
            rows.setdefault((run["size"], process["module"]), []).append(process)
    for row in results["check"]:
        for process in row.get("processes", []):
            rows.setdefault((f"{row['size']} --check", process["module"]), []).append(process)
    for row in results["noop"]:
        for process in row.get("processes", []):
            rows.setdefault(("clean host (no-op)", process["module"]), []).append(process)
        for process in row.get("ping_processes", []):
            rows.setdefault(("clean host (no-op)", process["module"]), []).append(process)
    lines = ["| Run | Module | Module process wall (median) | Peak RSS (max) |", "|---|---|---:|---:|"]
    for (size, module), processes in rows.items():
        lines.append(f"| {size} | {module} | {fmt(median(p['seconds'] for p in processes))} | "
                     f"{max(p['max_rss_kb'] for p in processes) / 1024:.1f} MiB |")
    return "\n".join(lines)


def _rounds(rows: list[dict[str, t.Any]]) -> str:
    loads = [r["load"] for r in rows]
    return f"{len(rows)} interleaved rounds, load {min(loads):.1f}-{max(loads):.1f}."


def noop_table(results: dict[str, t.Any]) -> str:
    rows = results["noop"]
    if not rows:
        return "(not measured)"
    ping = median(r["ping"] for r in rows)
    lines = ["| Command | Median | vs ansible -m ping |", "|---|---:|---:|", f"| ansible -m ping | {fmt(ping)} | 1.00x |"]
    for module in ("container_prune", "image_prune"):
        value = median(r[module] for r in rows)
        lines.append(f"| ansible -m tidy.docker.{module} | {fmt(value)} | {value / ping:.2f}x |")
    pair = median(r["container_prune"] + r["image_prune"] for r in rows)
    lines.append(f"| both, one after the other | {fmt(pair)} | {pair / ping:.2f}x (vs two pings: {pair / (2 * ping):.2f}x) |")
    lines.append(f"\n{_rounds(rows)}")
    return "\n".join(lines)


def check_table(results: dict[str, t.Any]) -> str:
    if not results["check"]:
        return "(not measured)"
    rows = results["check"]
    ping = median(r["ping"] for r in rows)
    lines = ["| Command (check mode) | Median | Minus ping (module's share) | Module process wall (median) |",
             "|---|---:|---:|---:|", f"| ansible -m ping | {fmt(ping)} | - | - |"]
    lines += _check_lines(rows, ping, "", "ansible -m tidy.docker.", "both")
    if "baseline_container_prune" in rows[0]:
        lines += _check_lines(rows, ping, "baseline_", "baseline revision: ", "baseline revision: both")
    lines.append(f"\nFixture {rows[0]['size']}, {_rounds(rows)}")
    return "\n".join(lines)


def _check_lines(rows: list[dict[str, t.Any]], ping: float, prefix: str, label: str, both: str) -> list[str]:
    """One line per module and one for both, from the ``prefix``ed figures of the check rows."""
    lines, total_minus, total_process = [], 0.0, 0.0
    for module in ("container_prune", "image_prune"):
        value = median(r[f"{prefix}{module}"] for r in rows)
        process = median(p["seconds"] for r in rows for p in r[f"{prefix}processes"] if p["module"] == module)
        total_minus += value - ping
        total_process += process
        lines.append(f"| {label}{module} --check | {fmt(value)} | {fmt(value - ping)} | {fmt(process)} |")
    lines.append(f"| {both} | | {fmt(total_minus)} | {fmt(total_process)} |")
    return lines


def sweep_table(results: dict[str, t.Any]) -> str:
    rows = results["sweep"]
    if not rows:
        return "(not measured)"
    per: dict[int, list[float]] = {}
    for run in rows:
        per.setdefault(run["parallel"], []).append(run["seconds"])
    best = min(median(v) for v in per.values())
    lines = [f"| parallel | Median ({rows[0]['size']}, both modules) | Min-max | Runs | vs best |", "|---:|---:|---:|---:|---:|"]
    for parallel, seconds in sorted(per.items()):
        lines.append(f"| {parallel} | {fmt(median(seconds))} | {min(seconds):.2f}-{max(seconds):.2f} s | {len(seconds)} | "
                     f"{median(seconds) / best:.2f}x |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- plot


def series(results: dict[str, t.Any]) -> dict[str, list[tuple[int, float, float, float]]]:
    """tool -> [(objects, median, min, max)] by size."""
    out: dict[str, list[tuple[int, float, float, float]]] = {}
    for tools in by_size(results).values():
        for tool, runs in tools.items():
            seconds = [r["seconds"] for r in runs]
            out.setdefault(tool, []).append((objects(runs[0]), median(seconds), min(seconds), max(seconds)))
    return out


def plot_png(results: dict[str, t.Any], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7.5, 4.5), dpi=120)
    for tool, points in series(results).items():
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        errors = [[p[1] - p[2] for p in points], [p[3] - p[1] for p in points]]
        axes.errorbar(xs, ys, yerr=errors, marker="o", capsize=4, label=tool_name(tool, results))
    axes.set_xlabel("objects on the host (exited containers + images)")
    axes.set_ylabel("wall time of the full cleanup (s)")
    axes.set_title("Full cleanup: median of interleaved runs (bars: min-max)")
    axes.set_ylim(bottom=0)
    axes.set_xlim(left=0)
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=8, loc="upper left")
    figure.tight_layout()
    figure.savefig(path)


def plot_svg(results: dict[str, t.Any], path: Path) -> None:
    """A plain SVG line chart, for machines without matplotlib."""
    data = series(results)
    width, height, margin = 640, 400, 60
    max_x = max(p[0] for points in data.values() for p in points) * 1.1
    max_y = max(p[3] for points in data.values() for p in points) * 1.1
    colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]

    def x(value: float) -> float:
        return margin + value / max_x * (width - 2 * margin)

    def y(value: float) -> float:
        return height - margin - value / max_y * (height - 2 * margin)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
             f'<line x1="{margin}" y1="{y(0)}" x2="{width - margin}" y2="{y(0)}" stroke="black"/>',
             f'<line x1="{margin}" y1="{y(0)}" x2="{margin}" y2="{margin}" stroke="black"/>',
             f'<text x="{width / 2}" y="{height - 15}" text-anchor="middle">objects (exited containers + images)</text>',
             f'<text x="15" y="{height / 2}" transform="rotate(-90 15 {height / 2})" text-anchor="middle">seconds</text>']
    for tick in range(0, int(max_y) + 1, max(int(max_y / 5), 1)):
        parts.append(f'<text x="{margin - 5}" y="{y(tick) + 4}" text-anchor="end">{tick}</text>')
    for index, (tool, points) in enumerate(data.items()):
        colour = colours[index % len(colours)]
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="'
                     + " ".join(f"{x(p[0]):.1f},{y(p[1]):.1f}" for p in points) + '"/>')
        for p in points:
            parts.append(f'<circle cx="{x(p[0]):.1f}" cy="{y(p[1]):.1f}" r="3" fill="{colour}"/>')
            parts.append(f'<text x="{x(p[0]) + 5:.1f}" y="{y(p[1]) - 5:.1f}">{p[1]:.1f}</text>')
        parts.append(f'<text x="{margin + 10}" y="{margin + 15 * index}" fill="{colour}">{tool_name(tool, results)}</text>')
    parts.append("</svg>")
    path.write_text("\n".join(parts), encoding="utf-8")


def merged(files: list[dict[str, t.Any]]) -> dict[str, t.Any]:
    """One results record from several runs (say, main phase in one and check and sweep in another)."""
    results = dict(files[0], fixtures={}, runs=[], noop=[], check=[], sweep=[])
    for data in files:
        for key in ("runs", "noop", "check", "sweep"):
            results[key] += data.get(key, [])
        for label, fixture in data["fixtures"].items():
            known = results["fixtures"].setdefault(label, dict(fixture, restore_seconds=[]))
            known["restore_seconds"] += fixture["restore_seconds"]
    results["started"] = min(data["started"] for data in files)
    results["finished"] = max(data["finished"] for data in files)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("results", nargs="+", help="results files of bench/run.py (several: merged, the first's machine)")
    parser.add_argument("--plot", help="write the plot here (.png needs matplotlib; .svg is drawn by hand)")
    args = parser.parse_args(argv)
    results = merged([json.loads(Path(name).read_text(encoding="utf-8")) for name in args.results])
    sections = [
        ("Machine", machine_table(results)),
        ("Fixtures", fixtures_table(results)),
        ("Full cleanup", main_table(results)),
        ("Growth with the number of objects", linearity_table(results)),
        ("No-op rerun on a clean host", noop_table(results)),
        ("Check-mode plan", check_table(results)),
        ("Module processes", module_table(results)),
        ("parallel", sweep_table(results)),
    ]
    for title, body in sections:
        print(f"### {title}\n\n{body}\n")
    if args.plot:
        path = Path(args.plot)
        if path.suffix == ".svg":
            plot_svg(results, path)
        else:
            try:
                plot_png(results, path)
            except ImportError:
                sys.exit("report.py: matplotlib is not importable; give a .svg name or run with an interpreter that has it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
