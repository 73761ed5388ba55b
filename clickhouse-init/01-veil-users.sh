#!/bin/bash
# Run once by the ClickHouse image, at the first start of an empty volume (docker-compose.yml):
# the users and grants of docs/operations.md "Salts and keys" (veil-users.sql.template, the text
# of keyGrants in src/privacy/salt-vault.ts) with the passwords of veil.env. The container's own
# user (admin) keeps access management, for this and for operators; Veil's users get none.
set -euo pipefail
here="$(dirname "$0")"
[ "$VEIL_USER" = veil ] || { echo "CLICKHOUSE_USER in veil.env must be veil (the grants name it)" >&2; exit 1; }
[ "${CLICKHOUSE_KEYS_USER:-}" = veil_ingest ] || { echo "CLICKHOUSE_KEYS_USER in veil.env must be veil_ingest (the grants name it)" >&2; exit 1; }
# A password as a ClickHouse string literal: backslashes and quotes escaped.
literal() { printf "'%s'" "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g")"; }
{
  while IFS= read -r line; do
    case "$line" in
      "CREATE USER IF NOT EXISTS veil IDENTIFIED "*) printf '%s%s;\n' "${line%"'...';"}" "$(literal "$VEIL_PASSWORD")" ;;
      "CREATE USER IF NOT EXISTS veil_ingest IDENTIFIED "*) printf '%s%s;\n' "${line%"'...';"}" "$(literal "$CLICKHOUSE_KEYS_PASSWORD")" ;;
      *) printf '%s\n' "$line" ;;
    esac
  done < "$here/veil-users.sql.template"
} | clickhouse client --host 127.0.0.1 --user "$CLICKHOUSE_USER" --password "$CLICKHOUSE_PASSWORD" --multiquery
