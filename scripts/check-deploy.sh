#!/usr/bin/env bash
# Checks the deployment files (`make check-deploy`, part of `make test`):
#   - deploy/Dockerfile passes hadolint;
#   - deploy/compose/docker-compose.yml parses (docker-compose 1.29 `config -q`, no engine needed),
#     with deploy/compose/.env.example as its .env;
#   - every Kustomize overlay in deploy/kubernetes/overlays renders (`kubectl kustomize`) and
#     the output validates against the Kubernetes schemas (`kubernetes-validate --strict`);
#   - the Helm chart deploy/helm/stoa lints and renders (Helm's Go SDK through helm-python-sdk)
#     with its default values and with values-large.yaml, and validates the same way; values
#     that ask for several nodes on the embedded database are refused.
# The tools come from scripts/deploy-tools.sh (installed on first use, cached afterwards). A
# missing tool fails under CI=true and is a loud skip otherwise.
# deploy/build.sh (the image's build steps, run by `make check-image`) and the example
# configuration (a unit test) are checked elsewhere.
set -uo pipefail
cd "$(dirname "$0")/.."

failed=0 skipped=0
fail() { echo "check-deploy: FAILED: $*" >&2; failed=1; }
missing() {
  if [ "${CI:-}" = "true" ]; then
    fail "$1 is missing and CI=true requires it"
  else
    echo "!!! check-deploy: $1 is missing: that check is SKIPPED (scripts/deploy-tools.sh installs it)" >&2
    skipped=1
  fi
}

bin=$(scripts/deploy-tools.sh) || { echo "!!! check-deploy: installing the tools failed" >&2; bin=$(scripts/deploy-tools.sh --bin); }

if [ -x "$bin/hadolint" ]; then
  "$bin/hadolint" deploy/Dockerfile || fail "hadolint deploy/Dockerfile"
else
  missing hadolint
fi

if command -v docker-compose >/dev/null 2>&1; then
  (cd deploy/compose && docker-compose --env-file .env.example config -q) \
    || fail "docker-compose config (deploy/compose)"
else
  missing docker-compose
fi

if [ -x "$bin/kubectl" ] && [ -x "$bin/kubernetes-validate" ]; then
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
  for overlay in deploy/kubernetes/overlays/*/; do
    name=$(basename "$overlay")
    if "$bin/kubectl" kustomize "$overlay" >"$out/$name.yaml"; then
      "$bin/kubernetes-validate" --strict --quiet "$out/$name.yaml" \
        || fail "kubernetes-validate: overlay $name"
    else
      fail "kubectl kustomize $overlay"
    fi
  done
else
  missing "kubectl or kubernetes-validate"
fi

chart=deploy/helm/stoa
if [ -x "$bin/kubernetes-validate" ] && "$bin/python" -c 'import helm_python' 2>/dev/null; then
  out=${out:-$(mktemp -d)}
  trap 'rm -rf "$out"' EXIT
  for values in "" "$chart/values-large.yaml"; do
    name=chart-$(basename "${values:-default}" .yaml)
    # shellcheck disable=SC2086
    if "$bin/python" scripts/helm-render.py "$chart" "$out/$name.yaml" $values; then
      "$bin/kubernetes-validate" --strict --quiet "$out/$name.yaml" \
        || fail "kubernetes-validate: Helm chart with ${values:-default values}"
    else
      fail "rendering the Helm chart with ${values:-default values}"
    fi
  done
  printf 'replicas: 2\n' >"$out/two-embedded.yaml"
  if "$bin/python" scripts/helm-render.py "$chart" "$out/refused.yaml" "$out/two-embedded.yaml" 2>/dev/null; then
    fail "the Helm chart rendered two replicas on the embedded database"
  fi
else
  missing "helm-python-sdk (the Helm renderer) or kubernetes-validate"
fi

if [ "$failed" = 1 ]; then exit 1; fi
if [ "$skipped" = 1 ]; then echo "check-deploy: passed, with checks SKIPPED (see above)"; else echo "check-deploy: Dockerfile, compose, Kustomize overlays and Helm chart pass"; fi
