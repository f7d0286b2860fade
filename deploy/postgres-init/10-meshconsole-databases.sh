#!/bin/sh
# Creates one database per MeshConsole service, owned by POSTGRES_USER.
#
# The official postgres image runs this once, on first start with an empty data directory
# (/docker-entrypoint-initdb.d). It is idempotent, so it can also be run by hand against an
# existing server:  docker compose exec postgres sh /docker-entrypoint-initdb.d/10-meshconsole-databases.sh
#
# MESH_DATABASES   the databases to create (default: mesh_<service> for the seven services);
#                  it must match MESH_DATABASE_URL's "mesh_{service}" pattern.
set -eu

: "${POSTGRES_USER:?POSTGRES_USER is not set}"
databases="${MESH_DATABASES:-mesh_identity mesh_apps mesh_chat mesh_retrieval mesh_files mesh_voice mesh_meetings}"

for db in $databases; do
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
        --set db="$db" --set owner="$POSTGRES_USER" <<'SQL'
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'owner')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db')
\gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'db')
\gexec
SQL
    echo "meshconsole: database $db ready"
done
