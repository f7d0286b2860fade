#!/usr/bin/env bash
# The README's curl walk-through: log in, create a user and a key, create an app, stream an answer in every dialect.
# Run it against a mesh started with `make run` (with a model) or `make demo`:  bash docs/quickstart/walkthrough.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
source docs/quickstart/common.sh
ADMIN_ACCOUNT=${MESH_ADMIN_ACCOUNT:-admin@meshconsole.local}
ADMIN_PASSWORD=${MESH_ADMIN_PASSWORD:-$(cat "${MESH_DATA_DIR:-.data}/admin_password")}

echo "== 1. Log in as the admin (the password goes as its sha256 hex)"
ADMIN_TOKEN=$(post /next_console/login_by_password \
  "{\"user_account\": \"$ADMIN_ACCOUNT\", \"user_password\": \"$(sha256_hex "$ADMIN_PASSWORD")\"}" | field result.token)
echo "admin token: ${ADMIN_TOKEN:0:16}…"

echo "== 2. Create a user (admin of a new company, so she may register models) and an API key for her"
ALICE="alice-$RANDOM$RANDOM@example.com"
ALICE_PASSWORD="correct horse battery"
USER_ID=$(post /admin/v1/users \
  "{\"account\": \"$ALICE\", \"password_sha256\": \"$(sha256_hex "$ALICE_PASSWORD")\", \"company\": \"Acme $RANDOM\", \"roles\": [\"admin\"]}" \
  "$ADMIN_TOKEN" | field user_id)
API_KEY=$(post /admin/v1/api-keys "{\"user_id\": $USER_ID, \"kind\": \"user\"}" "$ADMIN_TOKEN" | field key)
echo "user $ALICE has id $USER_ID and the key ${API_KEY:0:12}…"
# Quickstart case 2: with MODEL_BASE_URL and MODEL_NAME set, she registers her company's model now.
if [ -n "${MODEL_BASE_URL:-}" ]; then
  MESH_TOKEN=$API_KEY bash docs/quickstart/register_model.sh
fi
# She can log in as well; a login token and her API key work alike on every dialect.
TOKEN=$(post /next_console/login_by_password \
  "{\"user_account\": \"$ALICE\", \"user_password\": \"$(sha256_hex "$ALICE_PASSWORD")\"}" | field result.token)

echo "== 3. Create an app through Dify's console API; its id is NextConsole's app_code"
APP_ID=$(post /console/api/apps '{"name": "Quickstart", "mode": "chat"}' "$API_KEY" | field id)
echo "app $APP_ID"

echo "== 4a. NextConsole: init_session, then the OpenAI-compatible route (SSE chunks)"
SESSION=$(post /next_console/app_center/app_run/init_session "{\"app_code\": \"$APP_ID\"}" "$TOKEN" \
  | field result.session_code)
post /next_console/app_center/app_run/v2/chat/completions \
  "{\"app_code\": \"$APP_ID\", \"session_code\": \"$SESSION\", \"stream\": true,
    \"messages\": [{\"role\": \"user\", \"content\": \"Hello from NextConsole\"}]}" "$TOKEN"
echo

echo "== 4b. Dify: chat-messages in streaming mode (event: message … message_end)"
post "/console/api/apps/$APP_ID/chat-messages" \
  '{"query": "Hello from Dify", "inputs": {}, "response_mode": "streaming"}' "$API_KEY"
echo

echo "== 4c. Nexent: agent/run ({\"type\", \"content\"} frames; the answer is in final_answer)"
post /api/agent/run '{"query": "Hello from Nexent", "history": []}' "$API_KEY"
echo

echo "== 4d. lbai: one JSON reply in the partner session"
LBAI_SESSION=$(curl -sS --fail-with-body "$MESH_URL/ai-api/v1/chat/list?session_type=1" \
  -H "Authorization: Bearer $API_KEY" | field data.0.session_id)
post /ai-api/v1/chat/completions \
  "{\"session_id\": \"$LBAI_SESSION\", \"user_question\": {\"type\": 0, \"content\": \"Hello from lbai\"}}" "$API_KEY"
echo

echo "== For the openai SDK example (docs/quickstart/openai_sdk.py):"
echo "export MESH_URL=$MESH_URL MESH_TOKEN=$API_KEY MESH_APP_CODE=$APP_ID"
