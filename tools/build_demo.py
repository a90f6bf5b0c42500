"""Build the offline demo's pages (package data) from the seed fixtures.

Day 1 ("before") is every fixture page as the seeds show it.  Day 2 ("after") applies
realistic edits, each of which the demo report must show in the right place:

* coin-futures en: INVALID_PAIR renumbered -4087 -> -4144 while -4087 becomes
  REDUCE_ONLY_ORDER_PERMISSION (one ``renumbered`` + one ``renamed``), as on USDⓈ-M;
* usds-futures en: -2013 renamed, -4450 added, -1006 removed, a -1003 message edited;
* portfolio-margin zh-CN: a Chinese message edited;
* coin-futures zh-CN: two more codes missing (a translation lagging behind);
* wallet en: comes back with most of its codes gone -> quarantined, never drift;
* institutional-loan zh-CN: the "WebSocket API General Info" page is served instead ->
  failed (wrong page), never drift.

Run ``python tools/build_demo.py`` after ``tools/build_fixtures.py``; the output is
deterministic (gzip mtime 0) and committed under scraper/data/demo/.
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from build_fixtures import (
    BulletList,
    CodeEntry,
    PageModel,
    load_seed_model,
    render_page,
    seed_pages,
)

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "scraper" / "data" / "demo"
SPOT = ROOT / "tests" / "fixtures" / "pages" / "spot.en.html"


def after_day(model: PageModel) -> PageModel | None:
    """The day-2 version of a page, or None when it does not change."""
    m = model.copy()
    key = (m.page, m.locale)
    if key == ("coin-futures", "en"):
        invalid_pair = m.find(-4087)
        section = next(s.title for s in m.sections if invalid_pair in s.entries)
        invalid_pair.renumber(-4144)
        m.add_code(section or "", CodeEntry(-4087, "REDUCE_ONLY_ORDER_PERMISSION",
                                            [BulletList(["User can only place reduce only order."])]),
                   after=-4144)
        return m
    if key == ("usds-futures", "en"):
        m.find(-2013).rename("ORDER_NOT_FOUND")
        m.remove_code(-1006)
        last = list(m.entries())[-1]
        section = next(s.title for s in m.sections if last in s.entries)
        m.add_code(section or "", CodeEntry(-4450, "PRICE_PROTECTION_TRIGGERED",
                                            [BulletList(["Order price deviates too far from the mark price; price protection triggered."])]))
        msgs = m.find(-1003).messages
        msgs[0] = "Too many requests queued; please retry with backoff."
        m.find(-1003).messages = msgs
        return m
    if key == ("portfolio-margin", "zh-CN"):
        msgs = m.find(-2013).messages
        m.find(-2013).messages = [msgs[0], "订单不存在或已被撤销。"]
        return m
    if key == ("coin-futures", "zh-CN"):
        m.remove_code(-1014)
        m.remove_code(-2027)
        return m
    if key == ("wallet", "en"):
        keep = list(m.entries())[:12]
        for s in m.sections:
            s.entries = [e for e in s.entries if any(e is k for k in keep)]
        return m
    return None


WRONG_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="UTF-8">
<title>基本信息 | Binance Open Platform</title>
<link rel="canonical" href="https://developers.binance.com/docs/zh-CN/derivatives/usds-margined-futures/websocket-api-general-info">
<meta property="og:url" content="https://developers.binance.com/docs/zh-CN/derivatives/usds-margined-futures/websocket-api-general-info">
</head><body><main><article><div class="theme-doc-markdown markdown"><h1>WebSocket API 基本信息</h1>
<p>WebSocket API 的接入点为 wss://ws-fapi.binance.com/ws-fapi/v1</p>
<h2 id="请求格式">请求格式</h2><ul><li>请求必须以文本帧发送</li></ul></div></article></main></body></html>
"""


def _write(path: Path, html: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(html.encode("utf-8"), mtime=0))


def build() -> list[str]:
    written: list[str] = []
    for old in OUT.glob("*/*.html.gz"):
        old.unlink()
    _write(OUT / "before" / "spot.en.html.gz", SPOT.read_text("utf-8"))
    written.append("before/spot.en")
    for page, locale in seed_pages():
        model = load_seed_model(page, locale)
        _write(OUT / "before" / f"{page}.{locale}.html.gz", render_page(model, page, locale))
        written.append(f"before/{page}.{locale}")
        edited = after_day(model)
        if edited is not None:
            _write(OUT / "after" / f"{page}.{locale}.html.gz", render_page(edited, page, locale))
            written.append(f"after/{page}.{locale}")
    _write(OUT / "after" / "institutional-loan.zh-CN.html.gz", WRONG_PAGE)
    written.append("after/institutional-loan.zh-CN (wrong page)")
    return written


if __name__ == "__main__":
    for line in build():
        print(line)
