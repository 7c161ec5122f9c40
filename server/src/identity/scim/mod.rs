//! People from the identity provider over SCIM 2.0 (RFC 7643/7644): the
//! service behind `/scim/v2`. A SCIM user is an inventory person (its SCIM
//! id is the person's id): its name, email, department (their team),
//! manager and `active` flag become the person's. `active=false` or a
//! delete is the leaver workflow ([`crate::people::depart`]) with nobody
//! clicking; `active=true` brings the person back. Nothing is deleted from
//! history: a deleted SCIM user's person stays, departed.

pub mod discovery;
pub mod document;
mod sync;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::AnyConnection;

use crate::ApiError;
use crate::audit::{self, Actor, AuditTarget, Entry, Source, TargetKind};
use crate::db::scim::{self as queries, Kind, Resource};
use crate::db::{Db, ownership};
use crate::people;
use document::{AttrPath, ENTERPRISE_SCHEMA, GROUP_SCHEMA, USER_SCHEMA, get};
use sync::{email_of, group_team, name_of, sync_person};

/// A SCIM error: its HTTP status, `scimType` and detail (RFC 7644 §3.12).
#[derive(Debug)]
pub enum ScimError {
    /// An error of the request, said in SCIM's terms.
    Scim {
        /// The HTTP status.
        status: u16,
        /// The `scimType` (`uniqueness`, `invalidFilter`, `mutability`...).
        scim_type: Option<&'static str>,
        /// What is wrong.
        detail: String,
    },
    /// Anything else (the database is busy, a bug): answered by its own status.
    Api(ApiError),
}

impl ScimError {
    /// 400 with a `scimType`.
    pub fn bad_request(scim_type: &'static str, detail: String) -> Self {
        Self::Scim {
            status: 400,
            scim_type: Some(scim_type),
            detail,
        }
    }

    fn not_found(kind: Kind, id: &str) -> Self {
        let what = if kind == Kind::User { "user" } else { "group" };
        Self::Scim {
            status: 404,
            scim_type: None,
            detail: format!("no {what} with id {id:?}"),
        }
    }

    fn uniqueness(detail: String) -> Self {
        Self::Scim {
            status: 409,
            scim_type: Some("uniqueness"),
            detail,
        }
    }
}

impl From<sqlx::Error> for ScimError {
    fn from(error: sqlx::Error) -> Self {
        Self::Api(error.into())
    }
}

impl From<ApiError> for ScimError {
    fn from(error: ApiError) -> Self {
        Self::Api(error)
    }
}

/// Who writes, and where resources are found.
#[derive(Debug, Clone)]
pub struct Writer {
    /// The SCIM token's name, for the audit log.
    pub token: String,
    /// Where the request came from.
    pub source: Source,
    /// Now.
    pub now: DateTime<Utc>,
    /// `https://muster.example.com/scim/v2`, for `meta.location`.
    pub base: String,
    /// Whether groups are teams (`--scim-group-teams`): a group's members
    /// are in the team of its name, and departments are not teams.
    pub group_teams: bool,
}

impl Writer {
    fn actor(&self) -> Actor {
        Actor::System(format!("SCIM token {}", self.token))
    }
}

/// A list request's parameters.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// The filter, if any.
    pub filter: Option<String>,
    /// The 1-based index of the first result.
    pub start_index: Option<i64>,
    /// Results per page.
    pub count: Option<i64>,
    /// What to return.
    pub attributes: Projection,
}

/// `attributes` / `excludedAttributes`.
#[derive(Debug, Clone, Default)]
pub struct Projection {
    /// Only these (and `id`, `schemas`, `meta`).
    pub attributes: Vec<AttrPath>,
    /// All but these.
    pub excluded: Vec<AttrPath>,
}

impl Projection {
    /// Parses the two comma-separated parameters.
    pub fn parse(attributes: Option<&str>, excluded: Option<&str>) -> Result<Self, ScimError> {
        let paths = |text: Option<&str>| -> Result<Vec<AttrPath>, ScimError> {
            text.unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(document::parse_path)
                .collect()
        };
        Ok(Self {
            attributes: paths(attributes)?,
            excluded: paths(excluded)?,
        })
    }

    /// The resource as the request asked to see it.
    pub fn apply(&self, resource: &Value) -> Value {
        document::project(resource, &self.attributes, &self.excluded)
    }
}

fn endpoint(kind: Kind) -> &'static str {
    match kind {
        Kind::User => "Users",
        Kind::Group => "Groups",
    }
}

/// A stored resource as SCIM answers it: the document with `id`, `schemas` and `meta`.
fn present(kind: Kind, row: &Resource, base: &str) -> Value {
    let mut doc: Value = serde_json::from_str(&row.document).unwrap_or_else(|_| json!({}));
    let object = doc.as_object_mut().expect("documents are stored as objects");
    let mut schemas = vec![if kind == Kind::User {
        USER_SCHEMA
    } else {
        GROUP_SCHEMA
    }];
    if object.contains_key(ENTERPRISE_SCHEMA) {
        schemas.push(ENTERPRISE_SCHEMA);
    }
    object.insert("schemas".into(), json!(schemas));
    object.insert("id".into(), json!(row.id.to_string()));
    object.insert(
        "meta".into(),
        json!({
            "resourceType": if kind == Kind::User { "User" } else { "Group" },
            "created": row.created_at,
            "lastModified": row.updated_at,
            "location": format!("{base}/{}/{}", endpoint(kind), row.id),
            "version": format!("W/\"{}\"", row.version),
        }),
    );
    doc
}

/// The document to keep of what the provider sent: without what Muster
/// owns (`id`, `meta`, `schemas`) and never a password.
fn keepable(body: Value) -> Result<Value, ScimError> {
    let Value::Object(mut object) = body else {
        return Err(ScimError::bad_request(
            "invalidSyntax",
            "the body must be a JSON object".into(),
        ));
    };
    object.retain(|key, _| {
        !["id", "meta", "schemas", "password"]
            .iter()
            .any(|k| k.eq_ignore_ascii_case(key))
    });
    let mut doc = Value::Object(object);
    document::normalise(&mut doc);
    document::check_size(&doc)?;
    Ok(doc)
}

fn text<'a>(doc: &'a Value, name: &str) -> Option<&'a str> {
    get(doc, name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The unique name of a resource (`userName`, a group's `displayName`), lowercase.
fn name_key(kind: Kind, doc: &Value) -> Result<String, ScimError> {
    let attr = if kind == Kind::User {
        "userName"
    } else {
        "displayName"
    };
    let name = text(doc, attr)
        .ok_or_else(|| ScimError::bad_request("invalidValue", format!("{attr} is required")))?;
    if name.chars().count() > 256 {
        return Err(ScimError::bad_request(
            "invalidValue",
            format!("{attr} has at most 256 characters"),
        ));
    }
    Ok(name.to_lowercase())
}

fn audit_entry(writer: &Writer, action: &str, kind: Kind, id: i64, doc: &Value) -> Entry {
    let target = match kind {
        Kind::User => AuditTarget::new(TargetKind::Person, id),
        Kind::Group => AuditTarget::new(TargetKind::ScimGroup, id),
    };
    let details = match kind {
        Kind::User => {
            let user_name = text(doc, "userName").unwrap_or_default();
            let extension = get(doc, ENTERPRISE_SCHEMA);
            json!({
                "userName": user_name,
                "externalId": text(doc, "externalId"),
                "active": get(doc, "active"),
                "name": name_of(doc, user_name),
                "email": email_of(doc, user_name).0,
                "department": extension.and_then(|e| text(e, "department")),
                "manager": extension.and_then(|e| get(e, "manager")).and_then(|m| text(m, "value")),
            })
        }
        Kind::Group => json!({
            "displayName": text(doc, "displayName"),
            "externalId": text(doc, "externalId"),
            "members": get(doc, "members").and_then(Value::as_array).map_or(0, Vec::len),
        }),
    };
    Entry::new(writer.actor(), action)
        .target(target)
        .details(details)
        .from(&writer.source)
}

fn action(kind: Kind, verb: &str) -> String {
    match kind {
        Kind::User => format!("scim.user.{verb}"),
        Kind::Group => format!("scim.group.{verb}"),
    }
}

/// Creates a user or group.
pub async fn create(db: &Db, kind: Kind, body: Value, writer: &Writer) -> Result<Value, ScimError> {
    let doc = keepable(body)?;
    let key = name_key(kind, &doc)?;
    let mut tx = db.begin().await?;
    if queries::by_name(&mut tx, kind, &key).await?.is_some() {
        let what = if kind == Kind::User {
            "userName"
        } else {
            "displayName"
        };
        return Err(ScimError::uniqueness(format!("{what} {key:?} is taken")));
    }
    let stored = doc.to_string();
    let id = match kind {
        Kind::User => {
            let person = sync_person(&mut tx, None, None, &doc, writer).await?;
            queries::insert_user(
                &mut tx,
                person,
                &key,
                text(&doc, "externalId"),
                &stored,
                writer.now,
            )
            .await?;
            person
        }
        Kind::Group => {
            let id =
                queries::insert_group(&mut tx, &key, text(&doc, "externalId"), &stored, writer.now).await?;
            if writer.group_teams {
                group_team(&mut tx, None, Some(&doc), writer).await?;
            }
            id
        }
    };
    audit::record(
        &mut tx,
        &audit_entry(writer, &action(kind, "create"), kind, id, &doc),
        writer.now,
    )
    .await?;
    let row = queries::get(&mut tx, kind, id).await?.expect("just stored");
    tx.commit().await?;
    Ok(present(kind, &row, &writer.base))
}

fn parse_id(kind: Kind, id: &str) -> Result<i64, ScimError> {
    id.parse::<i64>().map_err(|_| ScimError::not_found(kind, id))
}

/// One user or group.
pub async fn read(db: &Db, kind: Kind, id: &str, base: &str) -> Result<Value, ScimError> {
    let number = parse_id(kind, id)?;
    let mut conn = db.pool().acquire().await?;
    let row = queries::get(&mut conn, kind, number)
        .await?
        .ok_or_else(|| ScimError::not_found(kind, id))?;
    Ok(present(kind, &row, base))
}

/// How a write changes a stored document.
#[derive(Debug)]
pub enum Change {
    /// PUT: the body replaces it.
    Replace(Value),
    /// PATCH: the operations apply to it.
    Patch(Vec<Value>),
}

/// Replaces or patches a user or group.
pub async fn update(
    db: &Db,
    kind: Kind,
    id: &str,
    change: Change,
    writer: &Writer,
) -> Result<Value, ScimError> {
    let number = parse_id(kind, id)?;
    let mut tx = db.begin().await?;
    let row = queries::get(&mut tx, kind, number)
        .await?
        .ok_or_else(|| ScimError::not_found(kind, id))?;
    let doc = match change {
        Change::Replace(body) => keepable(body)?,
        Change::Patch(operations) => {
            let mut doc: Value = serde_json::from_str(&row.document).unwrap_or_else(|_| json!({}));
            document::patch(&mut doc, &operations)?;
            keepable(doc)?
        }
    };
    let key = name_key(kind, &doc)?;
    if queries::by_name(&mut tx, kind, &key)
        .await?
        .is_some_and(|other| other != number)
    {
        return Err(ScimError::uniqueness(format!("{key:?} is taken")));
    }
    match kind {
        Kind::User => {
            let before: Value = serde_json::from_str(&row.document).unwrap_or_else(|_| json!({}));
            let was_active = !matches!(get(&before, "active"), Some(Value::Bool(false)));
            sync_person(&mut tx, Some(number), Some(was_active), &doc, writer).await?;
        }
        Kind::Group if writer.group_teams => {
            let before: Value = serde_json::from_str(&row.document).unwrap_or_else(|_| json!({}));
            group_team(&mut tx, Some(&before), Some(&doc), writer).await?;
        }
        Kind::Group => {}
    }
    queries::update(
        &mut tx,
        kind,
        number,
        &key,
        text(&doc, "externalId"),
        &doc.to_string(),
        writer.now,
    )
    .await?;
    audit::record(
        &mut tx,
        &audit_entry(writer, &action(kind, "update"), kind, number, &doc),
        writer.now,
    )
    .await?;
    let row = queries::get(&mut tx, kind, number).await?.expect("just stored");
    tx.commit().await?;
    Ok(present(kind, &row, &writer.base))
}

/// Deletes a user (whose person departs and stays) or a group.
pub async fn delete(db: &Db, kind: Kind, id: &str, writer: &Writer) -> Result<(), ScimError> {
    let number = parse_id(kind, id)?;
    let mut tx = db.begin().await?;
    let row = queries::get(&mut tx, kind, number)
        .await?
        .ok_or_else(|| ScimError::not_found(kind, id))?;
    let doc: Value = serde_json::from_str(&row.document).unwrap_or_else(|_| json!({}));
    if kind == Kind::User {
        if let Some(candidate) = ownership::candidate(&mut tx, number).await? {
            people::depart(
                &mut tx,
                &candidate,
                writer.actor(),
                "deleted in the identity provider",
                &writer.source,
                writer.now,
            )
            .await?;
        }
        remove_member(&mut tx, number, writer.now).await?;
    } else if writer.group_teams {
        group_team(&mut tx, Some(&doc), None, writer).await?;
    }
    queries::delete(&mut tx, kind, number).await?;
    audit::record(
        &mut tx,
        &audit_entry(writer, &action(kind, "delete"), kind, number, &doc),
        writer.now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Takes a deleted user out of every group's members.
async fn remove_member(conn: &mut AnyConnection, user: i64, now: DateTime<Utc>) -> Result<(), ScimError> {
    let id = Value::String(user.to_string());
    for group in queries::list(conn, Kind::Group, None, None).await? {
        let Ok(mut doc) = serde_json::from_str::<Value>(&group.document) else {
            continue;
        };
        let Some(Value::Array(members)) = doc.get_mut("members") else {
            continue;
        };
        let before = members.len();
        members.retain(|m| get(m, "value") != Some(&id));
        if members.len() != before {
            let key = name_key(Kind::Group, &doc)?;
            queries::update(
                conn,
                Kind::Group,
                group.id,
                &key,
                text(&doc, "externalId"),
                &doc.to_string(),
                now,
            )
            .await?;
        }
    }
    Ok(())
}

/// Lists users or groups: filtered, paged, projected (a `ListResponse`).
pub async fn list(db: &Db, kind: Kind, query: &ListQuery, base: &str) -> Result<Value, ScimError> {
    let filter = query.filter.as_deref().map(document::parse_filter).transpose()?;
    let equal = filter
        .as_ref()
        .map(document::required_equalities)
        .unwrap_or_default();
    let find = |name: &str| {
        equal
            .iter()
            .find(|(attr, _)| attr == name)
            .map(|(_, v)| v.clone())
    };
    let name_attr = if kind == Kind::User {
        "username"
    } else {
        "displayname"
    };
    let name_key = find(name_attr).map(|v| v.to_lowercase());
    let external_id = find("externalid");
    let mut conn = db.pool().acquire().await?;
    let rows = queries::list(&mut conn, kind, name_key.as_deref(), external_id.as_deref()).await?;
    drop(conn);
    let matching: Vec<Value> = rows
        .iter()
        .map(|row| present(kind, row, base))
        .filter(|resource| filter.as_ref().is_none_or(|f| document::matches(resource, f)))
        .collect();
    let total = matching.len();
    let start = query.start_index.unwrap_or(1).max(1);
    let count = query.count.unwrap_or(100).clamp(0, discovery::MAX_RESULTS as i64) as usize;
    let page: Vec<Value> = matching
        .iter()
        .skip((start - 1) as usize)
        .take(count)
        .map(|resource| query.attributes.apply(resource))
        .collect();
    Ok(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": page.len(),
        "Resources": page,
    }))
}
