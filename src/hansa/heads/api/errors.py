"""The one place where Hansa's errors become HTTP responses, with stable codes."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from hansa.heads.api.responses import Json
from hansa.kernel.errors import (
    Conflict,
    HansaError,
    InvalidData,
    NotAllowed,
    NotFound,
    UnexpectedState,
)

STATUS: dict[type[HansaError], int] = {
    NotFound: 404,
    InvalidData: 422,
    NotAllowed: 403,
    Conflict: 409,
    UnexpectedState: 500,
}


def status_of(error: HansaError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def install(app: FastAPI) -> None:
    @app.exception_handler(HansaError)
    async def _hansa_error(_request: Request, exc: HansaError) -> Json:
        return Json(error_body(exc.code, exc.message, exc.details),
                              status_code=status_of(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> Json:
        codes = {404: "route_not_found", 405: "method_not_allowed"}
        return Json(error_body(codes.get(exc.status_code, "http_error"), str(exc.detail)),
                    status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> Json:
        problems = [
            {"field": ".".join(str(p) for p in err.get("loc", ())), "problem": err.get("msg")}
            for err in exc.errors()
        ]
        return Json(
            error_body("invalid_request", "the request does not match the schema",
                       {"problems": problems}),
            status_code=422,
        )
