"""POST /admin/v1/stock-dataset through the launcher: CSV in, used by the stock tools at once; refusals name fields."""

from __future__ import annotations

from services.kit.testing.openai_upstream import Script, ScriptedUpstream
from tests.e2e.agents.conftest import member
from tests.e2e.chat.helpers import bearer
from tests.e2e.conftest import MeshClient

ROUTE = "/admin/v1/stock-dataset"
CODE = "300750"


def bars_csv(closes: list[float]) -> bytes:
    rows = [f"{CODE},2024-06-{day:02d},{c},{c + 1},{c - 1},{c},1000" for day, c in enumerate(closes, start=1)]
    return ("code,date,open,high,low,close,volume\n" + "\n".join(rows) + "\n").encode()


def test_an_admin_loads_csv_and_stock_info_uses_it_at_once(agent_mesh: MeshClient, scripted: ScriptedUpstream) -> None:
    admin = bearer(agent_mesh.admin_token())
    stocks = "code,name,industry,industry_code,index_code,index_name\n300750,宁德时代,电池,,,\n".encode()
    news = b"code,date,title,summary,source\n300750,2024-06-03,Battery plant opens,,wire\n"
    files = {"stocks": ("s.csv", stocks), "bars": ("b.csv", bars_csv([200.0, 220.0])), "news": ("n.csv", news)}
    loaded = agent_mesh.http.post(ROUTE, files=files, headers=admin)
    assert loaded.status_code == 200, loaded.text
    assert loaded.json() == {"stocks": 1, "bars": 2, "news": 1, "provider": "local"}

    user = member(agent_mesh, "stock-dataset-user")
    scripted.push(Script(chunks=["### 新闻分析\n", "ok"]))
    info = agent_mesh.http.post("/ai-api/v1/stock/info", json={"stocks_code": CODE}, headers=user.headers)
    answer = info.json()["data"]["answer"]
    assert "### 股票: 宁德时代" in answer and "10.00%" in answer and "Battery plant opens" in answer

    # A reload replaces the day's bar; the next answer reads it without a restart.
    again = agent_mesh.http.post(ROUTE, files={"bars": ("bars.csv", bars_csv([200.0, 190.0]))}, headers=admin)
    assert again.json() == {"stocks": 0, "bars": 2, "news": 0, "provider": "local"}
    scripted.push(Script(chunks=["ok"]))
    info = agent_mesh.http.post("/ai-api/v1/stock/info", json={"stocks_code": CODE}, headers=user.headers)
    assert "-5.00%" in info.json()["data"]["answer"]


def test_bad_csv_names_the_field_and_line_and_loads_nothing(agent_mesh: MeshClient) -> None:
    admin = bearer(agent_mesh.admin_token())
    good_stocks = ("stocks.csv", b"code,name\n688001,Nothing Loaded\n")
    bad_bars = ("bars.csv", b"code,date,open,high,low,close\n688001,2024-06-01,1,1,1,1\n688001,2024-06-02,1,1,1,n/a\n")
    refused = agent_mesh.http.post(ROUTE, files={"stocks": good_stocks, "bars": bad_bars}, headers=admin)
    assert refused.status_code == 400, refused.text
    assert refused.json() == {
        "detail": "bars: line 3: close is not a number: 'n/a'",
        "reason": "bad_stock_data",
        "field": "bars",
    }
    header = agent_mesh.http.post(ROUTE, files={"news": ("n.csv", b"title\nx\n")}, headers=admin)
    assert header.status_code == 400 and header.json()["field"] == "news" and "lacks code, date" in header.text
    binary = agent_mesh.http.post(ROUTE, files={"stocks": ("s.csv", b"\xff\xfe\x00bad")}, headers=admin)
    assert binary.status_code == 400 and binary.json()["field"] == "stocks"
    empty = agent_mesh.http.post(ROUTE, files={"other": ("x.csv", b"code\n1\n")}, headers=admin)
    assert empty.status_code == 400 and empty.json()["field"] == "bars"
    # Nothing of the refused call was loaded.
    user = member(agent_mesh, "stock-dataset-check")
    missing = agent_mesh.http.post("/ai-api/v1/stock/info", json={"stocks_code": "688001"}, headers=user.headers)
    assert "没有 688001 的行情数据" in missing.json()["data"]["answer"]


def test_only_admins_load_market_data(agent_mesh: MeshClient) -> None:
    user = member(agent_mesh, "stock-dataset-plain")
    files = {"bars": ("bars.csv", bars_csv([1.0]))}
    assert agent_mesh.http.post(ROUTE, files=files, headers=user.headers).status_code == 403
    assert agent_mesh.http.post(ROUTE, files=files).status_code == 401
