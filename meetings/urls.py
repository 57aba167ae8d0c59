from django.urls import path

from meetings.views import live, meetings, preconsult, printing

app_name = "meetings"

urlpatterns = [
    path("queue/", preconsult.queue, name="queue"),
    path("meetings/", meetings.meeting_list, name="meeting_list"),
    path("meetings/new/", meetings.meeting_create, name="meeting_create"),
    path("meetings/<uuid:meeting_id>/", meetings.meeting_detail, name="meeting_detail"),
    path("meetings/<uuid:meeting_id>/edit/", meetings.meeting_edit, name="meeting_edit"),
    path("meetings/<uuid:meeting_id>/status/", meetings.meeting_status, name="meeting_status"),
    path("meetings/<uuid:meeting_id>/cancel/", meetings.meeting_cancel, name="meeting_cancel"),
    path("meetings/<uuid:meeting_id>/attendance/", meetings.attendance_add, name="attendance_add"),
    path("meetings/<uuid:meeting_id>/attendance/<int:attendance_id>/remove/", meetings.attendance_remove,
         name="attendance_remove"),
    path("meetings/<uuid:meeting_id>/print/", printing.agenda_print, name="agenda_print"),
    path("meetings/<uuid:meeting_id>/agenda.pdf", printing.agenda_pdf, name="agenda_pdf"),
    path("meetings/<uuid:meeting_id>/minutes/", printing.minutes_print, name="minutes_print"),
    path("meetings/<uuid:meeting_id>/minutes.pdf", printing.minutes_pdf, name="minutes_pdf"),
    path("meetings/<uuid:meeting_id>/live/", live.live_start, name="live_start"),
    path("meetings/<uuid:meeting_id>/live/<uuid:item_id>/", live.live_item, name="live_item"),
    path("meetings/<uuid:meeting_id>/live/<uuid:item_id>/attendance/", live.live_attendance_add,
         name="live_attendance_add"),
    path("meetings/<uuid:meeting_id>/live/<uuid:item_id>/attendance/<int:attendance_id>/remove/",
         live.live_attendance_remove, name="live_attendance_remove"),
    path("items/<uuid:item_id>/move/", meetings.item_move, name="item_move"),
    path("items/<uuid:item_id>/remove/", meetings.item_remove, name="item_remove"),
    path("items/<uuid:item_id>/reorder/", meetings.item_reorder, name="item_reorder"),
    path("items/<uuid:item_id>/presence/", meetings.item_presence, name="item_presence"),
    path("items/<uuid:item_id>/advice/", meetings.item_advice, name="item_advice"),
]
