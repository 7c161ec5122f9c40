//! Reading AWS IAM's own reports: the JSON of `aws iam
//! get-account-authorization-details` (users, groups, roles, inline and
//! managed policies, trust policies) and the CSV of `aws iam
//! get-credential-report` (each user's access keys: active, last rotated,
//! last used). Neither holds a secret.
//!
//! Authorization details are one JSON document (tens of MB for a large
//! account) and are read whole; the credential report is read a row at a
//! time. A user's effective policy is its own inline and attached policies
//! and those of its groups; only `Allow` statements grant.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;

use chrono::{DateTime, Utc};
use model::api::Permission;
use serde::Deserialize;
use serde_json::Value;

use super::scanners::{ParseError, scrub};
use crate::arn::slot_id;

/// A user or a role, with what its policies allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Whether it is a role (else a user).
    pub role: bool,
    /// Its ARN.
    pub arn: String,
    /// Its name.
    pub name: String,
    /// When it was created.
    pub created_at: Option<DateTime<Utc>>,
    /// When a role was last assumed (IAM's `RoleLastUsed`).
    pub last_used_at: Option<DateTime<Utc>>,
    /// What its `Allow` statements grant: action → resources (`*` for any).
    pub grants: BTreeMap<String, BTreeSet<String>>,
    /// AWS managed policies attached but not in the report, by name
    /// (`AdministratorAccess`): their contents are unknown here.
    pub unknown_policies: BTreeSet<String>,
    /// Who may assume a role, from its trust policy (`Service:lambda.amazonaws.com`,
    /// `Federated:token.actions.githubusercontent.com`).
    pub trusted: BTreeSet<String>,
}

impl Principal {
    /// Its scopes as the inventory keeps them (space-separated): the
    /// actions, `resource:*` when some are granted on any resource, and
    /// `policy:<name>` for managed policies whose contents are unknown.
    pub fn scopes(&self) -> String {
        let mut scopes: Vec<String> = self.grants.keys().cloned().collect();
        if self.grants.values().any(|r| r.contains("*")) {
            scopes.push("resource:*".into());
        }
        scopes.extend(self.unknown_policies.iter().map(|p| format!("policy:{p}")));
        scopes.join(" ")
    }

    /// The resources its grants name (not `*`), each with the strongest
    /// permission granted on it.
    pub fn resources(&self) -> BTreeMap<String, Permission> {
        let mut resources: BTreeMap<String, Permission> = BTreeMap::new();
        for (action, on) in &self.grants {
            let permission = permission(action);
            for resource in on.iter().filter(|r| *r != "*") {
                let held = resources.entry(resource.clone()).or_insert(permission);
                *held = (*held).max(permission);
            }
        }
        resources
    }
}

/// The permission an IAM action grants: `*` and `service:*` are admin, as
/// is anything on IAM itself but reading it; reading verbs are read; the
/// rest write.
pub fn permission(action: &str) -> Permission {
    let (service, verb) = action.split_once(':').unwrap_or(("*", action));
    let reads = [
        "Get", "List", "Describe", "Head", "Select", "Query", "Scan", "BatchGet", "Read", "Search", "Lookup",
    ];
    let reading = reads.iter().any(|r| verb.starts_with(r));
    if verb == "*" || service == "*" || (service.eq_ignore_ascii_case("iam") && !reading) {
        Permission::Admin
    } else if reading {
        Permission::Read
    } else {
        Permission::Write
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AuthorizationDetails {
    user_detail_list: Option<Vec<UserDetail>>,
    #[serde(default)]
    group_detail_list: Vec<GroupDetail>,
    role_detail_list: Option<Vec<RoleDetail>>,
    #[serde(default)]
    policies: Vec<ManagedPolicy>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UserDetail {
    user_name: String,
    arn: String,
    #[serde(default)]
    create_date: Option<String>,
    #[serde(default)]
    user_policy_list: Vec<InlinePolicy>,
    #[serde(default)]
    group_list: Vec<String>,
    #[serde(default)]
    attached_managed_policies: Vec<AttachedPolicy>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GroupDetail {
    group_name: String,
    #[serde(default)]
    group_policy_list: Vec<InlinePolicy>,
    #[serde(default)]
    attached_managed_policies: Vec<AttachedPolicy>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RoleDetail {
    role_name: String,
    arn: String,
    #[serde(default)]
    create_date: Option<String>,
    #[serde(default)]
    assume_role_policy_document: Option<Value>,
    #[serde(default)]
    role_policy_list: Vec<InlinePolicy>,
    #[serde(default)]
    attached_managed_policies: Vec<AttachedPolicy>,
    #[serde(default)]
    role_last_used: Option<RoleLastUsed>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RoleLastUsed {
    #[serde(default)]
    last_used_date: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InlinePolicy {
    policy_document: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AttachedPolicy {
    policy_name: String,
    policy_arn: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ManagedPolicy {
    arn: String,
    #[serde(default)]
    policy_version_list: Vec<PolicyVersion>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyVersion {
    document: Value,
    #[serde(default)]
    is_default_version: bool,
}

/// A policy document: an object, or (from the raw API) its URL-encoded text.
fn document(value: &Value) -> Result<Value, String> {
    match value {
        Value::String(text) => {
            // Form encoding: `+` is a space, then `%xx` escapes (so `%2B` stays a plus).
            let spaced = text.replace('+', " ");
            let decoded = percent_encoding::percent_decode_str(&spaced).decode_utf8_lossy();
            serde_json::from_str(&decoded).map_err(|e| format!("a policy document is not JSON: {e}"))
        }
        other => Ok(other.clone()),
    }
}

/// One value or a list of them, as policy grammar allows.
fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// The statements of a policy document, one or many.
fn statements(document: &Value) -> Vec<&Value> {
    match document.get("Statement") {
        Some(Value::Array(list)) => list.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    }
}

/// Adds what a policy document allows to `grants`. `NotAction` allows all
/// but some actions: it is kept as `*`, the breadth it nearly has.
fn allow(document: &Value, grants: &mut BTreeMap<String, BTreeSet<String>>) {
    for statement in statements(document) {
        if statement.get("Effect").and_then(Value::as_str) != Some("Allow") {
            continue;
        }
        let mut actions = strings(statement.get("Action"));
        if statement.get("NotAction").is_some() {
            actions.push("*".into());
        }
        let mut resources = strings(statement.get("Resource"));
        if resources.is_empty() || statement.get("NotResource").is_some() {
            resources.push("*".into());
        }
        for action in actions {
            grants
                .entry(action)
                .or_default()
                .extend(resources.iter().cloned());
        }
    }
}

/// Who a trust policy lets assume the role; a federated principal without
/// conditions is marked, since anyone that provider vouches for may.
fn trusted(document: &Value) -> BTreeSet<String> {
    let mut trusted = BTreeSet::new();
    for statement in statements(document) {
        if statement.get("Effect").and_then(Value::as_str) != Some("Allow") {
            continue;
        }
        let unconditioned = statement
            .get("Condition")
            .is_none_or(|c| c.as_object().is_none_or(|o| o.is_empty()));
        match statement.get("Principal") {
            Some(Value::String(any)) => {
                trusted.insert(format!("AWS:{any}"));
            }
            Some(Value::Object(kinds)) => {
                for (kind, who) in kinds {
                    for who in strings(Some(who)) {
                        let mark = if kind == "Federated" && unconditioned {
                            " (no conditions)"
                        } else {
                            ""
                        };
                        trusted.insert(format!("{kind}:{who}{mark}"));
                    }
                }
            }
            _ => {}
        }
    }
    trusted
}

fn time(text: Option<&str>) -> Option<DateTime<Utc>> {
    let text = text?.trim();
    DateTime::parse_from_rfc3339(text)
        .ok()
        .or_else(|| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%z").ok())
        .map(|t| t.with_timezone(&Utc))
}

/// Reads `aws iam get-account-authorization-details` output (one page or
/// the whole, `IsTruncated` aside) into its users and roles.
pub fn authorization_details(reader: impl Read) -> Result<Vec<Principal>, ParseError> {
    let details: AuthorizationDetails = serde_json::from_reader(std::io::BufReader::new(reader))
        .map_err(|e| ParseError(scrub(&e.to_string())))?;
    if details.user_detail_list.is_none() && details.role_detail_list.is_none() {
        return Err(ParseError(
            "no UserDetailList nor RoleDetailList: not the output of get-account-authorization-details"
                .into(),
        ));
    }
    let mut managed: HashMap<&str, Value> = HashMap::new();
    for policy in &details.policies {
        let version = policy
            .policy_version_list
            .iter()
            .find(|v| v.is_default_version)
            .or(policy.policy_version_list.first());
        if let Some(version) = version {
            managed.insert(
                policy.arn.as_str(),
                document(&version.document).map_err(|e| ParseError(format!("policy {}: {e}", policy.arn)))?,
            );
        }
    }
    let apply = |inline: &[InlinePolicy],
                 attached: &[AttachedPolicy],
                 principal: &mut Principal|
     -> Result<(), ParseError> {
        for policy in inline {
            let doc = document(&policy.policy_document)
                .map_err(|e| ParseError(format!("{}: {e}", principal.arn)))?;
            allow(&doc, &mut principal.grants);
        }
        for policy in attached {
            match managed.get(policy.policy_arn.as_str()) {
                Some(doc) => allow(doc, &mut principal.grants),
                None => {
                    principal.unknown_policies.insert(policy.policy_name.clone());
                }
            }
        }
        Ok(())
    };
    let groups: HashMap<&str, &GroupDetail> = details
        .group_detail_list
        .iter()
        .map(|g| (g.group_name.as_str(), g))
        .collect();
    let mut principals = Vec::new();
    for user in details.user_detail_list.iter().flatten() {
        let mut principal = Principal {
            role: false,
            arn: user.arn.clone(),
            name: user.user_name.clone(),
            created_at: time(user.create_date.as_deref()),
            last_used_at: None,
            grants: BTreeMap::new(),
            unknown_policies: BTreeSet::new(),
            trusted: BTreeSet::new(),
        };
        apply(
            &user.user_policy_list,
            &user.attached_managed_policies,
            &mut principal,
        )?;
        for group in &user.group_list {
            if let Some(group) = groups.get(group.as_str()) {
                apply(
                    &group.group_policy_list,
                    &group.attached_managed_policies,
                    &mut principal,
                )?;
            }
        }
        principals.push(principal);
    }
    for role in details.role_detail_list.iter().flatten() {
        let mut principal = Principal {
            role: true,
            arn: role.arn.clone(),
            name: role.role_name.clone(),
            created_at: time(role.create_date.as_deref()),
            last_used_at: role
                .role_last_used
                .as_ref()
                .and_then(|u| time(u.last_used_date.as_deref())),
            grants: BTreeMap::new(),
            unknown_policies: BTreeSet::new(),
            trusted: BTreeSet::new(),
        };
        if let Some(trust) = &role.assume_role_policy_document {
            let doc = document(trust).map_err(|e| ParseError(format!("{}: {e}", role.arn)))?;
            principal.trusted = trusted(&doc);
        }
        apply(
            &role.role_policy_list,
            &role.attached_managed_policies,
            &mut principal,
        )?;
        principals.push(principal);
    }
    Ok(principals)
}

/// One access key of a user, from the credential report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySlot {
    /// The user's name.
    pub user: String,
    /// The user's ARN.
    pub user_arn: String,
    /// 1 or 2.
    pub slot: u8,
    /// Whether the key is active.
    pub active: bool,
    /// When the user was created.
    pub user_created: Option<DateTime<Utc>>,
    /// When the key was last rotated (created).
    pub last_rotated: Option<DateTime<Utc>>,
    /// When it was last used.
    pub last_used: Option<DateTime<Utc>>,
    /// The service it last called.
    pub last_used_service: Option<String>,
    /// Whether the user may also sign in to the console with a password.
    pub password_enabled: bool,
    /// When that password was last used.
    pub password_last_used: Option<DateTime<Utc>>,
}

impl KeySlot {
    /// The identifier the inventory gives a key known only by its slot
    /// (the report does not name key ids): `<user ARN>#access_key_<n>`.
    pub fn external_id(&self) -> String {
        slot_id(&self.user_arn, self.slot)
    }
}

/// Reads a credential report (CSV, as `get-credential-report` decodes it),
/// one key at a time; users without keys give none. `each` returns false to
/// stop. Answers the users read.
pub fn credential_report(
    reader: impl Read,
    mut each: impl FnMut(KeySlot) -> bool,
) -> Result<u64, ParseError> {
    let mut csv = csv::ReaderBuilder::new().flexible(false).from_reader(reader);
    let headers = csv
        .headers()
        .map_err(|e| ParseError(format!("line 1: {e}")))?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| ParseError(format!("no column {name}: not an IAM credential report")))
    };
    let user = column("user")?;
    let arn = column("arn")?;
    let created = column("user_creation_time")?;
    let password = column("password_enabled")?;
    let password_used = column("password_last_used")?;
    let slots = [
        (
            1,
            column("access_key_1_active")?,
            column("access_key_1_last_rotated")?,
            column("access_key_1_last_used_date")?,
            column("access_key_1_last_used_service")?,
        ),
        (
            2,
            column("access_key_2_active")?,
            column("access_key_2_last_rotated")?,
            column("access_key_2_last_used_date")?,
            column("access_key_2_last_used_service")?,
        ),
    ];
    let mut users = 0;
    for (index, row) in csv.records().enumerate() {
        let line = index + 2;
        let row = row.map_err(|e| ParseError(format!("line {line}: {}", scrub(&e.to_string()))))?;
        let field = |i: usize| row.get(i).map(str::trim).unwrap_or("");
        let flag = |i: usize| -> Result<bool, ParseError> {
            match field(i) {
                "true" => Ok(true),
                "false" | "not_supported" | "N/A" | "" => Ok(false),
                other => Err(ParseError(format!(
                    "line {line}: {} is {other:?}, expected true or false",
                    &headers[i]
                ))),
            }
        };
        let when = |i: usize| -> Result<Option<DateTime<Utc>>, ParseError> {
            match field(i) {
                "N/A" | "no_information" | "not_supported" | "" => Ok(None),
                text => time(Some(text)).map(Some).ok_or_else(|| {
                    ParseError(format!("line {line}: {} is {text:?}, not a time", &headers[i]))
                }),
            }
        };
        // The root user's keys, if any, are not an agent's: they are out of scope.
        if field(user) == "<root_account>" {
            continue;
        }
        users += 1;
        for (slot, active, rotated, used, service) in slots {
            let key = KeySlot {
                user: field(user).to_owned(),
                user_arn: field(arn).to_owned(),
                slot,
                active: flag(active)?,
                user_created: when(created)?,
                last_rotated: when(rotated)?,
                last_used: when(used)?,
                last_used_service: Some(field(service).to_owned())
                    .filter(|s| !matches!(s.as_str(), "" | "N/A")),
                password_enabled: flag(password)?,
                password_last_used: when(password_used)?,
            };
            if (key.active || key.last_rotated.is_some()) && !each(key) {
                return Ok(users);
            }
        }
    }
    Ok(users)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_grant_read_write_or_admin() {
        assert_eq!(permission("s3:GetObject"), Permission::Read);
        assert_eq!(permission("s3:Get*"), Permission::Read);
        assert_eq!(permission("dynamodb:PutItem"), Permission::Write);
        assert_eq!(permission("s3:*"), Permission::Admin);
        assert_eq!(permission("*"), Permission::Admin);
        assert_eq!(permission("iam:PassRole"), Permission::Admin);
        assert_eq!(permission("iam:ListRoles"), Permission::Read);
    }

    #[test]
    fn url_encoded_documents_and_trust_policies_are_read() {
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C\
                       %22Principal%22%3A%7B%22Federated%22%3A%22token.actions.githubusercontent.com%22%7D%2C\
                       %22Action%22%3A%22sts%3AAssumeRoleWithWebIdentity%22%7D%5D%7D";
        let doc = document(&Value::String(encoded.into())).unwrap();
        assert_eq!(
            trusted(&doc).into_iter().collect::<Vec<_>>(),
            ["Federated:token.actions.githubusercontent.com (no conditions)"]
        );
    }

    #[test]
    fn a_report_without_its_columns_is_not_a_credential_report() {
        let error = credential_report("a,b\n1,2\n".as_bytes(), |_| true).unwrap_err();
        assert!(error.0.contains("no column user"), "{}", error.0);
        let error = authorization_details(r#"{"Foo": []}"#.as_bytes()).unwrap_err();
        assert!(
            error
                .0
                .contains("not the output of get-account-authorization-details"),
            "{}",
            error.0
        );
    }
}
