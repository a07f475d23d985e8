"""Registering many producers from a CSV file, with the report line by line: the same import
(and the same checks) as the API's."""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from app.api.deps import SessionDep
from app.api.limits import UPLOAD_LIMIT
from app.console.deps import ConsoleStaff, CsrfChecked
from app.core.errors import InvalidInput
from app.core.i18n import N_
from app.producers.csv_import import CSV_OPTIONAL, CSV_REQUIRED, import_producers_csv
from app.web.templates import render

router = APIRouter()

NO_FILE: Final = N_("Choose a CSV file to import.")
UNREADABLE: Final = N_("The file could not be imported, nothing was saved:")


def _page(
    request: Request,
    *,
    status_code: int = 200,
    report: object = None,
    error: str | None = None,
    detail: str | None = None,
) -> Response:
    return render(
        request,
        "console/producer_import.html",
        status_code=status_code,
        required=CSV_REQUIRED,
        optional=CSV_OPTIONAL,
        limit_mb=UPLOAD_LIMIT // 1_000_000,
        report=report,
        error=error,
        detail=detail,
    )


@router.get("/producers/import")
async def import_page(request: Request, staff: ConsoleStaff) -> Response:
    staff.require_writer()
    return _page(request)


@router.post("/producers/import", dependencies=[CsrfChecked])
async def import_file(request: Request, session: SessionDep, staff: ConsoleStaff) -> Response:
    staff.require_writer()
    upload = (await request.form()).get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _page(request, status_code=422, error=NO_FILE)
    content = await upload.read()
    try:
        # A file refused whole (wrong columns, not text) leaves nothing behind.
        async with session.begin_nested():
            report = await import_producers_csv(session, content=content, staff=staff)
    except InvalidInput as exc:
        return _page(request, status_code=422, error=UNREADABLE, detail=str(exc.detail))
    return _page(request, report=report)
