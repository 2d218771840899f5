"""directory: district, schools, classrooms, people, enrollments and guardian links.

Every RPC method and event of the directory is declared here; the schemas live in the modules beside
this one (vocabulary, sync, people, actions, manual) and are re-exported, so `directory.PeoplePage` and
`from shared.contracts.directory import STUDENT` read as before.
"""
from __future__ import annotations

from shared.contracts import identity
from shared.contracts.base import ServiceContract
from shared.contracts.common import BulkResult, Republished, RepublishDistrictRequest
from shared.contracts.directory.actions import (  # noqa: F401
    MAX_BULK_IDS, MAX_MATCHING_PEOPLE, SYNCED_ENTITIES, ArchiveClassroomsRequest, ArchivedRecord,
    ArchivedRecords, ArchivePeopleRequest, ArchiveSyncedRecordsRequest, BulkActionQueued, DistrictCounts,
    GetDistrictCountsRequest, GetJobRequest, Job, PeopleSelection, SyncedLink,
)
from shared.contracts.directory.manual import (  # noqa: F401
    AddGuardianRequest, AddStaffRequest, AssignStaffRequest, AuditLogPage, ClassroomAssignment, DistrictSync,
    Enrollment, EnrollStudentRequest, GetAuditLogRequest, Guardian, GuardianLink, RemoveGuardianRequest,
    RemoveGuardiansRequest, SetDistrictSyncRequest, SetJobTitleRequest, StaffMember, UnenrollRequest, Unenrolled,
    UpdateGuardianRequest,
)
from shared.contracts.directory.people import (  # noqa: F401
    AUDIENCE_TARGETS, Audience, AudiencePage, Classroom, EnableStudentAccountsRequest,
    EnableSyncedStudentAccountsRequest, GetProfileRequest, GetSchoolsRequest, PeopleFilters, PeoplePage,
    PeopleUpserted, PersonChange, PersonProfile, PersonRef, PersonSummary, ResolveAudienceRequest, School, Schools,
    SearchPeopleRequest, StudentAccountsEnabled, StudentProfile,
)
from shared.contracts.directory.sync import (  # noqa: F401
    ClassroomInput, District, EnrollmentInput, GetDistrictRequest, GuardianLinkInput, PersonInput, SchoolInput, UpsertClassroomsRequest,
    UpsertDistrictRequest, UpsertEnrollmentsRequest, UpsertGuardianLinksRequest, UpsertPeopleRequest,
    UpsertSchoolsRequest,
)
from shared.contracts.directory.teachers import ListTeachersRequest, Teacher, Teachers  # noqa: F401
from shared.contracts.directory.vocabulary import (  # noqa: F401
    GUARDIAN, KINDS, NAME, STAFF, STUDENT, STUDENT_ACCOUNT_STATUSES,
)
from shared.contracts.health import declare_health_check

contract = ServiceContract(NAME)
check_health = declare_health_check(contract)

upsert_district = contract.rpc("upsert_district", request=UpsertDistrictRequest, response=District,
                               description="Create or update the district a roster sync names, by its sourcedId.")
upsert_schools = contract.rpc("upsert_schools", request=UpsertSchoolsRequest, response=BulkResult,
                              description="Create or update a page of a district's "
                                          "schools from a roster sync, by sourcedId.")
upsert_classrooms = contract.rpc("upsert_classrooms", request=UpsertClassroomsRequest, response=BulkResult,
                                 description="Create or update a page of a district's "
                                             "classrooms from a roster sync, by sourcedId.")
upsert_people = contract.rpc("upsert_people", request=UpsertPeopleRequest, response=BulkResult,
                             description="Create or update a page of a district's people from a roster sync, "
                                         "by sourcedId; publishes people_upserted for those that changed.")
upsert_enrollments = contract.rpc("upsert_enrollments", request=UpsertEnrollmentsRequest, response=BulkResult,
                                  description="Create or update a page of a district's "
                                              "enrollments from a roster sync, by sourcedId.")
upsert_guardian_links = contract.rpc("upsert_guardian_links", request=UpsertGuardianLinksRequest,
                                     response=BulkResult,
                                     description="Create or update a page of "
                                                 "guardian-student links from a roster sync.")
get_schools = contract.rpc("get_schools", request=GetSchoolsRequest, response=Schools,
                           description="The schools of a district (or of every district), by name.", read=True)
search_people = contract.rpc("search_people", request=SearchPeopleRequest, response=PeoplePage,
                             description="A page of the people the viewer may see that match the filters.",
                             read=True)
get_student_profile = contract.rpc("get_student_profile", request=GetProfileRequest, response=StudentProfile,
                                   description="A student's profile as the viewer may see it: "
                                               "schools, classrooms, guardians, account status.",
                                   read=True)
get_person_profile = contract.rpc("get_person_profile", request=GetProfileRequest, response=PersonProfile,
                                  description="Anyone's profile as the viewer may see "
                                              "it: kinds, schools, linked students.",
                                  read=True)
enable_student_accounts = contract.rpc("enable_student_accounts", request=EnableStudentAccountsRequest,
                                       response=BulkResult,
                                       description="Enable the accounts of students so they can sign in; "
                                                   "publishes student_accounts_enabled and people_upserted.")
enable_synced_student_accounts = contract.rpc(
    "enable_synced_student_accounts", request=EnableSyncedStudentAccountsRequest, response=BulkResult,
    description="A roster sync enabling the accounts of its district's students (the district's \"enable student "
                "accounts automatically\"); publishes student_accounts_enabled and people_upserted.")
resolve_audience = contract.rpc("resolve_audience", request=ResolveAudienceRequest, response=AudiencePage,
                                description="A page of the person ids an audience "
                                            "reaches, within what the sender may see.")
archive_people = contract.rpc("archive_people", request=ArchivePeopleRequest, response=Job,
                              description="Archive chosen people, or everyone a search "
                                          "finds, as a job with per-person results.")
unarchive_people = contract.rpc("unarchive_people", request=ArchivePeopleRequest, response=Job,
                                description="Bring archived people back, as a job with per-person results.")
archive_classrooms = contract.rpc("archive_classrooms", request=ArchiveClassroomsRequest, response=Job,
                                  description="Archive classrooms (kept, but out of audiences and "
                                              "default searches), as a job with per-classroom results.")
unarchive_classrooms = contract.rpc("unarchive_classrooms", request=ArchiveClassroomsRequest, response=Job,
                                    description="Bring archived classrooms back, as a job with per-classroom results.")
get_job = contract.rpc("get_job", request=GetJobRequest, response=Job,
                       description="The progress and results of a bulk archiving job.")
archive_synced_records = contract.rpc("archive_synced_records", request=ArchiveSyncedRecordsRequest,
                                      response=ArchivedRecords,
                                      description="Archive what a roster sync no longer lists, by the "
                                                  "source's ids; a dry run says what would be archived.")
get_district_counts = contract.rpc("get_district_counts", request=GetDistrictCountsRequest, response=DistrictCounts,
                                   description="A district's current people, classrooms, enrollments and guardian "
                                               "links, which the mass-change guard weighs a run against.")
set_district_sync = contract.rpc("set_district_sync", request=SetDistrictSyncRequest, response=DistrictSync,
                                 description="Record what a district's roster sync owns, which "
                                             "locks those records against changes by hand.")
# Manual actions (by staff, through the gateway): each change is audited in the transaction that makes it.
enroll_student = contract.rpc("enroll_student", request=EnrollStudentRequest, response=Enrollment,
                              description="Enroll a new student, or assign an existing "
                                          "one, to a school and optionally a classroom.")
unenroll_person = contract.rpc("unenroll_person", request=UnenrollRequest, response=Unenrolled,
                               description="Take a person out of one classroom, or "
                                           "out of a school and its classrooms.")
add_staff = contract.rpc("add_staff", request=AddStaffRequest, response=StaffMember,
                         description="Add a new staff member, or make an existing person staff of some schools.")
set_job_title = contract.rpc("set_job_title", request=SetJobTitleRequest, response=StaffMember,
                             description="Set or clear a staff member's job title.")
assign_staff_to_classroom = contract.rpc("assign_staff_to_classroom", request=AssignStaffRequest,
                                         response=ClassroomAssignment,
                                         description="Assign a staff member of the school to "
                                                     "one of its classrooms as teacher or aide.")
add_guardian = contract.rpc("add_guardian", request=AddGuardianRequest, response=GuardianLink,
                            description="Link a guardian to a student: an existing person, the "
                                        "account holding the given credentials, or a new invitee.")
update_guardian = contract.rpc("update_guardian", request=UpdateGuardianRequest, response=Guardian,
                               description="Edit a guardian's names and credentials and their link to one student.")
remove_guardian = contract.rpc("remove_guardian", request=RemoveGuardianRequest, response=GuardianLink,
                               description="Unlink one guardian from one student.")
remove_guardians = contract.rpc("remove_guardians", request=RemoveGuardiansRequest, response=BulkResult,
                                description="Unlink every guardian of each selected student, answering per student.")
get_district = contract.rpc("get_district", request=GetDistrictRequest, response=District,
                            description="A district's name and source ids, by the directory's id.")
get_audit_log = contract.rpc("get_audit_log", request=GetAuditLogRequest, response=AuditLogPage,
                             description="A page of the district's audit log of changes made by hand, newest first.")
republish_district = contract.rpc("republish_district", request=RepublishDistrictRequest, response=Republished,
                                  description="Publish people_upserted again for every person of the district, "
                                              "as they are now (an operator's `schoolctl republish district`).")
list_teachers_of = contract.rpc("list_teachers_of", request=ListTeachersRequest, response=Teachers,
                                description="The teachers of a guardian's students or of a student's classes: "
                                            "whom a family may start a conversation with.")

PEOPLE_UPSERTED = contract.event("people_upserted", PeopleUpserted,
                                 description="People were created or changed (names, kinds, schools, "
                                             "student account, archived), each as they are now.")
STUDENT_ACCOUNTS_ENABLED = contract.event("student_accounts_enabled", StudentAccountsEnabled,
                                          description="Students' accounts were enabled, so they may sign in.")
# A large bulk action was accepted; the directory works through it in the background (its own subscription).
BULK_ACTION_QUEUED = contract.event("bulk_action_queued", BulkActionQueued,
                                    description="A large bulk action was accepted as a job; the "
                                                "directory works through it in the background.")

# identity.JOIN_TOKENS_ISSUED: an enabled student reads Invited once an invitation was sent.
contract.subscribe(identity.USER_JOINED, identity.STAFF_PERMISSIONS_CHANGED, BULK_ACTION_QUEUED,
                   identity.JOIN_TOKENS_ISSUED)
