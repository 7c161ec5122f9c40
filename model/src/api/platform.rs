//! SaaS and cloud discovery: what the platforms' own records (OAuth grants,
//! tokens, app installations, cloud agents) said of an agent or a
//! credential, and the catalogue of AI applications that tells an AI
//! agent's grant from any other application's.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{AppMatch, Consent, ImportKind, Ref};

/// What a platform import found of an agent (a SaaS agent's grant, a cloud agent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlatformAgent {
    /// The platform whose records name it.
    pub platform: ImportKind,
    /// The platform's own identifier of the agent or application (client id, ARN, resource name).
    pub identifier: String,
    /// The catalogue's application, when it is one.
    pub app: Option<String>,
    /// Its vendor, when known.
    pub vendor: Option<String>,
    /// How the catalogue matched it.
    pub matched: Option<AppMatch>,
    /// What matched, in words (`client id 1234…`, `publisher OpenAI`).
    pub matched_on: Option<String>,
    /// How it was granted its access.
    pub consent: Option<Consent>,
    /// Who consented (or deployed it), as the platform names them.
    pub consented_by: Option<String>,
    /// The person that is, when the inventory knows them.
    pub consenting_person: Option<Ref>,
    /// An admin's word on it (sanctioned or shadow), over the sanctioned list.
    pub marked: Option<bool>,
    /// When the latest import saw it.
    pub seen_at: DateTime<Utc>,
}

/// What a platform import found of a credential (a grant, a token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlatformGrant {
    /// The platform whose records name it.
    pub platform: ImportKind,
    /// The application holding it (client id, app slug), if any.
    pub client_id: Option<String>,
    /// The application's name.
    pub app_name: Option<String>,
    /// How it was consented to.
    pub consent: Consent,
    /// Who consented or owns it, as the platform names them.
    pub consented_by: Option<String>,
    /// Whether the latest full import still found it (`false`: revoked at the source).
    pub present: bool,
    /// The agent it was made into, if any.
    pub agent: Option<Ref>,
    /// When the latest import saw it.
    pub seen_at: DateTime<Utc>,
}

/// An entry of the catalogue of AI applications: how their grants, apps and
/// installations are recognised on each platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AiApp {
    /// Its key (`chatgpt`, or `admin-3` for an admin's entry).
    pub key: String,
    /// Its name.
    pub name: String,
    /// Its vendor.
    pub vendor: String,
    /// OAuth client ids and application (app) ids, on any platform: an exact match.
    pub client_ids: Vec<String>,
    /// GitHub app slugs: an exact match.
    pub github_apps: Vec<String>,
    /// Verified publishers (Entra `verifiedPublisher.displayName`) and publisher domains.
    pub publishers: Vec<String>,
    /// Application names as users see them in consent screens (case-insensitive; the weakest match).
    pub names: Vec<String>,
    /// Whether it ships with Muster (`server/catalogue/ai-apps.yaml`); an admin's entry can be deleted.
    pub builtin: bool,
}

/// `POST /api/v1/ai-apps`: an admin's entry in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAiApp {
    /// Its name, 1 to 200 characters.
    pub name: String,
    /// Its vendor, 1 to 200 characters.
    pub vendor: String,
    /// OAuth client ids and application ids.
    #[serde(default)]
    pub client_ids: Vec<String>,
    /// GitHub app slugs.
    #[serde(default)]
    pub github_apps: Vec<String>,
    /// Verified publishers and publisher domains.
    #[serde(default)]
    pub publishers: Vec<String>,
    /// Application names.
    #[serde(default)]
    pub names: Vec<String>,
}
