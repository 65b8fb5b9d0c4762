"""Public sign-up (bare domain): page, JSON endpoint, private status page."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from apiv1.errors import RateLimited
from core.errors import DomainError, InvalidInput
from onboarding.forms import ApplicationForm
from onboarding.models import ApplicationStatus
from onboarding.selectors import application_by_token
from onboarding.services import application_resubmit, application_submit
from onboarding.throttle import signup_throttle_hit

FILE_FIELDS = ("licence", "business_registration")


def _uploads(request: HttpRequest) -> dict:
    return {name: request.FILES.get(name) for name in FILE_FIELDS}


def _bound(request: HttpRequest) -> tuple[QueryDict | None, MultiValueDict | None]:
    """Form data for a POST, even an empty one (refusals need a bound form)."""
    if request.method == "POST":
        return request.POST, request.FILES
    return None, None


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    form = ApplicationForm(*_bound(request))
    if request.method == "POST":
        try:
            signup_throttle_hit(request)
            application = application_submit(
                raw=request.POST.dict(), uploads=_uploads(request)
            )
        except RateLimited as error:
            form.refusal_show(InvalidInput(error.message))
            response = render(
                request, "onboarding/signup.html", {"form": form}, status=error.status
            )
            response["Retry-After"] = str(error.retry_after)
            return response
        except InvalidInput as error:
            form.refusal_show(error)
            return render(request, "onboarding/signup.html", {"form": form}, status=422)
        return redirect("onboarding_status", token=application.status_token)
    return render(request, "onboarding/signup.html", {"form": form})


@csrf_exempt
@require_POST
def signup_api(request: HttpRequest) -> JsonResponse:
    """Accept an application as multipart/form-data; answer JSON.

    Errors use the one shape {"error": {"code", "message", "fields"}}.
    """
    try:
        signup_throttle_hit(request)
        application = application_submit(
            raw=request.POST.dict(), uploads=_uploads(request)
        )
    except DomainError as error:
        response = JsonResponse(error.as_dict(), status=error.status)
        if isinstance(error, RateLimited):
            response["Retry-After"] = str(error.retry_after)
        return response
    status_path = reverse("onboarding_status", args=[application.status_token])
    return JsonResponse(
        {
            "id": str(application.public_id),
            "status": application.status,
            "status_url": request.build_absolute_uri(status_path),
        },
        status=201,
    )


@require_http_methods(["GET", "POST"])
def status(request: HttpRequest, token: str) -> HttpResponse:
    application = application_by_token(token)
    if application is None:
        raise Http404
    editable = application.status == ApplicationStatus.CHANGES_REQUESTED
    form = None
    if editable:
        initial = {
            f: getattr(application, f, None) for f in ApplicationForm.base_fields
        }
        form = ApplicationForm(*_bound(request), initial=initial)
    if request.method == "POST" and form is not None:
        try:
            application_resubmit(
                application=application,
                raw=request.POST.dict(),
                uploads=_uploads(request),
            )
        except DomainError as error:
            if isinstance(error, InvalidInput):
                form.refusal_show(error)
            else:
                form.add_error(None, error.message)
        else:
            return redirect("onboarding_status", token=token)
    response = render(
        request,
        "onboarding/status.html",
        {"application": application, "form": form},
    )
    response["Referrer-Policy"] = "no-referrer"  # keep the token out of logs
    return response
