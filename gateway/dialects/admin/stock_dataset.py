"""Admin: load CSV of stocks, daily bars and news into chat's local market dataset (the CLI's twin over HTTP)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from meshconsole.chat.v1 import chat_pb2
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile

from gateway.auth import AdminPrincipal
from gateway.deps import Clients
from gateway.limits import DOCUMENTS, body_class
from gateway.strict_json import text_problem
from gateway.uploads import read_form
from services.kit.errors import InvalidArgument

router = APIRouter()
FIELDS = {
    "stocks": "CSV: code,name,industry,industry_code,index_code,index_name",
    "bars": "CSV: code,date,open,high,low,close,volume (industry and index codes too)",
    "news": "CSV: code,date,title,summary,source",
}
LOAD_TIMEOUT_S = 120.0
# The whole body is the documents class (MESH_GATEWAY_MAX_DOCUMENTS_BODY_MB, 16 MiB by default): about 300,000
# daily bars per call. Load a longer history in several calls; rows with the same key are replaced.
OPENAPI = {
    **body_class(DOCUMENTS),
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        name: {"type": "string", "format": "binary", "description": text}
                        for name, text in FIELDS.items()
                    },
                }
            }
        },
    },
}


class AdminStockDataset(BaseModel):
    """Rows loaded per table, and the provider the stock tools read ("akshare" does not use this dataset)."""

    stocks: int = Field(description="rows of stocks.csv loaded")
    bars: int = Field(description="rows of bars.csv loaded")
    news: int = Field(description="rows of news.csv loaded")
    provider: str = Field(description='MESH_CHAT_STOCK_PROVIDER: "local" reads this dataset')


async def _text(value: Any, name: str) -> str:
    """A part's text: an uploaded file or a plain field, UTF-8 (a BOM is fine), with nothing unstorable in it."""
    if value is None:
        return ""
    raw = await value.read() if isinstance(value, UploadFile) else str(value).encode()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidArgument(f"{name} must be UTF-8 CSV text", field=name) from None
    if problem := text_problem(text):
        raise InvalidArgument(f"{name} {problem}", field=name)
    return text


@router.post("/stock-dataset", response_model=AdminStockDataset, openapi_extra=OPENAPI)
async def load_stock_dataset(request: Request, clients: Clients, principal: AdminPrincipal) -> dict[str, Any]:
    """Load CSV files (multipart fields stocks, bars, news; at least one) into the local market dataset.

    Rows replace rows with the same key and are used at once; a bad row answers 400 naming the field and the line,
    and nothing of the call is loaded.
    """
    form = await read_form(request, max_files=len(FIELDS))
    texts = {name: await _text(form.get(name), name) for name in FIELDS}
    if not any(text.strip() for text in texts.values()):
        raise InvalidArgument("give at least one of stocks, bars, news as a CSV file", field="bars")
    reply = await clients.call(
        clients.agents.LoadStockData, chat_pb2.LoadStockDataRequest(**texts), timeout_s=LOAD_TIMEOUT_S
    )
    return {"stocks": reply.stocks, "bars": reply.bars, "news": reply.news, "provider": reply.provider}
