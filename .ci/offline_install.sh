#!/usr/bin/env bash
# An intranet server's install, rehearsed: `make wheelhouse` downloads the production wheels
# (hash-checked against requirements/run.txt), then a fresh virtualenv installs from that
# folder alone — no index, no pip configuration of this machine, no network use by pip — and
# Django's checks run in it with the production settings.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

make --no-print-directory wheelhouse WHEELHOUSE="$work/wheelhouse"
(cd "$work/wheelhouse" && sha256sum --check --quiet SHA256SUMS)

python=$(command -v python3.11 || command -v python3)
"$python" -m venv "$work/venv"
offline=(env -i PATH="/usr/bin:/bin" HOME="$work" PIP_CONFIG_FILE=/dev/null PIP_NO_INDEX=1
  PIP_FIND_LINKS="$work/wheelhouse" PIP_DISABLE_PIP_VERSION_CHECK=1)
"${offline[@]}" "$work/venv/bin/pip" install --quiet --upgrade pip
"${offline[@]}" "$work/venv/bin/pip" install --quiet --require-hashes -r "$work/wheelhouse/requirements.txt"

"${offline[@]}" DJANGO_SETTINGS_MODULE=cqo_registry.settings.production \
  DJANGO_SECRET_KEY="$("$python" -c 'import secrets; print(secrets.token_urlsafe(64))')" \
  DJANGO_ALLOWED_HOSTS=cqo.example.gov.cn SITE_URL=https://cqo.example.gov.cn \
  DATABASE_URL=postgres://cqo@127.0.0.1:5432/cqo \
  CELERY_BROKER_URL=redis://127.0.0.1:6379/0 \
  CQO_DATA_KEYS="$("$python" -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())')" \
  CQO_DATA_HMAC_KEY="$("$python" -c 'import secrets; print(secrets.token_urlsafe(48))')" \
  "$work/venv/bin/python" manage.py check --deploy --fail-level WARNING
echo "offline install: $(ls "$work"/wheelhouse/*.whl | wc -l) wheels installed with no index; check --deploy passed"
