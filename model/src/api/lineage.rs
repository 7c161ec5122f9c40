//! The lineage graph, a credential's blast radius, and the global search.

use serde::{Deserialize, Serialize};

use super::{CredentialReach, NodeKind, Permission, Ref, ResourceSummary, RiskBand, Sensitivity};

/// Parameters of `GET /api/v1/graph/lineage`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct LineageQuery {
    /// The starting node, as `<kind>:<id>` (e.g. `credential:12`).
    pub node: String,
    /// How many hops to follow from it, 1 to 5 (default 2): five reach
    /// from a team down to the resources its people's credentials reach.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth: Option<u32>,
}

/// The deepest lineage a request may ask for.
pub const MAX_LINEAGE_DEPTH: u32 = 5;
/// Neighbours of one kind shown around a node before the rest fold into a "N more" node.
pub const LINEAGE_FANOUT: usize = 12;

/// A subgraph of the lineage, bounded in size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Lineage {
    /// The node the walk started from (`<kind>:<id>`).
    pub root: String,
    /// The nodes, the root first.
    pub nodes: Vec<GraphNode>,
    /// The edges between them.
    pub edges: Vec<GraphEdge>,
}

/// A node of the lineage graph: an entity, or an aggregate "N more" node
/// standing for neighbours that were not expanded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GraphNode {
    /// Unique within the graph: `<kind>:<id>`, or `<kind>:more:<parent>` for an aggregate.
    pub id: String,
    /// What it is.
    pub kind: NodeKind,
    /// The entity's id; none for an aggregate.
    pub entity_id: Option<i64>,
    /// What to write on it.
    pub label: String,
    /// A second line: platform, provider, environment, status...
    pub detail: String,
    /// Hops from the root.
    pub depth: u32,
    /// For agents and credentials: the risk score, 0 to 100.
    pub score: Option<i64>,
    /// For agents and credentials: the score's band.
    pub band: Option<RiskBand>,
    /// For an aggregate: how many entities it stands for.
    pub more: Option<i64>,
}

/// How two nodes are related.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// team → person.
    MemberOf,
    /// person → agent or credential.
    Owns,
    /// agent → tool.
    Uses,
    /// tool → credential.
    AuthenticatesWith,
    /// credential → copy.
    StoredAt,
    /// credential → resource.
    Reaches,
}

/// A directed edge of the lineage graph, always in the direction
/// person → agent → tool → credential → resource (and credential → copy).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GraphEdge {
    /// The upstream node's id.
    pub from: String,
    /// The downstream node's id.
    pub to: String,
    /// The relation.
    pub relation: Relation,
    /// For `reaches`: the permission.
    pub permission: Option<Permission>,
}

/// Parameters of `GET /api/v1/graph/paths`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct PathsQuery {
    /// Where the paths end: a resource (who can reach it), a credential, a
    /// tool or an agent, as `<kind>:<id>`.
    pub to: String,
    /// Only the paths through this node (how does it reach `to`?), as
    /// `<kind>:<id>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Most paths to return, 1 to 200 (default 25).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// The most paths one answer holds.
pub const MAX_PATHS: u32 = 200;

/// `GET /api/v1/graph/paths`: every way to reach a node, from the people
/// (or the unowned agents and credentials) at their start, shortest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Paths {
    /// Where the paths end.
    pub to: String,
    /// The node every path goes through, if one was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The paths, shortest first, then the strongest permission, then the riskiest.
    pub paths: Vec<ReachPath>,
    /// How many paths were found before the limit.
    pub total: i64,
    /// Why the walk stopped short, if it did (too many neighbours, time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated: Option<String>,
    /// The nodes and edges of the paths, to draw.
    pub graph: Lineage,
}

/// One way to reach the end: its nodes from the start, and its weakest link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReachPath {
    /// Node ids, from the start to the end.
    pub nodes: Vec<String>,
    /// The permission on the resource at the end, if it ends at one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission: Option<Permission>,
    /// The weakest link: a start nobody owns (or a tool no known agent
    /// uses), an owner who left, or the riskiest agent or credential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weakest: Option<String>,
    /// Why that link is the weakest, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weakness: Option<String>,
}

/// `GET /api/v1/credentials/{id}/blast-radius`: everything a credential reaches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlastRadius {
    /// The credential.
    pub credential: Ref,
    /// Every resource it reaches, the most sensitive and most privileged first.
    pub resources: Vec<BlastEntry>,
    /// How many reached resources there are of each sensitivity.
    pub by_sensitivity: Vec<SensitivityCount>,
}

/// A resource in a blast radius, with who else reaches it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlastEntry {
    /// The resource.
    pub resource: ResourceSummary,
    /// The credential's permission on it.
    pub permission: Permission,
    /// Other credentials that reach it (the first 10, strongest first).
    pub others: Vec<CredentialReach>,
    /// How many other credentials reach it in all.
    pub others_total: i64,
}

/// A count of resources of one sensitivity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SensitivityCount {
    /// The sensitivity.
    pub sensitivity: Sensitivity,
    /// How many.
    pub count: i64,
}

/// Parameters of `GET /api/v1/search`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// A name, email, key id, ARN or fingerprint (at least 2 characters).
    pub q: String,
    /// Most hits to return, at most 50 (default 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// The answer of `GET /api/v1/search`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchResults {
    /// The query as understood.
    pub query: String,
    /// The hits, exact identifier matches first.
    pub hits: Vec<SearchHit>,
}

/// One entity found by the search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchHit {
    /// What it is.
    pub kind: NodeKind,
    /// Its id.
    pub id: i64,
    /// Its name.
    pub label: String,
    /// A line of context: key id and owner, email and team, ...
    pub detail: String,
    /// Which field matched: `name`, `email`, `external_id`, `fingerprint`, `locator`.
    pub matched: String,
}
