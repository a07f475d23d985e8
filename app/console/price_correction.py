"""Correcting a price from its page. The form is read by price_correction_form, then corrected by
curation.correct_price, the function PATCH /api/v1/prices/{id} calls: checked, scoped and
audited exactly as through the API, and refused whole (in a savepoint) when any rule refuses.

Two tabs, or two colleagues, correcting the same price: the API has no version column or ETag,
so the form carries the price's version (its newest audit entry) and the service refuses a
correction from a page that is out of date. The sender then sees the price as it now is, with
the other change in its history and their own values still in the form, to send again if they
are still right; nothing is applied over a change they have not seen."""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from app.api.deps import SessionDep, SettingsDep
from app.catalogue.service import load_index
from app.console.deps import ConsoleStaff, CsrfChecked
from app.console.price_correction_form import FORM, Correction, to_update
from app.console.prices import LIST, render_price
from app.core.errors import Conflict, InvalidInput
from app.core.i18n import N_
from app.core.ids import Id
from app.prices import curation, reads
from app.prices.duplicates import DuplicatePrice
from app.prices.review import Comparison

router = APIRouter()

NOT_CORRECTED: Final = N_("Not corrected: nothing was saved. Check the fields marked below.")
REFUSED: Final = N_("Not corrected: MIC refused a value, and nothing was saved.")
OUTLIER: Final = N_(
    "Not corrected: the corrected price is far from the median %(median)s of the %(count)s "
    "prices published for this series in the last %(days)s days. If it is right, tick “The "
    "price is right” and send the correction again."
)
CHANGED_MEANWHILE: Final = N_(
    "Not corrected: the price changed after you opened this page. It is shown as it is now, "
    "with that change in its history, and your values are still in the form: send them again "
    "if they are still right."
)
REJECTED: Final = N_("Not corrected: the price is rejected. Submit a new price instead.")
DUPLICATE: Final = N_(
    "Not corrected: with these values it would be the same observation as price %(id)s, which "
    "is stored already."
)


@router.post("/prices/{price_id}/correct", dependencies=[CsrfChecked])
async def correct(
    request: Request, session: SessionDep, settings: SettingsDep, staff: ConsoleStaff, price_id: Id
) -> Response:
    staff.require_writer()
    price = await curation.get_price(session, price_id=price_id, staff=staff)  # 404 or 403 first
    [shown] = await reads.to_public(session, [price])
    form = Correction.read(await request.form())
    update = to_update(form, shown, await load_index(session))
    status_code = 422
    if update is None:
        whole = form.problems.pop(FORM, None)  # one of the whole form says more than the rest
        form.message = NOT_CORRECTED if whole is None else whole.message
        form.detail = None if whole is None else whole.detail
    else:
        try:
            async with session.begin_nested():
                await curation.correct_price(
                    session, price_id=price_id, staff=staff, data=update, based_on=form.version
                )
        except curation.ImplausiblePrice as refused:
            form.message, form.outlier = OUTLIER, Comparison(refused.median, refused.prices)
        except curation.ChangedMeanwhile:
            # The values typed stay; the version becomes the one now shown, so that sending
            # them again is a decision taken with the other change in sight.
            form.message, status_code = CHANGED_MEANWHILE, 409
            form.version = await curation.version_of(session, price_id=price_id)
        except DuplicatePrice as refused:
            form.message, form.twin, status_code = DUPLICATE, refused.existing_id, 409
        except Conflict as refused:  # rejected meanwhile: nothing left to correct
            form.message, form.detail, status_code = REJECTED, str(refused.detail), 409
        except InvalidInput as refused:  # the day, the range, a duplicate: the service's words
            form.message, form.detail = REFUSED, str(refused.detail)
        else:
            return RedirectResponse(f"{LIST}/{price_id}?done=corrected", status_code=303)
    return await render_price(
        request, session, settings, staff, price_id, status_code=status_code, correction=form
    )
