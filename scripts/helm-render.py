"""Render a Helm chart offline, as `helm lint` + `helm template` would (scripts/check-deploy.sh).

    python helm-render.py CHART OUT [VALUES.yaml ...]

Lints the chart (errors fail), renders it with the chart's values overlaid by each VALUES file
in order, and writes every manifest to OUT as one multi-document YAML file. Uses Helm's own Go
SDK through the helm-python-sdk package (no helm binary is available from the registries).
"""

import sys

import helm_python as helm


def main() -> int:
    chart_dir, out, *value_files = sys.argv[1:]
    report = helm.lint(chart_dir)
    if report.get("errors"):
        print(f"helm lint {chart_dir}: {report['errors']}", file=sys.stderr)
        return 1
    values: dict = {}
    for path in value_files:
        with open(path, encoding="utf-8") as f:
            values = merge(values, helm.values_from_yaml(f.read()))
    with helm.Chart.load(chart_dir) as chart:
        manifests = chart.render(values, name="stoa", namespace="stoa")
    docs = [
        f"# Source: {name}\n{text.strip()}\n"
        for name, text in sorted(manifests.items())
        if name.endswith((".yaml", ".yml")) and text.strip()
    ]
    with open(out, "w", encoding="utf-8") as f:
        f.write("---\n".join(docs))
    return 0


def merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


if __name__ == "__main__":
    sys.exit(main())
