//! What a SaaS scope reaches: an OAuth scope, a Graph permission, a GitHub
//! token scope or fine-grained permission, an Okta scope, read as the
//! organisation's data it opens (mail, files, calendars, repositories, the
//! directory) and how far. A grant's reach in the lineage graph comes from
//! here, and so does the risk model's *broad scope* factor: a grant that
//! reads or writes all of a person's mail or files, or an organisation's
//! code, is flagged whatever else it holds.
//!
//! Sign-in scopes (`openid`, `email`, `profile`, `offline_access`,
//! `User.Read`) reach nothing.

use model::api::{Permission, ResourceKind, Sensitivity};

/// The organisation's data a scope opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reached {
    /// The resource, as the inventory names it (`Gmail`, `GitHub repositories`).
    pub resource: &'static str,
    /// What kind of resource it is.
    pub kind: ResourceKind,
    /// How sensitive it is.
    pub sensitivity: Sensitivity,
    /// How far the scope opens it.
    pub permission: Permission,
    /// Whether the scope opens all of it (everyone's, or all of a person's)
    /// or writes to it: the overprivileged grants of NHI5.
    pub broad: bool,
}

const fn reached(
    resource: &'static str,
    kind: ResourceKind,
    sensitivity: Sensitivity,
    permission: Permission,
    broad: bool,
) -> Reached {
    Reached {
        resource,
        kind,
        sensitivity,
        permission,
        broad,
    }
}

use Permission::{Admin, Read, Write};
use ResourceKind::{Repository, SaasObject};
use Sensitivity::{Confidential, Internal, Restricted};

const GMAIL: &str = "Gmail";
const DRIVE: &str = "Google Drive";
const CALENDAR: &str = "Google Calendar";
const WORKSPACE_DIRECTORY: &str = "Google Workspace directory";
const MAIL: &str = "Exchange Online mail";
const FILES: &str = "OneDrive and SharePoint files";
const SITES: &str = "SharePoint sites";
const CALENDARS: &str = "Exchange Online calendars";
const TEAMS: &str = "Microsoft Teams chats";
const ENTRA_DIRECTORY: &str = "Entra directory";
const REPOSITORIES: &str = "GitHub repositories";
const GITHUB_ORG: &str = "GitHub organisation";
const OKTA: &str = "Okta organisation";

/// What `scope` reaches, if anything the inventory tracks. Scopes are
/// matched as each platform spells them: Google's as URLs, Graph's
/// permissions by name, GitHub's classic scopes and fine-grained
/// permissions (`contents:write`), Okta's `okta.<resource>.<verb>`.
pub fn reach(scope: &str) -> Option<Reached> {
    if let Some(google) = scope.strip_prefix("https://www.googleapis.com/auth/") {
        return google_reach(google);
    }
    if scope == "https://mail.google.com/" {
        return Some(reached(GMAIL, SaasObject, Restricted, Write, true));
    }
    if let Some(okta) = scope.strip_prefix("okta.") {
        let admin = okta.ends_with(".manage");
        return Some(reached(
            OKTA,
            SaasObject,
            Confidential,
            if admin { Admin } else { Read },
            admin,
        ));
    }
    if let Some((permission, level)) = scope.split_once(':')
        && let Some(found) = github_fine_grained(permission, level)
    {
        return Some(found);
    }
    graph_reach(scope).or_else(|| github_classic(scope))
}

/// Whether a scope is broad or writes (see [`Reached::broad`]).
pub fn is_broad(scope: &str) -> bool {
    reach(scope).is_some_and(|r| r.broad)
}

fn google_reach(scope: &str) -> Option<Reached> {
    let found = match scope {
        "gmail.readonly" => reached(GMAIL, SaasObject, Restricted, Read, true),
        "gmail.metadata" => reached(GMAIL, SaasObject, Restricted, Read, false),
        "gmail.modify" | "gmail.compose" | "gmail.send" | "gmail.insert" => {
            reached(GMAIL, SaasObject, Restricted, Write, true)
        }
        "drive" | "documents" | "spreadsheets" | "presentations" => {
            reached(DRIVE, SaasObject, Confidential, Write, true)
        }
        "drive.readonly" | "documents.readonly" | "spreadsheets.readonly" => {
            reached(DRIVE, SaasObject, Confidential, Read, true)
        }
        // Only the files the application made or was given: narrow by design.
        "drive.file" => reached(DRIVE, SaasObject, Confidential, Write, false),
        "drive.metadata.readonly" => reached(DRIVE, SaasObject, Confidential, Read, false),
        "calendar" | "calendar.events" => reached(CALENDAR, SaasObject, Internal, Write, false),
        "calendar.readonly" | "calendar.events.readonly" => {
            reached(CALENDAR, SaasObject, Internal, Read, false)
        }
        "contacts" | "directory.readonly" | "contacts.readonly" => {
            reached(WORKSPACE_DIRECTORY, SaasObject, Internal, Read, false)
        }
        other if other.starts_with("admin.") => {
            let write = !other.ends_with(".readonly");
            reached(
                WORKSPACE_DIRECTORY,
                SaasObject,
                Confidential,
                if write { Admin } else { Read },
                write,
            )
        }
        _ => return None,
    };
    Some(found)
}

fn graph_reach(scope: &str) -> Option<Reached> {
    let found = match scope {
        "Mail.Read" | "Mail.Read.Shared" => reached(MAIL, SaasObject, Restricted, Read, true),
        "Mail.ReadWrite" | "Mail.ReadWrite.Shared" | "Mail.Send" | "Mail.Send.Shared" => {
            reached(MAIL, SaasObject, Restricted, Write, true)
        }
        "Mail.ReadBasic" | "Mail.ReadBasic.All" => reached(MAIL, SaasObject, Restricted, Read, false),
        "Files.Read" => reached(FILES, SaasObject, Confidential, Read, false),
        "Files.ReadWrite" | "Files.ReadWrite.AppFolder" => {
            reached(FILES, SaasObject, Confidential, Write, false)
        }
        "Files.Read.All" => reached(FILES, SaasObject, Confidential, Read, true),
        "Files.ReadWrite.All" => reached(FILES, SaasObject, Confidential, Write, true),
        "Sites.Read.All" => reached(SITES, SaasObject, Confidential, Read, true),
        "Sites.ReadWrite.All" | "Sites.Manage.All" => reached(SITES, SaasObject, Confidential, Write, true),
        "Sites.FullControl.All" => reached(SITES, SaasObject, Confidential, Admin, true),
        "Calendars.Read" | "Calendars.Read.Shared" => reached(CALENDARS, SaasObject, Internal, Read, false),
        "Calendars.ReadWrite" | "Calendars.ReadWrite.Shared" => {
            reached(CALENDARS, SaasObject, Internal, Write, false)
        }
        "Chat.Read" | "Chat.Read.All" | "ChannelMessage.Read.All" => {
            reached(TEAMS, SaasObject, Confidential, Read, scope.ends_with(".All"))
        }
        "Chat.ReadWrite" | "Chat.ReadWrite.All" | "ChannelMessage.Send" => {
            reached(TEAMS, SaasObject, Confidential, Write, true)
        }
        "User.Read.All" | "Directory.Read.All" | "Group.Read.All" | "People.Read.All" => {
            reached(ENTRA_DIRECTORY, SaasObject, Internal, Read, false)
        }
        "User.ReadWrite.All"
        | "Group.ReadWrite.All"
        | "Directory.ReadWrite.All"
        | "Application.ReadWrite.All"
        | "AppRoleAssignment.ReadWrite.All"
        | "RoleManagement.ReadWrite.Directory" => {
            reached(ENTRA_DIRECTORY, SaasObject, Confidential, Admin, true)
        }
        _ => return None,
    };
    Some(found)
}

fn github_classic(scope: &str) -> Option<Reached> {
    let found = match scope {
        "repo" | "workflow" => reached(REPOSITORIES, Repository, Confidential, Write, true),
        "public_repo" | "repo:status" | "repo_deployment" => {
            reached(REPOSITORIES, Repository, Confidential, Write, false)
        }
        "delete_repo" | "admin:repo_hook" => reached(REPOSITORIES, Repository, Confidential, Admin, true),
        "admin:org" | "write:org" | "admin:org_hook" => {
            reached(GITHUB_ORG, SaasObject, Confidential, Admin, true)
        }
        "read:org" => reached(GITHUB_ORG, SaasObject, Confidential, Read, false),
        _ => return None,
    };
    Some(found)
}

/// A fine-grained token's or an app's permission (`contents:write`).
fn github_fine_grained(permission: &str, level: &str) -> Option<Reached> {
    let granted = match level {
        "read" => Read,
        "write" => Write,
        "admin" => Admin,
        _ => return None,
    };
    let found = match permission {
        "contents" | "pull_requests" | "issues" | "actions" | "workflows" | "packages" | "pages"
        | "deployments" | "environments" | "checks" | "statuses" => {
            reached(REPOSITORIES, Repository, Confidential, granted, granted != Read)
        }
        "secrets" | "administration" | "repository_hooks" => reached(
            REPOSITORIES,
            Repository,
            Confidential,
            if granted == Read { Read } else { Admin },
            granted != Read,
        ),
        "members" | "organization_administration" | "organization_secrets" | "organization_hooks" => reached(
            GITHUB_ORG,
            SaasObject,
            Confidential,
            if granted == Read { Read } else { Admin },
            granted != Read,
        ),
        _ => return None,
    };
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_files_and_code_scopes_are_broad_and_sign_in_scopes_reach_nothing() {
        for broad in [
            "https://mail.google.com/",
            "https://www.googleapis.com/auth/gmail.readonly",
            "https://www.googleapis.com/auth/drive",
            "Mail.ReadWrite",
            "Files.ReadWrite.All",
            "repo",
            "admin:org",
            "contents:write",
            "okta.apps.manage",
        ] {
            assert!(is_broad(broad), "{broad}");
        }
        for narrow in [
            "https://www.googleapis.com/auth/drive.file",
            "https://www.googleapis.com/auth/calendar.readonly",
            "Files.Read",
            "read:org",
            "metadata:read",
        ] {
            assert!(!is_broad(narrow), "{narrow}");
        }
        for nothing in [
            "openid",
            "email",
            "profile",
            "offline_access",
            "User.Read",
            "https://www.googleapis.com/auth/userinfo.email",
        ] {
            assert_eq!(reach(nothing), None, "{nothing}");
        }
    }

    #[test]
    fn a_scope_reaches_its_resource_with_its_permission() {
        let gmail = reach("https://www.googleapis.com/auth/gmail.readonly").unwrap();
        assert_eq!((gmail.resource, gmail.permission), (GMAIL, Read));
        let files = reach("Files.ReadWrite.All").unwrap();
        assert_eq!((files.resource, files.permission), (FILES, Write));
        let org = reach("admin:org").unwrap();
        assert_eq!((org.resource, org.permission), (GITHUB_ORG, Admin));
        let admin = reach("administration:write").unwrap();
        assert_eq!((admin.resource, admin.permission), (REPOSITORIES, Admin));
    }
}
