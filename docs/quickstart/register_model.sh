#!/usr/bin/env bash
# Quickstart case 2: register a model provider at run time through Nexent's model routes, as a company admin.
#   MESH_TOKEN      a company admin's token or API key (the walk-through's user is one; so is the bootstrap admin)
#   MODEL_BASE_URL  an OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1 for a local Ollama
#   MODEL_NAME      the model it serves, e.g. llama3.2;  MODEL_API_KEY  its key (any text for Ollama)
# A private or loopback address must be allowed first: MESH_MODEL_ENDPOINT_NETWORKS=127.0.0.1/32 make run
set -euo pipefail
cd "$(dirname "$0")/../.."
source docs/quickstart/common.sh
MODEL="{\"model_name\": \"$MODEL_NAME\", \"model_type\": \"llm\", \"base_url\": \"$MODEL_BASE_URL\",
        \"api_key\": \"${MODEL_API_KEY:-none}\", \"is_default\": true}"

echo "== Check the endpoint first (a real call; nothing is saved)"
post /api/model/verify_config "$MODEL" "$MESH_TOKEN"
echo
echo "== Register it as the company's default model"
post /api/model/create "$MODEL" "$MESH_TOKEN"
echo
echo "== The company's models now"
curl -sS --fail-with-body "$MESH_URL/api/model/list" -H "Authorization: Bearer $MESH_TOKEN"
echo
