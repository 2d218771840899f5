"""directory: district, schools, classrooms, people, enrollments and guardian links.

Every RPC method and event of the directory is declared here; the schemas live in the modules beside
this one (vocabulary, sync, people, actions, manual) and are re-exported, so `directory.PeoplePage` and
`from shared.contracts.directory import STUDENT` read as before.
"""
from __future__ import annotations

from shared.contracts import identity
from shared.contracts.base import ServiceContract
from shared.contracts.common import BulkResult
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
    AUDIENCE_TARGETS, Audience, AudiencePage, Classroom, EnableStudentAccountsRequest, GetProfileRequest,
    GetSchoolsRequest, PeopleFilters, PeoplePage, PeopleUpserted, PersonChange, PersonProfile, PersonRef,
    PersonSummary, ResolveAudienceRequest, School, Schools, SearchPeopleRequest, StudentAccountsEnabled,
    StudentProfile,
)
from shared.contracts.directory.sync import (  # noqa: F401
    ClassroomInput, District, EnrollmentInput, GetDistrictRequest, GuardianLinkInput, PersonInput, SchoolInput, UpsertClassroomsRequest,
    UpsertDistrictRequest, UpsertEnrollmentsRequest, UpsertGuardianLinksRequest, UpsertPeopleRequest,
    UpsertSchoolsRequest,
)
from shared.contracts.directory.vocabulary import (  # noqa: F401
    GUARDIAN, KINDS, NAME, STAFF, STUDENT, STUDENT_ACCOUNT_STATUSES,
)

contract = ServiceContract(NAME)

upsert_district = contract.rpc("upsert_district", request=UpsertDistrictRequest, response=District)
upsert_schools = contract.rpc("upsert_schools", request=UpsertSchoolsRequest, response=BulkResult)
upsert_classrooms = contract.rpc("upsert_classrooms", request=UpsertClassroomsRequest, response=BulkResult)
upsert_people = contract.rpc("upsert_people", request=UpsertPeopleRequest, response=BulkResult)
upsert_enrollments = contract.rpc("upsert_enrollments", request=UpsertEnrollmentsRequest, response=BulkResult)
upsert_guardian_links = contract.rpc("upsert_guardian_links", request=UpsertGuardianLinksRequest,
                                     response=BulkResult)
get_schools = contract.rpc("get_schools", request=GetSchoolsRequest, response=Schools)
search_people = contract.rpc("search_people", request=SearchPeopleRequest, response=PeoplePage)
get_student_profile = contract.rpc("get_student_profile", request=GetProfileRequest, response=StudentProfile)
get_person_profile = contract.rpc("get_person_profile", request=GetProfileRequest, response=PersonProfile)
enable_student_accounts = contract.rpc("enable_student_accounts", request=EnableStudentAccountsRequest,
                                       response=BulkResult)
resolve_audience = contract.rpc("resolve_audience", request=ResolveAudienceRequest, response=AudiencePage)
archive_people = contract.rpc("archive_people", request=ArchivePeopleRequest, response=Job)
unarchive_people = contract.rpc("unarchive_people", request=ArchivePeopleRequest, response=Job)
archive_classrooms = contract.rpc("archive_classrooms", request=ArchiveClassroomsRequest, response=Job)
unarchive_classrooms = contract.rpc("unarchive_classrooms", request=ArchiveClassroomsRequest, response=Job)
get_job = contract.rpc("get_job", request=GetJobRequest, response=Job)
archive_synced_records = contract.rpc("archive_synced_records", request=ArchiveSyncedRecordsRequest,
                                      response=ArchivedRecords)
get_district_counts = contract.rpc("get_district_counts", request=GetDistrictCountsRequest, response=DistrictCounts)
set_district_sync = contract.rpc("set_district_sync", request=SetDistrictSyncRequest, response=DistrictSync)
# Manual actions (by staff, through the gateway): each change is audited in the transaction that makes it.
enroll_student = contract.rpc("enroll_student", request=EnrollStudentRequest, response=Enrollment)
unenroll_person = contract.rpc("unenroll_person", request=UnenrollRequest, response=Unenrolled)
add_staff = contract.rpc("add_staff", request=AddStaffRequest, response=StaffMember)
set_job_title = contract.rpc("set_job_title", request=SetJobTitleRequest, response=StaffMember)
assign_staff_to_classroom = contract.rpc("assign_staff_to_classroom", request=AssignStaffRequest,
                                         response=ClassroomAssignment)
add_guardian = contract.rpc("add_guardian", request=AddGuardianRequest, response=GuardianLink)
update_guardian = contract.rpc("update_guardian", request=UpdateGuardianRequest, response=Guardian)
remove_guardian = contract.rpc("remove_guardian", request=RemoveGuardianRequest, response=GuardianLink)
remove_guardians = contract.rpc("remove_guardians", request=RemoveGuardiansRequest, response=BulkResult)
get_district = contract.rpc("get_district", request=GetDistrictRequest, response=District)
get_audit_log = contract.rpc("get_audit_log", request=GetAuditLogRequest, response=AuditLogPage)

PEOPLE_UPSERTED = contract.event("people_upserted", PeopleUpserted)
STUDENT_ACCOUNTS_ENABLED = contract.event("student_accounts_enabled", StudentAccountsEnabled)
# A large bulk action was accepted; the directory works through it in the background (its own subscription).
BULK_ACTION_QUEUED = contract.event("bulk_action_queued", BulkActionQueued)

# identity.JOIN_TOKENS_ISSUED: an enabled student reads Invited once an invitation was sent.
contract.subscribe(identity.USER_JOINED, BULK_ACTION_QUEUED, identity.JOIN_TOKENS_ISSUED)
