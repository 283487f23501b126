"""Machine-readable exports of the procedure catalogue (JSON and CSV for Excel)."""
from __future__ import annotations

import csv
import io
import json
from typing import Any, Iterable

from .config import SiteConfig
from .models import Procedure

CSV_COLUMNS = ("Mã thủ tục", "Tên thủ tục", "Lĩnh vực", "Cấp thực hiện", "Dịch vụ công trực tuyến",
               "Thời hạn giải quyết", "Phí, lệ phí", "Cơ quan thực hiện", "Quyết định công bố", "Địa chỉ trang")


def procedure_record(proc: Procedure, config: SiteConfig) -> dict[str, Any]:
    return {
        "code": proc.code, "title": proc.title,
        "field": {"name": proc.field.name, "slug": proc.field.slug},
        "url": config.base_url + proc.url.lstrip("/"),
        "decision": ({"number": proc.decision.number, "date": proc.decision.date, "issuer": proc.decision.issuer}
                     if proc.decision else None),
        "level": proc.level or None, "online": proc.online or None, "online_legacy": proc.online_legacy or None,
        "channels": [{"method": c.method, "time": c.time, "fee": c.fee, "note": c.note} for c in proc.channels],
        "applicants": list(proc.applicants), "agency": proc.agency or None,
        "competent_agency": proc.competent_agency or None, "address": proc.address or None,
        "result": proc.result or None, "legal_basis": list(proc.legal_basis), "conditions": list(proc.conditions),
        "dossier": [{"name": d.name, "copies": d.copies or None,
                     "form": config.base_url + d.form.lstrip("/") if d.form else None} for d in proc.dossier],
        "steps": list(proc.steps), "forms": [config.base_url + f.lstrip("/") for f in proc.forms],
        "keywords": list(proc.keywords), "updated": proc.updated.isoformat() if proc.updated else None,
    }


def procedures_json(procedures: Iterable[Procedure], config: SiteConfig) -> bytes:
    items = [procedure_record(p, config) for p in procedures]
    data = {"site": config.base_url, "count": len(items), "procedures": items}
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def procedures_csv(procedures: Iterable[Procedure], config: SiteConfig) -> bytes:
    """UTF-8 with BOM and CRLF, so Excel on Windows opens Vietnamese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for p in procedures:
        writer.writerow([
            p.code, p.title, p.field.name, p.level,
            f"{p.online} ({p.online_legacy})" if p.online and p.online_legacy else p.online, p.processing_time,
            "; ".join(dict.fromkeys(c.fee for c in p.channels if c.fee)),  # same fee on every channel: once
            p.agency, str(p.decision) if p.decision else "",
            config.base_url + p.url.lstrip("/"),
        ])
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")
