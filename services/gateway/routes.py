"""THE endpoint table: the service registers its HTTP entrypoints from it and the OpenAPI document is built
from it, so the two cannot drift."""
from __future__ import annotations

import functools

from services.gateway import account_handlers as own
from services.gateway import communication_handlers as communications
from services.gateway import conversation_handlers as talk
from services.gateway import docs_handlers as docs
from services.gateway import directory_handlers as manual
from services.gateway import handlers
from services.gateway import inbox_handlers as inbox
from services.gateway import invitation_handlers as invitations
from services.gateway import rostering_handlers as rostering_runs
from services.gateway import session_handlers as sessions
from services.gateway import webhook_handlers as webhooks
from services.gateway.account_schemas import (
    ConfirmCredentialBody, CredentialCodeBody, DistrictLanguagesBody, LanguageBody, MyCredentials,
)
from services.gateway.api import ApiCall, Backends, Examples, RawBody, Route
from services.gateway.domain.communications import ANNOUNCE_ACTION_BY_TARGET
from services.gateway.domain.webhooks import TWIML
from services.gateway.examples import example_of
from services.gateway.inbox_schemas import DeviceBody, InboxList, InboxQuery, MarkReadBody, OpenItemQuery
from services.gateway.list_schemas import (
    AuditLogList, DeliveryReportPage, InvitationJobPage, PeopleList, SchoolList, SyncRunChangeList, SyncRunList,
    SyncRunsQuery, UnreachableContactList,
)
from services.gateway.lists import PageQuery
from services.gateway.openapi import build_document
from services.gateway.schemas import (
    AddGuardianBody, AddStaffBody, AnnouncementBody, ArchiveClassroomsBody, AuditLogQuery, ChangePasswordBody,
    DeliveryReportQuery,
    DistrictDefaultBody, EnableStudentAccountsBody, EnableStudentAccountsResult, EnrollmentBody, HealthStatus,
    JobTitleBody, Me, PeopleQuery, PreferenceBody, ReadinessReport, RejectSyncRunBody, RemoveGuardiansBody,
    RemoveGuardiansResult, SyncRunFollowed, SyncSettingsBody,
    ResetStatusBody, SetPermissionsBody, StaffClassroomBody, SyncRunChangesQuery, UnenrollBody,
    UnreachableContactsQuery, UpdateGuardianBody, UserProfile,
)
from shared.contracts.permissions import (
    ARCHIVE, ENABLE_STUDENT_ACCOUNTS, MANAGE_OTHERS_PREFERENCES, MANAGE_PEOPLE, MANAGE_SYNC_RUNS, READ_AUDIT_LOG,
    RESET_CREDENTIAL_STATUS,
    SEARCH_DIRECTORY, SET_DISTRICT_DEFAULT, SET_DISTRICT_LANGUAGES, SET_STAFF_PERMISSIONS, VIEW_DELIVERY_REPORTS, VIEW_PROFILES,
    VIEW_UNREACHABLE_CONTACTS,
)
from services.gateway.schemas import InvitationJobQuery, InvitationsBody
from services.gateway.schemas import ConversationMessageBody, StartConversationBody
from services.gateway.list_schemas import ConversationList, ConversationListQuery
from services.gateway import moderation_handlers as moderation
from services.gateway.moderation_schemas import FlagBody, FlaggedMessageList, FlaggedQuery, ModerationBody
from shared.contracts import moderation as moderation_contract
from shared.contracts.permissions import MODERATE_CONTENT
from shared.contracts.permissions import INVITE_PEOPLE, INVITE_SCHOOL
from shared.contracts import conversations, directory, identity, notify, notify_inbox, notify_languages, rostering
from shared.contracts.provider_webhooks import (
    SENDGRID_EVENTS_PATH,
    TWILIO_INBOUND_PATH,
    TWILIO_STATUS_PATH,
    WebhookAccepted,
)

API = "/api/v1"

# What the providers post; the gateway passes the bytes on unparsed, so these only document them.
TWILIO_FORM = RawBody("application/x-www-form-urlencoded",
                      {"type": "object", "additionalProperties": {"type": "string"},
                       "description": "Twilio's form fields, signed with X-Twilio-Signature."})
SENDGRID_EVENT_BATCH = RawBody("application/json",
                               {"type": "array", "items": {"type": "object"},
                                "description": "A batch of SendGrid events, signed with "
                                               "X-Twilio-Email-Event-Webhook-Signature and -Timestamp."})
TWILIO_STATUS_EXAMPLE = {"MessageSid": "SM3f2c9a1e5b7d4c6e8a0b1c2d3e4f5a6b", "MessageStatus": "delivered",
                         "To": "+15555550101"}
WEBHOOK_EXAMPLE = Examples(request=TWILIO_STATUS_EXAMPLE)
DOCS_EXAMPLES = {media_type: Examples(response=text) for media_type, text in (
    (docs.HTML, "<!DOCTYPE html><html>...</html>"), (docs.CSS, ".swagger-ui{...}"),
    (docs.JAVASCRIPT, "/*! Swagger UI */ ..."))}
WEBHOOK_NOTE = ("Called by the provider, without a token; the gateway checks the signature (a SendGrid batch also "
                "against a replay window of its signed time): a post that does not verify answers 403 and changes "
                "nothing. A verified post is answered once it is held on a durable queue, and applied moments "
                "later; when the queue cannot take it the answer is 503 with Retry-After: post it again.")
DIRECTORY = f"{API}/directory"
EXAMPLE_ID = "3f2c9a1e5b7d4c6e8a0b1c2d3e4f5a6b"
# Bodies whose fields go together by a rule (exactly one of two, at least one of several): examples that
# follow it, where examples made field by field could not.
BODY_EXAMPLES = {name: Examples(request=body) for name, body in {
    "enroll_student": {"school_id": EXAMPLE_ID, "student": {"given_name": "Nia", "family_name": "Park",
                                                             "grade": "03"}},
    "unenroll_person": {"classroom_id": EXAMPLE_ID},
    "change_sync_settings": {"source": "classlink", "daily_sync": True, "daily_time": "05:30",
                             "time_zone": "America/Chicago",
                             "connection": {"tenant_id": "1234", "application_id": "5678",
                                            "server_url": "https://lincoln-ca-v2.oneroster.com",
                                            "client_id": "key", "client_secret": "secret"}},
    "add_staff": {"school_ids": [EXAMPLE_ID], "job_title": "Teacher",
                  "staff": {"given_name": "Pat", "family_name": "Lee", "email": "pat.lee@example.org"}},
    "add_guardian": {"relationship": "mother", "guardian": {"given_name": "Dana", "family_name": "Reyes",
                                                            "email": "dana.reyes@example.org"}},
    "update_guardian": {"mobile_phone": "+15555550101"},
    "archive_people": {"person_ids": [EXAMPLE_ID]},
    "unarchive_people": {"matching": {"query": "rey", "include_archived": True}},
    "join": {"token": "k3Jx9QvT2mB7wLp4", "password": "correct horse battery staple", "language": "en"},
    "check_join_invitation": {"join_code": "7KQ4-M2XP"},
    "send_invitations": {"classroom_id": EXAMPLE_ID, "kinds": ["guardian", "student"]},
    "start_conversation": {"participant_ids": [EXAMPLE_ID], "text": "Could we talk about Nia's reading?",
                           "attachments": [{"url": "https://files.example.org/reading-log.pdf",
                                            "name": "reading-log.pdf", "content_type": "application/pdf",
                                            "size_bytes": 48213}]},
    "send_announcement": {"audience": {"school_id": EXAMPLE_ID, "include_staff": True},
                          "subject": "Early dismissal on Friday", "body": "School closes at noon on Friday."},
}.items()}
SCOPE_NOTE = ("Within the caller's reach: a school administrator (or a teacher with Rostering Administrator) "
              "their schools, a district administrator the district; ids outside it answer 404.")
LOCK_NOTE = " When the district's sync owns what would change, 423 names the source and the setting."
CREDENTIAL_NOTE = (" An email or mobile phone of an account whose owner has joined answers 409 \"This email and "
                   "phone can't be used at the same time\" with `existing_person_id`: add that person by id instead.")
ROSTERING = f"{API}/rostering"
# Business rules that answer 4xx, per status, for the operations they apply to.
PREFERENCE_RULES = {403: f"someone else's preference without `{MANAGE_OTHERS_PREFERENCES}`",
                    404: "a person the caller cannot see, or one notify does not know yet"}
NO_DISTRICT_RULE = {404: "the caller belongs to no district"}
NOT_AWAITING_APPROVAL = {409: "the run is not awaiting approval"}
AMBIGUOUS_RUN_ID = {400: "`id` is a prefix shared by several runs"}
SHORT_ID_NOTE = " `id` may be the run's short id (any unique prefix of 4 characters or more)."
RUNS_NOTE = ("For district administrators and Rostering Administrators; only runs of the caller's district exist "
             "for them (another district's answer 404).")
SETTINGS_NOTE = ("For district administrators and Rostering Administrators, of the caller's district. Secrets "
                 "(client_secret, token, password, private_key) are kept sealed and never answered: the answer's "
                 "connection says `<name>_set`.")
THROTTLE_NOTE = ("Too many failed attempts for one login (or person) or from one client address answer 429 "
                 "with `Retry-After`; successful ones never count.")
JOIN_NOTE = ("No token: the invitation is the proof. Give `token` (from the Join link) or `join_code` (printed). "
             "Answers like sign-in. An expired or forged invitation answers 400, a used one 409; a password "
             "that is short or common, or a language the district does not offer, 400 naming the field.")
KIND_NOTE = "`kind` is `email` or `mobile_phone`."
OWN_CREDENTIAL_NOTE = (" An address of another account whose owner has joined answers 409 \"This email and phone "
                       "can't be used at the same time\".")
PDF = "application/pdf"
INVITE_NOTE = ("To someone who has not joined, within the caller's reach (a teacher: the families and enabled "
               "students of their classes; staff need `" + INVITE_SCHOOL + "`); others answer 404. 409 says why "
               "nobody can be invited (joined, not_enabled, archived, disabled, no_usable_credential).")
CONVERSATION_NOTE = ("Staff name guardians or enabled students in their reach (`participant_ids`, up to 15), or "
                     "a student whose guardians take part (`guardians_of`); a guardian or an enabled student names "
                     "one teacher of their student or class. Attachments are links (https) to PDF, image, text "
                     "or Word files of at most 10 MB, five per message. Each message goes to every other "
                     "participant by rows M1-M4; replies by SMS or email land in the same conversation.")
INBOUND_EMAIL_FORM = RawBody("multipart/form-data",
                             {"type": "object", "additionalProperties": {"type": "string"},
                              "description": "SendGrid Inbound Parse's fields: from, to, text, html, envelope, "
                                             "headers, ..."})
ANNOUNCEMENT_NOTE = "Needs, by audience: " + ", ".join(
    f"`{target}` → `{action}`" for target, action in ANNOUNCE_ACTION_BY_TARGET.items()) + "."

PERMISSIONS_NOTE = ("Nobody changes their own permissions. A district administrator changes any staff member of the "
                    "district; a school administrator, or a teacher with Permissions Admin, only staff whose every "
                    "school is theirs and who do not outrank them. Only district administrators grant or remove "
                    "Rostering Administrator, only administrators Permissions Admin. A refusal answers 403 naming "
                    "the reason; every change is in the audit log.")


def announcement_report_url(announcement: dict) -> str:
    return f"{API}/announcements/{announcement['communication_id']}/report"


INVITATION_JOB_EXAMPLE = {**example_of(InvitationJobPage, request=False),
                          "audience": {"school_id": None, "classroom_id": EXAMPLE_ID, "kinds": ["guardian"]}}


def my_device_url(device: dict) -> str:
    return f"{API}/me/devices/{device['device_id']}"


MODERATION_NOTE = ("Administrators and teachers with Content Moderator: a district administrator the district's "
                   "conversations, the others those with a participant of their schools. A hidden message shows "
                   f"\"{moderation_contract.HIDDEN_NOTICE}\" to everyone, in the conversation and the inbox; every "
                   "decision is kept in the audit log (who, when, why, before and after). Hiding withdraws the "
                   "message's deliveries not yet handed to a provider (never sent; its report shows them skipped, "
                   "`withdrawn_by_moderator`); what was already sent by SMS, email, call or push cannot be recalled, "
                   "and the answer's `deliveries` counts both.")
INBOX_NOTE = ("Your own items only: announcements (and conversation messages) that reached you in the app, which "
              "happens once you have joined.")


def invitation_job_url(job: dict) -> str:
    return f"{API}/invitations/jobs/{job['job_id']}"


def openapi_document(call: ApiCall, backends: Backends) -> dict:
    return _document()


@functools.cache
def _document() -> dict:
    # Built on first request, not at import: the table is data, the document a view of it.
    return build_document(ROUTES)


ROUTES: tuple[Route, ...] = (
    Route("health", "GET", "/health", "Whether the gateway is up", "operations",
          handlers.health, HealthStatus, public=True),
    Route("show_readiness", "GET", "/health/ready", "Whether every service, the broker and each database answer",
          "operations", handlers.show_readiness, ReadinessReport, public=True,
          errors={503: "`not_ready`: a service did not answer within 3 s, or its database failed; `fields` names "
                       "each failing part and why"},
          description="For readiness probes and operators. Every service is asked at once over the broker; each "
                      "answers for its own database. Answers 200 only when every part is ok."),
    Route("openapi", "GET", f"{API}/openapi.json", "This API as an OpenAPI 3 document", "operations",
          openapi_document, None, public=True, examples=Examples(response={
              "openapi": "3.0.3", "info": {"title": "School communications API", "version": "1.0.0"}, "paths": {}})),
    Route("show_docs", "GET", f"{API}/docs", "This API as an interactive reference (Swagger UI)", "operations",
          docs.docs_page, None, public=True, media_type=docs.HTML,
          examples=DOCS_EXAMPLES[docs.HTML]),
    Route("show_docs_stylesheet", "GET", f"{API}/docs/swagger-ui.css", "The reference page's stylesheet",
          "operations", docs.docs_stylesheet, None, public=True, media_type=docs.CSS,
          examples=DOCS_EXAMPLES[docs.CSS]),
    Route("show_docs_script", "GET", f"{API}/docs/swagger-ui-bundle.js", "The reference page's script",
          "operations", docs.docs_script, None, public=True,
          media_type=docs.JAVASCRIPT, examples=DOCS_EXAMPLES[docs.JAVASCRIPT]),
    Route("log_in", "POST", f"{API}/auth/login", "Sign in with an email or mobile phone and a password", "auth",
          sessions.log_in, identity.LoginResult, public=True, body=identity.LoginRequest, errors={
              401: "the login and password match no account that may sign in",
              429: "too many failed sign-ins for this login or this client address, or identity is saturated"},
          description="Answers a short-lived access token (`token`) and a refresh token. " + THROTTLE_NOTE),
    Route("refresh_session", "POST", f"{API}/auth/refresh", "Trade a refresh token for new tokens", "auth",
          sessions.refresh_session, identity.LoginResult, public=True, body=identity.RefreshSessionRequest,
          errors={401: "the refresh token is unknown, expired, or was used already (its session ends)"},
          description="Each refresh token works once: the answer holds its successor. A refresh "
                                     "token used a second time ends its whole session (every device it reached) "
                                     "and answers 401."),
    Route("sign_out", "POST", f"{API}/auth/sign-out", "Sign out of this device", "auth", sessions.sign_out,
          identity.SessionsEnded, description="Ends the session of the access token sent: it and its refresh "
                                              "token stop working at once; other devices stay signed in."),
    Route("sign_out_everywhere", "POST", f"{API}/auth/sign-out-everywhere", "Sign out of every device", "auth",
          sessions.sign_out_everywhere, identity.SessionsEnded,
          description="Ends every session of the signed-in person, this one included."),
    Route("change_password", "POST", f"{API}/me/password", "Change your password", "auth",
          sessions.change_password, identity.SessionsEnded, body=ChangePasswordBody, errors={
              403: "the current password given is not the account's", 429: "too many wrong current passwords"},
          description="Needs the current password (403 naming `current_password` when it is not). Every other "
                      "session of yours ends; this one stays signed in. " + THROTTLE_NOTE),
    Route("show_me", "GET", f"{API}/me", "Who is signed in, with their account", "auth",
          handlers.show_me, Me),
    # --- joining, languages and the signed-in person's own account settings (#12) ---
    Route("join", "POST", f"{API}/join", "Join Now: an invitation, a new password and a language", "auth",
          own.join, identity.LoginResult, public=True, body=identity.JoinRequest, errors=(409, 429),
          examples=BODY_EXAMPLES["join"],
          description=JOIN_NOTE),
    Route("check_join_invitation", "POST", f"{API}/join/invitation",
          "The Join page: whether an invitation can be used, and the languages to choose from", "auth",
          own.check_join_invitation, identity.JoinInvitation, public=True, body=identity.JoinInvitationRequest,
          errors=(409,), examples=BODY_EXAMPLES["check_join_invitation"],
          description="No token; changes nothing. Refused like `POST /join`."),
    Route("show_district_languages", "GET", f"{API}/district/languages",
          "The languages people of the caller's district choose from", "languages",
          own.show_district_languages, identity.DistrictLanguages, errors=(404,)),
    Route("set_district_languages", "PUT", f"{API}/district/languages",
          "Choose the languages the district offers", "languages", own.set_district_languages,
          identity.DistrictLanguages, action=SET_DISTRICT_LANGUAGES, body=DistrictLanguagesBody, errors=(404,),
          description="BCP 47 tags, the default language among them, and optionally a new default language "
                      f"(at first `{identity.DEFAULT_LANGUAGE}`): the language of everyone who has not chosen one. "
                      "People keep a language they chose even once it is no longer offered."),
    Route("show_my_credentials", "GET", f"{API}/me/credentials", "Your email and mobile phone", "account",
          own.show_my_credentials, MyCredentials),
    Route("set_my_language", "PUT", f"{API}/me/language", "Choose your language", "account",
          own.set_my_language, identity.Account, body=LanguageBody,
          description="One of the district's languages (`GET /district/languages`)."),
    Route("send_my_credential_code", "POST", f"{API}/me/credentials/<kind>/code",
          "Add or change your email or mobile phone: a 6-digit code goes to the new address", "account",
          own.send_my_credential_code, identity.CredentialCodeSent, body=CredentialCodeBody,
          errors=(409, 429), description=KIND_NOTE + " The code is valid for 10 minutes and 5 tries; send your "
          "current address to prove it works again (this resets a bad delivery status)." + OWN_CREDENTIAL_NOTE),
    Route("confirm_my_credential", "POST", f"{API}/me/credentials/<kind>/confirm",
          "Type the code: the address becomes your credential", "account", own.confirm_my_credential,
          identity.Account, body=ConfirmCredentialBody, errors=(409, 429),
          description=KIND_NOTE + " A wrong code answers 400 with the tries left; past 5 tries, 429: ask for a "
                                  "new code." + OWN_CREDENTIAL_NOTE),
    Route("remove_my_credential", "DELETE", f"{API}/me/credentials/<kind>", "Remove your email or mobile phone",
          "account", own.remove_my_credential, identity.Account,
          errors={400: "it is your only credential: add the other one first"},
          description=KIND_NOTE + " Refused (400) for your only credential: add the other one first."),
    # --- the signed-in person's app inbox and push devices (#13) ---
    Route("show_my_inbox", "GET", f"{API}/me/inbox", "Your app inbox, newest first, with your unread count",
          "inbox", inbox.show_my_inbox, InboxList, query=InboxQuery,
          description=INBOX_NOTE + " `unread=true` lists only unread items; `kind` one kind; `original=true` "
                                   "shows subjects and texts as written instead of in your language."),
    Route("open_my_inbox_item", "GET", f"{API}/me/inbox/<id>", "Open an item of your inbox (it is read from now "
          "on)", "inbox", inbox.open_my_inbox_item, notify_inbox.OpenedInboxItem, query=OpenItemQuery,
          description=INBOX_NOTE + " `id` is the item's `communication_id`; another person's answers 404."),
    Route("mark_my_inbox_read", "POST", f"{API}/me/inbox/read-all", "Mark every item of your inbox read",
          "inbox", inbox.mark_my_inbox_read, notify_inbox.InboxMarkedRead, body=MarkReadBody,
          description="Of one `kind` when given; answers how many were marked and the unread count left."),
    Route("list_my_devices", "GET", f"{API}/me/devices", "Your devices registered for push", "inbox",
          inbox.list_my_devices, notify_inbox.Devices),
    Route("register_my_device", "POST", f"{API}/me/devices", "Register this device for push (an FCM "
          "registration token)", "inbox", inbox.register_my_device, notify_inbox.Device, body=DeviceBody,
          status=201, location=my_device_url,
          errors={409: "push (FCM) is not configured on this platform: no device can be registered"},
          description="Every app delivery to you is also pushed to your devices. Registering a token again "
                      "keeps one device; a token FCM reports stale is removed."),
    Route("remove_my_device", "DELETE", f"{API}/me/devices/<id>", "Stop pushing to one of your devices",
          "inbox", inbox.remove_my_device, notify_inbox.Devices,
          description="Answers your devices left; another person's device answers 404."),
    Route("search_people", "GET", f"{API}/directory/people", "Search the directory", "directory",
          handlers.search_people, PeopleList, action=SEARCH_DIRECTORY, query=PeopleQuery),
    Route("show_student_profile", "GET", f"{API}/directory/students/<id>", "A student's profile", "directory",
          handlers.show_student_profile, directory.StudentProfile, action=VIEW_PROFILES),
    Route("show_user_profile", "GET", f"{API}/directory/people/<id>",
          "A user's profile; credentials only for themselves or staff allowed to see them", "directory",
          handlers.show_user_profile, UserProfile, action=VIEW_PROFILES,
          description="Credentials go to the person and to staff; their delivery status only to the person and "
                      "to staff with Users Manager, Engagement Visibility or an administrator role. The latest "
                      "communications go to the person and to staff: all of them with Engagement Visibility or "
                      "as an administrator, otherwise only those the viewer sent or takes part in."),
    Route("enable_student_accounts", "POST", f"{API}/directory/students/enable-accounts",
          "Enable student accounts in bulk (sends nothing)", "directory",
          handlers.enable_student_accounts, EnableStudentAccountsResult, action=ENABLE_STUDENT_ACCOUNTS,
          body=EnableStudentAccountsBody),
    *(Route(name, method, rule, summary, "directory", handler, response, action=MANAGE_PEOPLE, body=body,
            errors=errors, description=SCOPE_NOTE + note, examples=BODY_EXAMPLES.get(name))
      for name, method, rule, summary, handler, response, body, errors, note in (
        ("enroll_student", "POST", f"{DIRECTORY}/enrollments",
         "Enroll a new student in a school (and a classroom), or assign an existing one",
         manual.enroll_student, directory.Enrollment, EnrollmentBody, (404, 409, 423), LOCK_NOTE),
        ("unenroll_person", "POST", f"{DIRECTORY}/people/<id>/unenroll",
         "Take a person out of a classroom, or out of a school and its classrooms",
         manual.unenroll_person, directory.Unenrolled, UnenrollBody, (423,), LOCK_NOTE),
        ("add_staff", "POST", f"{DIRECTORY}/staff", "Add a staff member to schools (new, or an existing person)",
         manual.add_staff, directory.StaffMember, AddStaffBody, (404, 409, 423), LOCK_NOTE + CREDENTIAL_NOTE),
        ("set_job_title", "PUT", f"{DIRECTORY}/staff/<id>/job-title", "Set a staff member's job title",
         manual.set_job_title, directory.StaffMember, JobTitleBody, (423,), LOCK_NOTE),
        ("assign_staff_to_classroom", "POST", f"{DIRECTORY}/staff/<id>/classrooms",
         "Assign a staff member to a classroom of their school", manual.assign_staff_to_classroom,
         directory.ClassroomAssignment, StaffClassroomBody, (423,), LOCK_NOTE),
        ("add_guardian", "POST", f"{DIRECTORY}/students/<id>/guardians",
         "Add a guardian to a student: an existing person by id, or by email and/or mobile phone",
         manual.add_guardian, directory.GuardianLink, AddGuardianBody, (409, 423),
         " The account holding every credential given is linked; otherwise a new invitee guardian is made "
         "(nothing is sent)." + LOCK_NOTE + CREDENTIAL_NOTE),
        ("update_guardian", "PATCH", f"{DIRECTORY}/students/<id>/guardians/<guardian_id>",
         "Edit a guardian's name, credentials and relationship to the student", manual.update_guardian,
         directory.Guardian, UpdateGuardianBody, (409, 423),
         " Absent fields stay as they are; a null email or mobile phone removes it." + LOCK_NOTE + CREDENTIAL_NOTE),
        ("remove_guardian", "DELETE", f"{DIRECTORY}/students/<id>/guardians/<guardian_id>",
         "Remove one guardian from a student (the link is archived, never deleted)", manual.remove_guardian,
         directory.GuardianLink, None, (400, 423), LOCK_NOTE),
        ("remove_guardians", "POST", f"{DIRECTORY}/students/remove-guardians",
         "Remove Guardians: every guardian of each selected student", manual.remove_guardians,
         RemoveGuardiansResult, RemoveGuardiansBody, (), " Per student: done, already, not_found, or refused "
         "with the reason (a link the sync owns refuses that student)."),
      )),
    *(Route(name, "POST", rule, summary, "directory", handler, directory.Job, action=ARCHIVE, body=body,
            examples=BODY_EXAMPLES.get(name),
            description=SCOPE_NOTE + " Up to 1,000 items are done before the answer; more continue in the "
                                     "background: read the job until its state is completed.")
      for name, rule, summary, handler, body in (
        ("archive_people", f"{DIRECTORY}/people/archive",
         "Archive people: chosen ids, or everyone a directory search (its filters) finds", manual.archive_people,
         directory.PeopleSelection),
        ("unarchive_people", f"{DIRECTORY}/people/unarchive", "Unarchive people: chosen ids, or everyone a "
         "directory search (its filters, with include_archived) finds", manual.unarchive_people,
         directory.PeopleSelection),
        ("archive_classrooms", f"{DIRECTORY}/classrooms/archive", "Archive classrooms", manual.archive_classrooms,
         ArchiveClassroomsBody),
        ("unarchive_classrooms", f"{DIRECTORY}/classrooms/unarchive", "Unarchive classrooms",
         manual.unarchive_classrooms, ArchiveClassroomsBody),
      )),
    Route("show_job", "GET", f"{DIRECTORY}/jobs/<id>", "A bulk action's progress and per-item results", "directory",
          manual.show_job, directory.Job, action=ARCHIVE,
          description="Only the person who asked, and the district's administrators, may read a job."),
    Route("show_audit_log", "GET", f"{DIRECTORY}/audit-log",
          "Who changed what in the directory, before and after, and when (newest first)", "directory",
          manual.show_audit_log, AuditLogList, action=READ_AUDIT_LOG, query=AuditLogQuery),
    Route("set_staff_permissions", "PUT", f"{API}/staff/<id>/permissions",
          "Replace a staff member's custom permissions", "staff",
          handlers.set_staff_permissions, identity.Account, action=SET_STAFF_PERMISSIONS,
          body=SetPermissionsBody, description=PERMISSIONS_NOTE,
          errors={400: "the person is not a staff member, or a permission is unknown",
                  403: "the permission rule refuses this change (one's own permissions, outside one's reach, "
                       "or a permission only a higher role grants)",
                  404: "no person the caller can see has this id"}),
    Route("list_schools", "GET", f"{API}/schools", "The schools of the caller's district", "directory",
          handlers.list_schools, SchoolList, query=PageQuery),
    Route("show_preference", "GET", f"{API}/people/<id>/preference", "A person's communication preference",
          "preferences", communications.show_preference, notify.PersonPreference, errors=PREFERENCE_RULES,
          description=f"Your own, or anyone's you can see with `{MANAGE_OTHERS_PREFERENCES}`."),
    Route("set_preference", "PUT", f"{API}/people/<id>/preference", "Choose a person's communication preference",
          "preferences", communications.set_preference, notify.PersonPreference, body=PreferenceBody,
          errors=PREFERENCE_RULES,
          description=f"Your own, or anyone's you can see with `{MANAGE_OTHERS_PREFERENCES}`."),
    Route("show_district_settings", "GET", f"{API}/district/settings",
          "The caller's district settings: the default preference", "preferences",
          communications.show_district_settings, notify.DistrictSettings, errors=NO_DISTRICT_RULE),
    Route("set_district_default", "PUT", f"{API}/district/settings",
          "Set the district's default preference (for adults who never chose one; students default to Email+app)", "preferences",
          communications.set_district_default, notify.DistrictSettings, action=SET_DISTRICT_DEFAULT,
          body=DistrictDefaultBody, errors=NO_DISTRICT_RULE),
    Route("send_announcement", "POST", f"{API}/announcements",
          "Send an announcement to a school, a classroom or selected people", "announcements",
          communications.send_announcement, notify.Announcement, body=AnnouncementBody, status=202,
          examples=BODY_EXAMPLES["send_announcement"],
          errors={400: "nobody in the audience can be reached, or the sender belongs to no district",
                  403: "the audience needs a permission the sender lacks (see above)",
                  404: "the audience's school or classroom is not one of the sender's"},
          location=announcement_report_url,
          description=ANNOUNCEMENT_NOTE + " Answers at once; delivery goes on in the background: `Location` is "
                                          "its delivery report."),
    Route("preview_announcement", "POST", f"{API}/announcements/preview",
          "What sending this announcement would do: people reached per channel, the unreachable and why, "
          "the languages and SMS segments (sends and stores nothing)", "announcements",
          communications.preview_announcement, notify_languages.AudiencePreview, body=AnnouncementBody,
          examples=BODY_EXAMPLES["send_announcement"],
          errors={400: "nobody in the audience can be reached, or the sender belongs to no district",
                  403: "the audience needs a permission the sender lacks (see above)",
                  404: "the audience's school or classroom is not one of the sender's"},
          description=ANNOUNCEMENT_NOTE + " Takes the body of the send; answers what the send would do "
                                          "now, and sends and stores nothing."),
    Route("show_delivery_report", "GET", f"{API}/announcements/<id>/report",
          "An announcement's delivery report, line by line", "announcements",
          communications.show_delivery_report, DeliveryReportPage, action=VIEW_DELIVERY_REPORTS,
          query=DeliveryReportQuery),
    Route("list_unreachable_contacts", "GET", f"{API}/schools/<id>/unreachable-contacts",
          "People of a school who get nothing outside the app, with the reason", "announcements",
          communications.list_unreachable_contacts, UnreachableContactList,
          action=VIEW_UNREACHABLE_CONTACTS, query=UnreachableContactsQuery),
    Route("reset_credential_status", "POST", f"{API}/people/<id>/credentials/<kind>/reset-status",
          "Reset Status: attempt a bad email or mobile phone again (sends nothing; recorded)", "preferences",
          communications.reset_credential_status, notify.CredentialStatusReset, action=RESET_CREDENTIAL_STATUS,
          body=ResetStatusBody, errors={
              400: "`kind` is not email or mobile_phone, the person has no such credential, or Reset Status does "
                   "not apply to it (an opted-out phone)",
              404: "no person the caller can see has this id",
              503: "the email provider could not take the address off its bounce lists; nothing was reset, and "
                   "trying again is safe"},
          description="`kind` is `email` or `mobile_phone`. An opted-out phone stays opted out. For an email, the "
                      "address also comes off the email provider's lists of failed deliveries (bounces, blocks, "
                      "invalid addresses), so the retry is not dropped there; a spam report or an unsubscribe "
                      "stays, and `provider_suppressions` says which."),
    *(Route(name, method, rule, summary, "rostering", handler, response, action=MANAGE_SYNC_RUNS, query=query,
            body=body, errors=errors, description=RUNS_NOTE + note)
      for name, method, rule, summary, handler, response, query, body, errors, note in (
        ("list_sync_runs", "GET", f"{ROSTERING}/runs", "The district's latest sync runs, newest first",
         rostering_runs.list_sync_runs, SyncRunList, SyncRunsQuery, None, (), " `state=awaiting_approval` "
         "lists the runs waiting for a decision. Lists the latest 100 runs at most."),
        ("show_sync_run", "GET", f"{ROSTERING}/runs/<id>", "A sync run: state, counts, row findings, archive diff",
         rostering_runs.show_sync_run, rostering.SyncRun, None, None, AMBIGUOUS_RUN_ID, SHORT_ID_NOTE),
        ("follow_sync_run", "GET", f"{ROSTERING}/runs/<id>/progress",
         "A run's state, progress (phase, rows read, pages applied, ETA) and counts, without its findings: "
         "the view to poll while it runs",
         rostering_runs.follow_sync_run, SyncRunFollowed, None, None, AMBIGUOUS_RUN_ID, SHORT_ID_NOTE +
         " Poll it every `poll_after_seconds` until `state` is no longer `running`; then read the whole run (its "
         "findings) from the run itself."),
        ("list_sync_run_changes", "GET", f"{ROSTERING}/runs/<id>/changes",
         "What a run archives (or, held, would archive), row by row with file and line",
         rostering_runs.list_sync_run_changes, SyncRunChangeList, SyncRunChangesQuery, None, (), ""),
        ("approve_sync_run", "POST", f"{ROSTERING}/runs/<id>/approve",
         "Approve a run the mass-change guard held: exactly its diff is applied, in the background",
         rostering_runs.approve_sync_run, rostering.SyncRun, None, None, NOT_AWAITING_APPROVAL,
         " Answers the run, now running; read it until it completes. 409 when the run is not awaiting approval."),
        ("reject_sync_run", "POST", f"{ROSTERING}/runs/<id>/reject",
         "Reject a run the mass-change guard held: nothing of it is applied; its report is kept",
         rostering_runs.reject_sync_run, rostering.SyncRun, None, RejectSyncRunBody, NOT_AWAITING_APPROVAL,
         " 409 when the run is not awaiting approval."),
      )),
    *(Route(name, method, f"{ROSTERING}/settings", summary, "rostering", handler, rostering.DistrictSyncSettings,
            action=MANAGE_SYNC_RUNS, body=body, errors=errors, examples=examples, description=SETTINGS_NOTE + note)
      for name, method, summary, handler, body, errors, examples, note in (
        ("show_sync_settings", "GET", "The district's sync settings: source, connection (no secrets), schedule, "
         "what the sync owns", rostering_runs.show_sync_settings, None, (), None, ""),
        ("change_sync_settings", "PATCH", "Change some of the district's sync settings (audited)",
         rostering_runs.change_sync_settings, SyncSettingsBody, (), BODY_EXAMPLES["change_sync_settings"],
         " Only the fields given change; `connection` fields are laid over the kept ones (null removes one), and a "
         "new `source` starts with no connection. 400 names the field: an unknown source, a connection field the "
         "source does not take, a daily sync turned on before the source's connection is complete."),
      )),
    Route("send_invitation", "POST", f"{DIRECTORY}/people/<id>/invitation",
          "Send Invitation to Join, or Resend Invitation (a new Join link replaces the previous one)", "invitations",
          invitations.send_invitation, notify.InvitationResult, action=INVITE_PEOPLE, errors=(409,),
          description=INVITE_NOTE + " By email, else SMS (rows I1, I2: an enabled student by email only)."),
    Route("print_invitation", "POST", f"{DIRECTORY}/people/<id>/printable-invitation",
          "Invite in another way: a printable invitation (PDF) with the join code and a QR code of the Join link",
          "invitations", invitations.print_invitation, None, action=INVITE_PEOPLE, errors=(409,), media_type=PDF,
          examples=Examples(response="%PDF-1.4 ..."),
          description=INVITE_NOTE + " For people with no usable email or mobile; it counts as an invitation and "
                                    "replaces any earlier Join link."),
    Route("send_invitations", "POST", f"{API}/invitations",
          "Send Invitations to a school's or classroom's staff, guardians and enabled students who have not joined",
          "invitations", invitations.send_invitations, InvitationJobPage, action=INVITE_PEOPLE,
          body=InvitationsBody, status=202, location=invitation_job_url, errors={
              403: f"a school, or staff, without `{INVITE_SCHOOL}`",
              404: "the school or classroom is unknown or out of the inviter's reach"},
          examples=Examples(request=BODY_EXAMPLES["send_invitations"].request, response=INVITATION_JOB_EXAMPLE),
          description="A job: read it until its state is completed, with a result per person (invited by email "
                      "or SMS, or skipped with the reason). A school, or staff, needs `" + INVITE_SCHOOL + "`; a "
                      "classroom, any staff member whose view reaches it: who teaches it, or, with a school-wide "
                      "permission (Family Access, Users Manager, Rostering Administrator), any classroom of their "
                      "schools. Unknown or out-of-reach targets answer 404."),
    Route("show_invitation_job", "GET", f"{API}/invitations/jobs/<id>",
          "An invitation job's progress and per-person results", "invitations", invitations.show_invitation_job,
          InvitationJobPage, action=INVITE_PEOPLE, query=InvitationJobQuery,
          examples=Examples(response=INVITATION_JOB_EXAMPLE),
          description="Only the person who asked, and the district's administrators, may read a job."),
    Route("start_conversation", "POST", f"{API}/conversations",
          "Start a conversation with its first message", "conversations", talk.start_conversation,
          conversations.Conversation, body=StartConversationBody, status=201, location=talk.conversation_url,
          examples=BODY_EXAMPLES["start_conversation"], errors={
              400: "someone named cannot take part (archived, a student whose account is not enabled, staff, "
                   "more than 15), the message is too long, or an attachment's type or size is refused",
              403: "a family may start one only with a teacher of their student or class; a student whose "
                   "account is not enabled may not start one",
              404: "someone named is out of the caller's reach, or unknown"},
          description=CONVERSATION_NOTE),
    Route("preview_conversation", "POST", f"{API}/conversations/preview",
          "What starting this conversation would do: people reached per channel, the unreachable and why, the "
          "languages and SMS segments (sends and stores nothing)", "conversations", talk.preview_conversation,
          notify_languages.AudiencePreview, body=StartConversationBody,
          examples=BODY_EXAMPLES["start_conversation"], errors={
              400: "someone named cannot take part, the message is too long, or an attachment is refused",
              403: "a family may start one only with a teacher of their student or class",
              404: "someone named is out of the caller's reach, or unknown"},
          description="Takes the body of `POST /api/v1/conversations` and makes its checks; answers what the "
                      "start would do now (rows M1-M4), and sends and stores nothing."),
    Route("list_my_teachers", "GET", f"{API}/me/teachers",
          "The teachers you may start a conversation with", "conversations", talk.list_my_teachers,
          directory.Teachers,
          description="For a guardian, the teachers and aides of their students' classes; for a student, of their "
                      "own classes (a student whose account is not enabled is still refused when starting one); "
                      "for anyone else, none. Each with the classes of yours they teach."),
    Route("list_conversations", "GET", f"{API}/conversations", "The caller's conversations, latest first",
          "conversations", talk.list_conversations, ConversationList, query=ConversationListQuery),
    Route("show_conversation", "GET", f"{API}/conversations/<id>", "A conversation with its messages",
          "conversations", talk.show_conversation, conversations.Conversation,
          errors={404: "no conversation the caller takes part in has this id"}),
    Route("post_conversation_message", "POST", f"{API}/conversations/<id>/messages",
          "Write in a conversation; delivered to every other participant (rows M1-M4)", "conversations",
          talk.post_message, conversations.ConversationMessage, body=ConversationMessageBody, status=201,
          location=talk.conversation_url, errors={
              400: "the message is too long, or an attachment's type or size is refused",
              404: "no conversation the caller takes part in has this id"}),
    Route("preview_conversation_message", "POST", f"{API}/conversations/<id>/messages/preview",
          "What writing this message would do: people reached per channel, the unreachable and why, the "
          "languages and SMS segments (sends and stores nothing)", "conversations", talk.preview_message,
          notify_languages.AudiencePreview, body=ConversationMessageBody, errors={
              400: "the message is too long, or an attachment's type or size is refused",
              404: "no conversation the caller takes part in has this id"},
          description="Takes the body of `POST /api/v1/conversations/{id}/messages`; sends and stores nothing."),
    # --- content moderation (#13 point 7) ---
    Route("flag_conversation_message", "POST", f"{API}/conversations/<id>/messages/<message_id>/flag",
          "Flag a message of your conversation for a moderator to review", "moderation", moderation.flag_message,
          moderation_contract.Flag, body=FlagBody, examples=Examples(request={
              "reason": "This message shares another family's phone number."}),
          errors={400: "the caller wrote the message, or the reason is missing or too long",
                  404: "no conversation the caller takes part in has this id, or no message of it has that id"},
          description="Any participant but the author. Flagging the same message again answers the first flag. "
                      "The flag is kept in the audit log."),
    Route("list_flagged_messages", "GET", f"{API}/moderation/flags",
          "Flagged conversation messages in your reach, the most recently flagged first", "moderation",
          moderation.list_flagged_messages, FlaggedMessageList, action=MODERATE_CONTENT, query=FlaggedQuery,
          description=MODERATION_NOTE),
    *(Route(name, "POST", f"{API}/moderation/messages/<id>/{verb}", summary, "moderation", handler,
            moderation_contract.ModerationDecision, action=MODERATE_CONTENT, body=ModerationBody,
            examples=Examples(request={"reason": reason}), description=MODERATION_NOTE,
            errors={404: "no message in the caller's reach has this id", 409: conflict})
      for name, verb, summary, handler, reason, conflict in (
        ("hide_message", "hide", "Hide a message: everyone sees a notice instead; its unsent deliveries are "
         "withdrawn (SMS and email already sent cannot be recalled)", moderation.hide_message,
         "Shares another family's phone number.", "the message is hidden already"),
        ("restore_message", "restore", "Show a hidden message again", moderation.restore_message,
         "Reviewed with the family: nothing private in it.", "the message is not hidden"))),
    Route("receive_email_reply", "POST", conversations.SENDGRID_INBOUND_PATH,
          "SendGrid Inbound Parse: an email reply to a conversation", "webhooks", talk.receive_email_reply,
          conversations.EmailReplyResult, public=True, raw_body=INBOUND_EMAIL_FORM, examples=Examples(request={
              "from": "Dana Reyes <dana.reyes@example.org>", "to": "reply-abc@replies.example.org",
              "text": "Thank you, see you Monday.", "envelope": '{"to": ["reply-abc@replies.example.org"]}'}),
          errors={
              403: "the URL's secret is not the configured one"},
          description="Called by SendGrid without a token: the URL's last segment is a secret. A reply whose "
                      "Reply-To token is forged, expired or names no conversation is answered 200 `ignored` and "
                      "files nothing (SendGrid would only post it again)."),
    Route("receive_twilio_status", "POST", TWILIO_STATUS_PATH, "Twilio message and call status callbacks",
          "webhooks", webhooks.receive_twilio_status, WebhookAccepted, public=True,
          raw_body=TWILIO_FORM, errors=(403,), description=WEBHOOK_NOTE, examples=WEBHOOK_EXAMPLE, edge=True),
    Route("receive_twilio_inbound", "POST", TWILIO_INBOUND_PATH, "Texts from handsets to our number (replies, "
          "STOP, START)", "webhooks", webhooks.receive_twilio_inbound, None, public=True, raw_body=TWILIO_FORM,
          errors=(403,), media_type=TWIML, description=WEBHOOK_NOTE + " Answers empty TwiML.",
          examples=Examples(request={"From": "+15555550101", "Body": "STOP"}, response="<Response/>"), edge=True),
    Route("receive_sendgrid_events", "POST", SENDGRID_EVENTS_PATH, "SendGrid's event webhook (delivery events)",
          "webhooks", webhooks.receive_sendgrid_events, WebhookAccepted, public=True,
          raw_body=SENDGRID_EVENT_BATCH, errors=(403,), description=WEBHOOK_NOTE, examples=Examples(
              request=[{"event": "bounce", "email": "dana.reyes@example.org", "sg_message_id": "3f2c9a1e"}]),
          edge=True),
)
