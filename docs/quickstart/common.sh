# Shared by the quickstart scripts: where the mesh is, and two small helpers.
MESH_URL=${MESH_URL:-http://127.0.0.1:8080}

# NextConsole's password rule: clients send sha256(password.strip()) as hex, never the password itself.
sha256_hex() { printf '%s' "$1" | python3 -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.read().strip().encode()).hexdigest())'; }

# Read one field of a JSON reply on stdin: `field result.token`, `field data.0.session_id` (no jq needed).
field() {
  python3 -c 'import json, sys
value = json.load(sys.stdin)
for key in sys.argv[1].split("."):
    value = value[int(key)] if isinstance(value, list) else value[key]
print(value)' "$1"
}

# POST JSON and fail loudly on an HTTP error: post PATH BODY [TOKEN]
post() {
  curl -sSN --fail-with-body "$MESH_URL$1" -H 'Content-Type: application/json' ${3:+-H "Authorization: Bearer $3"} -d "$2"
}
