"""The lists the API answers, each in the one list shape (services.gateway.lists), built from the contract
schemas of their items; a list that belongs to something (a report's lines) keeps that thing's fields."""
from __future__ import annotations

from marshmallow import fields

from services.gateway.lists import PageQuery, list_of
from shared.contracts import conversations, directory, notify, rostering
from shared.contracts.directory.manual import AuditLogEntry

PeopleList = list_of(directory.PersonSummary, "PeopleList", total_exact=fields.Boolean(required=True, metadata={
    "description": "false when more than 10,000 match: total is then 10,000", "example": True}))
SchoolList = list_of(directory.School, "SchoolList")
AuditLogList = list_of(AuditLogEntry, "AuditLogList")
SyncRunList = list_of(rostering.SyncRunSummary, "SyncRunList")
SyncRunChangeList = list_of(rostering.ArchiveChange, "SyncRunChangeList")
ConversationList = list_of(conversations.ConversationSummary, "ConversationList")


class ConversationListQuery(PageQuery, conversations.ListConversationsRequest):
    """The gateway's paging (PageQuery's bounds win) and `original`; the viewer is the caller."""

    class Meta:
        exclude = ("viewer",)


class DeliveryReportPage(notify.DeliveryReport, list_of(notify.DeliveryLine, "DeliveryLineList")):
    """The report with one page of its lines as `items`."""

    class Meta:
        exclude = ("lines",)


class UnreachableContactList(notify.UnreachableContacts, list_of(notify.UnreachableContact, "UnreachableContactItems")):
    class Meta:
        exclude = ("contacts",)


class InvitationJobPage(notify.InvitationJob, list_of(notify.InvitationResult, "InvitationResultList")):
    """The job's progress with one page of its per-person results as `items` (`total`: people it invites)."""

    class Meta:
        exclude = ("results",)


class SyncRunsQuery(rostering.ListSyncRunsRequest, PageQuery):
    """The district's latest runs (at most rostering's limit), page by page."""

    class Meta:
        exclude = ("district_id", "limit")
