"""Session page routes (mounted at sessions/). Names are plain, like the core pages'."""

from django.urls import path

from frontend.review import plotly_asset, reanalyse, tasks, views

urlpatterns = [
    path(f"plotly-basic-{plotly_asset.PLOTLY_JS_VERSION}.min.js", plotly_asset.plotly_js, name="plotly_js"),
    path("<int:session_id>/", views.session_page, name="session_page"),
    path("<int:session_id>/video", views.session_video, name="session_video"),
    path("<int:session_id>/overlay.json", views.session_overlay, name="session_overlay"),
    path("<int:session_id>/events/<int:event_id>/review", views.event_review, name="event_review"),
    path("<int:session_id>/coded-events", views.coded_event_add, name="coded_event_add"),
    path("<int:session_id>/patient-choice", views.patient_choose, name="patient_choose"),
    path("<int:session_id>/gaze-calibration", views.gaze_calibration_mark, name="gaze_calibration_mark"),
    path(
        "<int:session_id>/coded-events/<int:coded_id>/remove",
        views.coded_event_delete,
        name="coded_event_delete",
    ),
    path("<int:session_id>/reanalyse", reanalyse.session_reanalyse, name="session_reanalyse"),
    path("<int:session_id>/tasks", tasks.task_mark, name="task_mark"),
    path("<int:session_id>/tasks/<int:segment_id>/correct", tasks.task_correct, name="task_correct"),
    path("<int:session_id>/tasks/<int:segment_id>/accept", tasks.task_accept, name="task_accept"),
    path("<int:session_id>/tasks/<int:segment_id>/delete", tasks.task_delete, name="task_delete"),
    path(
        "<int:session_id>/events/<int:event_id>/reference",
        views.gesture_reference_mark,
        name="gesture_reference_mark",
    ),
]
