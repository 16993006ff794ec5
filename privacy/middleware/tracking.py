"""Page views for usage analytics, recorded after the page is rendered (K2, M9).

Runs after ``privacy.middleware.consent.ConsentMiddleware``, whose ``request.consent`` it asks
through :func:`privacy.services.tracking.may_track`. A request that may be tracked gets a
``tracking_event_id`` before the view runs, so that ``templates/base.html`` can hand it to
``analytics.js`` (which later adds the time spent on the page); the event itself is only
appended to the buffer when the response is an HTML page that was shown.
"""

import uuid

from privacy.services import tracking


class TrackingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.tracking_event_id = None
        if tracking.is_page_request(request) and tracking.may_track(request):
            request.tracking_event_id = uuid.uuid4()
        response = self.get_response(request)
        if request.tracking_event_id is not None and tracking.is_page_response(response):
            tracking.record_page_view(request, event_id=request.tracking_event_id)
        return response
