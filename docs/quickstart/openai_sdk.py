"""NextConsole's app endpoint through the `openai` SDK, as NextConsole's own example does it (see README).

Run after the walk-through, with what it printed: MESH_URL, MESH_TOKEN (a token or API key), MESH_APP_CODE.
"""

import os

from openai import OpenAI

url = f"{os.environ.get('MESH_URL', 'http://127.0.0.1:8080')}/next_console/app_center/app_run/v2"
headers = {"Authorization": f"Bearer {os.environ['MESH_TOKEN']}"}
data = {
    "app_code": os.environ["MESH_APP_CODE"],
    "messages": [{"role": "user", "content": "Hello from the openai SDK"}],
    "stream": True,
    "attachments": [],
}
# The gateway reads the bearer token from the header; the SDK insists on an api_key of its own.
client = OpenAI(base_url=url, api_key="None")
response = client.chat.completions.create(
    model="", messages=data["messages"], stream=True, extra_headers=headers, extra_body=data
)
result = ""
for chunk in response:
    if not chunk.choices:
        continue
    delta = chunk.choices[0].delta
    # reason_content carries a reasoning model's thoughts; content the answer.
    result += getattr(delta, "reason_content", None) or ""
    result += delta.content or ""
print(f"Result: {result}")
