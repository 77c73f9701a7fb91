#!/usr/bin/env bash
# Installs the Debian packages the test suite needs when they are missing: PostgreSQL (the store
# contract suite and the PostgreSQL e2e test start a throwaway cluster on a free loopback port; see
# src/drydock/testing/postgres.py) and bubblewrap (training instances run sandboxed with their tree at
# /opt/ml and algo-N names resolving; see src/drydock/engine/launchers/sandbox.py). Without root it
# only reports what is missing.
set -euo pipefail

have_postgresql() { ls /usr/lib/postgresql/*/bin/initdb /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; }

missing=()
have_postgresql || missing+=(postgresql)
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: missing ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 0
fi
echo "system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if [[ " ${missing[*]} " == *" postgresql "* ]]; then
  # Debian's server package creates a "main" cluster and starts it on port 5432. Drydock's tests never
  # use it (each session starts its own), so tell postgresql-common not to create it: no stray
  # server left running on the machine, nothing holding port 5432.
  apt-get install -y -qq --no-install-recommends postgresql-common >/dev/null
  sed -i -E 's/^#?[[:space:]]*create_main_cluster[[:space:]]*=.*/create_main_cluster = false/' \
    /etc/postgresql-common/createcluster.conf
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if ! command -v bwrap >/dev/null 2>&1; then
  echo "system-deps: bwrap still missing after installing bubblewrap" >&2
  exit 1
fi
if ! have_postgresql; then
  echo "system-deps: PostgreSQL server binaries still missing under /usr/lib/postgresql after install" >&2
  exit 1
fi
